"""Events: dispatch (hash dedup), get/patch/delete, enroll, and `/api/query`."""

from __future__ import annotations

from aiohttp import web

from .. import events as domain
from .. import validation as v
from ..errors import ApiError
from .common import actor_of, json_response, no_content, read_object, state_of

routes = web.RouteTableDef()


@routes.post("/api/events")
async def dispatch(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    topic = body.get("topic")
    if not isinstance(topic, str) or not v.matches(v.TOPIC_REGEX, topic):
        raise ApiError(400, f"Invalid topic {topic!r}", "invalid_data")
    with state.lock:
        ev = domain.new_event(
            state,
            topic,
            actor,
            project=body.get("project"),
            description=body.get("description") or "",
            summary=body.get("summary") or {},
            payload=body.get("payload") or {},
            status="finished" if body.get("finished", True) else "pending",
            event_hash=body.get("hash"),
            depends_on=body.get("dependsOn"),
            sender=body.get("sender") if body.get("sender") is not None else actor.sender,
            user=body.get("user"),
        )
        if body.get("senderType"):
            ev["senderType"] = body["senderType"]
        domain.store_event(state, ev, store=bool(body.get("store", True)))
    return json_response({"id": ev["id"]})


@routes.get("/api/events/{id}")
async def get_event(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        ev = state.events.get(request.match_info["id"])
        if ev is None:
            raise ApiError(404, f"Event {request.match_info['id']} not found")
        return json_response(domain.event_rest(ev))


@routes.patch("/api/events/{id}")
async def patch_event(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        domain.update_event(state, request.match_info["id"], body, actor)
    return no_content()


@routes.delete("/api/events/{id}")
async def delete_event(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        domain.delete_event(state, request.match_info["id"])
    return no_content()


@routes.post("/api/enroll")
async def enroll(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        job = domain.enroll(state, body, actor)
    if job is None:
        return no_content()
    return json_response(job)


@routes.post("/api/query")
async def query(request: web.Request) -> web.Response:
    """Only `entity: "event"` is supported; newest first, like the recording."""
    actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    if body.get("entity") != "event":
        raise ApiError(400, f"Unsupported entity {body.get('entity')!r}")
    limit = int(body.get("limit") or 100)
    offset = int(body.get("offset") or 0)
    flt = body.get("filter")
    rows = []
    with state.lock:
        for ev in reversed(state.events.values()):  # newest first, no sort needed
            if not domain.filter_ok(ev, flt):
                continue
            if offset:
                offset -= 1
                continue
            rows.append(domain.event_query_row(ev))
            if len(rows) >= limit:
                break
    return json_response(rows)
