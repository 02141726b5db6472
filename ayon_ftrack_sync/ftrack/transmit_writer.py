"""Write a transmit plan (`sync.transmit`) to ftrack in raw batched operations.

All operations of a plan go out in one request (atomic on the server), in a safe order:
creates (parents first), field updates (renames, moves, statuses, dates), custom attribute
values (after the creates they may target), appointments, deletes. If ftrack refuses the
batch (a name clash, an entity deleted meanwhile), it is split per entity until the refused
entity's operations are isolated; those are reported, everything else is written.
Writes are made as the service's API user, which is what the echo detection relies on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.sync.echoes import LEGACY_COLUMNS, echo_key
from ayon_ftrack_sync.sync.fields import APPOINTMENT_KEY
from ayon_ftrack_sync.sync.transmit import TransmitPlan

from .errors import FtrackPermissionDenied, FtrackServerError
from .transport import FtrackApi

VALUE_TYPE = "CustomAttributeValue"


@dataclass(slots=True)
class FtrackWriteResult:
    operations: int = 0
    requests: int = 0
    #: (entity id, reason) of refused operation groups
    refused: list[tuple[str, str]] = field(default_factory=list)


def operations(plan: TransmitPlan) -> list[tuple[str, dict[str, Any]]]:
    """(entity id, raw operation) pairs in write order."""
    ops: list[tuple[str, dict[str, Any]]] = []
    for create in plan.creates:
        data: dict[str, Any] = {
            "__entity_type__": create.entity_type,
            "id": create.id,
            "name": create.name,
            "parent_id": create.parent_id,
            "object_type_id": create.object_type_id,
        }
        if create.type_id:
            data["type_id"] = create.type_id
        if create.status_id:
            data["status_id"] = create.status_id
        data.update({k: v for k, v in create.fields.items() if v is not None})
        ops.append(
            (
                create.id,
                {
                    "action": "create",
                    "entity_type": create.entity_type,
                    "entity_key": [create.id],
                    "entity_data": data,
                },
            )
        )
    for update in plan.updates:
        ops.append(
            (
                update.id,
                {
                    "action": "update",
                    "entity_type": update.entity_type,
                    "entity_key": [update.id],
                    "entity_data": {"__entity_type__": update.entity_type, **update.changes},
                },
            )
        )
    for value in plan.values:
        key = [value.conf_id, value.entity_id]
        if value.delete:
            ops.append(
                (
                    value.entity_id,
                    {"action": "delete", "entity_type": VALUE_TYPE, "entity_key": key},
                )
            )
        else:
            ops.append(
                (
                    value.entity_id,
                    {
                        "action": "update",
                        "entity_type": VALUE_TYPE,
                        "entity_key": key,
                        "entity_data": {"__entity_type__": VALUE_TYPE, "value": value.value},
                    },
                )
            )
    for appointment in plan.add_appointments:
        ops.append(
            (
                appointment.task_id,
                {
                    "action": "create",
                    "entity_type": "Appointment",
                    "entity_key": [appointment.id],
                    "entity_data": {
                        "__entity_type__": "Appointment",
                        "id": appointment.id,
                        "context_id": appointment.task_id,
                        "resource_id": appointment.user_id,
                        "type": "assignment",
                    },
                },
            )
        )
    for appointment_id in plan.remove_appointments:
        ops.append(
            (
                appointment_id,
                {"action": "delete", "entity_type": "Appointment", "entity_key": [appointment_id]},
            )
        )
    for delete in plan.deletes:
        ops.append(
            (
                delete.id,
                {"action": "delete", "entity_type": delete.entity_type, "entity_key": [delete.id]},
            )
        )
    return ops


def echo_keys(
    plan: TransmitPlan, conf_keys: Mapping[str, str], refused: Collection[str] = ()
) -> list[str]:
    """`entity id:key` of every ftrack key the plan writes to an existing entity, as the
    update events of these writes will name them (legacy columns, custom attribute keys):
    the workflow drops those events' keys as echoes (`sync.echoes`). Creations and deletes
    are not listed: their events are compared as a whole and plan nothing."""
    created = {create.id for create in plan.creates}
    keys: list[str] = []
    for update in plan.updates:
        if update.id in refused:
            continue
        for name in update.changes:
            keys.append(echo_key(update.id, LEGACY_COLUMNS.get(name, name)))
    for value in plan.values:
        key = conf_keys.get(value.conf_id)
        if key and value.entity_id not in refused and value.entity_id not in created:
            keys.append(echo_key(value.entity_id, key))
    for appointment in plan.add_appointments:
        if appointment.task_id not in refused and appointment.task_id not in created:
            keys.append(echo_key(appointment.task_id, APPOINTMENT_KEY))
    return keys


def apply(session: Any, plan: TransmitPlan) -> FtrackWriteResult:
    ops = operations(plan)
    result = FtrackWriteResult(operations=len(ops))
    if not ops:
        return result
    api = FtrackApi(session)
    _send(api, ops, result, split_by_entity=True)
    result.requests = api.requests
    return result


def _send(
    api: FtrackApi,
    ops: Sequence[tuple[str, dict[str, Any]]],
    result: FtrackWriteResult,
    *,
    split_by_entity: bool,
) -> None:
    try:
        api.call([op for _, op in ops])
        return
    except FtrackPermissionDenied:
        raise
    except FtrackServerError as exc:
        reason = str(exc)
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for entity_id, op in ops:
        groups.setdefault(entity_id, []).append((entity_id, op))
    if len(groups) <= 1:
        result.refused.append((ops[0][0], reason))
        return
    # entities in order: a create's group goes before the groups that may need it
    keys = list(groups)
    middle = len(keys) // 2
    for part in (keys[:middle], keys[middle:]):
        chunk = [op for key in part for op in groups[key]]
        _send(api, chunk, result, split_by_entity=split_by_entity)


def create_list(
    session: Any,
    *,
    list_id: str,
    name: str,
    system_type: str,
    project_id: str,
    category_id: str,
    list_type_conf: str | None,
    list_type: str | None,
    entity_ids: Sequence[str],
) -> int:
    """A new List with its objects (and `ayon_list_type`), in one request."""
    entity_type = "AssetVersionList" if system_type == "assetversion" else "TypedContextList"
    ops: list[dict[str, Any]] = [
        {
            "action": "create",
            "entity_type": entity_type,
            "entity_key": [list_id],
            "entity_data": {
                "__entity_type__": entity_type,
                "id": list_id,
                "name": name,
                "project_id": project_id,
                "category_id": category_id,
                "is_open": True,
            },
        }
    ]
    if list_type_conf and list_type:
        ops.append(_list_type_op(list_type_conf, list_id, list_type))
    ops.extend(_object_create(list_id, e) for e in entity_ids)
    api = FtrackApi(session)
    api.call(ops)
    return api.requests


def update_list(
    session: Any,
    *,
    list_id: str,
    name: str | None,
    list_type_conf: str | None,
    list_type: str | None,
    add: Sequence[str],
    remove: Sequence[str],
) -> int:
    ops: list[dict[str, Any]] = []
    if name is not None:
        ops.append(
            {
                "action": "update",
                "entity_type": "List",
                "entity_key": [list_id],
                "entity_data": {"__entity_type__": "List", "name": name},
            }
        )
    if list_type_conf and list_type:
        ops.append(_list_type_op(list_type_conf, list_id, list_type))
    ops.extend(_object_create(list_id, e) for e in add)
    ops.extend(
        {"action": "delete", "entity_type": "ListObject", "entity_key": [object_id]}
        for object_id in remove
    )
    if not ops:
        return 0
    api = FtrackApi(session)
    api.call(ops)
    return api.requests


def delete_list(session: Any, list_id: str) -> int:
    api = FtrackApi(session)
    api.call([{"action": "delete", "entity_type": "List", "entity_key": [list_id]}])
    return api.requests


def _list_type_op(conf_id: str, list_id: str, list_type: str) -> dict[str, Any]:
    return {
        "action": "update",
        "entity_type": VALUE_TYPE,
        "entity_key": [conf_id, list_id],
        "entity_data": {"__entity_type__": VALUE_TYPE, "value": [list_type]},
    }


def _object_create(list_id: str, entity_id: str) -> dict[str, Any]:
    from ayon_ftrack_sync.sync.identity import ftrack_id_for

    object_id = ftrack_id_for(f"listobject:{list_id}:{entity_id}")
    return {
        "action": "create",
        "entity_type": "ListObject",
        "entity_key": [object_id],
        "entity_data": {
            "__entity_type__": "ListObject",
            "id": object_id,
            "list_id": list_id,
            "entity_id": entity_id,
        },
    }
