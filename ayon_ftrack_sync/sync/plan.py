"""A plan: the writes that bring one side in line with the other, plus what could not be done.

Plans are data, so `--dry-run` can print them, activities can apply them in bulk, and tests
can apply them to snapshots (`apply.py`) and check that planning again yields nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ayon_ftrack_sync.sync.model import Kind


@dataclass(frozen=True, slots=True)
class CreateEntity:
    """Create an AYON folder or task (parents are always created before children)."""

    kind: Kind
    id: str
    name: str
    label: str
    parent_id: str | None
    type_name: str
    status: str | None
    attrib: Mapping[str, Any]
    assignees: frozenset[str] = frozenset()


#: Fields an `UpdateEntity` may change.
UPDATABLE_FIELDS = frozenset(
    {"name", "label", "parent_id", "type_name", "status", "active", "attrib", "assignees"}
)


@dataclass(frozen=True, slots=True)
class UpdateEntity:
    """Change fields of an existing AYON entity. `attrib` holds only the changed keys; a None
    value unsets the entity's own value (AYON then inherits it)."""

    kind: Kind
    id: str
    changes: Mapping[str, Any]


class FtrackKey(StrEnum):
    """The link custom attributes written back to ftrack (group `ayon`)."""

    AYON_ID = "ayon_id"
    AYON_PATH = "ayon_path"
    SYNC_FAILED = "ayon_sync_failed"


@dataclass(frozen=True, slots=True)
class FtrackWrite:
    """Set one link attribute on one ftrack entity."""

    ftrack_id: str
    key: FtrackKey
    value: str | bool


class ConflictKind(StrEnum):
    DUPLICATE_NAME = "duplicate_name"
    IMMUTABLE_RENAMED = "immutable_renamed"
    IMMUTABLE_MOVED = "immutable_moved"
    KIND_MISMATCH = "kind_mismatch"
    PARENT_NOT_SYNCED = "parent_not_synced"
    TASK_UNDER_PROJECT = "task_under_project"
    INVALID_NAME = "invalid_name"
    UNKNOWN_STATUS = "unknown_status"
    DUPLICATE_FTRACK_ID = "duplicate_ftrack_id"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Something the sync refused or could only do partly, with the ftrack path a user knows."""

    kind: ConflictKind
    ftrack_id: str | None
    path: str
    detail: str
    #: the AYON entity concerned, when there is one
    ayon_id: str | None = None


@dataclass(slots=True)
class Plan:
    """Everything a sync would write, in the order it must be written."""

    creates: list[CreateEntity] = field(default_factory=list)
    updates: list[UpdateEntity] = field(default_factory=list)
    ftrack_writes: list[FtrackWrite] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """No write on either side (conflicts alone change nothing)."""
        return not (self.creates or self.updates or self.ftrack_writes)

    def summary(self) -> dict[str, int]:
        """Counts for reports and workflow results."""
        deactivated = sum(1 for u in self.updates if u.changes.get("active") is False)
        counts: Counter[str] = Counter(c.kind.value for c in self.conflicts)
        return {
            "created": len(self.creates),
            "updated": len(self.updates) - deactivated,
            "deactivated": deactivated,
            "ftrack_writes": len(self.ftrack_writes),
            "conflicts": len(self.conflicts),
            **{f"conflicts.{name}": count for name, count in sorted(counts.items())},
        }
