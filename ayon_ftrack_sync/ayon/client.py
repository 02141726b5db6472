"""One way to get an AYON connection: service API key, sender type `ftrack`, counted requests.

The sender type is the loop guard: the AYON listener ignores events whose sender type is
`ftrack`, so this service never re-syncs its own writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ayon_api
import requests
from ayon_api.exceptions import HTTPRequestError, ServerNotReached

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


#: HTTP statuses after which a read is sent again (briefly, a few times) within the call
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
READ_ATTEMPTS = 4
CONNECT_ATTEMPTS = 4
BACKOFF_S = 0.2


def open_api(
    config: AyonConfig, *, timeout: float = 60.0, max_retries: int = 3
) -> tuple[ayon_api.ServerAPI, RequestCounter]:
    """A validated ServerAPI acting as this service, and its request counter.

    A server error while connecting is retried here a few times (and is never taken for a
    refused key); reads (GET, GraphQL) are retried per request, see `retry_reads`. Writes are
    not: the caller re-plans from a fresh read instead."""
    if not config.server_url or not config.api_key:
        raise AyonCredentialsRejected(
            "AYON is not configured: set AYON_SERVER_URL and AYON_API_KEY"
        )
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            return _connect(config, timeout=timeout, max_retries=max_retries)
        except AyonUnavailable:
            if attempt + 1 == CONNECT_ATTEMPTS:
                raise
            time.sleep(BACKOFF_S * 2**attempt)
    raise AssertionError("unreachable")


def _connect(
    config: AyonConfig, *, timeout: float, max_retries: int
) -> tuple[ayon_api.ServerAPI, RequestCounter]:
    assert config.server_url and config.api_key
    key = config.api_key.get_secret_value()
    try:
        api = ayon_api.ServerAPI(
            config.server_url,
            token=key,
            sender_type=config.sender_type,
            sender=config.sender,
            timeout=timeout,
            max_retries=max_retries,
        )
        counter = attach_counter(api)
        retry_reads(api)
        if not api.is_server_available:
            raise AyonUnavailable(f"AYON at {config.server_url} does not answer")
        if not api.has_valid_token:
            if _key_refused(config.server_url, key, timeout):
                raise AyonCredentialsRejected(f"AYON at {config.server_url} rejected the API key")
            raise AyonUnavailable(f"AYON at {config.server_url} could not check the API key")
    except (requests.RequestException, ServerNotReached, HTTPRequestError) as exc:
        raise AyonUnavailable(
            f"AYON at {config.server_url} is unreachable ({type(exc).__name__})"
        ) from None
    return api, counter


def _key_refused(server_url: str, key: str, timeout: float) -> bool:
    """Whether the server itself answers 401/403 to the key (and not a server error)."""
    url = server_url.rstrip("/") + "/api/users/me"
    statuses = {
        requests.get(url, headers=headers, timeout=timeout).status_code
        for headers in ({"X-Api-Key": key}, {"Authorization": f"Bearer {key}"})
    }
    return statuses <= {401, 403}


def retry_reads(
    api: ayon_api.ServerAPI, *, attempts: int = READ_ATTEMPTS, backoff: float = BACKOFF_S
) -> None:
    """Send a read again when it meets a server error or a dropped connection.

    Reads are GET requests and GraphQL queries; anything else goes out once (an operation
    that failed after AYON applied it must not be applied twice). Uses the API's
    requests.Session (`_session`, as `attach_counter`)."""
    session = getattr(api, "_session", None)
    if not isinstance(session, requests.Session):
        return
    send = session.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if not _is_read(method, url):
            return send(method, url, *args, **kwargs)
        for attempt in range(attempts - 1):
            try:
                response = send(method, url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                pass
            else:
                if response.status_code not in _TRANSIENT_STATUS:
                    return response
            time.sleep(backoff * 2**attempt)
        return send(method, url, *args, **kwargs)

    session.request = request  # type: ignore[method-assign,assignment]


def _is_read(method: str, url: str) -> bool:
    method = method.upper()
    if method in {"GET", "HEAD"}:
        return True
    return method == "POST" and urlsplit(url).path.rstrip("/").endswith("/graphql")


def attach_counter(api: ayon_api.ServerAPI) -> RequestCounter:
    """Count every HTTP response of this connection.

    ayon-python-api exposes no request hook, so this uses its requests.Session
    (`_session`, present whenever the API was created with a session)."""
    counter = RequestCounter()
    session = getattr(api, "_session", None)
    if isinstance(session, requests.Session):
        session.hooks.setdefault("response", []).append(counter.hook)
    return counter
