"""Apply a plan to snapshots, as the servers would: the reference the activities must match.

Used by tests (apply, re-plan, expect an empty plan) and by `--dry-run` to show the state a
sync would produce, without writing anything.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ayon_ftrack_sync.sync.model import AyonNode, AyonProject, FtrackNode, FtrackProject
from ayon_ftrack_sync.sync.plan import FtrackKey, Plan

_FIELD_NAMES = {"name", "label", "parent_id", "type_name", "status", "active", "assignees"}


def apply_to_ayon(ayon: AyonProject, plan: Plan) -> AyonProject:
    nodes: dict[str, AyonNode] = dict(ayon.nodes)
    for create in plan.creates:
        if create.id in nodes:
            raise ValueError(f"plan creates {create.id}, which already exists")
        nodes[create.id] = AyonNode(
            id=create.id,
            name=create.name,
            kind=create.kind,
            parent_id=create.parent_id,
            type_name=create.type_name,
            label=create.label,
            status=create.status,
            active=True,
            attrib=dict(create.attrib),
            assignees=create.assignees,
        )
    for update in plan.updates:
        node = nodes[update.id]
        fields: dict[str, Any] = {k: v for k, v in update.changes.items() if k in _FIELD_NAMES}
        if "attrib" in update.changes:
            attrib = dict(node.attrib)
            for key, value in update.changes["attrib"].items():
                if value is None:
                    attrib.pop(key, None)
                else:
                    attrib[key] = value
            fields["attrib"] = attrib
        nodes[update.id] = dataclasses.replace(node, **fields)
    return dataclasses.replace(ayon, nodes=nodes)


def apply_to_ftrack(ftrack: FtrackProject, plan: Plan) -> FtrackProject:
    nodes: dict[str, FtrackNode] = dict(ftrack.nodes)
    for write in plan.ftrack_writes:
        node = nodes[write.ftrack_id]
        if write.key is FtrackKey.AYON_ID:
            node = dataclasses.replace(node, ayon_id=str(write.value))
        elif write.key is FtrackKey.AYON_PATH:
            node = dataclasses.replace(node, ayon_path=str(write.value))
        else:
            node = dataclasses.replace(node, ayon_sync_failed=bool(write.value))
        nodes[write.ftrack_id] = node
    return dataclasses.replace(ftrack, nodes=nodes)
