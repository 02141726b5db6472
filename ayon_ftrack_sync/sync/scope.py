"""Which ftrack entities a batch of changes touches: what the incremental sync must look at.

The incremental sync does not trust the values an event carries (they are strings, partial,
possibly stale after coalescing, possibly hostile); it uses an event only to learn *which*
entities changed, then reads their current state from ftrack and diffs it against AYON. This
module turns a batch's net changes into that scope. A change it cannot use is counted by
reason, never raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.sync.events import EntityChange
from ayon_ftrack_sync.sync.fields import APPOINTMENT_KEY

#: legacy table of every TypedContext (folders and tasks alike)
CONTEXT_TABLE = "task"
PROJECT_TABLE = "show"
#: keys whose change moves or renames an entity (its descendants' paths change too)
PATH_KEYS = frozenset({"name", "parent_id", "parentid"})
#: project keys the sync never reacts to (seed_features 3.2 step 3)
IGNORED_KEYS = frozenset({"thumbid", "priorityid"})
#: the ftrack attribute that switches a project's auto-sync (handled by the leecher)
AUTO_SYNC_KEY = "auto_sync_enabled"
#: tables whose changes the ftrack -> AYON sync never uses (comments, files, time logs ...)
UNUSED_TABLES = frozenset(
    {"asset", "user", "job", "component", "timelog", "review_session", "socialfeed"}
)


@dataclass(frozen=True, slots=True)
class BatchScope:
    """What one batch touches, by kind of work.

    `contexts` are TypedContext ids to re-read and re-plan (added, updated, moved, plus tasks
    whose assignments changed); `removed` are TypedContext ids ftrack deleted; `subtrees` are
    contexts renamed or moved (their descendants' paths changed); `vacated_parents` are the
    parents a name was freed under (of removed entities, the old parent of moved ones, the
    parent of renamed ones): a sibling that lost a name clash may now get its AYON entity.
    """

    contexts: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    subtrees: frozenset[str] = frozenset()
    vacated_parents: frozenset[str] = frozenset()
    project: bool = False
    #: TypedContext ids at either end of an added or removed dependency
    links: frozenset[str] = frozenset()
    #: ftrack list ids added, changed, removed, or whose items changed
    lists: frozenset[str] = frozenset()
    #: AssetVersion ids added or updated (removals are ignored, as the original does)
    versions: frozenset[str] = frozenset()
    #: changes not used, by reason (`table:<name>`, `milestone`, `ignored_keys`, ...)
    skipped: Mapping[str, int] = field(default_factory=dict)
    #: the ftrack keys (legacy columns, custom attribute keys, `appointment`) the changes of
    #: an updated context named; contexts added or changed without keys are absent (all keys)
    keys: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: ftrack ObjectType id of the changed contexts, where the event said it
    object_types: Mapping[str, str] = field(default_factory=dict)
    #: ftrack Note ids added, or whose text changed (comments, seed_features.md E2)
    notes: frozenset[str] = frozenset()
    #: ftrack Note ids removed -> the entity they were on (to find their AYON comment)
    removed_notes: Mapping[str, str] = field(default_factory=dict)

    @property
    def touches_hierarchy(self) -> bool:
        return bool(self.contexts or self.removed or self.project)

    @property
    def is_empty(self) -> bool:
        return not (
            self.touches_hierarchy
            or self.links
            or self.lists
            or self.versions
            or self.notes
            or self.removed_notes
        )


def batch_scope(changes: Iterable[EntityChange]) -> BatchScope:
    """The scope of a batch's (coalesced) changes."""
    contexts: set[str] = set()
    removed: set[str] = set()
    subtrees: set[str] = set()
    vacated_parents: set[str] = set()
    links: set[str] = set()
    lists: set[str] = set()
    versions: set[str] = set()
    project = False
    skipped: Counter[str] = Counter()
    named_keys: dict[str, set[str]] = {}
    whole: set[str] = set()
    object_types: dict[str, str] = {}
    notes: set[str] = set()
    removed_notes: dict[str, str] = {}
    for change in changes:
        table = change.table
        if table == PROJECT_TABLE:
            keys = set(change.keys) - IGNORED_KEYS - {AUTO_SYNC_KEY}
            if change.action == "update" and keys:
                project = True
            else:
                skipped[f"project_{change.action}" if keys else "ignored_keys"] += 1
        elif table == CONTEXT_TABLE:
            if (change.api_type or "").lower() == "milestone":
                skipped["milestone"] += 1
            elif change.action == "remove":
                removed.add(change.entity_id)
                contexts.discard(change.entity_id)
                if change.parent_id:
                    vacated_parents.add(change.parent_id)
            elif change.action != "add" and change.keys and set(change.keys) <= IGNORED_KEYS:
                skipped["ignored_keys"] += 1
            else:
                contexts.add(change.entity_id)
                if change.object_type_id:
                    object_types[change.entity_id] = change.object_type_id
                if change.action == "add" or not change.keys:
                    whole.add(change.entity_id)
                else:
                    named_keys.setdefault(change.entity_id, set()).update(change.keys)
                if change.action in ("move", "update") and PATH_KEYS & set(change.keys):
                    subtrees.add(change.entity_id)
                    old_parent = change.changes.get("parent_id")
                    for parent in (change.parent_id, old_parent.old if old_parent else None):
                        if isinstance(parent, str) and parent:
                            vacated_parents.add(parent)
        elif table == "appointment":
            task_id = change.parent_id or _value(change.changes, "context_id")
            if task_id and _value(change.changes, "type") in (None, "assignment"):
                contexts.add(task_id)
                named_keys.setdefault(task_id, set()).add(APPOINTMENT_KEY)
            else:
                skipped["appointment"] += 1
        elif table == "dependency":
            if change.action == "update":
                skipped["dependency_update"] += 1
                continue
            ends = [_value(change.changes, "from_id"), _value(change.changes, "to_id")]
            ends.append(change.parent_id)
            found = {end for end in ends if isinstance(end, str) and end}
            if found:
                links.update(found)
            else:
                skipped["dependency_without_ends"] += 1
        elif table == "list":
            lists.add(change.entity_id)
        elif table == "listobject":
            list_id = change.parent_id or _value(change.changes, "list_id")
            if isinstance(list_id, str) and list_id:
                lists.add(list_id)
            else:
                skipped["list_item_without_list"] += 1
        elif table == "note":
            if change.action == "remove":
                notes.discard(change.entity_id)
                removed_notes[change.entity_id] = change.parent_id or ""
            elif change.action == "add" or "text" in change.keys:
                notes.add(change.entity_id)
            else:
                skipped["note_unchanged_text"] += 1
        elif table == "assetversion":
            if change.action == "remove":
                skipped["version_remove"] += 1
            else:
                versions.add(change.entity_id)
        else:
            skipped[f"table:{table}" if table not in UNUSED_TABLES else "unused_table"] += 1
    contexts -= removed
    return BatchScope(
        contexts=frozenset(contexts),
        removed=frozenset(removed),
        subtrees=frozenset(subtrees - removed),
        vacated_parents=frozenset(vacated_parents - removed),
        project=project,
        links=frozenset(links),
        lists=frozenset(lists),
        versions=frozenset(versions),
        skipped=dict(skipped),
        keys={
            fid: frozenset(named) for fid, named in named_keys.items() if fid in contexts - whole
        },
        object_types=object_types,
        notes=frozenset(notes),
        removed_notes=removed_notes,
    )


def _value(changes: Mapping[str, Any], key: str) -> Any:
    """New value of a key, else its old value (removals only carry old values)."""
    entry = changes.get(key)
    if entry is None:
        return None
    new = getattr(entry, "new", None)
    return new if new is not None else getattr(entry, "old", None)
