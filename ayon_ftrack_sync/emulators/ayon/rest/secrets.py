"""Secrets store (`/api/secrets`): values are returned to authorised callers only."""

from __future__ import annotations

from aiohttp import web

from ..errors import ApiError
from .common import actor_of, json_response, no_content, read_object, require_admin, state_of

routes = web.RouteTableDef()


@routes.get("/api/secrets")
async def list_secrets(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    with state.lock:
        return json_response([{"name": k, "value": v} for k, v in state.secrets.items()])


@routes.get("/api/secrets/{name}")
async def get_secret(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    name = request.match_info["name"]
    with state.lock:
        if name not in state.secrets:
            raise ApiError(404, f"Secret {name} not found")
        return json_response({"name": name, "value": state.secrets[name]})


@routes.put("/api/secrets/{name}")
async def put_secret(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    body = await read_object(request)
    value = body.get("value")
    if not isinstance(value, str):
        raise ApiError(400, "Secret value must be a string")
    with state.lock:
        state.secrets[request.match_info["name"]] = value
    return no_content()


@routes.delete("/api/secrets/{name}")
async def delete_secret(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    with state.lock:
        if state.secrets.pop(request.match_info["name"], None) is None:
            raise ApiError(404, "Secret not found")
    return no_content()
