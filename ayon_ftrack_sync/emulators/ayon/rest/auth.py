"""Index page, server info, users, login/logout, system restart, services."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from aiohttp import web

from ..defaults import SERVER_VERSION
from ..errors import ApiError
from ..store import State
from ..util import now_iso
from .common import ACTOR_KEY, actor_of, json_response, no_content, read_object, state_of

routes = web.RouteTableDef()
INDEX_HTML = b"<!DOCTYPE html><html><head><title>AYON</title></head><body></body></html>\n"
USER_ATTRS = ["fullName", "email", "avatarUrl", "developerMode"]


def user_rest(state: State, name: str, view: str = "me") -> dict[str, Any]:
    """REST user shape; secrets are represented by hashes, never in clear.

    The recorded server varies it slightly by endpoint: `/users/me` lists every user
    attribute in `ownAttrib`; the login answer has the full attrib (nulls included), no
    exposure level and only the set keys in `ownAttrib`, as does an `X-as-user` lookup;
    `/info` omits the exposure level for services.
    """
    user = state.users[name]
    data = dict(user.get("data") or {})
    if data.get("isService"):
        data["apiKey"] = hashlib.sha256(state.api_key.encode()).hexdigest()
    if name in state.passwords:
        data["password"] = hashlib.sha256(state.passwords[name].encode()).hexdigest()
    attrib = dict(user.get("attrib") or {})
    own = [k for k, v in attrib.items() if v is not None]
    out: dict[str, Any] = {
        "name": user["name"],
        "uiExposureLevel": 900,
        "attrib": attrib,
        "data": data,
        "active": user.get("active", True),
        "ownAttrib": USER_ATTRS,
    }
    if view == "login":
        out["uiExposureLevel"] = None
        out["attrib"] = {k: attrib.get(k) for k in USER_ATTRS}
        out["ownAttrib"] = own
    elif view == "as_user":
        out["ownAttrib"] = own
    elif view == "info" and data.get("isService"):
        del out["uiExposureLevel"]
    out.update({"createdAt": user["createdAt"], "updatedAt": user["updatedAt"]})
    return out


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def info_attributes(state: State) -> list[dict[str, Any]]:
    out = []
    for attr in sorted(state.live_attributes, key=lambda a: a["position"]):
        data = _drop_nulls(attr["data"])
        out.append(
            {
                "name": attr["name"],
                "position": attr["position"],
                "scope": attr["scope"],
                "data": data,
                "builtin": attr.get("builtin", False),
            }
        )
    return out


@routes.get("/")
async def index(_request: web.Request) -> web.Response:
    return web.Response(body=INDEX_HTML, content_type="text/html", charset="utf-8")


@routes.get("/api/info")
async def info(request: web.Request) -> web.Response:
    state = state_of(request)
    actor = request.get(ACTOR_KEY)
    with state.lock:
        out: dict[str, Any] = {"version": SERVER_VERSION, "uptime": 10.0}
        if actor is None:
            out.update({"disableFeedback": True, "offlineMode": True})
            return json_response(out)
        if actor.is_admin and not actor.is_service:
            out["onboarding"] = True
        out.update(
            {
                "user": user_rest(state, actor.user, "info"),
                "attributes": info_attributes(state),
                "sites": [],
                "ssoOptions": [],
                "frontendFlags": [],
                "extras": "",
                "disableChangelog": True,
                "disableFeedback": True,
                "offlineMode": True,
            }
        )
    return json_response(out)


@routes.get("/api/users/me")
async def users_me(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    with state.lock:
        view = "as_user" if request.headers.get("X-as-user") else "me"
        return json_response(user_rest(state, actor.user, view))


@routes.get("/api/users/{name}")
async def get_user(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    name = request.match_info["name"]
    with state.lock:
        if name not in state.users:
            raise ApiError(404, f"User {name} not found")
        return json_response(user_rest(state, name))


@routes.put("/api/users/{name}")
async def put_user(request: web.Request) -> web.Response:
    actor = actor_of(request)
    if not (actor.is_admin or actor.is_service):
        raise ApiError(403, "Only administrators can create users")
    state = state_of(request)
    name = request.match_info["name"]
    body = await read_object(request)
    with state.lock:
        ts = now_iso()
        existing = state.users.get(name)
        state.users[name] = {
            "name": name,
            "attrib": body.get("attrib") or {},
            "data": body.get("data") or {},
            "active": body.get("active", True),
            "createdAt": existing["createdAt"] if existing else ts,
            "updatedAt": ts,
            "_seq": existing["_seq"] if existing else state.next_seq(),
        }
        if body.get("password"):
            state.passwords[name] = str(body["password"])
    return no_content()


@routes.patch("/api/users/{name}")
async def patch_user(request: web.Request) -> web.Response:
    actor = actor_of(request)
    name = request.match_info["name"]
    if not (actor.is_admin or actor.is_service or actor.user == name):
        raise ApiError(403, "Not allowed to change this user")
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        user = state.users.get(name)
        if user is None:
            raise ApiError(404, f"User {name} not found")
        if isinstance(body.get("attrib"), dict):
            user["attrib"] = {**(user.get("attrib") or {}), **body["attrib"]}
        if isinstance(body.get("data"), dict):
            user["data"] = {**(user.get("data") or {}), **body["data"]}
        if "active" in body:
            user["active"] = bool(body["active"])
        user["updatedAt"] = now_iso()
    return no_content()


@routes.delete("/api/users/{name}")
async def delete_user(request: web.Request) -> web.Response:
    actor = actor_of(request)
    if not (actor.is_admin or actor.is_service):
        raise ApiError(403, "Only administrators can delete users")
    state = state_of(request)
    name = request.match_info["name"]
    with state.lock:
        if name in ("admin", "service") or state.users.pop(name, None) is None:
            raise ApiError(
                404 if name not in ("admin", "service") else 400, f"Cannot delete user {name}"
            )
        state.passwords.pop(name, None)
        for key in [k for k, v in state.api_keys.items() if v == name]:
            del state.api_keys[key]
    return no_content()


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_object(request)
    name = str(body.get("name") or "")
    with state.lock:
        if name not in state.passwords or state.passwords[name] != body.get("password"):
            raise ApiError(401, "Invalid login/password combination")
        token = secrets.token_hex(32)
        state.tokens[token] = name
        return json_response(
            {
                "detail": f"Logged in as {name}",
                "error": None,
                "token": token,
                "user": user_rest(state, name, "login"),
                "redirectUrl": None,
            }
        )


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    state = state_of(request)
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        with state.lock:
            state.tokens.pop(auth[7:].strip(), None)
    return json_response({"detail": "Logged out"})


@routes.post("/api/system/restart")
async def restart(request: web.Request) -> web.Response:
    actor = actor_of(request)
    if not (actor.is_admin or actor.is_service):
        raise ApiError(403, "Only administrators can restart the server")
    state = state_of(request)
    with state.lock:
        state.restart()
    return no_content()


@routes.get("/api/system/restartRequired")
async def restart_required(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    return json_response(
        {
            "required": state.restart_required,
            "reason": "Attributes changed" if state.restart_required else None,
        }
    )


@routes.get("/api/services")
async def services(request: web.Request) -> web.Response:
    actor_of(request)
    return json_response({"services": []})
