"""Middlewares: statistics, fault injection, authentication and error translation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from .errors import ApiError
from .events import Actor
from .rest.common import ACTOR_KEY, KNOBS_KEY, STATE_KEY, STATS_KEY, json_response

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_EXEMPT = ("/", "/ws")


def _route_key(request: web.Request) -> str:
    resource = request.match_info.route.resource
    pattern = resource.canonical if resource is not None else request.path
    return f"{request.method} {pattern}"


def ensure_nodelay(request: web.Request) -> None:
    """Nagle + delayed ACK cost ~40 ms per keep-alive request; make sure it is off."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@web.middleware
async def stats_and_knobs(request: web.Request, handler: Handler) -> web.StreamResponse:
    ensure_nodelay(request)
    app = request.app
    app[STATS_KEY].record(_route_key(request))
    knobs = app[KNOBS_KEY]
    if request.path not in _EXEMPT:
        if knobs.latency_s > 0:
            await asyncio.sleep(knobs.latency_s)
        if knobs.take_burst():
            return json_response({"code": 503, "detail": "Service unavailable (injected)"}, 503)
        if knobs.roll_error():
            status = knobs.error_status
            return json_response({"code": status, "detail": "Injected error"}, status)
    return await handler(request)


def _resolve_actor(request: web.Request) -> Actor | None:
    """Bearer = session token only; X-Api-Key = API key (then `X-as-user` may switch)."""
    state = request.app[STATE_KEY]
    sender = request.headers.get("x-sender")
    sender_type = request.headers.get("x-sender-type")
    auth = request.headers.get("Authorization", "")
    user: str | None = None
    via_key = False
    if auth.lower().startswith("bearer "):
        user = state.tokens.get(auth[7:].strip())
    if user is None:
        key = request.headers.get("X-Api-Key") or request.headers.get("x-api-key")
        if key:
            user = state.api_keys.get(key)
            via_key = user is not None
    if user is None or user not in state.users:
        return None
    record = state.users[user]
    data = record.get("data") or {}
    is_service = bool(data.get("isService"))
    is_admin = bool(data.get("isAdmin"))
    as_user = request.headers.get("X-as-user")
    if as_user and via_key and (is_service or is_admin) and as_user in state.users:
        user = as_user
        data = state.users[user].get("data") or {}
        is_admin = bool(data.get("isAdmin"))
    return Actor(
        user=user, sender=sender, sender_type=sender_type, is_service=is_service, is_admin=is_admin
    )


@web.middleware
async def auth_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    actor = _resolve_actor(request)
    if actor is not None:
        request[ACTOR_KEY] = actor
    try:
        return await handler(request)
    except ApiError as exc:
        return json_response(exc.body(), status=exc.status)
    except web.HTTPException as exc:
        if exc.status >= 400:  # unknown route / method: JSON like the real server
            return json_response({"code": exc.status, "detail": exc.reason}, exc.status)
        raise
    except Exception:
        log.exception("Unhandled error in %s %s", request.method, request.path)
        return json_response({"code": 500, "detail": "Internal server error"}, status=500)
