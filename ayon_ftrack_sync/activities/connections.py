"""Server connections and sync settings for activities, with errors mapped for Temporal.

Every activity opens what it needs through here, so the rules live in one place:
which errors are worth a retry (server down, 5xx) and which need a person (bad key, missing
attributes, unknown project), and where the sync settings come from (a settings file, the
AYON addon settings, or the built-in defaults of the original integration).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
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


#: an idle connection older than this is closed instead of reused, so a change on a server
#: (schema, key rotation) is picked up within this time
MAX_IDLE_AGE_S = 300.0
#: idle connections kept per server and side
MAX_IDLE = 16


class _Pool:
    """Idle server connections, reused across activity calls of this worker process.

    Opening an ftrack session costs a few requests and a schema load, an AYON client four
    requests: per incremental batch that was most of the work. A connection goes back to the
    pool only after an activity that succeeded; one that met an error is closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str], list[tuple[float, Any]]] = {}

    def take(self, key: tuple[str, str]) -> Any | None:
        now = time.monotonic()
        stale: list[Any] = []
        found = None
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                since, item = idle.pop()
                if now - since < MAX_IDLE_AGE_S:
                    found = item
                    break
                stale.append(item)
        for item in stale:
            _close(item)
        return found

    def give(self, key: tuple[str, str], item: Any) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE:
                idle.append((time.monotonic(), item))
                return
        _close(item)

    def clear(self) -> None:
        with self._lock:
            items = [item for idle in self._idle.values() for _, item in idle]
            self._idle.clear()
        for item in items:
            _close(item)


_POOL = _Pool()


def close_idle_connections() -> None:
    """Close the pooled connections (worker shutdown, tests)."""
    _POOL.clear()


def _close(item: Any) -> None:
    try:
        if isinstance(item, tuple):  # (ServerAPI, RequestCounter)
            item[0].close_session()
        else:
            item.close()
    except Exception:  # closing must never hide anything else
        log.debug("closing a pooled connection failed", exc_info=True)


def _key(*parts: object) -> str:
    """Pool key of one server identity (a digest: the key itself is never kept as text)."""
    text = "\0".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


class Connections:
    """ftrack sessions and AYON APIs for one activity call, taken from and returned to a
    per-process pool (`ayon_counter` counts only this call's AYON requests)."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self._ftrack: Any = None
        self._ayon: ayon_api.ServerAPI | None = None
        self._ayon_pooled: tuple[ayon_api.ServerAPI, RequestCounter] | None = None
        self._ayon_base = 0
        self.ayon_counter = RequestCounter()

    def _ftrack_key(self) -> tuple[str, str]:
        ftrack = self.config.ftrack
        secret = ftrack.api_key.get_secret_value() if ftrack.api_key else None
        return ("ftrack", _key(ftrack.server_url, ftrack.api_user, secret))

    def _ayon_key(self) -> tuple[str, str]:
        ayon = self.config.ayon
        secret = ayon.api_key.get_secret_value() if ayon.api_key else None
        return ("ayon", _key(ayon.server_url, secret, ayon.sender_type, ayon.sender))

    def ftrack(self) -> Any:
        if self._ftrack is None:
            self._ftrack = _POOL.take(self._ftrack_key())
        if self._ftrack is None:
            cache = self.config.service.state_dir / "ftrack-schema-cache"
            self._ftrack = open_session(self.config.ftrack, schema_cache_dir=cache)
        return self._ftrack

    def ayon(self) -> ayon_api.ServerAPI:
        if self._ayon is None:
            pooled = _POOL.take(self._ayon_key())
            if pooled is None:
                pooled = open_api(self.config.ayon)
                self._ayon_base = 0
            else:
                self._ayon_base = pooled[1].count
            self._ayon_pooled = pooled
            self._ayon = pooled[0]
            self.ayon_counter = _Since(pooled[1], self._ayon_base)
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

    def close(self, *, reuse: bool = False) -> None:
        """Return the connections to the pool (`reuse`) or close them."""
        if self._ftrack is not None:
            if reuse:
                _POOL.give(self._ftrack_key(), self._ftrack)
            else:
                _close(self._ftrack)
            self._ftrack = None
        if self._ayon_pooled is not None:
            if reuse:
                # the attribute schema is cached per client: the next call must see changes
                reset = getattr(self._ayon_pooled[0], "reset_attributes_cache", None)
                if callable(reset):
                    reset()
                _POOL.give(self._ayon_key(), self._ayon_pooled)
            else:
                _close(self._ayon_pooled)
            self._ayon_pooled = None
            self._ayon = None

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        self.close(reuse=exc_type is None)


class _Since(RequestCounter):
    """A pooled API's counter seen from one activity call: requests since it was taken."""

    def __init__(self, counter: RequestCounter, base: int) -> None:
        self._counter = counter
        self._base = base

    @property
    def count(self) -> int:
        return self._counter.count - self._base

    @count.setter
    def count(self, value: int) -> None:
        self._counter.count = value + self._base
