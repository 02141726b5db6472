"""Activities (comments) on entities: create, edit, delete, with the server's events.

As ayon-backend (`api/activities/activity.py`, `ayon_server/activities/*`): every change of a
tracked activity (not `status.change` and friends) dispatches `activity.created`,
`activity.updated` or `activity.deleted`, stored with the request's sender and sender type,
summary `{activity_id, activity_type, references}` and payload `{body}` (not on delete).
Only the author or an administrator (service users count as administrators) may edit or
delete an activity; anyone else may only tick checkboxes of a comment.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from ..activity_log import add_activity, remove_activity
from ..errors import ApiError
from ..events import Actor, new_event, store_event
from ..store import Project, State
from ..util import now_iso
from .common import actor_of, json_response, no_content, project_or_404, read_object, state_of

routes = web.RouteTableDef()

#: activity types whose events are broadcast but not stored (ayon-backend DO_NOT_TRACK)
DO_NOT_TRACK = frozenset({"status.change", "assignee.add", "assignee.remove", "version.publish"})
_CHECKBOX = re.compile(r"\s*\[[ xX]\]\s*")


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
        if activity_id in proj.activities:
            raise ApiError(409, "Activity already exists")
        record = add_activity(
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
        _dispatch(state, actor, proj, "activity.created", record, {"body": record["body"]})
    return json_response({"id": activity_id}, status=201)


@routes.patch("/api/projects/{project}/activities/{activity_id}")
async def patch_activity(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        record = proj.activities.get(request.match_info["activity_id"])
        if record is None:
            raise ApiError(404, "Activity not found")
        new_body = body.get("body")
        data = body.get("data")
        tags = body.get("tags")
        if not _may_change(state, actor, record):
            if new_body and _CHECKBOX.sub("[checkbox]", new_body) != _CHECKBOX.sub(
                "[checkbox]", record["body"]
            ):
                raise ApiError(403, "You are not the owner, you cannot modify the comment")
            data = None
        if new_body is not None:
            record["body"] = str(new_body)
        if isinstance(data, dict) and data:
            extra = {k: v for k, v in data.items() if k != "author"}
            record["activityData"] = {**record["activityData"], **extra}
        if isinstance(tags, list):
            record["tags"] = tags
        record["updatedAt"] = now_iso()
        _dispatch(state, actor, proj, "activity.updated", record, {"body": record["body"]})
    return no_content()


@routes.delete("/api/projects/{project}/activities/{activity_id}")
async def delete_activity(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        record = proj.activities.get(request.match_info["activity_id"])
        if record is None:
            raise ApiError(404, "Activity not found")
        if not _may_change(state, actor, record):
            raise ApiError(403, "You are not the author of this activity")
        remove_activity(proj, record["id"])
        _dispatch(state, actor, proj, "activity.deleted", record, None)
    return no_content()


def _may_change(state: State, actor: Actor, record: dict[str, Any]) -> bool:
    """The author, an administrator or a service user (the real server's `is_admin`)."""
    data = (state.users.get(actor.user) or {}).get("data") or {}
    if data.get("isAdmin") or data.get("isService"):
        return True
    author = (record.get("activityData") or {}).get("author")
    return author is None or author == actor.user


def _dispatch(
    state: State,
    actor: Actor,
    proj: Project,
    topic: str,
    record: dict[str, Any],
    payload: dict[str, Any] | None,
) -> None:
    kind = str(record["activityType"])
    summary = {
        "activity_id": record["id"],
        "activity_type": kind,
        "references": [
            {
                "entity_id": record["entityId"],
                "entity_type": record["entityType"],
                "reference_type": "origin",
            }
        ],
    }
    verb = topic.rsplit(".", 1)[1].capitalize()
    event = new_event(
        state,
        topic,
        actor,
        project=str(proj.record["name"]),
        description=f"{verb} {kind} activity",
        summary=summary,
        payload=payload or {},
    )
    store_event(state, event, store=kind not in DO_NOT_TRACK)
