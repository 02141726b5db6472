"""Thumbnails: raw upload, fetch by id, fetch through an entity."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import ApiError
from ..util import now_iso
from .common import actor_of, json_response, project_or_404, state_of

routes = web.RouteTableDef()
_KINDS = {
    "folders": "folder",
    "tasks": "task",
    "versions": "version",
    "products": "product",
    "workfiles": "workfile",
}


def _image(thumb: dict[str, Any]) -> web.Response:
    """Image bytes; the client only caches content when `X-Thumbnail-Id` is present."""
    return web.Response(
        body=thumb["content"], content_type=thumb["mime"], headers={"X-Thumbnail-Id": thumb["id"]}
    )


@routes.put("/api/projects/{project}/thumbnails/{id}")
async def put_thumbnail(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    content = await request.read()
    mime = request.headers.get("Content-Type", "image/png")
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        thumb_id = request.match_info["id"]
        proj.thumbnails[thumb_id] = {
            "id": thumb_id,
            "mime": mime,
            "content": content,
            "createdAt": now_iso(),
        }
    return web.Response(status=204)


@routes.post("/api/projects/{project}/thumbnails")
async def create_thumbnail(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    content = await request.read()
    mime = request.headers.get("Content-Type", "image/png")
    if not content:
        raise ApiError(400, "Empty thumbnail")
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        thumb_id = state.new_id()
        proj.thumbnails[thumb_id] = {
            "id": thumb_id,
            "mime": mime,
            "content": content,
            "createdAt": now_iso(),
        }
    return json_response({"id": thumb_id, "affectedEntities": []})


@routes.get("/api/projects/{project}/thumbnails/{id}")
async def get_thumbnail(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        thumb = proj.thumbnails.get(request.match_info["id"])
        if thumb is None:
            raise ApiError(404, "Thumbnail not found")
        return _image(thumb)


@routes.get("/api/projects/{project}/{kinds}/{id}/thumbnail")
async def entity_thumbnail(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    kind = _KINDS.get(request.match_info["kinds"])
    if kind is None:
        raise ApiError(404, "Not found")
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        ent = proj.entities.get(kind, {}).get(request.match_info["id"])
        if ent is None:
            raise ApiError(404, f"{kind} not found")
        thumb = proj.thumbnails.get(ent.get("thumbnailId") or "")
        if thumb is None:
            raise ApiError(404, "Thumbnail not found")
        return _image(thumb)
