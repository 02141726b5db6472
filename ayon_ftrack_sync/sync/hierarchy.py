"""Full-sync planning of the folder/task hierarchy, ftrack -> AYON.

The rules of the original integration (seed_features.md 3.1, 3.4), with these changes:

* Matching is by `ftrackId` first (so renames and moves keep the AYON entity), then by slug
  name case-insensitively among the mapped parent's children of the same kind.
* A same-named AYON entity of the other kind is deactivated (and unlinked) instead of deleted:
  the rule "replace it" holds, nothing published is lost, and the change can be undone.
* AYON entities that exist only in AYON are kept unless `deactivate_ayon_only` is set; those
  linked to an ftrack entity that no longer exists are deactivated.
* Folders with published content (and their ancestors) are never renamed, moved or
  deactivated; a conflicting ftrack change is reported and flagged with `ayon_sync_failed`.
* New AYON ids come from the ftrack entity's stored `ayon_id` when it is free, else are
  derived from the ftrack id, so re-planning after a partial apply finds the same entities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.sync.fields import (
    ASSIGNEES,
    PLACEMENT,
    STATUS,
    TYPE,
    allows,
    attrib_field,
)
from ayon_ftrack_sync.sync.identity import REMOVED, ayon_id_for, is_ayon_id, is_linked_ftrack_id
from ayon_ftrack_sync.sync.model import AyonNode, AyonProject, FtrackNode, FtrackProject, Kind
from ayon_ftrack_sync.sync.names import clean_label, name_key, slugify
from ayon_ftrack_sync.sync.plan import (
    Conflict,
    ConflictKind,
    CreateEntity,
    FtrackKey,
    FtrackWrite,
    Plan,
    UpdateEntity,
)


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Choices a studio makes in settings."""

    #: Deactivate AYON folders/tasks that were never linked to ftrack (original: always).
    deactivate_ayon_only: bool = False
    #: AYON users that have an ftrack counterpart; other assignees on AYON tasks are kept.
    linked_ayon_users: frozenset[str] = frozenset()
    #: Incremental sync: plan and write only these ftrack ids; the rest of the (partial)
    #: snapshots is context that stays as it is. None plans the whole project (full sync).
    scope: frozenset[str] | None = None
    #: ftrack ids that exist although the partial ftrack snapshot does not hold them
    alive: frozenset[str] = frozenset()
    #: Incremental sync: the AYON fields (`sync.fields` tokens) an ftrack change named, by
    #: ftrack id; an entity already linked to its AYON entity gets only these written. Absent
    #: ids (created, adopted, or changed without keys) are compared whole.
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(slots=True)
class _Desired:
    """Target state of one AYON entity linked to an ftrack entity."""

    ftrack: FtrackNode
    ayon_id: str
    parent_id: str | None
    existing: AyonNode | None
    immutable: bool = False
    #: keep name, label and parent as they are (immutable, or lost a name clash)
    hold: bool = False
    #: keep an inactive entity inactive (reactivating it would clash with a sibling)
    keep_inactive: bool = False


@dataclass
class _Planner:
    ftrack: FtrackProject
    ayon: AyonProject
    options: PlanOptions
    plan: Plan = field(default_factory=Plan)
    matches: dict[str, str] = field(default_factory=dict)  # ftrack id -> AYON id
    used: set[str] = field(default_factory=set)  # AYON ids claimed
    failed: set[str] = field(default_factory=set)  # ftrack ids flagged ayon_sync_failed
    desired: dict[str, _Desired] = field(default_factory=dict)  # by ftrack id, BFS order
    extra_updates: dict[str, dict[str, Any]] = field(default_factory=dict)  # AYON id -> changes
    allocated: set[str] = field(default_factory=set)
    dropped_ayon: set[str] = field(default_factory=set)  # planned creates refused

    def __post_init__(self) -> None:
        self.immutable = self.ayon.immutable_ids()
        self.ayon_children = self.ayon.children()
        self.ftrack_children = self.ftrack.children()
        # parents before children, computed once (walking sorts every sibling list)
        self.ftrack_order = _walk(self.ftrack.id, self.ftrack_children)
        self.by_ftrack_id: dict[str, list[AyonNode]] = {}
        for node in self.ayon.nodes.values():
            if node.ftrack_id and is_linked_ftrack_id(node.ftrack_id):
                self.by_ftrack_id.setdefault(node.ftrack_id, []).append(node)
        self.ftrack_paths = _ftrack_paths(self.ftrack_order)
        self.statuses_by_key: dict[tuple[str, Kind], str] = {}
        for name, scope in self.ayon.statuses.items():
            for kind in scope:
                self.statuses_by_key.setdefault((name.lower(), kind), name)

    # -- helpers -----------------------------------------------------------------------

    def conflict(self, kind: ConflictKind, node: FtrackNode | None, detail: str) -> None:
        path = self.ftrack_paths.get(node.id, node.name) if node else ""
        self.plan.conflicts.append(Conflict(kind, node.id if node else None, path, detail))
        if node is not None:
            self.failed.add(node.id)

    def change(self, ayon_id: str, **changes: Any) -> None:
        self.extra_updates.setdefault(ayon_id, {}).update(changes)

    def ayon_parent_of(self, node: FtrackNode) -> tuple[bool, str | None]:
        """(known, AYON parent id) for an ftrack node's parent."""
        if node.parent_id == self.ftrack.id:
            return True, None
        parent = self.matches.get(node.parent_id)
        return (parent is not None), parent

    def live_owner(self, ayon: AyonNode) -> str | None:
        """The existing ftrack entity an AYON entity is linked to, if any."""
        fid = ayon.ftrack_id
        if fid and (fid in self.ftrack.nodes or fid in self.options.alive):
            return fid
        return None

    def in_scope(self, ftrack_id: str) -> bool:
        return self.options.scope is None or ftrack_id in self.options.scope

    # -- phases --------------------------------------------------------------------------

    def match_immutable(self) -> None:
        reverse: dict[str, str] = {}
        for node in _ayon_walk(self.ayon, self.ayon_children):
            if node.id not in self.immutable:
                continue
            self.used.add(node.id)
            owner = self.live_owner(node)
            if owner is not None and owner not in self.ftrack.nodes:
                continue  # linked to an entity outside a partial snapshot: context only
            if owner is not None and owner not in self.matches:
                self.link(owner, node, immutable=True)
                reverse[node.id] = owner
                continue
            relinked = self.relink_candidate(node, reverse)
            if relinked is not None:
                self.link(relinked.id, node, immutable=True)
                reverse[node.id] = relinked.id
            elif node.ftrack_id != REMOVED:
                self.change(node.id, attrib={"ftrackId": REMOVED})

    def relink_candidate(self, node: AyonNode, reverse: Mapping[str, str]) -> FtrackNode | None:
        """An unclaimed ftrack sibling with the same slug and kind, under the AYON parent's
        ftrack counterpart."""
        parent_fid = self.ftrack.id if node.parent_id is None else reverse.get(node.parent_id)
        if parent_fid is None:
            return None
        for candidate in self.ftrack_children.get(parent_fid, []):
            if (
                candidate.kind is node.kind
                and candidate.id not in self.matches
                and not self.by_ftrack_id.get(candidate.id)  # unreserved: nothing links it
                and name_key(slugify(candidate.name)) == name_key(node.name)
            ):
                return candidate
        return None

    def link(self, ftrack_id: str, node: AyonNode, *, immutable: bool) -> None:
        fnode = self.ftrack.nodes[ftrack_id]
        self.matches[ftrack_id] = node.id
        self.used.add(node.id)
        self.desired[ftrack_id] = _Desired(
            fnode, node.id, node.parent_id, node, immutable=immutable, hold=immutable
        )

    def match_tree(self) -> None:
        for fnode in self.ftrack_order:
            if fnode.id in self.matches:
                if self.in_scope(fnode.id):
                    self.check_immutable(fnode)
                continue
            if not self.in_scope(fnode.id):
                self.hold_context(fnode)
                continue
            known, parent_id = self.ayon_parent_of(fnode)
            if not known:
                self.conflict(ConflictKind.PARENT_NOT_SYNCED, fnode, "its parent is not synced")
                continue
            if parent_id is not None and self.parent_kind(parent_id) is Kind.TASK:
                self.conflict(ConflictKind.PARENT_NOT_SYNCED, fnode, "its parent is a task")
                continue
            if fnode.kind is Kind.TASK and parent_id is None:
                self.conflict(
                    ConflictKind.TASK_UNDER_PROJECT, fnode, "AYON tasks need a parent folder"
                )
                continue
            slug = slugify(fnode.name)
            if not slug:
                self.conflict(ConflictKind.INVALID_NAME, fnode, "name has no usable characters")
                continue
            existing = self.find_by_ftrack_id(fnode) or self.find_by_name(fnode, parent_id, slug)
            if existing is not None:
                self.matches[fnode.id] = existing.id
                self.used.add(existing.id)
                self.desired[fnode.id] = _Desired(fnode, existing.id, parent_id, existing)
                continue
            new_id = self.allocate_id(fnode)
            self.matches[fnode.id] = new_id
            self.desired[fnode.id] = _Desired(fnode, new_id, parent_id, None)

    def hold_context(self, fnode: FtrackNode) -> None:
        """Out of scope: match by `ftrackId` only, so children find their parent; never
        create, move or rename it."""
        existing = self.find_by_ftrack_id(fnode)
        if existing is None:
            return
        self.matches[fnode.id] = existing.id
        self.used.add(existing.id)
        self.desired[fnode.id] = _Desired(
            fnode, existing.id, existing.parent_id, existing, hold=True, keep_inactive=True
        )

    def parent_kind(self, ayon_id: str) -> Kind:
        node = self.ayon.nodes.get(ayon_id)
        return node.kind if node else Kind.FOLDER  # new entities under a parent are folders

    def check_immutable(self, fnode: FtrackNode) -> None:
        desired = self.desired.get(fnode.id)
        if desired is None or not desired.immutable or desired.existing is None:
            return
        node = desired.existing
        if name_key(slugify(fnode.name)) != name_key(node.name):
            self.conflict(
                ConflictKind.IMMUTABLE_RENAMED,
                fnode,
                f"AYON {self.ayon.path(node.id)} has published content and keeps its name",
            )
        else:
            known, parent_id = self.ayon_parent_of(fnode)
            if not known or parent_id != node.parent_id:
                self.conflict(
                    ConflictKind.IMMUTABLE_MOVED,
                    fnode,
                    f"AYON {self.ayon.path(node.id)} has published content and stays in place",
                )

    def find_by_ftrack_id(self, fnode: FtrackNode) -> AyonNode | None:
        candidates = [
            n
            for n in self.by_ftrack_id.get(fnode.id, [])
            if n.id not in self.used and n.kind is fnode.kind
        ]
        if not candidates:
            return None
        candidates.sort(key=lambda n: (not n.active, n.id))
        if len(candidates) > 1 and candidates[1].active:
            self.plan.conflicts.append(
                Conflict(
                    ConflictKind.DUPLICATE_FTRACK_ID,
                    fnode.id,
                    self.ftrack_paths.get(fnode.id, fnode.name),
                    f"{len(candidates)} AYON entities carry this ftrackId; using "
                    f"{self.ayon.path(candidates[0].id)}",
                )
            )
        return candidates[0]

    def find_by_name(self, fnode: FtrackNode, parent_id: str | None, slug: str) -> AyonNode | None:
        key = name_key(slug)
        same_kind: list[AyonNode] = []
        for node in self.ayon_children.get(parent_id, []):
            if node.id in self.used or name_key(node.name) != key:
                continue
            owner = self.live_owner(node)
            if owner is not None and owner != fnode.id:
                continue  # belongs to another ftrack entity (which claims it by ftrackId)
            if node.kind is fnode.kind:
                same_kind.append(node)
            elif node.active and node.id not in self.immutable:
                self.change(node.id, active=False, attrib={"ftrackId": None})
                self.used.add(node.id)
                self.plan.conflicts.append(
                    Conflict(
                        ConflictKind.KIND_MISMATCH,
                        fnode.id,
                        self.ftrack_paths.get(fnode.id, fnode.name),
                        f"AYON {node.kind.value} {self.ayon.path(node.id)} deactivated and "
                        f"replaced by a {fnode.kind.value}",
                        ayon_id=node.id,
                    )
                )
        if not same_kind:
            return None
        same_kind.sort(key=lambda n: (not n.active, n.id))
        if not same_kind[0].active and self.has_active_rival(fnode, parent_id, key):
            return None  # it would lose the name anyway: leave the inactive entity alone
        return same_kind[0]

    def has_active_rival(self, fnode: FtrackNode, parent_id: str | None, key: str) -> bool:
        """An active AYON sibling of the same kind and name that belongs to someone else."""
        return any(
            node.active and node.kind is fnode.kind and name_key(node.name) == key
            for node in self.ayon_children.get(parent_id, [])
            if node.id in self.used or self.live_owner(node) not in (None, fnode.id)
        )

    def allocate_id(self, fnode: FtrackNode) -> str:
        stored = fnode.ayon_id
        if (
            stored
            and is_ayon_id(stored)
            and stored not in self.ayon.nodes
            and stored not in self.allocated
        ):
            new_id = stored
        else:
            new_id = ayon_id_for(fnode.id)
            salt = 0
            while new_id in self.ayon.nodes or new_id in self.allocated:
                salt += 1
                new_id = ayon_id_for(f"{fnode.id}#{salt}")
        self.allocated.add(new_id)
        return new_id

    def retire_unmatched(self) -> None:
        for node in self.ayon.nodes.values():
            if node.id in self.used or not node.active:
                continue
            fid = node.ftrack_id
            if fid and is_linked_ftrack_id(fid):
                if fid not in self.ftrack.nodes and fid not in self.options.alive:
                    self.change(node.id, active=False)
            elif self.options.deactivate_ayon_only and self.options.scope is None:
                self.change(node.id, active=False)

    # -- target state --------------------------------------------------------------------

    def resolve_names(self) -> None:
        """Drop renames/moves/creates that would collide with another active sibling.

        Repeats until stable: holding an entity in place can make it collide with a create
        that won in an earlier round."""
        while self._resolve_once():
            pass

    def _resolve_once(self) -> bool:
        final: dict[tuple[Kind, str | None, str], list[tuple[int, str]]] = {}
        order = {fid: i for i, fid in enumerate(self.desired)}
        owned = {desired.ayon_id for desired in self.desired.values()}
        for node in self.ayon.nodes.values():
            if node.id in owned:
                continue  # placed below from its desired state
            active = self.extra_updates.get(node.id, {}).get("active", node.active)
            if active:
                key = (node.kind, node.parent_id, name_key(node.name))
                final.setdefault(key, []).append((-1, node.id))  # untouched: always wins
        for fid, desired in self.desired.items():
            if desired.hold and desired.existing is not None:
                node = desired.existing
                if node.active or not desired.keep_inactive:
                    key = (node.kind, node.parent_id, name_key(node.name))
                    final.setdefault(key, []).append((-1 if node.active else order[fid], node.id))
                continue
            untouched = (
                desired.existing is not None
                and desired.existing.active
                and desired.existing.name == slugify(desired.ftrack.name)
                and desired.existing.parent_id == desired.parent_id
            )
            rank = -1 if untouched else order[fid]
            key = (desired.ftrack.kind, desired.parent_id, name_key(slugify(desired.ftrack.name)))
            final.setdefault(key, []).append((rank, desired.ayon_id))
        losers: set[str] = set()
        for entries in final.values():
            if len(entries) > 1:
                entries.sort()
                losers.update(ayon_id for _, ayon_id in entries[1:])
        changed = False
        for fid, desired in list(self.desired.items()):
            parent_gone = desired.parent_id is not None and desired.parent_id in self.dropped_ayon
            if desired.ayon_id in losers or parent_gone:
                reason = (
                    ConflictKind.PARENT_NOT_SYNCED if parent_gone else ConflictKind.DUPLICATE_NAME
                )
                detail = (
                    "its parent is not synced"
                    if parent_gone
                    else "another entity with the same name (case-insensitive) exists "
                    "under the same parent"
                )
                self.conflict(reason, desired.ftrack, detail)
                changed = True
                if desired.existing is None:
                    self.dropped_ayon.add(desired.ayon_id)
                    del self.desired[fid]
                    self.matches.pop(fid, None)
                else:
                    desired.parent_id = desired.existing.parent_id
                    desired.hold = True  # keep name and place; other fields still sync
                    desired.keep_inactive = True
        return changed

    def emit(self) -> None:
        for desired in self.desired.values():
            fnode, node = desired.ftrack, desired.existing
            if not self.in_scope(fnode.id):
                continue
            attrib = self.desired_attrib(fnode)
            status = self.status_for(fnode)
            if node is None:
                self.plan.creates.append(
                    CreateEntity(
                        kind=fnode.kind,
                        id=desired.ayon_id,
                        name=slugify(fnode.name),
                        label=clean_label(fnode.name),
                        parent_id=desired.parent_id,
                        type_name=fnode.type_name,
                        status=status,
                        attrib={k: v for k, v in attrib.items() if v is not None},
                        assignees=self.desired_assignees(fnode, None),
                    )
                )
                continue
            changes: dict[str, Any] = dict(self.extra_updates.pop(node.id, {}))
            named = self.named_fields(fnode, node)
            if not desired.hold and allows(named, PLACEMENT):
                if node.name != slugify(fnode.name):
                    changes["name"] = slugify(fnode.name)
                if node.parent_id != desired.parent_id:
                    changes["parent_id"] = desired.parent_id
                if (node.label or node.name) != clean_label(fnode.name):
                    changes["label"] = clean_label(fnode.name)
            if not node.active and not desired.keep_inactive and allows(named, PLACEMENT):
                changes["active"] = True
            if node.type_name != fnode.type_name and allows(named, TYPE):
                changes["type_name"] = fnode.type_name
            if status is not None and status != node.status and allows(named, STATUS):
                changes["status"] = status
            attrib_changes = self.attrib_changes(fnode, node, attrib, named)
            if attrib_changes:
                changes["attrib"] = {**changes.get("attrib", {}), **attrib_changes}
            assignees = self.desired_assignees(fnode, node)
            if fnode.kind is Kind.TASK and assignees != node.assignees and allows(named, ASSIGNEES):
                changes["assignees"] = assignees
            if changes:
                self.plan.updates.append(UpdateEntity(node.kind, node.id, changes))
        for ayon_id, changes in self.extra_updates.items():
            node = self.ayon.nodes[ayon_id]
            effective = _effective_changes(node, changes)
            if effective:
                self.plan.updates.append(UpdateEntity(node.kind, node.id, effective))

    def named_fields(self, fnode: FtrackNode, node: AyonNode) -> frozenset[str] | None:
        """The fields an incremental change named, for an entity already linked to this AYON
        entity; None (every field) otherwise."""
        named = self.options.fields.get(fnode.id)
        if named is None or node.attrib.get("ftrackId") != fnode.id:
            return None
        return named

    def attrib_changes(
        self,
        fnode: FtrackNode,
        node: AyonNode,
        attrib: Mapping[str, Any],
        named: frozenset[str] | None,
    ) -> dict[str, Any]:
        """Attribute writes for an existing entity.

        AYON stores every effective (inherited) value as own after an update that writes
        attributes, so a write carries the whole mapped vector: unset (None) where ftrack
        leaves a mapped attribute unset, or the next sync would find the copies and remove
        them then. A key-scoped write (`named`) takes ftrack's value only for the named
        attributes and keeps AYON's own value of the others, which may be newer edits.
        """
        wanted = dict(attrib)
        if named is not None:
            for name in attrib:
                if name == "ftrackId":
                    continue
                token = PLACEMENT if name == "ftrackPath" else attrib_field(name)
                if token not in named:
                    wanted[name] = node.attrib.get(name)
        changed = {k: v for k, v in wanted.items() if node.attrib.get(k) != v}
        if not changed:
            return {}
        changed.update({k: None for k, v in wanted.items() if v is None})
        return changed

    def desired_attrib(self, fnode: FtrackNode) -> dict[str, Any]:
        attrib: dict[str, Any] = {name: fnode.attributes.get(name) for name in fnode.mapped}
        attrib["ftrackId"] = fnode.id
        attrib["ftrackPath"] = self.ftrack_paths.get(fnode.id, fnode.name)
        return attrib

    def status_for(self, fnode: FtrackNode) -> str | None:
        if not fnode.status:
            return None
        found = self.statuses_by_key.get((fnode.status.lower(), fnode.kind))
        if found is not None:
            return found
        self.plan.conflicts.append(
            Conflict(
                ConflictKind.UNKNOWN_STATUS,
                fnode.id,
                self.ftrack_paths.get(fnode.id, fnode.name),
                f"status {fnode.status!r} does not exist in AYON for {fnode.kind.value}s",
            )
        )
        return None

    def desired_assignees(self, fnode: FtrackNode, node: AyonNode | None) -> frozenset[str]:
        if fnode.kind is not Kind.TASK:
            return frozenset()
        kept = node.assignees - self.options.linked_ayon_users if node else frozenset()
        return frozenset(fnode.assignees) | kept

    def write_back(self) -> None:
        final_paths = self.final_ayon_paths()
        for fnode in self.ftrack_order:
            if not self.in_scope(fnode.id):
                continue
            desired = self.desired.get(fnode.id)
            failed = fnode.id in self.failed
            if desired is not None:
                ayon_id = desired.ayon_id
                path = final_paths.get(desired.ayon_id, "") if fnode.kind is Kind.FOLDER else ""
                self.write(fnode, FtrackKey.AYON_ID, ayon_id, fnode.ayon_id)
                self.write(fnode, FtrackKey.AYON_PATH, path, fnode.ayon_path)
            else:
                failed = True
                if fnode.ayon_id is None:
                    self.write(fnode, FtrackKey.AYON_ID, "", None)
                if fnode.ayon_path is None:
                    self.write(fnode, FtrackKey.AYON_PATH, "", None)
            self.write(fnode, FtrackKey.SYNC_FAILED, failed, fnode.ayon_sync_failed)

    def write(self, fnode: FtrackNode, key: FtrackKey, value: str | bool, current: Any) -> None:
        if current != value:
            self.plan.ftrack_writes.append(FtrackWrite(fnode.id, key, value))

    def final_ayon_paths(self) -> dict[str, str]:
        """AYON folder paths after the plan: names and parents as they will be."""
        names: dict[str, str] = {}
        parents: dict[str, str | None] = {}
        for node in self.ayon.nodes.values():
            if node.kind is Kind.FOLDER:
                names[node.id], parents[node.id] = node.name, node.parent_id
        for desired in self.desired.values():
            if desired.ftrack.kind is not Kind.FOLDER:
                continue
            keep = desired.hold and desired.existing is not None
            if not keep:
                names[desired.ayon_id] = slugify(desired.ftrack.name)
                parents[desired.ayon_id] = desired.parent_id
        paths: dict[str, str] = {}

        def path_of(folder_id: str) -> str:
            if folder_id in paths:
                return paths[folder_id]
            parts: list[str] = []
            current: str | None = folder_id
            seen: set[str] = set()
            while current is not None and current in names and current not in seen:
                seen.add(current)
                parts.append(names[current])
                current = parents[current]
            paths[folder_id] = "/" + "/".join(reversed(parts))
            return paths[folder_id]

        return {folder_id: path_of(folder_id) for folder_id in names}

    def run(self) -> Plan:
        self.match_immutable()
        self.match_tree()
        self.retire_unmatched()
        self.resolve_names()
        self.emit()
        self.write_back()
        if self.options.scope is not None:
            scope = self.options.scope
            self.plan.conflicts = [
                c for c in self.plan.conflicts if c.ftrack_id is None or c.ftrack_id in scope
            ]
        return self.plan


def plan_hierarchy(
    ftrack: FtrackProject, ayon: AyonProject, options: PlanOptions | None = None
) -> Plan:
    """The AYON writes and ftrack write-backs that make AYON mirror the ftrack hierarchy."""
    return _Planner(ftrack, ayon, options or PlanOptions()).run()


def _effective_changes(node: AyonNode, changes: Mapping[str, Any]) -> dict[str, Any]:
    effective: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "attrib":
            attrib = {k: v for k, v in value.items() if node.attrib.get(k) != v}
            if attrib:
                effective["attrib"] = attrib
        elif key == "active":
            if node.active != value:
                effective["active"] = value
        else:
            effective[key] = value
    return effective


def _ayon_walk(ayon: AyonProject, children: Mapping[str | None, list[AyonNode]]) -> list[AyonNode]:
    queue = list(children.get(None, []))
    index = 0
    while index < len(queue):
        node = queue[index]
        index += 1
        queue.extend(children.get(node.id, []))
    return queue


def _walk(root: str, children: Mapping[str, list[FtrackNode]]) -> list[FtrackNode]:
    queue = list(children.get(root, []))
    index = 0
    while index < len(queue):
        queue.extend(children.get(queue[index].id, []))
        index += 1
    return queue


def _ftrack_paths(order: list[FtrackNode]) -> dict[str, str]:
    """ftrack paths without the project (`seq/sh010/compositing`), as `ftrackPath` stores."""
    paths: dict[str, str] = {}
    for node in order:  # parents first
        parent = paths.get(node.parent_id)
        paths[node.id] = f"{parent}/{node.name}" if parent else node.name
    return paths
