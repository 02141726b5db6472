"""The AYON attributes the link between the systems lives in: `ftrackId`, `ftrackPath`.

Same definitions as the original server addon (string, not inherited), so studios switching
keep their data. A real AYON server only serves a new attribute after a restart; until then
writes to it are silently dropped, so the sync refuses to run while one is missing.
"""

from __future__ import annotations

from typing import Any

import ayon_api

LINK_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "ftrackId": {
        "scope": ["project", "folder", "task", "version", "list"],
        "data": {
            "type": "string",
            "title": "ftrack id",
            "description": "Id of the linked ftrack entity ('removed' when deleted in ftrack)",
            "inherit": False,
        },
    },
    "ftrackPath": {
        "scope": ["project", "folder", "task"],
        "data": {
            "type": "string",
            "title": "ftrack path",
            "description": "Path of the linked ftrack entity at the last sync",
            "inherit": False,
        },
    },
}


class MissingAttributes(RuntimeError):
    """Attributes the sync needs are not served by AYON; the message says what to do."""


def attribute_types(api: ayon_api.ServerAPI, entity_type: str = "folder") -> dict[str, str]:
    """AYON attribute name -> declared type, for one entity scope."""
    return {
        name: str(schema.get("type", "string"))
        for name, schema in api.get_attributes_for_type(entity_type).items()
    }


def missing_link_attributes(api: ayon_api.ServerAPI) -> list[str]:
    """`attribute (scope)` entries the server does not serve yet."""
    missing: list[str] = []
    for name, spec in LINK_ATTRIBUTES.items():
        for scope in spec["scope"]:
            if name not in api.get_attributes_for_type(scope):
                missing.append(f"{name} ({scope})")
    return missing


def ensure_link_attributes(api: ayon_api.ServerAPI) -> list[str]:
    """Create or widen the link attributes; returns the names it changed."""
    schema = {
        attr["name"]: attr for attr in api.get_attributes_schema(use_cache=False)["attributes"]
    }
    changed: list[str] = []
    for name, spec in LINK_ATTRIBUTES.items():
        current = schema.get(name)
        scope = sorted(set(spec["scope"]) | set(current.get("scope", []) if current else []))
        data = {**(current or {}).get("data", {}), **spec["data"]}
        if current and sorted(current.get("scope", [])) == scope and current.get("data") == data:
            continue
        api.set_attribute_config(name, data, scope)
        changed.append(name)
    api.reset_attributes_cache()
    return changed


def require_link_attributes(api: ayon_api.ServerAPI) -> None:
    missing = missing_link_attributes(api)
    if missing:
        raise MissingAttributes(
            "AYON lacks the attributes the sync links entities with: "
            + ", ".join(missing)
            + ". Install the ftrack addon on the AYON server (it creates them) and restart "
            "the server so it serves them."
        )
