"""Link types and links between entities."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web

from ..errors import ApiError
from ..store import Project
from ..util import now_iso
from .common import actor_of, json_response, no_content, project_or_404, read_object, state_of

routes = web.RouteTableDef()


def all_link_types(proj: Project) -> list[dict[str, Any]]:
    """Anatomy link types plus those added with PUT.

    Measured: a type added through `/links/types` is listed there at once, but the project
    document (`GET /api/projects/{p}`) keeps its anatomy list until the anatomy is patched.
    """
    out = list(proj.record.get("linkTypes", []))
    names = {t["name"] for t in out}
    out.extend(t for t in proj.record.get("linkTypesExtra", []) if t["name"] not in names)
    return out


@routes.get("/api/projects/{project}/links/types")
async def link_types(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        return json_response({"types": all_link_types(proj)})


@routes.put("/api/projects/{project}/links/types/{name}")
async def put_link_type(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    name = unquote(request.match_info["name"])
    parts = name.split("|")
    if len(parts) != 3 or not all(parts):
        raise ApiError(400, f"Invalid link type name {name}")
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        types = proj.record.setdefault("linkTypesExtra", [])
        record = {
            "name": name,
            "linkType": parts[0],
            "inputType": parts[1],
            "outputType": parts[2],
            "data": body.get("data") or {},
        }
        for index, existing in enumerate(types):
            if existing["name"] == name:
                types[index] = record
                break
        else:
            types.append(record)
    return no_content()


@routes.delete("/api/projects/{project}/links/types/{name}")
async def delete_link_type(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    name = unquote(request.match_info["name"])
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        for key in ("linkTypes", "linkTypesExtra"):
            types = proj.record.get(key, [])
            proj.record[key] = [t for t in types if t["name"] != name]
    return no_content()


@routes.post("/api/projects/{project}/links")
async def create_link(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        type_name = str(body.get("linkType") or "")
        ltype = next((t for t in all_link_types(proj) if t["name"] == type_name), None)
        if ltype is None:
            raise ApiError(400, f"Link type {type_name} not found")
        found_in = proj.find_any(str(body.get("input") or ""))
        found_out = proj.find_any(str(body.get("output") or ""))
        if found_in is None or found_out is None:
            raise ApiError(404, "Link input or output entity not found")
        if found_in[0] != ltype["inputType"] or found_out[0] != ltype["outputType"]:
            raise ApiError(400, "Link entity types do not match the link type")
        link_id = str(body.get("id") or state.new_id())
        link = {
            "id": link_id,
            "linkType": ltype["linkType"],
            "linkTypeName": type_name,
            "input": body["input"],
            "output": body["output"],
            "inputType": ltype["inputType"],
            "outputType": ltype["outputType"],
            "name": body.get("name"),
            "data": body.get("data") or {},
            "author": actor.user,
            "createdAt": now_iso(),
            "_seq": proj.next_seq("link"),
        }
        proj.links[link_id] = link
        proj.link_index_add(link)
    return json_response({"id": link_id})


@routes.delete("/api/projects/{project}/links/{id}")
async def delete_link(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        proj = project_or_404(state, request.match_info["project"])
        link = proj.links.pop(request.match_info["id"], None)
        if link is None:
            raise ApiError(404, "Link not found")
        proj.link_index_remove(link)
    return no_content()
