"""Batch operations, synchronous and background (the task result is kept for polling)."""

from __future__ import annotations

from aiohttp import web

from ..errors import ApiError
from ..operations import run_operations
from .common import KNOBS_KEY, actor_of, json_response, project_or_404, read_object, state_of

routes = web.RouteTableDef()


@routes.post("/api/projects/{project}/operations")
async def operations(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        result = run_operations(state, request.match_info["project"], body, actor)
    return json_response(result)


@routes.post("/api/projects/{project}/operations/background")
async def background(request: web.Request) -> web.Response:
    """Runs the batch right away; the first poll already sees `completed`.

    The client sleeps 0.1 s before its first poll and 1 s between polls, so finishing
    before answering keeps EntityHub commits fast.
    """
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        project_or_404(state, request.match_info["project"])
        task_id = state.new_id()
        result = run_operations(state, request.match_info["project"], body, actor)
        state.background_tasks[task_id] = {
            "id": task_id,
            "status": "completed",
            "progress": 100.0,
            "result": result,
            "project": request.match_info["project"],
            "pollsLeft": request.app[KNOBS_KEY].background_polls,
        }
        if len(state.background_tasks) > 1000:
            oldest = next(iter(state.background_tasks))
            del state.background_tasks[oldest]
    return json_response({"id": task_id, "status": "pending", "progress": None, "result": None})


@routes.get("/api/projects/{project}/operations/background/{task_id}")
async def background_status(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        task = state.background_tasks.get(request.match_info["task_id"])
        if task is None:
            raise ApiError(404, "Background task not found")
        if task.get("pollsLeft", 0) > 0:
            task["pollsLeft"] -= 1
            return json_response(
                {"id": task["id"], "status": "in_progress", "progress": 50.0, "result": None}
            )
        return json_response({k: task[k] for k in ("id", "status", "progress", "result")})
