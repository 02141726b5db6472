"""Activities (comments) on entities."""

from __future__ import annotations

from aiohttp import web

from ..activity_log import add_activity, remove_activity
from ..errors import ApiError
from .common import actor_of, json_response, no_content, project_or_404, read_object, state_of

routes = web.RouteTableDef()


@routes.post("/api/projects/{project}/{entity_type}/{entity_id}/activities")
async def create_activity(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    kind = request.match_info["entity_type"]
    entity_id = request.match_info["entity_id"]
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        if kind not in proj.entities:
            raise ApiError(400, f"Unsupported entity type {kind}")
        ent = proj.entities[kind].get(entity_id)
        if ent is None:
            raise ApiError(404, f"{kind} {entity_id} not found")
        activity_id = str(body.get("id") or state.new_id())
        add_activity(
            proj,
            activity_id,
            kind,
            ent,
            body.get("activityType") or "comment",
            body.get("body") or "",
            actor.user,
            extra=body.get("data") or {},
            tags=body.get("tags") or [],
        )
    return json_response({"id": activity_id}, status=201)


@routes.delete("/api/projects/{project}/activities/{activity_id}")
async def delete_activity(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        if remove_activity(proj, request.match_info["activity_id"]) is None:
            raise ApiError(404, "Activity not found")
    return no_content()
