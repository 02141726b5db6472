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
        if current and _fits(current, spec):
            continue  # titles and descriptions are the admin's; only function matters
        scope = sorted(set(spec["scope"]) | set(current.get("scope", []) if current else []))
        data = {**(current or {}).get("data", {}), **spec["data"]}
        api.set_attribute_config(name, data, scope)
        changed.append(name)
    api.reset_attributes_cache()
    return changed


def _fits(current: dict[str, Any], spec: dict[str, Any]) -> bool:
    data = current.get("data") or {}
    return (
        set(spec["scope"]) <= set(current.get("scope") or [])
        and data.get("type") == spec["data"]["type"]
        and bool(data.get("inherit")) == spec["data"]["inherit"]
    )


def restart_pending(api: ayon_api.ServerAPI) -> bool:
    """Whether AYON waits for a restart (new attributes are listed but not used until then)."""
    response = api.get("system/restartRequired")
    data = response.data if response.status_code == 200 else {}
    return bool(isinstance(data, dict) and data.get("required"))


def require_link_attributes(api: ayon_api.ServerAPI) -> None:
    """Refuse to sync while `ftrackId`/`ftrackPath` are missing or not yet in effect: AYON
    would accept the writes and silently drop the values."""
    missing = missing_link_attributes(api)
    if missing:
        raise MissingAttributes(
            "AYON lacks the attributes the sync links entities with: "
            + ", ".join(missing)
            + ". Install the ftrack addon on the AYON server (it creates them) and restart "
            "the server so it serves them."
        )
    if restart_pending(api):
        raise MissingAttributes(
            "AYON has new or changed attributes (ftrackId/ftrackPath) that take effect only "
            "after a server restart; restart the AYON server, then run the sync again."
        )
