"""Activity records (comments and the server's own `status.change` entries)."""

from __future__ import annotations

from typing import Any

from .store import Entity, Project
from .util import now_iso


def origin_and_parents(proj: Project, kind: str, ent: Entity) -> dict[str, Any]:
    """`origin` and `parents` parts of `activityData` for an entity."""
    parent_id = ent.get("parentId") if kind == "folder" else ent.get("folderId")
    parents = []
    folder = proj.entities["folder"].get(parent_id or "")
    if folder is not None:
        parents.append(
            {
                "id": folder["id"],
                "label": folder.get("label"),
                "name": folder["name"],
                "subtype": folder.get("folderType"),
                "type": "folder",
            }
        )
    origin = {
        "id": ent["id"],
        "label": ent.get("label"),
        "name": ent.get("name"),
        "subtype": ent.get("taskType") or ent.get("folderType"),
        "type": kind,
    }
    return {"origin": origin, "parents": parents}


def add_activity(
    proj: Project,
    activity_id: str,
    kind: str,
    ent: Entity,
    activity_type: str,
    body: str,
    author: str,
    extra: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    ts = now_iso()
    record = {
        "activityId": activity_id,
        "id": activity_id,
        "activityType": activity_type,
        "body": body,
        "entityId": ent["id"],
        "entityType": kind,
        "referenceId": activity_id,
        "referenceType": "origin",
        "tags": tags or [],
        "active": True,
        "read": False,
        "author": author,
        "createdAt": ts,
        "updatedAt": ts,
        "activityData": {"author": author, **(extra or {}), **origin_and_parents(proj, kind, ent)},
        "_seq": proj.next_seq("activity"),
    }
    proj.activities[activity_id] = record
    proj.activities_by_entity.setdefault(ent["id"], {})[activity_id] = None
    return record


def remove_activity(proj: Project, activity_id: str) -> dict[str, Any] | None:
    record = proj.activities.pop(activity_id, None)
    if record is not None:
        proj.activities_by_entity.get(record["entityId"], {}).pop(activity_id, None)
    return record
