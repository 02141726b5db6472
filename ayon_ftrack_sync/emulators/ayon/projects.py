"""Projects: creation from an anatomy preset, PATCH with per-aspect events, deletion."""

from __future__ import annotations

import copy
from typing import Any

from . import validation as v
from .attribs import project_attrib
from .errors import ApiError, invalid
from .events import Tx
from .store import Project, _strip, link_type_from_preset
from .util import now_iso

# in the order the real server emits their events
ANATOMY_LISTS = {
    "statuses": ("statuses", "statuses_changed"),
    "tags": ("tags", "tags_changed"),
    "folderTypes": ("folder_types", "folder_types_changed"),
    "taskTypes": ("task_types", "task_types_changed"),
    "linkTypes": ("link_types", "link_types_changed"),
}


def _config_from_anatomy(anatomy: dict[str, Any]) -> dict[str, Any]:
    roots = {
        r["name"]: {k: r.get(k) for k in ("linux", "darwin", "windows")}
        for r in anatomy.get("roots", [])
        if isinstance(r, dict) and "name" in r
    }
    templates: dict[str, Any] = {}
    common = {}
    for key, value in (anatomy.get("templates") or {}).items():
        if isinstance(value, list):
            if not value:
                continue
            templates[key] = {
                t["name"]: {k: val for k, val in t.items() if k != "name"}
                for t in value
                if isinstance(t, dict) and "name" in t
            }
        else:
            common[key] = value
    templates["common"] = common
    return {
        "roots": roots,
        "templates": templates,
        "entityNaming": {},
        "productBaseTypes": anatomy.get("product_base_types") or {},
    }


def create_project(tx: Tx, body: dict[str, Any]) -> Project:
    state = tx.state
    name = body.get("name")
    code = body.get("code")
    if not isinstance(name, str) or not name or not v.matches(v.PROJECT_NAME_REGEX, name):
        raise invalid(
            "1 validation error for ProjectPostModel\nname\n  string does not match "
            f'regex "{v.PROJECT_NAME_REGEX}"'
        )
    if not isinstance(code, str) or not v.matches(v.PROJECT_CODE_REGEX, code):
        raise invalid(
            "1 validation error for ProjectPostModel\ncode\n  string does not match "
            f'regex "{v.PROJECT_CODE_REGEX}"'
        )
    if name.lower() in {p.lower() for p in state.projects}:
        raise ApiError(409, f"Project {name} already exists", "unique-violation")
    anatomy = copy.deepcopy(body.get("anatomy") or {})
    attributes = anatomy.get("attributes") or {}
    index = state.attribute_index()
    attrib = {
        k: v.coerce_attrib_value("ProjectPostModel", k, index[k]["data"]["type"], val)
        for k, val in attributes.items()
        if val is not None and k in index and "project" in index[k]["scope"]
    }
    ts = now_iso()
    record = {
        "name": name,
        "code": code,
        "library": bool(body.get("library", False)),
        "folderTypes": _strip(anatomy.get("folder_types") or []),
        "taskTypes": _strip(anatomy.get("task_types") or []),
        "linkTypes": [link_type_from_preset(i) for i in anatomy.get("link_types") or []],
        "statuses": _strip(anatomy.get("statuses") or []),
        "tags": _strip(anatomy.get("tags") or []),
        "config": _config_from_anatomy(anatomy),
        "attrib": attrib,
        "data": copy.deepcopy(body.get("data") or {}),
        "active": True,
        "createdAt": ts,
        "updatedAt": ts,
        "_seq": state.next_seq(),
        "anatomy": anatomy,
    }
    proj = Project(record)
    state.projects[name] = proj

    def undo() -> None:
        state.projects.pop(name, None)

    tx.undo.append(undo)
    tx.emit("entity.project.created", name, f"Created project {name}")
    return proj


def project_rest(state: Any, proj: Project) -> dict[str, Any]:
    r = proj.record
    attrib = {a["name"]: None for a in state.attrs_for("project")}
    attrib.update(project_attrib(state, proj))
    return {
        "name": r["name"],
        "code": r["code"],
        "library": r.get("library", False),
        "folderTypes": r["folderTypes"],
        "taskTypes": r["taskTypes"],
        "linkTypes": r["linkTypes"],
        "statuses": r["statuses"],
        "tags": r["tags"],
        "config": r.get("config", {}),
        "attrib": {k: val for k, val in attrib.items() if val is not None},
        "data": r.get("data", {}),
        "active": r.get("active", True),
        "ownAttrib": list(r.get("attrib", {})),
        "createdAt": r["createdAt"],
        "updatedAt": r["updatedAt"],
    }


def project_list_item(proj: Project) -> dict[str, Any]:
    r = proj.record
    return {
        "name": r["name"],
        "code": r["code"],
        "label": None,
        "color": None,
        "active": r.get("active", True),
        "library": r.get("library", False),
        "skeleton": False,
        "pinned": False,
        "projectFolder": None,
        "createdAt": r["createdAt"],
        "updatedAt": r["updatedAt"],
    }


def patch_project(tx: Tx, proj: Project, body: dict[str, Any]) -> None:
    """Lists replace the old ones; `data` replaces the old data completely."""
    rec = proj.record
    old = copy.deepcopy(rec)
    name = rec["name"]
    if "attrib" in body and body["attrib"] is not None:
        index = tx.state.attribute_index()
        new_attrib = dict(rec.get("attrib", {}))
        changed_new: dict[str, Any] = {}
        changed_old: dict[str, Any] = {}
        for k, val in body["attrib"].items():
            attr = index.get(k)
            if attr is None or "project" not in attr["scope"]:
                continue
            val = v.coerce_attrib_value("ProjectPatchModel", k, attr["data"]["type"], val)
            if new_attrib.get(k) != val:
                changed_old[k] = new_attrib.get(k)
                changed_new[k] = val
                if val is None:
                    new_attrib.pop(k, None)
                else:
                    new_attrib[k] = val
        if changed_new:
            rec["attrib"] = new_attrib
            proj.attr_cache.clear()
            tx.emit(
                "entity.project.attrib_changed",
                name,
                "Changed project attributes",
                payload={"newValue": changed_new, "oldValue": changed_old},
            )
    if "data" in body and body["data"] is not None and body["data"] != rec.get("data"):
        tx.emit(
            "entity.project.data_changed",
            name,
            "Changed project data",
            payload={"newValue": body["data"], "oldValue": rec.get("data", {})},
        )
        rec["data"] = copy.deepcopy(body["data"])
    for key, (snake, topic) in ANATOMY_LISTS.items():
        if key in body and body[key] is not None:
            _validate_anatomy_list(key, body[key])
            _apply_renames(proj, key, body[key], tx)
            new_list = _strip(body[key])
            if new_list != rec.get(key):
                tx.emit(
                    f"entity.project.{topic}",
                    name,
                    f"Changed project {snake}",
                    payload={"newValue": new_list, "oldValue": rec.get(key)},
                )
                rec[key] = new_list
    for key in ("active", "library", "code", "config"):
        if key in body and body[key] is not None:
            rec[key] = copy.deepcopy(body[key])
    rec["updatedAt"] = now_iso()

    def undo() -> None:
        rec.clear()
        rec.update(old)
        proj.attr_cache.clear()

    tx.undo.append(undo)
    tx.emit("entity.project.changed", name, f"Updated project {name}")


STATUS_STATES = ("not_started", "in_progress", "done", "blocked")
_RENAME_FIELDS = {"statuses": "status", "folderTypes": "folderType", "taskTypes": "taskType"}


def _validate_anatomy_list(key: str, items: Any) -> None:
    def fail(msg: str) -> ApiError:
        return invalid(f"1 validation error for ProjectPatchModel\n{key}\n  {msg}")

    if not isinstance(items, list):
        raise fail("value is not a valid list (type=type_error.list)")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise fail("field required (type=value_error.missing)")
        if item["name"] in seen:
            raise fail(f"Duplicate name {item['name']!r}")
        seen.add(item["name"])
        if key == "statuses":
            if item.get("state") is not None and item["state"] not in STATUS_STATES:
                raise fail(
                    "value is not a valid enumeration member; permitted: "
                    "'not_started', 'in_progress', 'done', 'blocked'"
                )
            if item.get("scope") is not None and not isinstance(item["scope"], list):
                raise fail("value is not a valid list (type=type_error.list)")


def _apply_renames(proj: Project, key: str, items: list[dict[str, Any]], tx: Tx) -> None:
    """`original_name` renames a status/type and every entity using it (as the server does)."""
    field = _RENAME_FIELDS.get(key)
    if field is None:
        return
    renames = {
        i["original_name"]: i["name"]
        for i in items
        if i.get("original_name") and i["original_name"] != i["name"]
    }
    if not renames:
        return
    touched: list[tuple[dict[str, Any], Any]] = []
    for table in proj.entities.values():
        for ent in table.values():
            value = ent.get(field)
            if value in renames:
                touched.append((ent, value))
                ent[field] = renames[value]

    def undo() -> None:
        for ent, value in touched:
            ent[field] = value

    tx.undo.append(undo)


def delete_project(tx: Tx, name: str) -> None:
    proj = tx.state.projects.pop(name, None)
    if proj is None:
        raise ApiError(404, f"Project {name} not found")
    tx.undo.append(lambda: tx.state.projects.__setitem__(name, proj))
    # project overrides of addon settings go with the project
    for addon in tx.state.addons.values():
        for version in addon["versions"].values():
            for overrides in version["projects"].values():
                overrides.pop(name, None)
    tx.emit("entity.project.deleted", name, f"Deleted project {name}")
