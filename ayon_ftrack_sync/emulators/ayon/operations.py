"""Batch operations (`POST /api/projects/{p}/operations[/background]`).

With `canFail: false` the first failure rolls back the whole batch via the undo log; with
`canFail: true` each failed operation is rolled back on its own and the rest stand. The
HTTP answer is 200 either way; `success` says what happened.
"""

from __future__ import annotations

from typing import Any

from . import entities
from .errors import ApiError
from .events import Actor, Tx
from .store import KINDS, Project, State


def _result(
    op: dict[str, Any],
    kind: str,
    entity_id: str | None,
    status: int,
    code: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    return {
        "id": op.get("id"),
        "type": op.get("type"),
        "entityType": kind,
        "entityId": entity_id,
        "success": code is None,
        "status": status,
        "errorCode": code,
        "detail": detail,
    }


def _apply(tx: Tx, proj: Project, op: dict[str, Any]) -> tuple[str | None, int]:
    kind = op.get("entityType")
    op_type = op.get("type")
    data = op.get("data") or {}
    entity_id = op.get("entityId")
    if kind not in KINDS:
        raise ApiError(400, f"Unsupported entity type {kind}", "invalid_data")
    if op_type == "create":
        ent = entities.create(tx, proj, str(kind), entity_id or data.get("id"), data)
        return ent["id"], 201
    if not entity_id:
        raise ApiError(400, "Invalid data provided: entityId is required", "invalid_data")
    if op_type == "update":
        entities.update(tx, proj, str(kind), entity_id, data)
        return entity_id, 204
    if op_type == "delete":
        entities.delete(tx, proj, str(kind), entity_id, force=bool(op.get("force", False)))
        return entity_id, 204
    raise ApiError(400, f"Invalid operation type {op_type}", "invalid_data")


def run_operations(
    state: State, project_name: str, body: dict[str, Any], actor: Actor
) -> dict[str, Any]:
    """Execute a batch; returns the response body."""
    proj = state.projects.get(project_name)
    if proj is None:
        raise ApiError(404, f"Project {project_name} not found")
    ops = body.get("operations") or []
    can_fail = bool(body.get("canFail", False))
    results: list[dict[str, Any]] = []
    batch = Tx(state, actor)
    failed = False
    for op in ops:
        kind = op.get("entityType")
        op_actor = actor
        if op.get("asUser"):
            op_actor = Actor(
                op["asUser"], actor.sender, actor.sender_type, actor.is_service, actor.is_admin
            )
        tx = Tx(state, op_actor)
        try:
            entity_id, status = _apply(tx, proj, op)
        except ApiError as exc:
            tx.rollback()
            failed = True
            results.append(
                _result(
                    op, str(kind), op.get("entityId"), exc.status, exc.code or "error", exc.detail
                )
            )
            if not can_fail:
                break
            continue
        batch.undo.extend(tx.undo)
        batch.events.extend(tx.events)
        results.append(_result(op, str(kind), entity_id, status))
    if failed and not can_fail:
        batch.rollback()
        # with canFail off the real server reports only up to the failing operation
        return {"operations": results, "success": False}
    batch.commit()
    return {"operations": results, "success": not failed}
