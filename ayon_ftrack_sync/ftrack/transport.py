"""Raw ``/api`` batches over an ``ftrack_api.Session``'s connection, decoded to plain dicts.

Why not ``session.query``: the client builds an entity object per row, merges it into its
identity map, and any attribute the projection missed is fetched lazily with one request per
entity -- the cause of the original full sync's ~1 request per entity. Here a batch goes out as
JSON, comes back as dicts (datetimes decoded, nothing else), and several queries share one HTTP
request: the reader sends the next hierarchy page together with the custom attribute values and
appointments of the previous one.

The session's own ``requests.Session`` is reused (keep-alive, auth headers, strict-api header);
it is private API, so a session without it gets an equivalent one built from public properties.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import requests

from .errors import (
    FtrackCredentialsRejected,
    FtrackError,
    FtrackPermissionDenied,
    FtrackServerError,
    FtrackUnavailable,
)

log = logging.getLogger(__name__)

#: ftrack exception names that mean "you may not" rather than "this is wrong".
_PERMISSION_EXCEPTIONS = frozenset({"PermissionError", "PermissionDeniedError"})
_CREDENTIAL_EXCEPTIONS = frozenset({"InvalidCredentialsError", "FTAuthenticationError"})
#: HTTP statuses worth a retry: reads are sent again here, briefly; anything longer (and
#: every write) is the activity's retry policy's business.
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: batch actions that change nothing, so sending them again is harmless
_READ_ACTIONS = frozenset({"query", "query_server_information", "query_schemas"})
READ_ATTEMPTS = 4
BACKOFF_S = 0.2

Row = dict[str, Any]


def quote(value: str) -> str:
    """A double-quoted ftrack query literal (backslashes and quotes escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_list(values: Iterable[str]) -> str:
    """``("a", "b")`` for an ``in`` condition."""
    return "(" + ", ".join(quote(value) for value in values) + ")"


def _encode_default(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"__type__": "datetime", "value": moment.isoformat()}
    if isinstance(value, date):
        return {"__type__": "date", "value": value.isoformat()}
    raise TypeError(f"cannot send {type(value).__name__} to ftrack")


def _decode_hook(item: dict[str, Any]) -> Any:
    """Datetimes as aware UTC ``datetime``; the server sends naive UTC strings."""
    kind = item.get("__type__")
    if kind in ("datetime", "date") and isinstance(item.get("value"), str):
        moment = datetime.fromisoformat(item["value"].replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return item


def _decode(body: bytes) -> Any:
    """The JSON body; the datetime hook only runs when the body holds a typed value (it is
    called for every object, and most pages have none)."""
    if b'"__type__"' in body:
        return json.loads(body, object_hook=_decode_hook)
    return json.loads(body)


class FtrackApi:
    """Sends batches; counts HTTP requests so callers can report and tests can assert them."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.requests = 0
        self._url = str(session.server_url).rstrip("/") + "/api"
        try:
            http = getattr(session, "_request", None)
        except Exception:  # ftrack_api raises ConnectionClosedError once closed
            raise FtrackError("the ftrack session is closed") from None
        if not isinstance(http, requests.Session):
            http = requests.Session()
            http.headers.update(
                {
                    "ftrack-user": str(session.api_user),
                    "ftrack-api-key": str(session.api_key),
                    "ftrack-strict-api": "false",
                }
            )
        self._http: requests.Session = http
        self._timeout = getattr(session, "request_timeout", 60)

    def call(self, batch: Sequence[dict[str, Any]]) -> list[Any]:
        """The result list of the batch, or an ``FtrackError``.

        A batch of reads meeting a transient failure (5xx, dropped connection) is sent again
        a few times, briefly; a batch that writes goes out once (it may have been applied:
        the caller re-plans from a fresh read instead)."""
        reads_only = all(action.get("action") in _READ_ACTIONS for action in batch)
        attempts = READ_ATTEMPTS if reads_only else 1
        for attempt in range(attempts - 1):
            try:
                return self._call_once(batch)
            except FtrackUnavailable:
                time.sleep(BACKOFF_S * 2**attempt)
        return self._call_once(batch)

    def _call_once(self, batch: Sequence[dict[str, Any]]) -> list[Any]:
        body = json.dumps(list(batch), default=_encode_default)
        self.requests += 1
        try:
            response = self._http.post(
                self._url,
                data=body,
                headers={"content-type": "application/json", "accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            # the exception text names the URL only; headers (the key) are never part of it
            raise FtrackUnavailable(
                f"ftrack request failed ({type(exc).__name__}): {self._url}"
            ) from None
        try:
            result = _decode(response.content)
        except ValueError:
            if response.status_code in _TRANSIENT_STATUS:
                raise FtrackUnavailable(
                    f"ftrack answered HTTP {response.status_code} at {self._url}"
                ) from None
            raise FtrackServerError(
                f"ftrack answered HTTP {response.status_code} without a JSON body"
            ) from None
        if isinstance(result, dict) and "exception" in result:
            raise _server_error(result, response.status_code)
        if response.status_code >= 400:
            raise FtrackUnavailable(f"ftrack answered HTTP {response.status_code} at {self._url}")
        if not isinstance(result, list) or len(result) != len(batch):
            raise FtrackServerError("ftrack answered a batch with an unexpected shape")
        return result


def _server_error(body: dict[str, Any], status: int) -> Exception:
    name = str(body.get("exception") or "ServerError")
    content = str(body.get("content") or "")
    message = f"ftrack refused the request: {name}: {content}"
    if name in _CREDENTIAL_EXCEPTIONS or body.get("error_code") == "api_credentials_invalid":
        return FtrackCredentialsRejected("ftrack rejected the API user or key")
    if name in _PERMISSION_EXCEPTIONS:
        return FtrackPermissionDenied(message, exception=name)
    if status in _TRANSIENT_STATUS:
        return FtrackUnavailable(message)
    return FtrackServerError(message, exception=name)


@dataclass(slots=True)
class Query:
    """A paged query: ``expression`` has no offset/limit; ``on_rows`` gets every page."""

    expression: str
    on_rows: Callable[[list[Row]], None]
    page_size: int = 1000
    offset: int = 0


@dataclass(slots=True)
class QueryRunner:
    """Runs queries in shared batches until none is pending.

    Handlers may ``add`` follow-up queries (e.g. values of the ids a page just delivered); they
    go out with the next batch, next to the next pages of everything still paging.
    """

    api: FtrackApi
    max_queries_per_batch: int = 12
    pending: list[Query] = field(default_factory=list)

    def add(self, query: Query) -> None:
        self.pending.append(query)

    def run(self) -> None:
        while self.pending:
            batch = self.pending[: self.max_queries_per_batch]
            del self.pending[: self.max_queries_per_batch]
            actions = [
                {
                    "action": "query",
                    "expression": f"{q.expression} offset {q.offset} limit {q.page_size}",
                }
                for q in batch
            ]
            results = self.api.call(actions)
            for query, result in zip(batch, results, strict=True):
                rows = result.get("data") or []
                next_offset = ((result.get("metadata") or {}).get("next") or {}).get("offset")
                if next_offset is not None and rows:
                    self.pending.append(
                        Query(query.expression, query.on_rows, query.page_size, int(next_offset))
                    )
                query.on_rows(rows)

    def fetch(self, expression: str, page_size: int = 1000) -> list[Row]:
        """All rows of one query (pages run in this runner's batches)."""
        rows: list[Row] = []
        self.add(Query(expression, rows.extend, page_size))
        self.run()
        return rows
