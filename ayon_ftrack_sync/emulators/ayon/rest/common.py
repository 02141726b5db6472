"""Helpers shared by the REST route modules: app keys, JSON I/O, the request's actor."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..errors import ApiError
from ..events import Actor
from ..knobs import Knobs, Stats
from ..store import Project, State

STATE_KEY = web.AppKey("ayon_state", State)
ACTOR_KEY = web.RequestKey("ayon_actor", Actor)
KNOBS_KEY = web.AppKey("ayon_knobs", Knobs)
STATS_KEY = web.AppKey("ayon_stats", Stats)


def state_of(request: web.Request) -> State:
    return request.app[STATE_KEY]


def actor_of(request: web.Request) -> Actor:
    actor = request.get(ACTOR_KEY)
    if not isinstance(actor, Actor):
        raise ApiError(401, "Access token is missing")
    return actor


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        # compact, as the real server's (orjson) responses
        body=json.dumps(data, default=str, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


def no_content(status: int = 204) -> web.Response:
    return web.Response(status=status)


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "Invalid JSON body") from exc


async def read_object(request: web.Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object")
    return body


def project_or_404(state: State, name: str) -> Project:
    proj = state.projects.get(name)
    if proj is None:
        raise ApiError(404, f"Project {name} not found")
    return proj


def require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_service):
        raise ApiError(403, "Only administrators can do this")
