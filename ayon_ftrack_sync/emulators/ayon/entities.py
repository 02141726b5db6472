"""Create / update / delete of folders, tasks, products and versions with the real rules.

Shared by REST endpoints and the operations executor. Every write records an undo closure
on the transaction (rollback without snapshots) and queues its `entity.<type>.<change>`
events, which are only stored when the transaction commits.
"""

from __future__ import annotations

import copy
from typing import Any

from . import validation as v
from .activity_log import add_activity, remove_activity
from .attribs import all_attrib
from .errors import ApiError, fk_violation, invalid, not_found, unique_violation
from .events import Tx
from .store import KINDS, Entity, Project
from .util import now_iso

FIELDS: dict[str, tuple[str, ...]] = {
    "folder": (
        "name",
        "label",
        "folderType",
        "parentId",
        "attrib",
        "data",
        "active",
        "status",
        "tags",
        "thumbnailId",
    ),
    "task": (
        "name",
        "label",
        "taskType",
        "folderId",
        "assignees",
        "attrib",
        "data",
        "active",
        "status",
        "tags",
        "thumbnailId",
    ),
    "product": (
        "name",
        "productType",
        "productBaseType",
        "folderId",
        "attrib",
        "data",
        "active",
        "status",
        "tags",
    ),
    "version": (
        "version",
        "productId",
        "taskId",
        "author",
        "attrib",
        "data",
        "active",
        "status",
        "tags",
        "thumbnailId",
    ),
    "representation": (
        "name",
        "versionId",
        "files",
        "context",
        "attrib",
        "data",
        "active",
        "status",
        "tags",
        "traits",
    ),
}
TITLES = {
    "folder": "Folder",
    "task": "Task",
    "product": "Product",
    "version": "Version",
    "representation": "Representation",
}
PARENT_FIELD = {
    "folder": "parentId",
    "task": "folderId",
    "product": "folderId",
    "version": "productId",
    "representation": "versionId",
}
PARENT_KIND = {
    "folder": "folder",
    "task": "folder",
    "product": "folder",
    "version": "product",
    "representation": "version",
}
CHANGE_TOPICS = {
    "name": "renamed",
    "label": "label_changed",
    "status": "status_changed",
    "tags": "tags_changed",
    "active": "active_changed",
    "assignees": "assignees_changed",
    "folderType": "type_changed",
    "taskType": "type_changed",
    "productType": "type_changed",
    # moves: folder -> parent_changed, task/product -> folder_changed, version ->
    # product_changed / task_changed (the topics ayon-ftrack's transmitter listens to)
    "parentId": "parent_changed",
    "folderId": "folder_changed",
    "productId": "product_changed",
    "taskId": "task_changed",
    "versionId": "version_changed",
    "thumbnailId": "thumbnail_changed",
    "data": "data_changed",
    "attrib": "attrib_changed",
}


def as_uuid(eid: str | None) -> str:
    """Render a 32-hex id the way Postgres prints UUIDs in error texts."""
    if not eid or len(eid) != 32:
        return str(eid)
    return f"{eid[:8]}-{eid[8:12]}-{eid[12:16]}-{eid[16:20]}-{eid[20:]}"


def _model(kind: str) -> str:
    return v.MODEL_NAMES[kind]


def _missing(kind: str, field: str) -> ApiError:
    return invalid(
        f"1 validation error for {_model(kind)}\n{field}\n  field required "
        "(type=value_error.missing)"
    )


def _check_attrib(tx: Tx, kind: str, attrib: Any) -> dict[str, Any]:
    """Type-check known attributes of the entity's scope; silently drop unknown ones."""
    if attrib is None:
        return {}
    if not isinstance(attrib, dict):
        raise invalid(
            f"1 validation error for {_model(kind)}\nattrib\n  value is not a valid "
            "dict (type=type_error.dict)"
        )
    index = tx.state.attribute_index()
    out: dict[str, Any] = {}
    for name, value in attrib.items():
        attr = index.get(name)
        if attr is None or kind not in attr["scope"]:
            continue
        out[name] = v.coerce_attrib_value(_model(kind), name, attr["data"]["type"], value)
    return out


def _check_common(tx: Tx, proj: Project, kind: str, data: dict[str, Any]) -> None:
    """Field-level (pydantic) validation: regexes and types. 400 on failure."""
    model = _model(kind)
    if "name" in data and kind != "version":
        v.check_regex(model, "name", v.NAME_REGEX, data["name"])
    if data.get("label") is not None:
        v.check_regex(model, "label", v.LABEL_REGEX, data["label"])
    for key in ("tags", "assignees"):
        if (
            key in data
            and data[key] is not None
            and not (isinstance(data[key], list) and all(isinstance(t, str) for t in data[key]))
        ):
            raise invalid(
                f"1 validation error for {model}\n{key}\n  value is not a valid "
                "list (type=type_error.list)"
            )
    if "data" in data and data["data"] is not None and not isinstance(data["data"], dict):
        raise invalid(
            f"1 validation error for {model}\ndata\n  value is not a valid dict "
            "(type=type_error.dict)"
        )
    if "active" in data and not isinstance(data["active"], bool):
        raise invalid(
            f"1 validation error for {model}\nactive\n  value could not be parsed "
            "to a boolean (type=type_error.bool)"
        )
    if (
        kind == "version"
        and "version" in data
        and (not isinstance(data["version"], int) or isinstance(data["version"], bool))
    ):
        raise invalid(
            f"1 validation error for {model}\nversion\n  value is not a valid "
            "integer (type=type_error.integer)"
        )


def _check_refs(proj: Project, kind: str, data: dict[str, Any]) -> None:
    """Anatomy foreign keys (case-sensitive) and parent existence. 409 on failure."""
    record = proj.record
    if kind == "folder" and "folderType" in data:
        if data["folderType"] not in {t["name"] for t in record.get("folderTypes", [])}:
            raise fk_violation(
                f"folder_type '{data['folderType']}' is not present in table \"folder_types\"."
            )
    if kind == "task" and "taskType" in data:
        if data["taskType"] not in {t["name"] for t in record.get("taskTypes", [])}:
            raise fk_violation(
                f"task_type '{data['taskType']}' is not present in table \"task_types\"."
            )
    if data.get("status") is not None:
        if data["status"] not in {s["name"] for s in record.get("statuses", [])}:
            raise fk_violation(f"status '{data['status']}' is not present in table \"statuses\".")
    pfield = PARENT_FIELD[kind]
    parent = data.get(pfield)
    if parent is not None and proj.get(PARENT_KIND[kind], parent) is None:
        table = f"{PARENT_KIND[kind]}s"
        column = "parent_id" if kind == "folder" else f"{PARENT_KIND[kind]}_id"
        raise fk_violation(f"{column} '{as_uuid(parent)}' is not present in table \"{table}\".")
    if (
        kind == "version"
        and data.get("taskId") is not None
        and proj.get("task", data["taskId"]) is None
    ):
        raise fk_violation(
            f"task_id '{as_uuid(data['taskId'])}' is not present in table \"tasks\"."
        )


def _unique_error(kind: str, key: tuple[str, str | None, str]) -> ApiError:
    _, parent, lname = key
    title = TITLES[kind]
    if kind == "version":
        return unique_violation(
            f"Version with product_id, version '{as_uuid(parent)}, {lname}' already exists."
        )
    if kind == "folder" and parent is None:
        return unique_violation(f"Folder with lower(name::text) '{lname}' already exists.")
    column = {"folder": "parent_id", "representation": "version_id"}.get(kind, "folder_id")
    return unique_violation(
        f"{title} with {column}, lower(name::text) '{as_uuid(parent)}, {lname}' already exists."
    )


def _claim_unique(tx: Tx, proj: Project, kind: str, ent: Entity) -> None:
    key = proj.unique_key(kind, ent)
    owner = proj.unique.get(key)
    if owner is not None and owner != ent["id"]:
        raise _unique_error(kind, key)


def create(tx: Tx, proj: Project, kind: str, entity_id: str | None, data: dict[str, Any]) -> Entity:
    """Create one entity; raises ApiError with the real server's status/code."""
    if kind not in KINDS:
        raise invalid(f"Unsupported entity type {kind}")
    data = dict(data or {})
    raw_id = entity_id or data.get("id") or tx.state.new_id()
    eid = v.check_entity_id(raw_id, _model(kind).replace("PostModel", "Model"))
    if proj.find_any(eid) is not None:
        raise unique_violation(f"{TITLES[kind]} with id '{as_uuid(eid)}' already exists.")
    required = {
        "folder": ("name",),
        "task": ("name", "taskType", "folderId"),
        "product": ("name", "productType", "folderId"),
        "version": ("version", "productId"),
        "representation": ("name", "versionId"),
    }[kind]
    for field in required:
        if data.get(field) is None:
            raise _missing(kind, field)
    _check_common(tx, proj, kind, data)
    attrib = _check_attrib(tx, kind, data.get("attrib"))
    if kind == "folder" and not data.get("folderType"):
        types = proj.record.get("folderTypes") or []
        data["folderType"] = types[0]["name"] if types else "Folder"
    if data.get("status") is None:
        data["status"] = proj.default_status(kind)
    _check_refs(proj, kind, data)
    ts = now_iso()
    user = tx.actor.user
    ent: Entity = {"id": eid}
    for field in FIELDS[kind]:
        if field in data:
            ent[field] = copy.deepcopy(data[field])
    ent["attrib"] = attrib
    ent.setdefault("data", {})
    if ent["data"] is None:
        ent["data"] = {}
    ent.setdefault("active", True)
    ent.setdefault("tags", [])
    ent.setdefault("thumbnailId", None)
    if kind == "folder":
        ent.setdefault("parentId", None)
        ent.setdefault("label", None)
    elif kind == "task":
        ent.setdefault("assignees", [])
        ent.setdefault("label", None)
    elif kind == "product":
        ent.setdefault("productBaseType", ent.get("productType"))
    elif kind == "representation":
        ent.setdefault("files", [])
        ent.setdefault("traits", None)
    else:
        ent["name"] = f"v{int(ent['version']):03d}"
        ent.setdefault("author", user)
        ent.setdefault("taskId", None)
    ent.update(
        {
            "createdAt": ts,
            "updatedAt": ts,
            "createdBy": user,
            "updatedBy": user,
            "_seq": proj.next_seq(kind),
        }
    )
    if ent["active"]:
        _claim_unique(tx, proj, kind, ent)
    proj.entities[kind][eid] = ent
    proj.index_add(kind, ent)

    def undo() -> None:
        proj.index_remove(kind, ent)
        proj.entities[kind].pop(eid, None)
        proj.attr_cache.clear()

    tx.undo.append(undo)
    tx.emit(
        f"entity.{kind}.created",
        proj.name,
        f"{TITLES[kind]} {ent['name']} created",
        summary={"entityId": eid, "parentId": ent.get(PARENT_FIELD[kind])},
    )
    return ent


def update(tx: Tx, proj: Project, kind: str, entity_id: str, data: dict[str, Any]) -> Entity:
    """Patch one entity with only the given fields; emits one event per changed aspect."""
    ent = proj.get(kind, entity_id) if kind in KINDS else None
    if ent is None:
        raise not_found(f"Entity {entity_id} not found")
    data = {k: val for k, val in (data or {}).items() if k in FIELDS[kind]}
    _check_common(tx, proj, kind, data)
    attrib = _check_attrib(tx, kind, data["attrib"]) if "attrib" in data else None
    if data.get("attrib"):
        # explicit nulls unset an own value
        for name, value in data["attrib"].items():
            if value is None and name in tx.state.attribute_index():
                assert attrib is not None
                attrib[name] = None
    for ref in ("folderType", "taskType", "productType"):
        if ref in data and data[ref] is None:
            raise invalid(
                f"1 validation error for {_model(kind)}\n{ref}\n  none is not an "
                "allowed value (type=type_error.none.not_allowed)"
            )
    _check_refs(proj, kind, data)
    if kind == "folder" and data.get("parentId") is not None:
        cursor: str | None = data["parentId"]
        while cursor is not None:
            if cursor == entity_id:
                raise ApiError(409, "Cannot move folder under itself", "conflict")
            parent = proj.entities["folder"].get(cursor)
            cursor = parent.get("parentId") if parent else None

    # shallow copies suffice: nested values are always replaced, never mutated in place
    old = dict(ent)
    new = dict(ent)
    effective = all_attrib(tx.state, proj, kind, ent) if "attrib" in data else {}
    changes: dict[str, tuple[Any, Any]] = {}
    unset: set[str] = set()
    for field, value in data.items():
        if field == "attrib":
            assert attrib is not None
            merged = dict(new.get("attrib") or {})
            for name, val in attrib.items():
                if val is None:
                    merged.pop(name, None)
                    unset.add(name)
                else:
                    merged[name] = val
            if merged != new.get("attrib"):
                changes["attrib"] = (effective, {**effective, **merged})
                new["attrib"] = merged
        elif field == "data":
            merged_data = dict(new.get("data") or {})
            merged_data.update(value or {})
            if merged_data != new.get("data"):
                changes["data"] = (new.get("data") or {}, merged_data)
                new["data"] = merged_data
        elif new.get(field) != value:
            changes[field] = (new.get(field), copy.deepcopy(value))
            new[field] = copy.deepcopy(value)
    if kind == "version" and "version" in changes:
        new["name"] = f"v{int(new['version']):03d}"
    if not changes:
        return ent
    if kind in ("folder", "task") and "attrib" in data:
        # measured on 1.16: after an update that writes attributes, every effective value
        # is stored as own (`ownAttrib` then lists all of them), so later changes of the
        # parents stop flowing down to this entity
        new["attrib"] = {
            k: val for k, val in {**effective, **new["attrib"]}.items() if k not in unset
        }
    if new.get("active", True):
        _claim_unique(tx, proj, kind, new)
    new["updatedAt"] = now_iso()
    new["updatedBy"] = tx.actor.user
    proj.index_remove(kind, ent)
    ent.clear()
    ent.update(new)
    proj.index_add(kind, ent)
    if kind == "folder" and ({"attrib", "parentId"} & changes.keys()):
        proj.invalidate_attr(entity_id)

    def undo() -> None:
        proj.index_remove(kind, ent)
        ent.clear()
        ent.update(old)
        proj.index_add(kind, ent)
        proj.attr_cache.clear()

    tx.undo.append(undo)
    if "status" in changes and kind in ("folder", "task", "version"):
        _status_activity(tx, proj, kind, ent, *changes["status"])
    _emit_changes(tx, proj, kind, ent, old, changes)
    return ent


def _status_activity(
    tx: Tx, proj: Project, kind: str, ent: Entity, before: Any, after: Any
) -> None:
    """The server logs a `status.change` activity for every status change."""
    activity_id = tx.state.new_id()
    body = f"[{ent['name']}]({kind}:{ent['id']}) status changed from {before} to {after}"
    add_activity(
        proj,
        activity_id,
        kind,
        ent,
        "status.change",
        body,
        tx.actor.user,
        extra={"newValue": after, "oldValue": before},
    )

    def undo() -> None:
        remove_activity(proj, activity_id)

    tx.undo.append(undo)


def _emit_changes(
    tx: Tx, proj: Project, kind: str, ent: Entity, old: Entity, changes: dict[str, tuple[Any, Any]]
) -> None:
    title = TITLES[kind]
    summary = {"entityId": ent["id"], "parentId": ent.get(PARENT_FIELD[kind])}
    for field, (before, after) in changes.items():
        topic = CHANGE_TOPICS.get(field)
        if topic is None:
            continue
        if field in ("attrib", "data"):
            keys = set(before) | set(after)
            new_v = {k: after.get(k) for k in keys if before.get(k) != after.get(k)}
            old_v = {k: before.get(k) for k in keys if before.get(k) != after.get(k)}
            payload = {"newValue": new_v, "oldValue": old_v}
        else:
            payload = {"newValue": after, "oldValue": before}
        if field == "name":
            description = f"{title} {old['name']} renamed to {ent['name']}"
        else:
            description = f"{title} {ent['name']} {topic.replace('_', ' ')}"
        tx.emit(
            f"entity.{kind}.{topic}", proj.name, description, summary=dict(summary), payload=payload
        )


def _representations(proj: Project, version_id: str) -> list[tuple[str, Entity]]:
    return [
        ("representation", proj.entities["representation"][r])
        for r in proj.child_ids("representation", version_id)
    ]


def delete(tx: Tx, proj: Project, kind: str, entity_id: str, force: bool = False) -> None:
    """Delete with cascade (subfolders, tasks; products/versions only with `force`)."""
    ent = proj.get(kind, entity_id) if kind in KINDS else None
    if ent is None:
        raise not_found(f"Entity {entity_id} not found")
    doomed: list[tuple[str, Entity]] = []
    if kind == "folder":
        stack = [entity_id]
        folders: list[str] = []
        while stack:
            fid = stack.pop()
            folders.append(fid)
            stack.extend(proj.child_ids("folder", fid))
        products = [pid for fid in folders for pid in proj.child_ids("product", fid)]
        if products and not force:
            raise ApiError(
                409, f"Folder {entity_id} has products. Use force to delete.", "delete-not-allowed"
            )
        for pid in products:
            for x in proj.child_ids("version", pid):
                doomed.extend(_representations(proj, x))
                doomed.append(("version", proj.entities["version"][x]))
            doomed.append(("product", proj.entities["product"][pid]))
        for fid in folders:
            doomed.extend(("task", proj.entities["task"][t]) for t in proj.child_ids("task", fid))
        doomed.extend(("folder", proj.entities["folder"][f]) for f in reversed(folders))
    elif kind == "product":
        for x in proj.child_ids("version", entity_id):
            doomed.extend(_representations(proj, x))
            doomed.append(("version", proj.entities["version"][x]))
        doomed.append((kind, ent))
    elif kind == "version":
        doomed.extend(_representations(proj, entity_id))
        doomed.append((kind, ent))
    else:
        doomed.append((kind, ent))
    detached: list[tuple[Entity, str]] = []
    if kind == "task" or kind == "folder":
        task_ids = {e["id"] for k, e in doomed if k == "task"}
        for tid in task_ids:
            for vid in list(proj.versions_by_task.get(tid, {})):
                version = proj.entities["version"][vid]
                if all(version is not e for _, e in doomed):
                    detached.append((version, tid))
    removed_links: list[dict[str, Any]] = []
    for k, e in doomed:
        for lid in list(proj.links_by_entity.get(e["id"], {})):
            link = proj.links.pop(lid, None)
            if link is not None:
                proj.link_index_remove(link)
                removed_links.append(link)
        proj.index_remove(k, e)
        del proj.entities[k][e["id"]]
    for version, _tid in detached:
        proj.index_remove("version", version)
        version["taskId"] = None
        proj.index_add("version", version)
    proj.attr_cache.clear()

    def undo() -> None:
        for version, tid in detached:
            proj.index_remove("version", version)
            version["taskId"] = tid
            proj.index_add("version", version)
        for k, e in reversed(doomed):
            proj.entities[k][e["id"]] = e
            proj.index_add(k, e)
        for link in removed_links:
            proj.links[link["id"]] = link
            proj.link_index_add(link)
        proj.attr_cache.clear()

    tx.undo.append(undo)
    entity_data = {k: val for k, val in ent.items() if not k.startswith("_")}
    tx.emit(
        f"entity.{kind}.deleted",
        proj.name,
        f"{TITLES[kind]} {ent['name']} deleted",
        summary={"entityId": entity_id, "parentId": ent.get(PARENT_FIELD[kind])},
        payload={"entityData": entity_data},
    )
