"""Project anatomy from the ftrack project schema: folder types, task types, statuses.

Rules of the original full sync (seed_features.md 3.0) with one fix: a type that ftrack no
longer has is dropped only when no AYON entity still uses it (dropping a used type would make
AYON reject every later write to those entities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.sync.model import Kind
from ayon_ftrack_sync.sync.names import is_valid_type_name, task_type_short_name

#: ftrack status state name -> AYON status state.
STATE_BY_FTRACK = {
    "blocked": "blocked",
    "not started": "not_started",
    "in progress": "in_progress",
    "done": "done",
}
#: Scopes every synced status also gets, as the original does.
ALWAYS_SCOPES = ("representation", "workfile")
#: ftrack object types that never become folder types.
NOT_FOLDER_TYPES = frozenset({"task", "milestone"})


@dataclass(frozen=True, slots=True)
class FtrackStatus:
    """A status of the project schema and where ftrack uses it."""

    name: str
    state: str
    color: str
    sort: int
    scopes: frozenset[str]


@dataclass(slots=True)
class AnatomyPlan:
    """New anatomy lists (None = unchanged) and the ftrack names AYON cannot take."""

    folder_types: list[dict[str, Any]] | None = None
    task_types: list[dict[str, Any]] | None = None
    statuses: list[dict[str, Any]] | None = None
    rejected: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.folder_types is None and self.task_types is None and self.statuses is None


def plan_anatomy(
    *,
    object_types: Sequence[str],
    task_types: Sequence[str],
    statuses: Sequence[FtrackStatus],
    ayon_folder_types: Sequence[Mapping[str, Any]],
    ayon_task_types: Sequence[Mapping[str, Any]],
    ayon_statuses: Sequence[Mapping[str, Any]],
    used_folder_types: Iterable[str] = (),
    used_task_types: Iterable[str] = (),
) -> AnatomyPlan:
    plan = AnatomyPlan()
    wanted_folders = [n for n in object_types if n.lower() not in NOT_FOLDER_TYPES]
    folders = _replace_types(
        wanted_folders, ayon_folder_types, set(used_folder_types), plan, new_folder_type
    )
    tasks = _replace_types(task_types, ayon_task_types, set(used_task_types), plan, new_task_type)
    new_statuses = _upsert_statuses(statuses, ayon_statuses, plan)
    plan.folder_types = None if _same(folders, ayon_folder_types) else folders
    plan.task_types = None if _same(tasks, ayon_task_types) else tasks
    plan.statuses = None if _same(new_statuses, ayon_statuses) else new_statuses
    return plan


def new_folder_type(name: str) -> dict[str, Any]:
    return {"name": name, "shortName": "", "icon": "folder"}


def new_task_type(name: str) -> dict[str, Any]:
    return {"name": name, "shortName": task_type_short_name(name), "icon": "task_alt"}


def _replace_types(
    wanted: Sequence[str],
    existing: Sequence[Mapping[str, Any]],
    used: set[str],
    plan: AnatomyPlan,
    make: Any,
) -> list[dict[str, Any]]:
    by_key = {str(item["name"]).lower(): item for item in existing}
    result: list[dict[str, Any]] = []
    taken: set[str] = set()
    for name in wanted:
        key = name.lower()
        if key in taken:
            continue
        if not is_valid_type_name(name):
            plan.rejected.append(name)
            continue
        taken.add(key)
        current = by_key.get(key)
        result.append({**current, "name": name} if current else make(name))
    for item in existing:  # keep AYON-only types that entities still use
        name = str(item["name"])
        if name.lower() not in taken and name in used:
            taken.add(name.lower())
            result.append(dict(item))
    return result


def _upsert_statuses(
    statuses: Sequence[FtrackStatus],
    existing: Sequence[Mapping[str, Any]],
    plan: AnatomyPlan,
) -> list[dict[str, Any]]:
    by_key = {str(item["name"]).lower(): item for item in existing}
    result: list[dict[str, Any]] = []
    taken: set[str] = set()
    for status in sorted(statuses, key=lambda s: (s.sort, s.name.lower())):
        key = status.name.lower()
        if key in taken:
            continue
        if not is_valid_type_name(status.name):
            plan.rejected.append(status.name)
            continue
        taken.add(key)
        current = dict(by_key.get(key, {}))
        scopes = set(current.get("scope") or ()) | set(status.scopes) | set(ALWAYS_SCOPES)
        current.update(
            name=current.get("name", status.name),
            shortName=current.get("shortName", ""),
            state=STATE_BY_FTRACK.get(status.state.lower(), current.get("state", "in_progress")),
            color=status.color or current.get("color", "#cacaca"),
            icon=current.get("icon", ""),
            scope=sorted(scopes),
        )
        result.append(current)
    result.extend(dict(item) for item in existing if str(item["name"]).lower() not in taken)
    return result


def _same(new: Sequence[Mapping[str, Any]], old: Sequence[Mapping[str, Any]]) -> bool:
    return [dict(item) for item in new] == [dict(item) for item in old]


def status_scopes(statuses: Sequence[Mapping[str, Any]]) -> dict[str, frozenset[Kind]]:
    """AYON statuses usable per entity kind (the `AyonProject.statuses` of a snapshot)."""
    result: dict[str, frozenset[Kind]] = {}
    for item in statuses:
        scope = set(item.get("scope") or [])
        kinds = {kind for kind in Kind if kind.value in scope}
        result[str(item["name"])] = frozenset(kinds)
    return result
