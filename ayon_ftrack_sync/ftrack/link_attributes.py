"""The five mandatory ftrack custom attributes of group ``ayon`` (seed_features.md 3.1 step 1).

``ayon_id`` / ``ayon_path`` / ``ayon_sync_failed`` link ftrack entities to AYON (hierarchical,
so they exist on every TypedContext and the project), ``auto_sync_enabled`` is the per-project
switch, ``ayon_list_type`` says what an ftrack list becomes in AYON. The sync cannot run
without them, so a full sync ensures them first: one read, then (only when something is
missing or differs) one atomic write batch. Labels are left alone once created: studios
rename them in the UI.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.settings import MANDATORY_ATTRIBUTE_KEYS, SyncSettings

from .errors import (
    FtrackPermissionDenied,
    FtrackServerError,
    LinkAttributesPermissionError,
)
from .transport import FtrackApi, Row, quote, quote_list

log = logging.getLogger(__name__)

GROUP = "ayon"
#: ftrack's ``entity_type`` of hierarchical configurations.

_LIST_TYPE_ITEMS = [
    {"menu": "Folder", "value": "folder"},
    {"menu": "Task", "value": "task"},
    {"menu": "Version", "value": "version"},
]


@dataclass(frozen=True, slots=True)
class LinkAttributeSpec:
    """How one mandatory attribute must look."""

    key: str
    label: str
    type_name: str
    entity_type: str
    is_hierarchical: bool
    default: Any
    config: Mapping[str, Any] = field(default_factory=dict)


LINK_ATTRIBUTES: tuple[LinkAttributeSpec, ...] = (
    LinkAttributeSpec("ayon_id", "AYON ID", "text", "show", True, "", {"markdown": False}),
    LinkAttributeSpec("ayon_path", "AYON path", "text", "show", True, "", {"markdown": False}),
    LinkAttributeSpec("ayon_sync_failed", "AYON sync failed", "boolean", "show", True, False),
    LinkAttributeSpec("auto_sync_enabled", "AYON auto-sync", "boolean", "show", False, False),
    LinkAttributeSpec(
        "ayon_list_type",
        "AYON list type",
        "enumerator",
        "list",
        False,
        ["folder"],
        {"multiSelect": False, "data": json.dumps(_LIST_TYPE_ITEMS)},
    ),
)
assert tuple(sorted(s.key for s in LINK_ATTRIBUTES)) == tuple(sorted(MANDATORY_ATTRIBUTE_KEYS))

PERMISSION_HINT = (
    "the ftrack API user {user!r} may not create or change the custom attributes of group "
    "'ayon' ({keys}). Give that user's security role the 'Manage settings' permission in "
    "ftrack (System settings > Security roles), or run the desktop action "
    "'Create/Update Custom Attributes' as an ftrack administrator, then sync again."
)


@dataclass(frozen=True, slots=True)
class EnsureResult:
    """Configuration id per key, and which keys this call created or changed."""

    ids: Mapping[str, str]
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()


def ensure_link_attributes(session: Any, settings: SyncSettings) -> dict[str, str]:
    """Create or fix the mandatory attributes; returns key -> configuration id."""
    return dict(ensure_link_attributes_detailed(session, settings).ids)


def ensure_link_attributes_detailed(session: Any, settings: SyncSettings) -> EnsureResult:
    """As :func:`ensure_link_attributes`, also saying what was created or changed."""
    api = FtrackApi(session)
    keys = [spec.key for spec in LINK_ATTRIBUTES]
    results = api.call(
        [
            _query(
                "select id, key, entity_type, object_type_id, is_hierarchical, project_id, "
                "default, config, type.name, group.name, read_security_roles.id, "
                "write_security_roles.id from CustomAttributeConfiguration "
                f"where key in {quote_list(keys)}"
            ),
            _query("select id, name from SecurityRole"),
            _query("select id, name from CustomAttributeType"),
            _query(f"select id, name from CustomAttributeGroup where name is {quote(GROUP)}"),
        ]
    )
    confs, roles, types, groups = (list(result.get("data") or []) for result in results)
    role_ids = {str(row["name"]).casefold(): str(row["id"]) for row in roles}
    type_ids = {str(row["name"]).casefold(): str(row["id"]) for row in types}

    operations: list[dict[str, Any]] = []
    group_id = str(groups[0]["id"]) if groups else str(uuid.uuid4())
    if not groups:
        operations.append(_create("CustomAttributeGroup", group_id, {"name": GROUP}))

    mandatory = settings.custom_attributes.mandatory_attributes
    ids: dict[str, str] = {}
    created: list[str] = []
    updated: list[str] = []
    for spec in LINK_ATTRIBUTES:
        roles_conf = mandatory.roles_for(spec.key)
        read = _role_refs(roles_conf.read_security_roles, role_ids, spec.key)
        write = _role_refs(roles_conf.write_security_roles, role_ids, spec.key)
        existing = _find(confs, spec)
        if existing is None:
            type_id = type_ids.get(spec.type_name)
            if type_id is None:
                raise FtrackServerError(
                    f"ftrack has no custom attribute type {spec.type_name!r} for {spec.key}"
                )
            conf_id = str(uuid.uuid4())
            data: dict[str, Any] = {
                "key": spec.key,
                "label": spec.label,
                "entity_type": spec.entity_type,
                "is_hierarchical": spec.is_hierarchical,
                "default": spec.default,
                "config": json.dumps(dict(spec.config)),
                "core": False,
                "sort": 0,
                "type": {"__entity_type__": "CustomAttributeType", "id": type_id},
                "group": {"__entity_type__": "CustomAttributeGroup", "id": group_id},
                "read_security_roles": read,
                "write_security_roles": write,
            }
            operations.append(_create("CustomAttributeConfiguration", conf_id, data))
            ids[spec.key] = conf_id
            created.append(spec.key)
            continue
        conf_id = str(existing["id"])
        ids[spec.key] = conf_id
        actual_type = str((existing.get("type") or {}).get("name") or "").casefold()
        if actual_type and actual_type != spec.type_name:
            raise FtrackServerError(
                f"ftrack custom attribute {spec.key!r} exists with type {actual_type!r}, "
                f"expected {spec.type_name!r}: delete or fix it in ftrack, then sync again"
            )
        changes = _changes(existing, spec, group_id, read, write)
        if changes:
            operations.append(
                {
                    "action": "update",
                    "entity_type": "CustomAttributeConfiguration",
                    "entity_key": [conf_id],
                    "entity_data": {"__entity_type__": "CustomAttributeConfiguration", **changes},
                }
            )
            updated.append(spec.key)
    if operations:
        try:
            api.call(operations)
        except FtrackPermissionDenied as exc:
            raise _permission_error(session, created + updated) from exc
        except FtrackServerError as exc:
            if "permission" in str(exc).lower():
                raise _permission_error(session, created + updated) from exc
            raise
        log.info(
            "ftrack link attributes ensured",
            extra={"attributes_created": created, "attributes_updated": updated},
        )
    return EnsureResult(ids, tuple(created), tuple(updated))


def _permission_error(session: Any, keys: Sequence[str]) -> LinkAttributesPermissionError:
    user = str(getattr(session, "api_user", "?"))
    return LinkAttributesPermissionError(
        PERMISSION_HINT.format(user=user, keys=", ".join(keys) or "none"),
        exception="PermissionError",
    )


def _query(expression: str) -> dict[str, Any]:
    return {"action": "query", "expression": expression}


def _create(entity_type: str, entity_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "action": "create",
        "entity_type": entity_type,
        "entity_key": [entity_id],
        "entity_data": {"__entity_type__": entity_type, "id": entity_id, **data},
    }


def _find(confs: Iterable[Row], spec: LinkAttributeSpec) -> Row | None:
    """The global configuration of ``spec`` (project-specific ones are not the link)."""
    for row in confs:
        if (
            row.get("key") == spec.key
            and bool(row.get("is_hierarchical")) == spec.is_hierarchical
            and (spec.is_hierarchical or row.get("entity_type") == spec.entity_type)
            and not row.get("project_id")
        ):
            return row
    return None


def _role_refs(names: Sequence[str], role_ids: Mapping[str, str], key: str) -> list[Row]:
    """Role references for names (case-insensitive); an empty list means every role."""
    if not names:
        wanted = sorted(role_ids.values())
    else:
        wanted = []
        for name in names:
            role_id = role_ids.get(name.casefold())
            if role_id is None:
                log.warning(
                    "security role of a link attribute does not exist in ftrack",
                    extra={"role": name, "attribute": key},
                )
            elif role_id not in wanted:
                wanted.append(role_id)
    return [{"__entity_type__": "SecurityRole", "id": role_id} for role_id in sorted(wanted)]


def _ids(rows: Any) -> set[str]:
    return {str(row["id"]) for row in rows or ()}


def _changes(
    existing: Row,
    spec: LinkAttributeSpec,
    group_id: str,
    read: list[Row],
    write: list[Row],
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if str((existing.get("group") or {}).get("id") or "") != group_id:
        changes["group"] = {"__entity_type__": "CustomAttributeGroup", "id": group_id}
    if existing.get("default") != spec.default:
        changes["default"] = spec.default
    if _ids(existing.get("read_security_roles")) != _ids(read):
        changes["read_security_roles"] = read
    if _ids(existing.get("write_security_roles")) != _ids(write):
        changes["write_security_roles"] = write
    return changes
