"""`/api/attributes`: schema listing and changes (new ones only apply after a restart)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import validation as v
from ..errors import ApiError
from .common import actor_of, json_response, no_content, read_object, require_admin, state_of

routes = web.RouteTableDef()
DATA_KEYS = (
    "type",
    "title",
    "description",
    "example",
    "default",
    "gt",
    "ge",
    "lt",
    "le",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "regex",
    "enum",
    "enumResolver",
    "enumResolverSettings",
    "inherit",
    "widget",
    "widgetSettings",
)


def full_data(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data.get(k) for k in DATA_KEYS}
    if out["inherit"] is None:
        out["inherit"] = True
    return out


@routes.get("/api/attributes")
async def list_attributes(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        attrs = [
            {
                "name": a["name"],
                "position": a["position"],
                "scope": a["scope"],
                "data": full_data(a["data"]),
                "builtin": a.get("builtin", False),
            }
            for a in sorted(state.attributes, key=lambda a: a["position"])
        ]
    return json_response({"attributes": attrs})


@routes.put("/api/attributes/{name}")
async def put_attribute(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    name = request.match_info["name"]
    if not v.matches(v.ATTRIBUTE_NAME_REGEX, name):
        raise ApiError(400, f"Invalid attribute name {name}", "invalid_data")
    body = await read_object(request)
    data = body.get("data") or {}
    if not isinstance(data, dict) or "type" not in data:
        raise ApiError(400, "Invalid attribute data: type is required", "invalid_data")
    with state.lock:
        existing = next((a for a in state.attributes if a["name"] == name), None)
        position = body.get("position")
        if position is None:
            position = (
                existing["position"]
                if existing
                else (max((a["position"] for a in state.attributes), default=-1) + 1)
            )
        record = {
            "name": name,
            "position": int(position),
            "scope": list(body.get("scope") or []),
            "data": full_data(data),
            "builtin": bool(body.get("builtin", False)),
        }
        if existing is not None:
            existing.update(record)
        else:
            # measured: a new attribute is listed but not usable until the server restarts
            state.attributes.append(record)
        state.restart_required = True
    return no_content()


@routes.delete("/api/attributes/{name}")
async def delete_attribute(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    name = request.match_info["name"]
    with state.lock:
        before = len(state.attributes)
        state.attributes = [a for a in state.attributes if a["name"] != name]
        if len(state.attributes) == before:
            raise ApiError(404, f"Attribute {name} not found")
        state.restart_required = True
    return no_content()
