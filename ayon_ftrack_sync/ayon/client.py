"""One way to get an AYON connection: service API key, sender type `ftrack`, counted requests.

The sender type is the loop guard: the AYON listener ignores events whose sender type is
`ftrack`, so this service never re-syncs its own writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ayon_api
import requests

from ayon_ftrack_sync.config import AyonConfig


class AyonUnavailable(RuntimeError):
    """The AYON server cannot be reached (retryable)."""


class AyonCredentialsRejected(RuntimeError):
    """The API key was refused (not retryable: an operator must fix it)."""


@dataclass
class RequestCounter:
    """HTTP requests made through one ServerAPI (for reports and benchmarks)."""

    count: int = 0

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.count += 1


def open_api(
    config: AyonConfig, *, timeout: float = 60.0, max_retries: int = 3
) -> tuple[ayon_api.ServerAPI, RequestCounter]:
    """A validated ServerAPI acting as this service, and its request counter."""
    if not config.server_url or not config.api_key:
        raise AyonCredentialsRejected(
            "AYON is not configured: set AYON_SERVER_URL and AYON_API_KEY"
        )
    key = config.api_key.get_secret_value()
    api = ayon_api.ServerAPI(
        config.server_url,
        token=key,
        sender_type=config.sender_type,
        sender=config.sender,
        timeout=timeout,
        max_retries=max_retries,
    )
    counter = attach_counter(api)
    try:
        if not api.is_server_available:
            raise AyonUnavailable(f"AYON at {config.server_url} does not answer")
        if not api.has_valid_token:
            raise AyonCredentialsRejected(f"AYON at {config.server_url} rejected the API key")
    except requests.RequestException as exc:
        raise AyonUnavailable(
            f"AYON at {config.server_url} is unreachable ({type(exc).__name__})"
        ) from None
    return api, counter


def attach_counter(api: ayon_api.ServerAPI) -> RequestCounter:
    """Count every HTTP response of this connection.

    ayon-python-api exposes no request hook, so this uses its requests.Session
    (`_session`, present whenever the API was created with a session)."""
    counter = RequestCounter()
    session = getattr(api, "_session", None)
    if isinstance(session, requests.Session):
        session.hooks.setdefault("response", []).append(counter.hook)
    return counter
