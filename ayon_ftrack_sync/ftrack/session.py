"""Opening an ``ftrack_api.Session`` for the service: no event hub, no plugins, clear errors.

The event hub is the leecher's business; every other user of a session (activities, CLI) must
not open a websocket as a side effect, so ``auto_connect_event_hub`` is off. Plugin discovery
from ``FTRACK_EVENT_PLUGIN_PATH`` is off too: a worker must not run code found in its
environment. Construction failures become ``FtrackUnavailable`` (retry) or
``FtrackCredentialsRejected`` (fix the configuration) with messages that never hold the key.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import ftrack_api
import requests

from ayon_ftrack_sync.config import FtrackConfig
from ayon_ftrack_sync.logging_setup import redact

from .errors import FtrackCredentialsRejected, FtrackNotConfigured, FtrackUnavailable

#: a transient failure while connecting is retried this often, after 0.2 s, 0.4 s, ...
CONNECT_ATTEMPTS = 4
BACKOFF_S = 0.2

_CREDENTIAL_MARKERS = ("InvalidCredentialsError", "api_credentials_invalid", "FTAuthentication")


def open_session(
    config: FtrackConfig,
    *,
    schema_cache_dir: Path | None = None,
    timeout: float = 60.0,
) -> Any:
    """A connected ``ftrack_api.Session`` as the configured API user.

    ``schema_cache_dir`` keeps the schema between runs (the client then skips ``query_schemas``
    while the server's schema hash is unchanged); None disables the cache, so a shared
    ``~/.cache`` file can never serve a stale schema to a worker.
    """
    missing = [
        name
        for name, value in (
            ("server_url", config.server_url),
            ("api_user", config.api_user),
            ("api_key", config.api_key.get_secret_value() if config.api_key else None),
        )
        if not value
    ]
    if missing:
        raise FtrackNotConfigured(
            "ftrack is not configured: missing "
            + ", ".join(missing)
            + " (FTRACK_SERVER, FTRACK_API_USER, FTRACK_API_KEY)"
        )
    assert config.api_key is not None
    key = config.api_key.get_secret_value()
    url = str(config.server_url)
    if schema_cache_dir is not None:
        schema_cache_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(CONNECT_ATTEMPTS - 1):  # connecting only reads: safe to repeat
        try:
            return _connect(config, url, key, schema_cache_dir, timeout)
        except FtrackUnavailable:
            time.sleep(BACKOFF_S * 2**attempt)
    return _connect(config, url, key, schema_cache_dir, timeout)


def _connect(
    config: FtrackConfig, url: str, key: str, schema_cache_dir: Path | None, timeout: float
) -> Any:
    try:
        return ftrack_api.Session(
            server_url=url,
            api_key=key,
            api_user=config.api_user,
            auto_connect_event_hub=False,
            plugin_paths=[],
            schema_cache_path=str(schema_cache_dir) if schema_cache_dir is not None else False,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise FtrackUnavailable(f"cannot reach ftrack at {url} ({type(exc).__name__})") from None
    except ftrack_api.exception.ServerError as exc:
        text = redact(_message(exc), key)
        if any(marker in text for marker in _CREDENTIAL_MARKERS):
            raise FtrackCredentialsRejected(
                f"ftrack at {url} rejected the API key of user {config.api_user!r}"
            ) from None
        raise FtrackUnavailable(f"ftrack at {url} refused the session: {text}") from None
    except ftrack_api.exception.Error as exc:
        raise FtrackUnavailable(
            f"ftrack at {url} cannot be used: {redact(_message(exc), key)}"
        ) from None


def _message(exc: BaseException) -> str:
    """The exception text; ftrack's own ``__str__`` formats braces and can itself fail."""
    try:
        return str(exc)
    except Exception:
        return str(getattr(exc, "message", type(exc).__name__))
