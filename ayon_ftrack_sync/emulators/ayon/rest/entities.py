"""Single-entity REST: `POST/GET/PATCH/DELETE /api/projects/{p}/{folders|tasks|...}`."""

from __future__ import annotations

from aiohttp import web

from .. import entities as domain
from ..errors import ApiError
from ..events import Tx
from ..views import entity_rest
from .common import actor_of, json_response, no_content, project_or_404, read_object, state_of

routes = web.RouteTableDef()
PLURALS = {
    "folders": "folder",
    "tasks": "task",
    "products": "product",
    "versions": "version",
    "representations": "representation",
}
_KINDS = "{kinds:folders|tasks|products|versions|representations}"


def _kind(request: web.Request) -> str:
    return PLURALS[request.match_info["kinds"]]


@routes.post(f"/api/projects/{{project}}/{_KINDS}")
async def create_entity(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        tx = Tx(state, actor)
        try:
            ent = domain.create(tx, proj, _kind(request), body.get("id"), body)
        except ApiError:
            tx.rollback()
            raise
        tx.commit()
    return json_response({"id": ent["id"]}, status=201)


@routes.get(f"/api/projects/{{project}}/{_KINDS}/{{id}}")
async def get_entity(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    kind = _kind(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        ent = proj.get(kind, request.match_info["id"])
        if ent is None:
            raise ApiError(404, f"{domain.TITLES[kind]} {request.match_info['id']} not found")
        return json_response(entity_rest(state, proj, kind, ent))


@routes.patch(f"/api/projects/{{project}}/{_KINDS}/{{id}}")
async def patch_entity(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        tx = Tx(state, actor)
        try:
            domain.update(tx, proj, _kind(request), request.match_info["id"], body)
        except ApiError:
            tx.rollback()
            raise
        tx.commit()
    return no_content()


@routes.delete(f"/api/projects/{{project}}/{_KINDS}/{{id}}")
async def delete_entity(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    force = request.query.get("force", "").lower() in ("1", "true", "yes")
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        tx = Tx(state, actor)
        try:
            domain.delete(tx, proj, _kind(request), request.match_info["id"], force=force)
        except ApiError:
            tx.rollback()
            raise
        tx.commit()
    return no_content()
