"""Full-sync planning of ftrack lists as AYON entity lists (seed_features.md 3.1 step 12).

* An ``AssetVersionList`` becomes a ``version`` list; a ``TypedContextList`` becomes the type
  its ``ayon_list_type`` says (``folder`` / ``task``; the attribute's default when unset);
  lists of any other ``system_type`` are skipped.
* An AYON list is matched by ``attrib.ftrackId``, then by label (case-insensitive) among the
  lists not linked to another ftrack list; a match of another entity type is skipped and
  reported (AYON list types cannot change), never replaced.
* Unmatched ftrack lists are created (AYON id derived from the ftrack id, so a retried create
  finds its own list); matched ones get their label, ``ftrackId`` and items brought in line.
* Items: the ftrack items whose AYON counterpart exists and has the list's entity type, in
  ftrack order without duplicates; AYON items of other entities (and duplicates) are removed.
* AYON lists are never deleted: an AYON list without an ftrack counterpart is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from ayon_ftrack_sync.sync.identity import ayon_id_for

LIST_ENTITY_TYPES = frozenset({"folder", "task", "version"})
#: ftrack ``system_type`` of the two list kinds that are synced
TASK_LIST = "task"
VERSION_LIST = "assetversion"


class ListSkipReason(StrEnum):
    UNKNOWN_SYSTEM_TYPE = "unknown_system_type"
    NO_LIST_TYPE = "no_list_type"
    TYPE_MISMATCH = "type_mismatch"


@dataclass(frozen=True, slots=True)
class FtrackList:
    """One ftrack list. ``list_type`` is the resolved ``ayon_list_type`` (task lists only)."""

    id: str
    name: str
    system_type: str
    list_type: str | None = None
    #: ftrack ids of the list's entities, in list order
    items: tuple[str, ...] = ()

    @property
    def entity_type(self) -> str | None:
        """The AYON entity type this list syncs to, or None when it cannot sync."""
        if self.system_type == VERSION_LIST:
            return "version"
        if self.system_type == TASK_LIST and self.list_type in LIST_ENTITY_TYPES:
            return self.list_type
        return None


@dataclass(frozen=True, slots=True)
class AyonListItem:
    id: str
    entity_id: str


@dataclass(frozen=True, slots=True)
class AyonList:
    id: str
    label: str
    entity_type: str
    ftrack_id: str | None = None
    items: tuple[AyonListItem, ...] = ()


@dataclass(frozen=True, slots=True)
class ListsSnapshot:
    """Both sides; ``entities`` maps ftrack ids to ``(AYON id, AYON entity type)`` for every
    synced folder, task and matched version."""

    ftrack: tuple[FtrackList, ...]
    ayon: tuple[AyonList, ...]
    entities: Mapping[str, tuple[str, str]]


@dataclass(frozen=True, slots=True)
class CreateList:
    id: str
    label: str
    entity_type: str
    ftrack_id: str
    entity_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UpdateList:
    """``label`` / ``ftrack_id`` None = unchanged; ``add`` entity ids, ``remove`` item ids."""

    id: str
    label: str | None = None
    ftrack_id: str | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListSkip:
    ftrack_id: str
    name: str
    reason: ListSkipReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ListsPlan:
    creates: tuple[CreateList, ...] = ()
    updates: tuple[UpdateList, ...] = ()
    skipped: tuple[ListSkip, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.creates or self.updates)

    def summary(self) -> dict[str, int]:
        return {
            "lists.created": len(self.creates),
            "lists.renamed": sum(1 for u in self.updates if u.label is not None),
            "lists.relinked": sum(1 for u in self.updates if u.ftrack_id is not None),
            "lists.items_added": sum(len(c.entity_ids) for c in self.creates)
            + sum(len(u.add) for u in self.updates),
            "lists.items_removed": sum(len(u.remove) for u in self.updates),
            "lists.skipped": len(self.skipped),
        }


def list_type_value(value: object) -> str | None:
    """An ``ayon_list_type`` value (enumerators come as lists) as a plain name."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return None


def _match(snapshot: ListsSnapshot) -> dict[str, AyonList]:
    """ftrack list id -> AYON list: by ``ftrackId`` first, then by label."""
    ftrack_ids = {ft.id for ft in snapshot.ftrack}
    matched: dict[str, AyonList] = {}
    claimed: set[str] = set()
    for ay in sorted(snapshot.ayon, key=lambda a: a.id):
        if ay.ftrack_id in ftrack_ids and ay.ftrack_id not in matched:
            matched[ay.ftrack_id] = ay
            claimed.add(ay.id)
    free = [
        ay
        for ay in sorted(snapshot.ayon, key=lambda a: a.id)
        if ay.id not in claimed and ay.ftrack_id not in ftrack_ids
    ]
    for ft in sorted(snapshot.ftrack, key=lambda f: f.id):
        if ft.id in matched:
            continue
        for ay in free:
            if ay.id not in claimed and ay.label.lower() == ft.name.lower():
                matched[ft.id] = ay
                claimed.add(ay.id)
                break
    return matched


def _wanted_items(ft: FtrackList, entity_type: str, snapshot: ListsSnapshot) -> list[str]:
    wanted: list[str] = []
    seen: set[str] = set()
    for ftrack_id in ft.items:
        mapped = snapshot.entities.get(ftrack_id)
        if mapped is None or mapped[1] != entity_type or mapped[0] in seen:
            continue
        seen.add(mapped[0])
        wanted.append(mapped[0])
    return wanted


def plan_lists(snapshot: ListsSnapshot) -> ListsPlan:
    """Creates and updates that make AYON's lists match ftrack's."""
    matched = _match(snapshot)
    used_ids = {ay.id for ay in snapshot.ayon}
    creates: list[CreateList] = []
    updates: list[UpdateList] = []
    skipped: list[ListSkip] = []
    for ft in sorted(snapshot.ftrack, key=lambda f: (f.name.lower(), f.id)):
        entity_type = ft.entity_type
        if entity_type is None:
            reason = (
                ListSkipReason.NO_LIST_TYPE
                if ft.system_type == TASK_LIST
                else ListSkipReason.UNKNOWN_SYSTEM_TYPE
            )
            detail = ft.list_type or ft.system_type
            skipped.append(ListSkip(ft.id, ft.name, reason, detail))
            continue
        wanted = _wanted_items(ft, entity_type, snapshot)
        ay = matched.get(ft.id)
        if ay is None:
            list_id = ayon_id_for(ft.id)
            if list_id in used_ids:  # taken by a list linked elsewhere: never reuse it
                list_id = ayon_id_for(f"list:{ft.id}")
            creates.append(CreateList(list_id, ft.name, entity_type, ft.id, tuple(wanted)))
            continue
        if ay.entity_type != entity_type:
            skipped.append(
                ListSkip(
                    ft.id,
                    ft.name,
                    ListSkipReason.TYPE_MISMATCH,
                    f"AYON list is of {ay.entity_type}s, ftrack list of {entity_type}s",
                )
            )
            continue
        wanted_set = set(wanted)
        kept: set[str] = set()
        remove: list[str] = []
        for item in ay.items:
            if item.entity_id in wanted_set and item.entity_id not in kept:
                kept.add(item.entity_id)
            else:
                remove.append(item.id)
        add = tuple(entity_id for entity_id in wanted if entity_id not in kept)
        update = UpdateList(
            ay.id,
            label=ft.name if ft.name != ay.label else None,
            ftrack_id=ft.id if ay.ftrack_id != ft.id else None,
            add=add,
            remove=tuple(remove),
        )
        if update.label or update.ftrack_id or update.add or update.remove:
            updates.append(update)
    return ListsPlan(tuple(creates), tuple(updates), tuple(skipped))


def apply_lists(snapshot: ListsSnapshot, plan: ListsPlan) -> ListsSnapshot:
    """The snapshot after ``plan`` was written (new item ids are made up; for tests)."""
    by_id = {update.id: update for update in plan.updates}
    lists: list[AyonList] = []
    for ay in snapshot.ayon:
        update = by_id.get(ay.id)
        if update is None:
            lists.append(ay)
            continue
        removed = set(update.remove)
        items = tuple(item for item in ay.items if item.id not in removed)
        items += tuple(AyonListItem(f"{ay.id}:{e}", e) for e in update.add)
        lists.append(
            replace(
                ay,
                label=update.label if update.label is not None else ay.label,
                ftrack_id=update.ftrack_id if update.ftrack_id is not None else ay.ftrack_id,
                items=items,
            )
        )
    for create in plan.creates:
        lists.append(
            AyonList(
                create.id,
                create.label,
                create.entity_type,
                create.ftrack_id,
                tuple(AyonListItem(f"{create.id}:{e}", e) for e in create.entity_ids),
            )
        )
    return replace(snapshot, ayon=tuple(lists))


# -- incremental (scoped) planning -----------------------------------------------------------

#: the list types a TypedContextList can have (and the ones a revert may write back)
CONTEXT_LIST_TYPES = frozenset({"folder", "task"})


@dataclass(frozen=True, slots=True)
class DeleteList:
    """Delete the AYON list linked to an ftrack list that was removed."""

    id: str
    label: str
    ftrack_id: str


@dataclass(frozen=True, slots=True)
class ListTypeRevert:
    """Write ``list_type`` back to ``ayon_list_type`` of an ftrack TypedContextList."""

    ftrack_id: str
    list_type: str


@dataclass(frozen=True, slots=True)
class ScopedListsPlan:
    """The incremental plan: ``lists`` as the full sync plans it for the lists in scope,
    plus deletes of lists removed in ftrack and ``ayon_list_type`` reverts."""

    lists: ListsPlan = ListsPlan()
    deletes: tuple[DeleteList, ...] = ()
    reverts: tuple[ListTypeRevert, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.lists.is_empty and not (self.deletes or self.reverts)

    def summary(self) -> dict[str, int]:
        return {
            **self.lists.summary(),
            "lists.deleted": len(self.deletes),
            "lists.type_reverted": len(self.reverts),
        }


def plan_scoped_lists(snapshot: ListsSnapshot, scope: frozenset[str]) -> ScopedListsPlan:
    """Plan the lists a batch touched, and nothing else.

    ``scope`` holds the ftrack list ids of the batch; ``snapshot.ftrack`` the ones of them
    that still exist (read by id), ``snapshot.ayon`` the project's AYON lists (items are
    needed only for the ones that may match). The rules (seed_features 3.2 step 9):

    * a scope id ftrack no longer has: the AYON lists linked to it (``ftrackId``) are
      deleted when their type is one the sync makes (folder/task/version lists);
    * AYON lists linked to an ftrack list outside the scope are never matched by label (in
      a full sync that ftrack list would hold them; here it is simply not read);
    * a TypedContextList whose AYON list (linked by ``ftrackId``) is of the other context
      type gets its ``ayon_list_type`` written back to the AYON type (AYON list types are
      immutable), and is then synced as a list of that type;
    * everything else is ``plan_lists`` of the scoped lists: create, rename, relink, items.
    """
    present = tuple(ft for ft in snapshot.ftrack if ft.id in scope)
    present_ids = {ft.id for ft in present}
    removed = scope - present_ids
    deletes = tuple(
        DeleteList(ay.id, ay.label, ay.ftrack_id)
        for ay in sorted(snapshot.ayon, key=lambda a: a.id)
        if ay.ftrack_id is not None
        and ay.ftrack_id in removed
        and ay.entity_type in LIST_ENTITY_TYPES
    )
    candidates = tuple(
        ay for ay in snapshot.ayon if ay.ftrack_id is None or ay.ftrack_id in present_ids
    )
    by_ftrack_id = {
        ay.ftrack_id: ay for ay in sorted(candidates, key=lambda a: a.id) if ay.ftrack_id
    }
    corrected: list[FtrackList] = []
    reverts: list[ListTypeRevert] = []
    for ft in present:
        linked = by_ftrack_id.get(ft.id)
        if (
            ft.system_type == TASK_LIST
            and linked is not None
            and linked.entity_type in CONTEXT_LIST_TYPES
            and ft.list_type != linked.entity_type
        ):
            reverts.append(ListTypeRevert(ft.id, linked.entity_type))
            ft = replace(ft, list_type=linked.entity_type)
        corrected.append(ft)
    plan = plan_lists(ListsSnapshot(tuple(corrected), candidates, snapshot.entities))
    # plan_lists avoids the ids of the lists it saw; the ones left out count as taken too
    taken = {ay.id for ay in snapshot.ayon}
    creates = tuple(
        replace(create, id=ayon_id_for(f"list:{create.ftrack_id}"))
        if create.id in taken and create.id not in {ay.id for ay in candidates}
        else create
        for create in plan.creates
    )
    return ScopedListsPlan(
        lists=replace(plan, creates=creates),
        deletes=deletes,
        reverts=tuple(sorted(reverts, key=lambda r: r.ftrack_id)),
    )
