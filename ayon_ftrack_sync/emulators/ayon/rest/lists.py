"""Entity lists (`/api/projects/{p}/lists`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import ApiError
from ..util import now_iso
from .common import actor_of, json_response, no_content, project_or_404, read_object, state_of

routes = web.RouteTableDef()


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "entityListType": item["entityListType"],
        "entityType": item["entityType"],
        "label": item["label"],
        "count": len(item.get("items") or []),
    }


def _items(state: Any, raw: list[Any], user: str) -> list[dict[str, Any]]:
    out = []
    for pos, item in enumerate(raw or []):
        out.append(
            {
                "id": item.get("id") or state.new_id(),
                "entityId": item["entityId"],
                "position": item.get("position", pos),
                "attrib": item.get("attrib") or {},
                "data": item.get("data") or {},
                "tags": item.get("tags") or [],
                "createdBy": user,
                "createdAt": now_iso(),
            }
        )
    return out


@routes.post("/api/projects/{project}/lists")
async def create_list(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        list_id = str(body.get("id") or state.new_id())
        if list_id in proj.lists:
            raise ApiError(409, f"Entity list {list_id} already exists", "unique-violation")
        ts = now_iso()
        record = {
            "id": list_id,
            "entityListType": body.get("entityListType") or "generic",
            "entityType": body.get("entityType") or "folder",
            "label": body.get("label") or list_id,
            "active": body.get("active", True),
            "tags": body.get("tags") or [],
            "attrib": body.get("attrib") or {},
            "data": body.get("data") or {},
            "attributes": [],
            "owner": actor.user,
            "items": _items(state, body.get("items") or [], actor.user),
            "createdBy": actor.user,
            "updatedBy": actor.user,
            "createdAt": ts,
            "updatedAt": ts,
            "_seq": proj.next_seq("list"),
        }
        proj.lists[list_id] = record
        return json_response(_summary(record), status=201)


@routes.get("/api/projects/{project}/lists/{id}")
async def get_list(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        record = proj.lists.get(request.match_info["id"])
        if record is None:
            raise ApiError(404, "Entity list not found")
        out = {k: v for k, v in record.items() if not k.startswith("_")}
        out["count"] = len(record.get("items") or [])
        out["data"] = {**(record.get("data") or {}), "count": out["count"]}
        return json_response(out)


@routes.patch("/api/projects/{project}/lists/{id}")
async def patch_list(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        record = proj.lists.get(request.match_info["id"])
        if record is None:
            raise ApiError(404, "Entity list not found")
        for key in ("label", "active", "tags", "attrib", "data", "owner"):
            if key in body:
                record[key] = body[key]
        if "items" in body:
            record["items"] = _items(state, body["items"], actor.user)
        record["updatedAt"] = now_iso()
        record["updatedBy"] = actor.user
    return no_content()


@routes.post("/api/projects/{project}/lists/{id}/items")
async def add_list_item(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        record = proj.lists.get(request.match_info["id"])
        if record is None:
            raise ApiError(404, "Entity list not found")
        item = _items(state, [body], actor.user)[0]
        record.setdefault("items", []).append(item)
    return json_response({"id": item["id"]}, status=201)


@routes.delete("/api/projects/{project}/lists/{id}")
async def delete_list(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        if proj.lists.pop(request.match_info["id"], None) is None:
            raise ApiError(404, "Entity list not found")
    return no_content()
