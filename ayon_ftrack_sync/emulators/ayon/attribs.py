"""Attribute inheritance: own values, then parent folders, then project, then defaults.

Only `inherit: true` attributes flow down; products and versions only show their own
values (measured: a version's `allAttrib` is `{}` even though `fps` is in its scope).
Folder results are memoised per project and dropped whenever a folder or project write
could change them, so reading 12k folders is linear.
"""

from __future__ import annotations

from typing import Any

from .store import Project, State


def typed_default(attr: dict[str, Any]) -> Any:
    """Schema default coerced to the attribute type (`fps` default 25 is served as 25.0)."""
    default = attr["data"].get("default")
    if default is not None and attr["data"].get("type") == "float":
        return float(default)
    return default


def _project_values(state: State, proj: Project) -> dict[str, Any]:
    cached = proj.attr_cache.get("")  # "" never collides with a 32-hex folder id
    if cached is not None:
        return cached
    own = proj.record.get("attrib") or {}
    out: dict[str, Any] = {}
    for attr in state.attrs_for("project"):
        name = attr["name"]
        value = own.get(name, typed_default(attr))
        if value is not None:
            out[name] = value
    proj.attr_cache[""] = out
    return out


def folder_effective(state: State, proj: Project, folder_id: str | None) -> dict[str, Any]:
    """Values a child of `folder_id` inherits (all scopes; callers filter by their scope)."""
    if folder_id is None:
        return _project_values(state, proj)
    cached = proj.attr_cache.get(folder_id)
    if cached is not None:
        return cached
    folder = proj.entities["folder"].get(folder_id)
    if folder is None:
        return _project_values(state, proj)
    inherited = folder_effective(state, proj, folder.get("parentId"))
    own = folder.get("attrib") or {}
    index = state.attribute_index()
    result: dict[str, Any] = {}
    for name, value in inherited.items():
        attr = index.get(name)
        if attr is not None and attr["data"].get("inherit", True):
            result[name] = value
    for name, value in own.items():
        if value is not None and name in index:
            result[name] = value
    proj.attr_cache[folder_id] = result
    return result


#: per `attrs_for` list (a new list whenever the attributes change): name, inherit, default
_PLANS: dict[int, tuple[list[dict[str, Any]], list[tuple[str, bool, Any]]]] = {}


def _plan(attrs: list[dict[str, Any]]) -> list[tuple[str, bool, Any]]:
    cached = _PLANS.get(id(attrs))
    if cached is not None and cached[0] is attrs:
        return cached[1]
    plan = [(a["name"], bool(a["data"].get("inherit", True)), typed_default(a)) for a in attrs]
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[id(attrs)] = (attrs, plan)  # the list is kept, so its id is not reused
    return plan


def all_attrib(state: State, proj: Project, kind: str, ent: dict[str, Any]) -> dict[str, Any]:
    """`allAttrib` / REST `attrib` of an entity: only non-null values, scope-filtered."""
    own = ent.get("attrib") or {}
    if kind in ("product", "version", "representation"):
        index = state.attribute_index()
        return {k: v for k, v in own.items() if v is not None and k in index}
    parent_id = ent.get("parentId") if kind == "folder" else ent.get("folderId")
    inherited = folder_effective(state, proj, parent_id)
    out: dict[str, Any] = {}
    for name, inherit, default in _plan(state.attrs_for(kind)):
        value = own.get(name)
        if value is not None:
            out[name] = value
        elif inherit and name in inherited:
            out[name] = inherited[name]
        elif default is not None:
            out[name] = default
    return out


def project_attrib(state: State, proj: Project) -> dict[str, Any]:
    return _project_values(state, proj)
