"""Snapshots of one project on each side: the input of every planning function.

Plain frozen dataclasses (not pydantic): a 12,000-entity project is built and compared many
times per sync, and these never travel through Temporal history (activities return
summaries). Gateways build them from server reads; tests build them directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """AYON keeps folders and tasks in separate tables; ftrack has Task vs other contexts."""

    FOLDER = "folder"
    TASK = "task"


@dataclass(frozen=True, slots=True)
class FtrackNode:
    """One ftrack TypedContext below the project (Milestones are filtered out by gateways).

    `attributes` holds the AYON attribute values this entity sets explicitly in ftrack,
    already converted and keyed by AYON attribute name; `mapped` names every AYON attribute
    that has an ftrack source for this entity's type, set or not (an unset one means "inherit"
    in AYON). `ayon_id`, `ayon_path`, `ayon_sync_failed` are the explicitly stored values of
    the link attributes (None when not set on this entity itself: they are hierarchical and an
    inherited value means nothing).
    """

    id: str
    name: str
    parent_id: str
    kind: Kind
    type_name: str
    status: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    mapped: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()
    ayon_id: str | None = None
    ayon_path: str | None = None
    ayon_sync_failed: bool | None = None


@dataclass(frozen=True, slots=True)
class FtrackProject:
    """The ftrack side: project id and every node by id."""

    id: str
    name: str
    nodes: Mapping[str, FtrackNode]

    def children(self) -> dict[str, list[FtrackNode]]:
        """Children by parent id, in a stable order (by name, then id)."""
        tree: dict[str, list[FtrackNode]] = {}
        for node in self.nodes.values():
            tree.setdefault(node.parent_id, []).append(node)
        for siblings in tree.values():
            siblings.sort(key=lambda n: (n.name.lower(), n.id))
        return tree

    def walk(self) -> Iterator[FtrackNode]:
        """Every node reachable from the project, parents before children (breadth first)."""
        tree = self.children()
        queue = list(tree.get(self.id, []))
        index = 0
        while index < len(queue):
            node = queue[index]
            index += 1
            queue.extend(tree.get(node.id, []))
        yield from queue


@dataclass(frozen=True, slots=True)
class AyonNode:
    """One AYON folder or task. `parent_id` is None for root folders; a task's is its folder.

    `attrib` is the entity's own attributes (not inherited ones). `has_products` marks folders
    with published products: those and their ancestors must never be renamed, moved or removed.
    """

    id: str
    name: str
    kind: Kind
    parent_id: str | None
    type_name: str
    label: str | None = None
    status: str | None = None
    active: bool = True
    attrib: Mapping[str, Any] = field(default_factory=dict)
    assignees: frozenset[str] = frozenset()
    has_products: bool = False

    @property
    def ftrack_id(self) -> str | None:
        value = self.attrib.get("ftrackId")
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class AyonProject:
    """The AYON side: every folder and task by id, plus the statuses valid per kind."""

    name: str
    nodes: Mapping[str, AyonNode]
    statuses: Mapping[str, frozenset[Kind]] = field(default_factory=dict)

    def children(self) -> dict[str | None, list[AyonNode]]:
        tree: dict[str | None, list[AyonNode]] = {}
        for node in self.nodes.values():
            tree.setdefault(node.parent_id, []).append(node)
        for siblings in tree.values():
            siblings.sort(key=lambda n: (n.name.lower(), n.id))
        return tree

    def path(self, node_id: str) -> str:
        """`/seq/sh010` style path (folders only contribute; a task appends its name)."""
        parts: list[str] = []
        current: str | None = node_id
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            node = self.nodes.get(current)
            if node is None:
                break
            parts.append(node.name)
            current = node.parent_id
        return "/" + "/".join(reversed(parts))

    def immutable_ids(self) -> frozenset[str]:
        """Folders with published products, and all their ancestors."""
        frozen: set[str] = set()
        for node in self.nodes.values():
            if node.kind is Kind.FOLDER and node.has_products:
                current: str | None = node.id
                while current is not None and current not in frozen:
                    frozen.add(current)
                    parent = self.nodes.get(current)
                    current = parent.parent_id if parent else None
        return frozenset(frozen)
