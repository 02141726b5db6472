"""Read the part of an AYON project one batch touches (incremental sync), in two GraphQL calls.

1. the folders and tasks linked to the batch's ftrack entities (`attrib.ftrackId`), plus any
   entity whose id an ftrack entity stores as `ayon_id` (copy/paste in ftrack copies it);
2. the ancestors of those folders (by path), the children of the folders new or moved
   entities go under (name clashes, adoption) and the folders with published products below
   the touched ones (those are immutable).

What comes back is a partial `AyonProject`; the planner runs in scoped mode on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import ayon_api

from ayon_ftrack_sync.ayon.reader import ProjectNotFound, _own
from ayon_ftrack_sync.sync.anatomy import status_scopes
from ayon_ftrack_sync.sync.model import AyonNode, AyonProject, Kind

PAGE = 2000
_FOLDER = "id name label parentId folderType status active hasProducts path ownAttrib"
_TASK = "id name label folderId taskType status active assignees ownAttrib"


@dataclass(frozen=True, slots=True)
class ScopedAyonRead:
    project: AyonProject
    folder_types: list[dict[str, Any]]
    task_types: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    project_attrib: dict[str, Any]
    #: folder id -> path, for every folder read
    paths: Mapping[str, str]


class _Query:
    """Aliased connections of one GraphQL request, each followed up page by page."""

    def __init__(self, api: ayon_api.ServerAPI, project: str, attributes: list[str]) -> None:
        self.api = api
        self.project = project
        self.attrib = " ".join(attributes)
        self.parts: list[tuple[str, str, str, dict[str, Any]]] = []

    def add(self, alias: str, root: str, args: dict[str, Any]) -> None:
        self.parts.append((alias, root, _FOLDER if root == "folders" else _TASK, args))

    def run(self) -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {alias: [] for alias, *_ in self.parts}
        pending: list[tuple[tuple[str, str, str, dict[str, Any]], str | None]] = [
            (part, None) for part in self.parts
        ]
        while pending:
            body = []
            variables: dict[str, Any] = {"project": self.project}
            for index, ((alias, root, fields, args), cursor) in enumerate(pending):
                arg_text = [f"first: {PAGE}"]
                if cursor:
                    arg_text.append(f'after: "{cursor}"')
                for name, value in args.items():
                    var = f"v{index}_{name}"
                    variables[var] = value
                    arg_text.append(f"{name}: ${var}")
                body.append(
                    f"{alias}: {root}({', '.join(arg_text)}) {{ pageInfo {{ hasNextPage "
                    f"endCursor }} edges {{ node {{ {fields} attrib {{ {self.attrib} }} }} }} }}"
                )
            declared = ["$project: String!"]
            for name, value in variables.items():
                if name != "project":
                    declared.append(f"${name}: {_graphql_type(name, value)}")
            query = (
                f"query Scope({', '.join(declared)}) {{ project(name: $project) "
                f"{{ {' '.join(body)} }} }}"
            )
            response = self.api.query_graphql(query, variables)
            if response.errors:
                raise RuntimeError(f"AYON GraphQL error: {response.errors}")
            project = (response.data or {}).get("data", {}).get("project") or {}
            following: list[tuple[tuple[str, str, str, dict[str, Any]], str | None]] = []
            for part, _cursor in pending:
                alias = part[0]
                connection = project.get(alias) or {}
                rows[alias].extend(edge["node"] for edge in connection.get("edges") or [])
                info = connection.get("pageInfo") or {}
                if info.get("hasNextPage") and info.get("endCursor"):
                    following.append((part, str(info["endCursor"])))
            pending = following
        return rows


def _graphql_type(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, str):
        return "String"
    if name.endswith("_attributes"):
        return "[AttributeFilterInput!]"
    return "[String!]"


def read_scope(
    api: ayon_api.ServerAPI,
    project_name: str,
    *,
    ftrack_ids: Iterable[str],
    ayon_ids: Iterable[str],
    parent_ftrack_ids: Iterable[str],
    root_children: bool,
    attributes: Iterable[str],
    with_products: bool = True,
    served: Iterable[str] | None = None,
) -> ScopedAyonRead:
    """Partial snapshot around `ftrack_ids` (entities linked to them) and `ayon_ids`.

    `parent_ftrack_ids` are the ftrack parents whose AYON children matter (name clashes);
    `root_children`: the project's root folders matter too (something moves to the top);
    `with_products`: find published content below the folders read (needed only when
    something may be renamed, moved, replaced or deactivated); `served`: the attributes
    AYON serves on folders and tasks, when the caller knows them (saves a request)."""
    project = api.get_project(project_name)
    if not project:
        raise ProjectNotFound(f"AYON project {project_name!r} does not exist")
    names = sorted(set(attributes) | {"ftrackId", "ftrackPath"})
    if served is None:
        served = set(api.get_attributes_for_type("folder")) & set(
            api.get_attributes_for_type("task")
        )
    known = set(served)
    attrib_names = [n for n in names if n in known] or ["ftrackId"]
    fids = sorted(set(ftrack_ids) | set(parent_ftrack_ids))
    ids = sorted(set(ayon_ids))
    first = _Query(api, project_name, attrib_names)
    if fids:
        filt = [{"name": "ftrackId", "values": fids}]
        first.add("linkedFolders", "folders", {"attributes": filt})
        first.add("linkedTasks", "tasks", {"attributes": filt})
    if ids:
        first.add("idFolders", "folders", {"ids": ids})
        first.add("idTasks", "tasks", {"ids": ids})
    found = first.run() if first.parts else {}
    folders: dict[str, dict[str, Any]] = {}
    tasks: dict[str, dict[str, Any]] = {}
    for alias, rows in found.items():
        target = folders if "Folders" in alias else tasks
        for row in rows:
            target[row["id"]] = row

    parent_fids = set(parent_ftrack_ids)
    child_parents = sorted(
        {f["id"] for f in folders.values() if _ftrack_id(f) in parent_fids}
        | {t["folderId"] for t in tasks.values()}
    )
    roots = root_children
    have = {str(f.get("path")) for f in folders.values()}
    ancestor_paths = sorted(
        {p for f in folders.values() for p in _ancestor_paths(str(f.get("path") or ""))} - have
    )
    touched_paths = sorted({str(f.get("path")) for f in folders.values() if f.get("path")})
    second = _Query(api, project_name, attrib_names)
    if ancestor_paths:
        second.add("ancestors", "folders", {"paths": ancestor_paths})
    if child_parents or roots:
        parent_ids = [*child_parents, *(["root"] if roots else [])]
        second.add("childFolders", "folders", {"parentIds": parent_ids})
    if child_parents:
        second.add("childTasks", "tasks", {"folderIds": child_parents})
    if touched_paths and with_products:
        pattern = "^(" + "|".join(re.escape(p) for p in touched_paths) + ")(/|$)"
        second.add("withProducts", "folders", {"pathEx": pattern, "hasProducts": True})
    more = second.run() if second.parts else {}
    product_paths = [str(f.get("path") or "") for f in more.pop("withProducts", [])]
    for alias, rows in more.items():
        target = tasks if alias == "childTasks" else folders
        for row in rows:
            target.setdefault(row["id"], row)
    # the task parents and child-folder parents read above may lack their own ancestors
    missing = sorted(
        {p for f in folders.values() for p in _ancestor_paths(str(f.get("path") or ""))}
        - {str(f.get("path")) for f in folders.values()}
    )
    if missing:
        third = _Query(api, project_name, attrib_names)
        third.add("ancestors", "folders", {"paths": missing})
        for row in third.run()["ancestors"]:
            folders.setdefault(row["id"], row)

    nodes: dict[str, AyonNode] = {}
    paths: dict[str, str] = {}
    for row in folders.values():
        path = str(row.get("path") or "")
        paths[row["id"]] = path
        below = any(p == path or p.startswith(path + "/") for p in product_paths)
        nodes[row["id"]] = AyonNode(
            id=row["id"],
            name=row["name"],
            kind=Kind.FOLDER,
            parent_id=row.get("parentId") or None,
            type_name=row.get("folderType") or "",
            label=row.get("label"),
            status=row.get("status"),
            active=bool(row.get("active", True)),
            attrib=_own(row),
            has_products=bool(row.get("hasProducts")) or below,
        )
    for row in tasks.values():
        nodes[row["id"]] = AyonNode(
            id=row["id"],
            name=row["name"],
            kind=Kind.TASK,
            parent_id=row["folderId"],
            type_name=row.get("taskType") or "",
            label=row.get("label"),
            status=row.get("status"),
            active=bool(row.get("active", True)),
            attrib=_own(row),
            assignees=frozenset(row.get("assignees") or ()),
        )
    statuses = list(project.get("statuses") or [])
    return ScopedAyonRead(
        project=AyonProject(project_name, nodes, status_scopes(statuses)),
        folder_types=list(project.get("folderTypes") or []),
        task_types=list(project.get("taskTypes") or []),
        statuses=statuses,
        project_attrib=dict(project.get("attrib") or {}),
        paths=paths,
    )


def _ftrack_id(row: Mapping[str, Any]) -> str | None:
    value = _own(row).get("ftrackId")
    return value if isinstance(value, str) and value else None


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]
