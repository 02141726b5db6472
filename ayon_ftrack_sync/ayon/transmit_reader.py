"""AYON reads and writes of the AYON -> ftrack direction (`activities/transmit.py`).

Reads are GraphQL (two or three requests per batch, whatever its size): the touched folders
and tasks with their own and effective attributes, their parents (what they would inherit,
the folder path of tasks), the subtrees of renamed or moved folders, and the folders and
tasks that link to given ftrack ids; touched versions with their product's name and folder
(path, `ftrackId`), in the same request, for the match by name when `ftrackId` finds
nothing. Writes are bulk operations as this service (sender
type `ftrack`), so the AYON listener never enrolls them again.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ayon_api

from ayon_ftrack_sync.ayon.reader import ProjectNotFound, _own
from ayon_ftrack_sync.ayon.scoped import _Query
from ayon_ftrack_sync.ayon.writer import OperationsFailed
from ayon_ftrack_sync.sync.identity import ftrack_id_for, is_linked_ftrack_id
from ayon_ftrack_sync.sync.transmit import FOLDER, PROJECT, TASK, VERSION, AyonEntity, AyonUpdate

FTRACK_ID = "ftrackId"


@dataclass(frozen=True, slots=True)
class AyonState:
    entities: Mapping[str, AyonEntity]
    #: ftrack ids active AYON folders/tasks link to, among the ones asked for
    linked_ftrack_ids: frozenset[str]
    project: Mapping[str, Any]


def read_state(
    api: ayon_api.ServerAPI,
    project_name: str,
    *,
    folder_ids: Iterable[str] = (),
    task_ids: Iterable[str] = (),
    version_ids: Iterable[str] = (),
    subtree_ids: Iterable[str] = (),
    linked_to: Iterable[str] = (),
    attributes: Iterable[str],
    inheritable: frozenset[str],
) -> AyonState:
    """Current AYON state of what a batch touched (see the module note)."""
    project = api.get_project(project_name)
    if not project:
        raise ProjectNotFound(f"AYON project {project_name!r} does not exist")
    served = set(api.get_attributes_for_type("folder")) & set(api.get_attributes_for_type("task"))
    names = sorted((set(attributes) | {"ftrackId", "ftrackPath"}) & served) or ["ftrackId"]
    folders: dict[str, dict[str, Any]] = {}
    tasks: dict[str, dict[str, Any]] = {}
    first = _Query(api, project_name, names)
    fids, tids = sorted(set(folder_ids) | set(subtree_ids)), sorted(set(task_ids))
    linked = sorted(set(linked_to))
    if fids:
        first.add("folders", "folders", {"ids": fids})
    if tids:
        first.add("tasks", "tasks", {"ids": tids})
    if linked:
        filt = [{"name": FTRACK_ID, "values": linked}]
        first.add("linkedFolders", "folders", {"attributes": filt})
        first.add("linkedTasks", "tasks", {"attributes": filt})
    found = first.run() if first.parts else {}
    linked_ids = frozenset(
        str(_own(row).get(FTRACK_ID))
        for alias in ("linkedFolders", "linkedTasks")
        for row in found.get(alias, [])
        if row.get("active", True) and _own(row).get(FTRACK_ID)
    )
    for row in found.get("folders", []):
        folders[row["id"]] = row
    for row in found.get("tasks", []):
        tasks[row["id"]] = row
    # parents (inherited values, task paths), subtrees of moved folders
    subtree_paths = sorted(
        str(folders[i].get("path")) for i in subtree_ids if i in folders and folders[i].get("path")
    )
    parents = sorted(
        {str(f["parentId"]) for f in folders.values() if f.get("parentId")}
        | {str(t["folderId"]) for t in tasks.values()}
    )
    second = _Query(api, project_name, names)
    if parents:
        second.add("parents", "folders", {"ids": parents})
    if subtree_paths:
        pattern = "^(" + "|".join(re.escape(p) for p in subtree_paths) + ")/"
        second.add("below", "folders", {"pathEx": pattern})
    more = second.run() if second.parts else {}
    parent_rows = {row["id"]: row for row in more.get("parents", [])}
    for row in more.get("below", []):
        folders.setdefault(row["id"], row)
    subtree_folders = sorted(
        i
        for i, f in folders.items()
        if any(
            str(f.get("path")) == p or str(f.get("path")).startswith(p + "/") for p in subtree_paths
        )
    )
    if subtree_folders:
        third = _Query(api, project_name, names)
        third.add("belowTasks", "tasks", {"folderIds": subtree_folders})
        for row in third.run()["belowTasks"]:
            tasks.setdefault(row["id"], row)
    all_folders = {**parent_rows, **folders}
    project_attrib = dict(project.get("attrib") or {})

    def inherited_from(parent_id: str | None) -> dict[str, Any]:
        if parent_id is None:
            values = project_attrib
        else:
            values = dict((all_folders.get(parent_id) or {}).get("attrib") or {})
        return {k: v for k, v in values.items() if k in inheritable and v is not None}

    entities: dict[str, AyonEntity] = {}
    for row in folders.values():
        entities[row["id"]] = AyonEntity(
            id=row["id"],
            kind=FOLDER,
            name=row["name"],
            parent_id=row.get("parentId") or None,
            type_name=row.get("folderType") or "",
            label=row.get("label"),
            status=row.get("status"),
            active=bool(row.get("active", True)),
            own=_own(row),
            inherited=inherited_from(row.get("parentId") or None),
            path=str(row.get("path") or ""),
            has_products=bool(row.get("hasProducts")),
        )
    for row in parent_rows.values():
        if row["id"] not in entities:
            entities[row["id"]] = AyonEntity(
                id=row["id"],
                kind=FOLDER,
                name=row["name"],
                parent_id=row.get("parentId") or None,
                type_name=row.get("folderType") or "",
                label=row.get("label"),
                status=row.get("status"),
                active=bool(row.get("active", True)),
                own=_own(row),
                path=str(row.get("path") or ""),
                has_products=bool(row.get("hasProducts")),
            )
    for row in tasks.values():
        folder = all_folders.get(row["folderId"]) or {}
        entities[row["id"]] = AyonEntity(
            id=row["id"],
            kind=TASK,
            name=row["name"],
            parent_id=row["folderId"],
            type_name=row.get("taskType") or "",
            label=row.get("label"),
            status=row.get("status"),
            active=bool(row.get("active", True)),
            own=_own(row),
            inherited=inherited_from(row["folderId"]),
            assignees=frozenset(row.get("assignees") or ()),
            path=str(folder.get("path") or ""),
        )
    versions = sorted(set(version_ids))
    if versions:
        for row in api.get_versions(
            project_name,
            version_ids=versions,
            fields=[
                "id",
                "version",
                "status",
                "productId",
                "attrib",
                "active",
                "product.name",
                "product.folderId",
                "product.folder.path",
                f"product.folder.attrib.{FTRACK_ID}",
            ],
        ):
            attrib = {k: v for k, v in (row.get("attrib") or {}).items() if v is not None}
            product = row.get("product") or {}
            folder = product.get("folder") or {}
            number = int(row.get("version") or 0)
            entities[row["id"]] = AyonEntity(
                id=row["id"],
                kind=VERSION,
                name=f"v{number:03d}",
                parent_id=row.get("productId"),
                status=row.get("status"),
                active=bool(row.get("active", True)),
                own=attrib,
                path=f"{folder.get('path') or ''}/{product.get('name') or ''}",
                number=number,
                product_name=str(product.get("name") or ""),
                context_ids=_folder_ftrack_ids(product.get("folderId"), folder),
            )
    entities[""] = AyonEntity(id="", kind=PROJECT, name=project_name, own=project_attrib)
    return AyonState(entities, linked_ids, project)


def _folder_ftrack_ids(folder_id: Any, folder: Mapping[str, Any]) -> tuple[str, ...]:
    """The ftrack ids a folder's ftrack entity may have: its `ftrackId`, then the id a folder
    created in AYON gets in ftrack (`ftrack_id_for`)."""
    if not isinstance(folder_id, str) or not folder_id:
        return ()
    linked = (folder.get("attrib") or {}).get(FTRACK_ID)
    ids = [linked] if isinstance(linked, str) and is_linked_ftrack_id(linked) else []
    return tuple(dict.fromkeys([*ids, ftrack_id_for(folder_id)]))


def inheritable_attributes(api: ayon_api.ServerAPI) -> frozenset[str]:
    schema = api.get_attributes_schema(use_cache=False)["attributes"]
    return frozenset(
        str(a["name"]) for a in schema if (a.get("data") or {}).get("inherit", True) is not False
    )


def write_updates(api: ayon_api.ServerAPI, project_name: str, updates: Sequence[AyonUpdate]) -> int:
    """Apply the updates in one bulk request (atomic); returns the requests made."""
    if not updates:
        return 0
    operations = [
        {
            "id": uuid.uuid4().hex,
            "type": "update",
            "entityType": update.kind,
            "entityId": update.id,
            "data": dict(update.changes),
        }
        for update in updates
    ]
    response = api.send_batch_operations(
        project_name, operations, can_fail=False, raise_on_fail=False
    )
    failures = [op for op in response if not op.get("success", False)]
    if failures:
        details = "; ".join(
            f"{f.get('entityType')} {f.get('entityId')}: {f.get('detail') or f.get('errorCode')}"
            for f in failures[:5]
        )
        raise OperationsFailed(f"AYON refused {len(failures)} operation(s): {details}", failures)
    return 1


def without_concurrent_edits(
    api: ayon_api.ServerAPI,
    project_name: str,
    updates: Sequence[AyonUpdate],
    snapshot: Mapping[str, AyonEntity],
) -> list[AyonUpdate]:
    """The updates minus attribute values a person changed since the snapshot was read.

    The sync writes whole attribute vectors (so AYON does not keep inherited values as own);
    a value changed meanwhile must not be overwritten with the stale snapshot: the person's
    change has its own AYON event and is transmitted next. One GraphQL request per entity
    type."""
    touched = [u for u in updates if u.kind in (FOLDER, TASK) and u.changes.get("attrib")]
    if not touched:
        return list(updates)
    current: dict[str, dict[str, Any]] = {}
    for kind, root in ((FOLDER, "folders"), (TASK, "tasks")):
        of_kind = [u for u in touched if u.kind == kind]
        if not of_kind:
            continue
        # only names the sync writes to this entity type (so AYON serves them on it)
        names = sorted({k for u in of_kind for k in u.changes["attrib"]} | {"ftrackId"})
        query = _Query(api, project_name, names)
        query.add("now", root, {"ids": sorted({u.id for u in of_kind})})
        current.update({row["id"]: _own(row) for row in query.run()["now"]})
    kept: list[AyonUpdate] = []
    for update in updates:
        entity = snapshot.get(update.id)
        attrib = update.changes.get("attrib")
        if update not in touched or entity is None or update.id not in current or not attrib:
            kept.append(update)
            continue
        now = current[update.id]
        fresh = {
            key: value
            for key, value in attrib.items()
            if key in ("ftrackId", "ftrackPath") or now.get(key) == entity.own.get(key)
        }
        changes = {**update.changes, "attrib": fresh}
        if fresh or len(changes) > 1:
            kept.append(
                AyonUpdate(
                    update.kind,
                    update.id,
                    changes if fresh else {k: v for k, v in changes.items() if k != "attrib"},
                )
            )
    return kept


# -- lists --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AyonListRead:
    id: str
    label: str
    entity_type: str
    ftrack_id: str | None
    #: AYON entity ids of the items, in order
    entity_ids: tuple[str, ...]


def read_list(api: ayon_api.ServerAPI, project_name: str, list_id: str) -> AyonListRead | None:
    response = api.get(f"projects/{project_name}/lists/{list_id}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    data = response.data or {}
    ftrack_id = (data.get("attrib") or {}).get(FTRACK_ID)
    items = sorted(data.get("items") or [], key=lambda i: i.get("position", 0))
    return AyonListRead(
        id=str(data.get("id") or list_id),
        label=str(data.get("label") or ""),
        entity_type=str(data.get("entityType") or ""),
        ftrack_id=ftrack_id if isinstance(ftrack_id, str) and ftrack_id else None,
        entity_ids=tuple(str(i["entityId"]) for i in items if i.get("entityId")),
    )


def ftrack_ids_of(
    api: ayon_api.ServerAPI, project_name: str, entity_type: str, ids: Sequence[str]
) -> dict[str, str]:
    """AYON id -> `ftrackId` of folders, tasks or versions."""
    if not ids:
        return {}
    getter = {
        FOLDER: lambda: api.get_folders(project_name, folder_ids=ids, fields=["id", "attrib"]),
        TASK: lambda: api.get_tasks(project_name, task_ids=ids, fields=["id", "attrib"]),
        VERSION: lambda: api.get_versions(project_name, version_ids=ids, fields=["id", "attrib"]),
    }.get(entity_type)
    if getter is None:
        return {}
    result: dict[str, str] = {}
    for row in getter():
        value = (row.get("attrib") or {}).get(FTRACK_ID)
        if isinstance(value, str) and value:
            result[str(row["id"])] = value
    return result


def link_list(api: ayon_api.ServerAPI, project_name: str, list_id: str, ftrack_id: str) -> None:
    api.update_entity_list(project_name, list_id, attrib={FTRACK_ID: ftrack_id})
