"""Activities of the incremental sync (ftrack -> AYON): apply one batch, record a failure.

`incremental.apply` does not trust the values in events. It takes the batch's scope (which
entities changed, `sync.scope`), reads their current state on both sides (`ftrack.scoped`,
`ayon.scoped`: a few requests, never a project scan), and runs the full-sync planner in
scoped mode on those partial snapshots. So an incremental change and a full resync always
agree, a retried or duplicated batch plans nothing the second time, and an event with
malformed values can do no harm: at worst it makes the sync look at an entity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from temporalio import activity

from ayon_ftrack_sync.activities.comments import notes_to_ayon
from ayon_ftrack_sync.activities.connections import Connections, temporal_errors
from ayon_ftrack_sync.activities.full_sync import sync_anatomy, with_assignees
from ayon_ftrack_sync.activities.incremental_extras import apply_extras
from ayon_ftrack_sync.activities.outcome import BatchOutcome, report_conflicts
from ayon_ftrack_sync.activities.sync_context import ContextCache, SyncContext
from ayon_ftrack_sync.ayon.reader import ProjectNotFound
from ayon_ftrack_sync.ayon.scoped import ScopedAyonRead
from ayon_ftrack_sync.ayon.scoped import read_scope as read_ayon_scope
from ayon_ftrack_sync.ayon.writer import apply_plan
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.ftrack import ensure_link_attributes as ensure_ftrack_link_attributes
from ayon_ftrack_sync.ftrack import find_project, write_links
from ayon_ftrack_sync.ftrack.reader import LINK_KEYS
from ayon_ftrack_sync.ftrack.scoped import ScopedRead, existing_ids
from ayon_ftrack_sync.ftrack.scoped import read_scope as read_ftrack_scope
from ayon_ftrack_sync.payloads.full_sync import MAX_LISTED_CONFLICTS, ConflictRecord
from ayon_ftrack_sync.payloads.project_sync import (
    ApplyBatchInput,
    ApplyBatchResult,
    FailureRecord,
)
from ayon_ftrack_sync.settings.attribute_mapping import AttributeMapping
from ayon_ftrack_sync.sync.fields import PLACEMENT, ayon_fields
from ayon_ftrack_sync.sync.hierarchy import PlanOptions, plan_hierarchy
from ayon_ftrack_sync.sync.identity import is_ayon_id, is_linked_ftrack_id
from ayon_ftrack_sync.sync.model import FtrackNode, FtrackProject, Kind
from ayon_ftrack_sync.sync.plan import ConflictKind, FtrackKey, FtrackWrite, Plan
from ayon_ftrack_sync.sync.project import plan_project_attributes
from ayon_ftrack_sync.sync.scope import BatchScope, batch_scope
from ayon_ftrack_sync.sync.users import map_users

#: AYON event topic where people look for batches that failed for good
FAILURE_TOPIC = "ftrack.sync.failed"


class IncrementalActivities:
    """Bound to the worker's config; keeps per-project settings and mapping for a short time."""

    def __init__(self, config: AppConfig) -> None:
        self._config = config
        self._contexts = ContextCache()

    def all(self) -> list[Any]:
        return [self.apply, self.record_failure]

    @activity.defn(name="incremental.apply")
    def apply(self, batch: ApplyBatchInput) -> ApplyBatchResult:
        """Bring AYON in line with the current ftrack state of what this batch touched."""
        scope = batch_scope(batch.changes)
        outcome = BatchOutcome()
        outcome.add({f"skipped.{k}": v for k, v in scope.skipped.items()})
        with temporal_errors(), Connections(self._config) as conn:
            project_name = batch.ayon_project_name or _ayon_name(conn, batch.ftrack_project_id)
            if scope.is_empty:
                return _result(outcome, conn, project_name, len(batch.changes))
            activity.heartbeat({"step": "reading"})
            context = self._contexts.get(conn, project_name)
            if scope.touches_hierarchy:
                self._hierarchy(
                    conn, batch.ftrack_project_id, project_name, scope, context, outcome
                )
            if scope.links or scope.lists or scope.versions:
                activity.heartbeat({"step": "links, lists, versions"})
                extras = apply_extras(
                    conn,
                    ftrack_project_id=batch.ftrack_project_id,
                    ayon_project_name=project_name,
                    scope=scope,
                    settings=context.settings,
                )
                outcome.add(extras.counts)
                outcome.conflicts.extend(extras.conflicts)
                outcome.ftrack_requests += extras.ftrack_requests
            if scope.notes or scope.removed_notes:
                activity.heartbeat({"step": "comments"})
                comments = notes_to_ayon(
                    conn.ayon(),
                    conn.ftrack(),
                    ftrack_project_id=batch.ftrack_project_id,
                    ayon_project_name=project_name,
                    note_ids=sorted(scope.notes),
                    removed_note_ids=sorted(scope.removed_notes),
                    removed_note_parents={k: v for k, v in scope.removed_notes.items() if v},
                )
                outcome.add_comments(comments)
            if outcome.conflicts:
                report_conflicts(
                    conn,
                    self._config.ayon.sender,
                    project_name,
                    outcome,
                    headline="ftrack changes partly refused",
                    ftrack_project_id=batch.ftrack_project_id,
                    event_ids=batch.event_ids,
                )
            return _result(outcome, conn, project_name, len(batch.changes))

    @activity.defn(name="incremental.record_failure")
    def record_failure(self, record: FailureRecord) -> None:
        """A batch failed for good: an AYON event with the details, `ayon_sync_failed` on the
        ftrack entities. Each side is tried even when the other is down."""
        errors: list[str] = []
        with Connections(self._config) as conn:
            try:
                if record.ayon_project_name:
                    conn.ayon().dispatch_event(
                        FAILURE_TOPIC,
                        sender=self._config.ayon.sender,
                        project_name=record.ayon_project_name,
                        description=(
                            f"ftrack changes could not be applied ({record.error_type}): "
                            f"{record.message}"[:1000]
                        ),
                        summary={"ftrack_project_id": record.ftrack_project_id},
                        payload=record.model_dump(mode="json"),
                        finished=True,
                        store=True,
                    )
            except Exception as exc:  # try ftrack anyway
                errors.append(f"AYON: {type(exc).__name__}")
            try:
                _flag_failed(conn, record)
            except Exception as exc:
                errors.append(f"ftrack: {type(exc).__name__}")
        if len(errors) == 2 or (errors and not record.ayon_project_name):
            raise RuntimeError("could not record the failed batch: " + "; ".join(errors))
        if errors:
            activity.logger.warning("failed batch recorded partly: %s", "; ".join(errors))

    # -- hierarchy ---------------------------------------------------------------------------

    def _hierarchy(
        self,
        conn: Connections,
        ftrack_project_id: str,
        project_name: str,
        scope: BatchScope,
        context: SyncContext,
        outcome: BatchOutcome,
    ) -> None:
        session = conn.ftrack()
        fread = read_ftrack_scope(
            session,
            ftrack_project_id,
            ids=scope.contexts,
            subtrees=scope.subtrees,
            sibling_parents=scope.vacated_parents,
            mapping=context.mapping,
            ayon_attribute_types=context.attribute_types,
            with_project_values=scope.project,
        )
        planned, revived, moved_below = _planned_ids(fread.project, scope)
        if revived:  # their children could not sync while they failed: now they may
            more = read_ftrack_scope(
                session,
                ftrack_project_id,
                ids=(),
                subtrees=revived,
                mapping=context.mapping,
                ayon_attribute_types=context.attribute_types,
            )
            fread = _merged(fread, more)
            planned |= _descendants(fread.project.children(), revived)
        outcome.ftrack_requests += fread.requests
        ftrack = fread.project
        removed = set(scope.removed) | set(fread.missing)
        # siblings matter only where a name may change or appear: guess from the stored
        # `ayon_id` first, read more if AYON says otherwise
        hinted = {fid for fid in planned if not ftrack.nodes[fid].ayon_id}
        parents = _sibling_parents(ftrack, planned, scope, hinted)
        # published content matters only where something may be renamed, moved, replaced or
        # deactivated
        products = bool(scope.subtrees or removed or hinted)
        aread = _read_ayon(conn, project_name, ftrack, planned, removed, parents, context, products)
        # an ancestor that is not in AYON yet is created with its child
        linked = {n.ftrack_id for n in aread.project.nodes.values() if n.ftrack_id}
        unsynced = {
            a for fid in planned for a in _ancestors(ftrack, fid) if a not in linked
        } - planned
        planned |= unsynced
        needed = _sibling_parents(ftrack, planned, scope, planned - linked)
        if unsynced or not needed <= parents or (planned - linked and not products):
            parents |= needed
            products = True
            aread = _read_ayon(conn, project_name, ftrack, planned, removed, parents, context, True)
        if _needs_anatomy(ftrack, planned, aread):
            anatomy = sync_anatomy(conn, ftrack_project_id, project_name)
            outcome.add({f"anatomy.{k}": v for k, v in anatomy.counts.items()})
            outcome.ftrack_requests += anatomy.ftrack_requests
            aread = _read_ayon(
                conn, project_name, ftrack, planned, removed, parents, context, products
            )
        others = {
            fid
            for n in aread.project.nodes.values()
            if (fid := n.ftrack_id)
            and is_linked_ftrack_id(fid)
            and fid not in ftrack.nodes
            and fid not in removed
        }
        activity.heartbeat({"step": "planning"})
        alive, requests = existing_ids(session, others)
        outcome.ftrack_requests += requests
        users: dict[str, str] = {}
        if any(ftrack.nodes[f].kind is Kind.TASK for f in planned if f in ftrack.nodes):
            users = dict(map_users(fread.users, self._contexts.ayon_users(conn)))
            ftrack = with_assignees(ftrack, fread.assignments, users)
        outcome.add(
            {
                "read.ftrack_entities": len(ftrack.nodes),
                "read.ayon_entities": len(aread.project.nodes),
                "planned": len(planned),
            }
        )
        plan = plan_hierarchy(
            ftrack,
            aread.project,
            PlanOptions(
                deactivate_ayon_only=context.deactivate_ayon_only,
                linked_ayon_users=frozenset(users.values()),
                scope=frozenset(planned),
                alive=alive,
                fields=_named_fields(scope, planned, moved_below, context.mapping),
            ),
        )
        if scope.project:
            attrib = plan_project_attributes(
                fread.project_attributes, aread.project_attrib, context.ayon_attributes
            )
            if attrib:
                conn.ayon().update_project(project_name, attrib=attrib)
                outcome.add({"project.updated": 1})
        self._write(conn, plan, fread, context, project_name, outcome)

    def _write(
        self,
        conn: Connections,
        plan: Plan,
        fread: ScopedRead,
        context: SyncContext,
        project_name: str,
        outcome: BatchOutcome,
    ) -> None:
        outcome.add({k: v for k, v in plan.summary().items() if k != "conflicts"})
        activity.heartbeat({"step": "writing AYON"})
        apply_plan(
            conn.ayon(),
            project_name,
            plan,
            on_chunk=lambda done, total: activity.heartbeat(
                {"step": "writing AYON", "chunk": done, "chunks": total}
            ),
        )
        activity.heartbeat({"step": "writing ftrack"})
        if plan.ftrack_writes:
            config_ids = dict(fread.link_configuration_ids)
            if not set(LINK_KEYS) <= set(config_ids):
                config_ids = ensure_ftrack_link_attributes(conn.ftrack(), context.settings)
            written = write_links(conn.ftrack(), plan.ftrack_writes, config_ids)
            outcome.ftrack_requests += written.requests
            outcome.add({"ftrack_write_failures": len(written.failed)})
        outcome.conflicts.extend(
            ConflictRecord(kind=c.kind.value, path=c.path, detail=c.detail, ftrack_id=c.ftrack_id)
            for c in plan.conflicts
        )
        outcome.conflicts.extend(
            ConflictRecord(
                kind="conversion", path=p.attribute, detail=p.message, ftrack_id=p.ftrack_id
            )
            for p in fread.problems
        )
        outcome.failed.extend(
            c.ftrack_id
            for c in plan.conflicts
            if c.ftrack_id and c.kind is not ConflictKind.UNKNOWN_STATUS
        )


def _planned_ids(ftrack: FtrackProject, scope: BatchScope) -> tuple[set[str], set[str], set[str]]:
    """Touched entities that still exist and the descendants of moved ones (their paths
    changed); separately, the unsynced siblings under a parent where a name was freed (one
    of them may have lost a name clash, or may take over a removed one's AYON entity); and
    the descendants of moved ones alone (they get only their paths, `_named_fields`)."""
    children = ftrack.children()
    moved_below = _descendants(children, {fid for fid in scope.subtrees if fid in ftrack.nodes})
    planned = {fid for fid in scope.contexts if fid in ftrack.nodes} | moved_below
    revived = {
        child.id
        for parent in scope.vacated_parents
        for child in children.get(parent, [])
        if child.ayon_sync_failed or not child.ayon_id
    }
    return planned | revived, revived, moved_below


def _named_fields(
    scope: BatchScope, planned: set[str], moved_below: set[str], mapping: AttributeMapping
) -> dict[str, frozenset[str]]:
    """The AYON fields each planned entity's changes named (key-scoped diff, `sync.fields`).

    Descendants of a renamed or moved entity only get their paths; entities the batch did
    not name (revived siblings, ancestors created with a child) and added ones are compared
    whole."""
    by_type: dict[str | None, dict[str, str]] = {}

    def custom_keys(object_type_id: str | None) -> dict[str, str]:
        if object_type_id not in by_type:
            if object_type_id:
                by_type[object_type_id] = mapping.ftrack_to_ayon("task", object_type_id)
            else:  # kind unknown: any configuration's key
                by_type[object_type_id] = {
                    conf.key: item.ayon_name for item in mapping.values() for conf in item.confs
                }
        return by_type[object_type_id]

    named: dict[str, frozenset[str]] = {}
    for fid in planned:
        if fid in scope.keys:
            object_type_id = scope.object_types.get(fid)
            named[fid] = ayon_fields(scope.keys[fid], custom_keys(object_type_id))
            if fid in moved_below:
                named[fid] |= {PLACEMENT}
        elif fid in moved_below and fid not in scope.contexts:
            named[fid] = frozenset({PLACEMENT})
    return named


def _descendants(children: Mapping[str, list[FtrackNode]], roots: set[str]) -> set[str]:
    found: set[str] = set()
    queue = list(roots)
    while queue:
        for child in children.get(queue.pop(), []):
            if child.id not in found:
                found.add(child.id)
                queue.append(child.id)
    return found


def _merged(first: ScopedRead, second: ScopedRead) -> ScopedRead:
    """Two scoped reads of one project as one."""
    assignments = {**first.assignments, **second.assignments}
    return dataclasses.replace(
        first,
        project=dataclasses.replace(
            first.project, nodes={**first.project.nodes, **second.project.nodes}
        ),
        assignments=assignments,
        problems=first.problems + second.problems,
        requests=first.requests + second.requests,
    )


def _ancestors(ftrack: FtrackProject, fid: str) -> list[str]:
    found: list[str] = []
    node = ftrack.nodes.get(fid)
    seen: set[str] = set()
    while node is not None and node.parent_id in ftrack.nodes and node.parent_id not in seen:
        seen.add(node.parent_id)
        found.append(node.parent_id)
        node = ftrack.nodes.get(node.parent_id)
    return found


def _sibling_parents(
    ftrack: FtrackProject, planned: set[str], scope: BatchScope, unlinked: set[str]
) -> set[str]:
    """ftrack parents whose AYON children the planner must see: where an entity is renamed,
    moved in, or new in AYON (name clashes, adoption), and where a name was freed."""
    touched = (planned & (scope.subtrees | unlinked)) | {
        fid for fid in planned if ftrack.nodes[fid].parent_id in scope.vacated_parents
    }
    return {ftrack.nodes[fid].parent_id for fid in touched if fid in ftrack.nodes}


def _read_ayon(
    conn: Connections,
    project_name: str,
    ftrack: FtrackProject,
    planned: set[str],
    removed: set[str],
    parents: set[str],
    context: SyncContext,
    with_products: bool,
) -> ScopedAyonRead:
    stored = {
        node.ayon_id
        for fid in planned
        if (node := ftrack.nodes.get(fid)) is not None and node.ayon_id and is_ayon_id(node.ayon_id)
    }
    return read_ayon_scope(
        conn.ayon(),
        project_name,
        ftrack_ids=set(ftrack.nodes) | removed,
        ayon_ids=stored,
        parent_ftrack_ids=parents - {ftrack.id},
        root_children=ftrack.id in parents,
        attributes=context.ayon_attributes,
        with_products=with_products,
        served=context.served_attributes or None,
    )


def _needs_anatomy(ftrack: FtrackProject, planned: Iterable[str], aread: ScopedAyonRead) -> bool:
    """A planned entity has a type or status the AYON project lacks (for its kind)."""
    folder_types = {str(t.get("name", "")).lower() for t in aread.folder_types}
    task_types = {str(t.get("name", "")).lower() for t in aread.task_types}
    statuses = {
        (name.lower(), kind) for name, kinds in aread.project.statuses.items() for kind in kinds
    }
    for fid in planned:
        node = ftrack.nodes.get(fid)
        if node is None:
            continue
        types = task_types if node.kind is Kind.TASK else folder_types
        if node.type_name and node.type_name.lower() not in types:
            return True
        if node.status and (node.status.lower(), node.kind) not in statuses:
            return True
    return False


def _ayon_name(conn: Connections, ftrack_project_id: str) -> str:
    info = find_project(conn.ftrack(), ftrack_project_id)
    if not info.full_name:
        raise ProjectNotFound(f"ftrack project {ftrack_project_id} has no full name")
    return info.full_name


def _flag_failed(conn: Connections, record: FailureRecord) -> None:
    if not record.entity_ids:
        return
    session = conn.ftrack()
    alive, _ = existing_ids(session, record.entity_ids)
    if not alive:
        return
    settings = conn.settings(record.ayon_project_name)
    config_ids = ensure_ftrack_link_attributes(session, settings)
    writes = [FtrackWrite(fid, FtrackKey.SYNC_FAILED, True) for fid in sorted(alive)]
    write_links(session, writes, config_ids)


def _result(
    outcome: BatchOutcome, conn: Connections, project_name: str, changes: int
) -> ApplyBatchResult:
    applied = changes - len(outcome.failed)
    return ApplyBatchResult(
        applied=max(0, applied),
        skipped=sum(v for k, v in outcome.counts.items() if k.startswith("skipped.")),
        failed_entities=sorted(set(outcome.failed))[:MAX_LISTED_CONFLICTS],
        ayon_requests=conn.ayon_counter.count,
        ftrack_requests=outcome.ftrack_requests,
        ayon_project_name=project_name,
        counts=outcome.counts,
        conflicts=outcome.conflicts[:MAX_LISTED_CONFLICTS],
    )
