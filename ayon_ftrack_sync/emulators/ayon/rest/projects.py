"""Projects CRUD, anatomy presets and the folder hierarchy."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .. import projects as domain
from ..attribs import typed_default
from ..defaults import primary_preset
from ..errors import ApiError
from ..events import Tx
from ..store import Project
from .common import (
    actor_of,
    json_response,
    no_content,
    project_or_404,
    read_object,
    require_admin,
    state_of,
)

routes = web.RouteTableDef()


@routes.get("/api/projects")
async def list_projects(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    active = request.query.get("active")
    library = request.query.get("library")
    with state.lock:
        projs = sorted(state.projects.values(), key=lambda p: p.name)
        if active is not None and active != "":
            want = active.lower() == "true"
            projs = [p for p in projs if bool(p.record.get("active", True)) == want]
        if library is not None and library != "":
            want_lib = library.lower() == "true"
            projs = [p for p in projs if bool(p.record.get("library", False)) == want_lib]
        items = [domain.project_list_item(p) for p in projs]
    detail = f"Showing {len(items)} of {len(items)} projects" if items else "No projects"
    return json_response({"detail": detail, "count": len(items), "projects": items})


@routes.get("/api/projects/{project}")
async def get_project(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        return json_response(domain.project_rest(state, proj))


@routes.post("/api/projects")
async def create_project(request: web.Request) -> web.Response:
    actor = actor_of(request)
    require_admin(actor)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        tx = Tx(state, actor)
        domain.create_project(tx, body)
        tx.commit()
    return web.Response(status=201)


@routes.patch("/api/projects/{project}")
async def patch_project(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        tx = Tx(state, actor)
        try:
            domain.patch_project(tx, proj, body)
        except ApiError:
            tx.rollback()
            raise
        tx.commit()
    return no_content()


@routes.delete("/api/projects/{project}")
async def delete_project(request: web.Request) -> web.Response:
    actor = actor_of(request)
    require_admin(actor)
    state = state_of(request)
    with state.lock:
        tx = Tx(state, actor)
        domain.delete_project(tx, request.match_info["project"])
        tx.commit()
    return no_content()


@routes.get("/api/anatomy/presets")
async def list_presets(request: web.Request) -> web.Response:
    actor_of(request)
    return json_response({"presets": [{"name": "_", "primary": True, "version": "1.16.0"}]})


@routes.get("/api/anatomy/presets/{name}")
async def get_preset(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    preset = primary_preset()
    with state.lock:
        index = state.attribute_index()
        attributes = preset.setdefault("attributes", {})
        for attr in index.values():
            if "project" in attr["scope"] and attr["name"] not in attributes:
                attributes[attr["name"]] = typed_default(attr)
    return json_response(preset)


def _hierarchy(proj: Project, parent: str | None, parents: list[str]) -> list[dict[str, Any]]:
    out = []
    folders = proj.entities["folder"]
    tasks = proj.entities["task"]
    for fid in sorted(proj.children.get(parent, {}), key=lambda i: folders[i]["name"]):
        folder = folders[fid]
        task_ids = proj.by_parent["task"].get(fid, {})
        out.append(
            {
                "id": fid,
                "name": folder["name"],
                "label": folder.get("label") or folder["name"],
                "status": folder.get("status"),
                "folderType": folder.get("folderType"),
                "hasTasks": bool(task_ids),
                "taskNames": [tasks[t]["name"] for t in task_ids],
                "parents": parents,
                "parentId": parent,
                "children": _hierarchy(proj, fid, [*parents, folder["name"]]),
            }
        )
    return out


@routes.get("/api/projects/{project}/hierarchy")
async def hierarchy(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    start = time.perf_counter()
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        tree = _hierarchy(proj, None, [])
    return json_response(
        {
            "detail": f"Hierarchy loaded in {time.perf_counter() - start:.4f}s",
            "projectName": proj.name,
            "hierarchy": tree,
        }
    )
