"""Read one AYON project into a snapshot: folders and tasks in GraphQL pages, plus anatomy.

Folders and tasks come as two aliased connections of one GraphQL query, `PAGE` rows a page
each (both continue in the same request), plus a few REST calls: about one request per
`PAGE` tasks. Only the attributes asked for are read, as typed `attrib { ... }` fields: not
the `allAttrib` JSON blob of every attribute that ayon-python-api's `get_folders` requests
(serialised by the server and parsed again per entity). Only each entity's own attribute
values are kept (`ownAttrib`): the sync writes explicit values and lets AYON's inheritance
reproduce ftrack's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ayon_api

from ayon_ftrack_sync.sync.anatomy import status_scopes
from ayon_ftrack_sync.sync.model import AyonNode, AyonProject, Kind


class ProjectNotFound(LookupError):
    """The AYON project does not exist (not retryable)."""


@dataclass(slots=True)
class AyonRead:
    """What a full sync needs from AYON about one project."""

    project: AyonProject
    folder_types: list[dict[str, Any]]
    task_types: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    link_types: list[dict[str, Any]]
    project_attrib: dict[str, Any]
    code: str
    users: list[dict[str, Any]] = field(default_factory=list)


#: rows per connection page (ayon-python-api uses 300; the server takes any `first`)
PAGE = 5000

_FOLDER_FIELDS = (
    "id",
    "name",
    "label",
    "parentId",
    "folderType",
    "status",
    "active",
    "hasProducts",
)
_TASK_FIELDS = ("id", "name", "label", "folderId", "taskType", "status", "active", "assignees")


def read_project(
    api: ayon_api.ServerAPI, project_name: str, *, attributes: Iterable[str]
) -> AyonRead:
    """Snapshot of `project_name`; `attributes` are the AYON attribute names to read."""
    project = api.get_project(project_name)
    if not project:
        raise ProjectNotFound(f"AYON project {project_name!r} does not exist")
    names = sorted(set(attributes) | {"ftrackId", "ftrackPath"})
    folder_attrs = _known(api, "folder", names)
    task_attrs = _known(api, "task", names)
    nodes: dict[str, AyonNode] = {}
    folders, tasks = _entities(api, project_name, folder_attrs, task_attrs)
    for folder in folders:
        nodes[folder["id"]] = AyonNode(
            id=folder["id"],
            name=folder["name"],
            kind=Kind.FOLDER,
            parent_id=folder.get("parentId") or None,
            type_name=folder.get("folderType") or "",
            label=folder.get("label"),
            status=folder.get("status"),
            active=bool(folder.get("active", True)),
            attrib=_own(folder),
            has_products=bool(folder.get("hasProducts")),
        )
    for task in tasks:
        nodes[task["id"]] = AyonNode(
            id=task["id"],
            name=task["name"],
            kind=Kind.TASK,
            parent_id=task["folderId"],
            type_name=task.get("taskType") or "",
            label=task.get("label"),
            status=task.get("status"),
            active=bool(task.get("active", True)),
            attrib=_own(task),
            assignees=frozenset(task.get("assignees") or ()),
        )
    statuses = list(project.get("statuses") or [])
    return AyonRead(
        project=AyonProject(project_name, nodes, status_scopes(statuses)),
        folder_types=list(project.get("folderTypes") or []),
        task_types=list(project.get("taskTypes") or []),
        statuses=statuses,
        link_types=list(project.get("linkTypes") or []),
        project_attrib=dict(project.get("attrib") or {}),
        code=str(project.get("code") or ""),
    )


def _entities(
    api: ayon_api.ServerAPI, project_name: str, folder_attrs: list[str], task_attrs: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every folder and every task (active or not). Folders and tasks page side by side, in
    one request per page until both are exhausted."""
    streams = {
        "folders": _selection(_FOLDER_FIELDS, folder_attrs),
        "tasks": _selection(_TASK_FIELDS, task_attrs),
    }
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in streams}
    cursors: dict[str, str | None] = {name: None for name in streams}
    while cursors:
        variables: dict[str, Any] = {"projectName": project_name}
        declared = ["$projectName: String!"]
        parts = []
        for name, cursor in cursors.items():
            args = f"first: {PAGE}"
            if cursor is not None:
                variables[f"{name}After"] = cursor
                declared.append(f"${name}After: String")
                args += f", after: ${name}After"
            parts.append(
                f"{name}({args}) {{ pageInfo {{ hasNextPage endCursor }} "
                f"edges {{ node {{ {streams[name]} }} }} }}"
            )
        query = (
            f"query FullSyncRead({', '.join(declared)}) "
            f"{{ project(name: $projectName) {{ {' '.join(parts)} }} }}"
        )
        response = api.query_graphql(query, variables)
        if response.errors:
            raise RuntimeError(f"AYON GraphQL error: {response.errors}")
        project = ((response.data or {}).get("data") or {}).get("project")
        if project is None:
            raise ProjectNotFound(f"AYON project {project_name!r} does not exist")
        following: dict[str, str | None] = {}
        for name in cursors:
            connection = project.get(name) or {}
            rows[name].extend(edge["node"] for edge in connection.get("edges") or ())
            info = connection.get("pageInfo") or {}
            if info.get("hasNextPage") and info.get("endCursor"):
                following[name] = str(info["endCursor"])
        cursors = following
    return rows["folders"], rows["tasks"]


def _selection(fields: Iterable[str], attributes: list[str]) -> str:
    text = " ".join((*fields, "ownAttrib"))
    if attributes:
        text += f" attrib {{ {' '.join(attributes)} }}"
    return text


def _known(api: ayon_api.ServerAPI, entity_type: str, names: Iterable[str]) -> list[str]:
    """Requesting an attribute the server lacks fails the whole GraphQL query."""
    served = api.get_attributes_for_type(entity_type)
    return [name for name in names if name in served]


def _own(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Own attribute values. ayon-python-api turns the server's `ownAttrib` name list into
    a dict (None for inherited keys); accept both shapes.

    Note: AYON 1.16 stores every effective value as own after an update that writes
    attributes, so "own" means "stored on the entity", not "set on purpose"."""
    own = entity.get("ownAttrib")
    if isinstance(own, Mapping):
        return {key: value for key, value in own.items() if value is not None}
    names = set(own or ())
    attrib = entity.get("attrib") or {}
    return {key: value for key, value in attrib.items() if key in names and value is not None}
