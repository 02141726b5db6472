"""Server connections and sync settings for activities, with errors mapped for Temporal.

Every activity opens what it needs through here, so the rules live in one place:
which errors are worth a retry (server down, 5xx) and which need a person (bad key, missing
attributes, unknown project), and where the sync settings come from (a settings file, the
AYON addon settings, or the built-in defaults of the original integration).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ayon_api
from temporalio.exceptions import ApplicationError

from ayon_ftrack_sync.ayon.attributes import MissingAttributes
from ayon_ftrack_sync.ayon.client import (
    AyonCredentialsRejected,
    AyonUnavailable,
    RequestCounter,
    open_api,
)
from ayon_ftrack_sync.ayon.reader import ProjectNotFound
from ayon_ftrack_sync.ayon.writer import OperationsFailed
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.ftrack import (
    FtrackCredentialsRejected,
    FtrackNotConfigured,
    FtrackPermissionDenied,
    FtrackProjectNotFound,
    FtrackServerError,
    open_session,
)
from ayon_ftrack_sync.settings import (
    SettingsError,
    SyncSettings,
    load_settings_file,
    load_settings_from_ayon,
)

log = logging.getLogger(__name__)

#: exception class -> (Temporal error type, retryable)
_ERROR_TYPES: tuple[tuple[type[BaseException], str, bool], ...] = (
    (ProjectNotFound, "ProjectNotFound", False),
    (FtrackProjectNotFound, "ProjectNotFound", False),
    (MissingAttributes, "MissingAttributes", False),
    (AyonCredentialsRejected, "CredentialsRejected", False),
    (FtrackCredentialsRejected, "CredentialsRejected", False),
    (FtrackNotConfigured, "CredentialsRejected", False),
    (FtrackPermissionDenied, "PermissionDenied", False),
    (SettingsError, "SettingsError", False),
    (FtrackServerError, "ServerRefused", False),
    (OperationsFailed, "OperationsRefused", False),
    (AyonUnavailable, "Unavailable", True),
)


@contextmanager
def temporal_errors() -> Iterator[None]:
    """Turn gateway errors into `ApplicationError`s with a type and the right retry flag."""
    try:
        yield
    except ApplicationError:
        raise
    except Exception as exc:
        for error_class, error_type, retryable in _ERROR_TYPES:
            if isinstance(exc, error_class):
                raise ApplicationError(
                    str(exc), type=error_type, non_retryable=not retryable
                ) from None
        raise


class Connections:
    """Opens ftrack sessions and AYON APIs for one activity call (closed by `close`)."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self._ftrack: Any = None
        self._ayon: ayon_api.ServerAPI | None = None
        self.ayon_counter = RequestCounter()

    def ftrack(self) -> Any:
        if self._ftrack is None:
            cache = self.config.service.state_dir / "ftrack-schema-cache"
            self._ftrack = open_session(self.config.ftrack, schema_cache_dir=cache)
        return self._ftrack

    def ayon(self) -> ayon_api.ServerAPI:
        if self._ayon is None:
            self._ayon, self.ayon_counter = open_api(self.config.ayon)
        return self._ayon

    def settings(self, project_name: str | None) -> SyncSettings:
        """Settings file if configured, else the AYON addon's (project overrides applied),
        else the defaults (logged, so nobody wonders where they came from)."""
        service = self.config.service
        if service.settings_file is not None:
            return load_settings_file(service.settings_file)
        ayon = self.config.ayon
        if ayon.addon_version:
            return load_settings_from_ayon(
                self.ayon(),
                addon_name=ayon.addon_name,
                addon_version=ayon.addon_version,
                project_name=project_name,
                variant=ayon.settings_variant,
            )
        log.warning(
            "no settings file and no AYON addon version configured: using default sync settings"
        )
        return SyncSettings()

    def close(self) -> None:
        if self._ftrack is not None:
            try:
                self._ftrack.close()
            except Exception:  # closing must never hide the activity's own outcome
                log.debug("closing the ftrack session failed", exc_info=True)
        if self._ayon is not None:
            self._ayon.close_session()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
