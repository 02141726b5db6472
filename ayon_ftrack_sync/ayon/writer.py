"""Write a plan to AYON with bulk operations (hundreds of changes per request).

Order matters because AYON checks names and parents as each operation runs:

1. deactivations (they free names that creates or renames need),
2. renames and moves whose target parent already exists,
3. creates, parents first,
4. everything else (moves into new parents, attributes, statuses, assignees).

Each chunk is one transaction (`canFail: false`): it applies whole or not at all, so a retry
after a failure re-plans from a fresh read and never half-applies a chunk.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ayon_api

from ayon_ftrack_sync.sync.model import Kind
from ayon_ftrack_sync.sync.plan import CreateEntity, Plan

DEFAULT_CHUNK = 500


class OperationsFailed(RuntimeError):
    """AYON refused a chunk; the message lists each refused operation (first ones)."""

    def __init__(self, message: str, failures: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.failures = failures


@dataclass(slots=True)
class ApplyResult:
    operations: int = 0
    requests: int = 0
    chunks_done: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)


def operations_for(plan: Plan) -> list[dict[str, Any]]:
    """The AYON operations of a plan, in a safe order."""
    created = {c.id for c in plan.creates}
    first: list[dict[str, Any]] = []
    renames: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    for update in plan.updates:
        changes = dict(update.changes)
        if changes.get("active") is False:
            first.append(_update_op(update.kind, update.id, changes))
            continue
        placement: dict[str, Any] = {
            k: changes.pop(k) for k in ("name", "parent_id") if k in changes
        }
        parent = placement.get("parent_id")
        if placement and (parent is None or parent not in created):
            renames.append(_update_op(update.kind, update.id, placement))
        elif placement:
            changes.update(placement)
        if changes:
            late.append(_update_op(update.kind, update.id, changes))
    creates = [_create_op(c) for c in plan.creates]
    return first + renames + creates + late


def apply_plan(
    api: ayon_api.ServerAPI,
    project_name: str,
    plan: Plan,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ApplyResult:
    """Send the plan in chunks; `on_chunk(done, total)` lets an activity heartbeat."""
    operations = operations_for(plan)
    chunks = [operations[i : i + chunk_size] for i in range(0, len(operations), chunk_size)]
    result = ApplyResult(operations=len(operations))
    for index, chunk in enumerate(chunks):
        response = api.send_batch_operations(
            project_name, chunk, can_fail=False, raise_on_fail=False
        )
        result.requests += 1
        failures = [op for op in response if not op.get("success", False)]
        if failures:
            raise OperationsFailed(_describe(failures, chunk), failures)
        result.chunks_done = index + 1
        if on_chunk is not None:
            on_chunk(index + 1, len(chunks))
    return result


def _describe(failures: Sequence[dict[str, Any]], chunk: Sequence[dict[str, Any]]) -> str:
    by_id = {op["id"]: op for op in chunk}
    lines = []
    for failure in failures[:5]:
        op = {**by_id.get(failure.get("id"), {}), **failure}
        lines.append(
            f"{op.get('type')} {op.get('entityType')} {op.get('entityId')}: {op.get('status')} "
            f"{op.get('errorCode') or ''} {op.get('detail') or ''}".strip()
        )
    more = f" (+{len(failures) - 5} more)" if len(failures) > 5 else ""
    return f"AYON refused {len(failures)} operation(s): " + "; ".join(lines) + more


def _op_id() -> str:
    return uuid.uuid4().hex


def _create_op(create: CreateEntity) -> dict[str, Any]:
    data: dict[str, Any] = {"id": create.id, "name": create.name, "label": create.label}
    if create.kind is Kind.FOLDER:
        data["folderType"] = create.type_name
        data["parentId"] = create.parent_id
    else:
        data["taskType"] = create.type_name
        data["folderId"] = create.parent_id
        data["assignees"] = sorted(create.assignees)
    if create.status:
        data["status"] = create.status
    if create.attrib:
        data["attrib"] = dict(create.attrib)
    return {
        "id": _op_id(),
        "type": "create",
        "entityType": create.kind.value,
        "entityId": create.id,
        "data": data,
    }


def _update_op(kind: Kind, entity_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "parent_id":
            data["parentId" if kind is Kind.FOLDER else "folderId"] = value
        elif key == "type_name":
            data["folderType" if kind is Kind.FOLDER else "taskType"] = value
        elif key == "assignees":
            data["assignees"] = sorted(value)
        elif key == "attrib":
            data["attrib"] = dict(value)
        else:
            data[key] = value
    return {
        "id": _op_id(),
        "type": "update",
        "entityType": kind.value,
        "entityId": entity_id,
        "data": data,
    }
