"""REST representations of entities (`GET /api/projects/{p}/{type}s/{id}` shapes)."""

from __future__ import annotations

from typing import Any

from .attribs import all_attrib
from .store import Entity, Project, State


def has_versions(proj: Project, folder_id: str) -> bool:
    return any(proj.child_ids("version", p) for p in proj.child_ids("product", folder_id))


def entity_path(proj: Project, kind: str, ent: Entity) -> str | None:
    if kind == "folder":
        return proj.folder_path(ent["id"])
    if kind == "task":
        return f"{proj.folder_path(ent.get('folderId'))}/{ent['name']}"
    if kind == "product":
        return f"{proj.folder_path(ent.get('folderId'))}/{ent['name']}"
    if kind == "representation":
        version = proj.entities["version"].get(ent.get("versionId") or "")
        base = entity_path(proj, "version", version) if version else None
        return f"{base}/{ent['name']}" if base else None
    product = proj.entities["product"].get(ent.get("productId") or "")
    if product is None:
        return None
    return f"{proj.folder_path(product.get('folderId'))}/{product['name']}/{ent['name']}"


def entity_rest(state: State, proj: Project, kind: str, ent: Entity) -> dict[str, Any]:
    """REST shape: `attrib` is fully resolved, `ownAttrib` lists explicitly set keys."""
    out = {k: val for k, val in ent.items() if not k.startswith("_")}
    values = all_attrib(state, proj, kind, ent)
    out["attrib"] = {a["name"]: values.get(a["name"]) for a in state.attrs_for(kind)}
    out["ownAttrib"] = [k for k, val in (ent.get("attrib") or {}).items() if val is not None]
    out["path"] = entity_path(proj, kind, ent)
    if kind == "folder":
        out["hasVersions"] = has_versions(proj, ent["id"])
    if out.get("label") is None:
        out.pop("label", None)
    return out
