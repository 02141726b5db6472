"""The AYON -> ftrack activity (`transmit.apply`): the transmitter of the original, as a diff.

Like the incremental direction it does not trust event values: the AYON events of a batch
only say which entities changed (`sync.transmit.touches_from`); the activity reads their
current AYON state and that of their ftrack counterparts (`attrib.ftrackId`, one scoped
read), plans the difference (`sync.transmit.plan_transmit`, pure) and writes ftrack in one
batched request as the service user. A retried or duplicated batch plans nothing the second
time, and so does the echo: the ftrack events of these writes come back through the leecher
and the incremental sync finds AYON already matching (see `sync/transmit.py`).

Order of writes: AYON `ftrackId` of entities about to be created (so a crash leaves a link
the retry completes, never an unlinked ftrack twin), ftrack, then AYON paths and normalised
attributes. A create ftrack refuses has its AYON link removed again. Refusals (no matching
object type, task type or status, a name clash...) are recorded as an AYON
`ftrack.sync.conflict` event and returned in the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from temporalio import activity

from ayon_ftrack_sync.activities.comments import comments_to_ftrack
from ayon_ftrack_sync.activities.connections import Connections, temporal_errors
from ayon_ftrack_sync.activities.outcome import BatchOutcome, report_conflicts
from ayon_ftrack_sync.activities.sync_context import ContextCache, SyncContext
from ayon_ftrack_sync.ayon import transmit_reader as ayon_io
from ayon_ftrack_sync.ayon.attributes import attribute_types
from ayon_ftrack_sync.ayon.reader import ProjectNotFound
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.ftrack import find_project
from ayon_ftrack_sync.ftrack import transmit_reader as ftrack_read
from ayon_ftrack_sync.ftrack import transmit_writer as ftrack_write
from ayon_ftrack_sync.payloads.full_sync import MAX_LISTED_CONFLICTS
from ayon_ftrack_sync.payloads.project_sync import (
    ApplyBatchResult,
    AyonChange,
    TransmitBatchInput,
)
from ayon_ftrack_sync.settings.attribute_mapping import AttributeMapping
from ayon_ftrack_sync.sync.identity import ftrack_id_for
from ayon_ftrack_sync.sync.lists import list_type_value
from ayon_ftrack_sync.sync.transmit import (
    FOLDER,
    TASK,
    VERSION,
    AyonListState,
    AyonUpdate,
    ChangeRef,
    FtrackListState,
    Touch,
    TransmitSnapshot,
    list_system_type,
    plan_list,
    plan_transmit,
    touches_from,
)
from ayon_ftrack_sync.sync.users import AyonUser, map_users

LIST_TOPIC_PREFIX = "entity_list."
ACTIVITY_TOPIC_PREFIX = "activity."
#: written keys reported per batch (beyond that, echoes are compared as any change)
MAX_ECHO_KEYS = 5000


class TransmitActivities:
    """Bound to the worker's config; shares the short-lived settings/mapping cache idea of
    the incremental sync."""

    def __init__(self, config: AppConfig) -> None:
        self._config = config
        self._contexts = ContextCache()

    def all(self) -> list[Any]:
        return [self.apply]

    @activity.defn(name="transmit.apply")
    def apply(self, batch: TransmitBatchInput) -> ApplyBatchResult:
        """Bring ftrack in line with the current AYON state of what these AYON events touched."""
        activity.heartbeat({"step": "reading"})
        outcome = BatchOutcome()
        list_changes = [c for c in batch.changes if c.topic.startswith(LIST_TOPIC_PREFIX)]
        comment_ids = _comment_ids(batch.changes, outcome)
        entity_changes = [
            c
            for c in batch.changes
            if not c.topic.startswith((LIST_TOPIC_PREFIX, ACTIVITY_TOPIC_PREFIX))
        ]
        touches, skipped = touches_from(
            ChangeRef(c.topic, c.entity_type, c.entity_id, c.payload) for c in entity_changes
        )
        outcome.add({f"skipped.{k}": v for k, v in skipped.items()})
        with temporal_errors(), Connections(self._config) as conn:
            project_name = batch.ayon_project_name or _ayon_name(conn, batch.ftrack_project_id)
            if touches or list_changes:
                context = self._contexts.get(conn, project_name)
                if touches:
                    self._entities(
                        conn, batch.ftrack_project_id, project_name, touches, context, outcome
                    )
                if list_changes:
                    self._lists(conn, batch.ftrack_project_id, project_name, list_changes, outcome)
            if comment_ids:
                activity.heartbeat({"step": "comments"})
                comments = comments_to_ftrack(
                    conn.ayon(),
                    conn.ftrack(),
                    ftrack_project_id=batch.ftrack_project_id,
                    ayon_project_name=project_name,
                    activity_ids=comment_ids,
                )
                outcome.add_comments(comments)
            if outcome.conflicts:
                report_conflicts(
                    conn,
                    self._config.ayon.sender,
                    project_name,
                    outcome,
                    headline="AYON changes partly not sent to ftrack",
                    ftrack_project_id=batch.ftrack_project_id,
                    event_ids=[c.event_id for c in batch.changes],
                    summary={"direction": "ayon_to_ftrack"},
                )
            failed = set(outcome.failed)
            return ApplyBatchResult(
                applied=max(0, len(batch.changes) - len(failed)),
                skipped=sum(v for k, v in outcome.counts.items() if k.startswith("skipped.")),
                failed_entities=sorted(failed)[:MAX_LISTED_CONFLICTS],
                ayon_requests=conn.ayon_counter.count,
                ftrack_requests=outcome.ftrack_requests,
                ayon_project_name=project_name,
                counts=outcome.counts,
                conflicts=outcome.conflicts[:MAX_LISTED_CONFLICTS],
                echo_keys=outcome.echo_keys[:MAX_ECHO_KEYS],
            )

    # -- folders, tasks, versions, project --------------------------------------------------

    def _entities(
        self,
        conn: Connections,
        ftrack_project_id: str,
        project_name: str,
        touches: Mapping[tuple[str, str], Touch],
        context: SyncContext,
        outcome: BatchOutcome,
    ) -> None:
        api = conn.ayon()
        live = [t for t in touches.values() if not t.deleted or t.kind not in (FOLDER, TASK)]
        deleted = [t for t in touches.values() if t.deleted and t.kind in (FOLDER, TASK)]
        folder_ids = {t.id for t in live if t.kind == FOLDER}
        task_ids = {t.id for t in live if t.kind == TASK}
        version_ids = {t.id for t in live if t.kind == VERSION}
        placed = {t.id for t in live if t.kind == FOLDER and t.placement}
        hints = {h for t in deleted for h in (t.ftrack_hint, ftrack_id_for(t.id)) if h}
        ayon = ayon_io.read_state(
            api,
            project_name,
            folder_ids=folder_ids,
            task_ids=task_ids,
            version_ids=version_ids,
            subtree_ids=placed,
            linked_to=hints,
            attributes=context.ayon_attributes,
            inheritable=ayon_io.inheritable_attributes(api),
        )
        # entities still present although an event said deleted (recreated) are planned live
        for touch in deleted:
            if touch.id in ayon.entities:
                hints.discard(touch.ftrack_hint or "")
        ftrack_ids: set[str] = set(hints)
        subtrees: set[str] = set(hints)
        for entity in ayon.entities.values():
            if entity.kind not in (FOLDER, TASK):
                continue
            for fid in (entity.ftrack_id, ftrack_id_for(entity.id)):
                if fid:
                    ftrack_ids.add(fid)
                    if entity.id in placed:
                        subtrees.add(fid)
        versions = {
            e.ftrack_id for e in ayon.entities.values() if e.kind == VERSION and e.ftrack_id
        }
        # versions `ftrackId` may not find: by product / Asset name (one query, if needed)
        lookups = [
            ftrack_read.VersionLookup(e.ftrack_id, e.context_ids, e.product_name, e.number)
            for e in ayon.entities.values()
            if e.kind == VERSION and e.number is not None and e.number > 0 and e.product_name
        ]
        version_types = attribute_types(api, "version") if version_ids else {}
        needs_users = any(t.kind == TASK and (t.assignees or t.placement) for t in live)
        fstate = ftrack_read.read_state(
            conn.ftrack(),
            ftrack_project_id,
            ids=ftrack_ids,
            subtrees=subtrees,
            version_ids=versions,
            mapping=context.mapping,
            ayon_types=context.attribute_types,
            version_types=version_types,
            with_users=needs_users,
            version_lookups=lookups,
        )
        outcome.ftrack_requests += fstate.requests
        user_map: dict[str, str] = {}
        if needs_users:
            ayon_users = [
                AyonUser(u["name"], (u.get("attrib") or {}).get("email"))
                for u in api.get_users(fields=["name", "attrib.email"])
            ]
            user_map = dict(map_users(fstate.users, ayon_users))
        snapshot = TransmitSnapshot(
            schema=fstate.schema,
            ayon=ayon.entities,
            ftrack=fstate.entities,
            user_map=user_map,
            linked_ftrack_ids=ayon.linked_ftrack_ids,
        )
        plan = plan_transmit(snapshot, touches)
        outcome.add(plan.summary())
        for refusal in plan.conflicts:
            outcome.refuse(refusal.kind.value, refusal.path, refusal.detail, refusal.ftrack_id)
            if refusal.ayon_id:
                outcome.failed.append(refusal.ayon_id)
        if plan.is_empty:
            return
        ayon_io.write_updates(api, project_name, plan.ayon_first)
        written = ftrack_write.apply(conn.ftrack(), plan)
        outcome.ftrack_requests += written.requests
        outcome.echo_keys.extend(
            ftrack_write.echo_keys(
                plan,
                _conf_keys(context.mapping, fstate.schema.link_confs),
                {entity_id for entity_id, _ in written.refused},
            )
        )
        undo = self._undo_refused_creates(plan, written.refused, ayon.entities, fstate.schema)
        for entity_id, reason in written.refused:
            outcome.refuse("write_refused", entity_id, reason[:300], entity_id)
        refused = {entity_id for entity_id, _ in written.refused}
        after = [u for u in plan.ayon_after if _ftrack_of(u, ayon.entities) not in refused]
        # a person may have edited these entities while ftrack was written: keep their values
        after = ayon_io.without_concurrent_edits(api, project_name, after, ayon.entities)
        ayon_io.write_updates(api, project_name, [*undo, *after])
        outcome.add({"ftrack.refused": len(written.refused)})

    def _undo_refused_creates(
        self,
        plan: Any,
        refused: Sequence[tuple[str, str]],
        entities: Mapping[str, Any],
        schema: Any,
    ) -> list[AyonUpdate]:
        """AYON entities whose ftrack create was refused lose the link written before it (a
        link to nothing would make the next full sync deactivate them)."""
        refused_ids = {entity_id for entity_id, _ in refused}
        undo: list[AyonUpdate] = []
        for write in plan.ayon_first:
            attrib = dict(write.changes.get("attrib") or {})
            if attrib.get("ftrackId") not in refused_ids:
                continue
            entity = entities.get(write.id)
            own = entity.own if entity is not None else {}
            vector = {k: own.get(k) for k in attrib if k not in ("ftrackId", "ftrackPath")}
            undo.append(
                AyonUpdate(
                    write.kind,
                    write.id,
                    {"attrib": {**vector, "ftrackId": None, "ftrackPath": None}},
                )
            )
        return undo

    # -- entity lists ----------------------------------------------------------------------------

    def _lists(
        self,
        conn: Connections,
        ftrack_project_id: str,
        project_name: str,
        changes: Sequence[AyonChange],
        outcome: BatchOutcome,
    ) -> None:
        api = conn.ayon()
        session = conn.ftrack()
        latest: dict[str, AyonChange] = {}
        for change in changes:
            list_id = _list_id(change)
            if list_id:
                latest[list_id] = change
            else:
                outcome.add({"skipped.list_without_id": 1})
        if not latest:
            return
        fstate_confs = ftrack_read.read_state(
            session,
            ftrack_project_id,
            mapping=self._contexts.get(conn, project_name).mapping,
            ayon_types={},
        )
        outcome.ftrack_requests += fstate_confs.requests
        list_type_conf = fstate_confs.list_type_conf
        ayon_id_conf = fstate_confs.schema.link_confs.get("ayon_id")
        rows, _stored, requests = ftrack_read.read_lists(
            session, ftrack_project_id, list_type_conf=list_type_conf
        )
        outcome.ftrack_requests += requests
        default_type = list_type_value(fstate_confs.list_type_default)
        states = [
            FtrackListState(
                r.id,
                r.name,
                r.system_type,
                (list_type_value(r.list_type) or default_type) if r.system_type == "task" else None,
                r.objects,
            )
            for r in rows
        ]
        for list_id, change in latest.items():
            current = ayon_io.read_list(api, project_name, list_id)
            if current is None:
                self._delete_list(conn, project_name, list_id, change, states, outcome)
                continue
            system_type = list_system_type(current.entity_type)
            if system_type is None:
                outcome.add({"skipped.list_type": 1})
                continue
            mapped = ayon_io.ftrack_ids_of(
                api, project_name, current.entity_type, list(current.entity_ids)
            )
            items = tuple(mapped[e] for e in current.entity_ids if e in mapped)
            outcome.add({"lists.unlinked_items": len(current.entity_ids) - len(items)})
            state = AyonListState(
                current.id, current.label, current.entity_type, current.ftrack_id, items
            )
            kept: frozenset[str] = frozenset()
            match = plan_list(state, states)
            if not match.create and match.remove and ayon_id_conf:
                found = next(s for s in states if s.id == match.ftrack_id)
                extra = [e for e in found.objects if e not in set(items)]
                stored, requests = ftrack_read.read_ayon_ids(session, extra, ayon_id_conf)
                outcome.ftrack_requests += requests
                kept = frozenset(e for e in extra if e in stored and stored[e] == "")
                match = plan_list(state, states, kept)
            if match.refusal:
                outcome.refuse("list_type", current.label, match.refusal, match.ftrack_id or None)
                continue
            if match.is_empty:
                continue
            if match.link_ayon:
                ayon_io.link_list(api, project_name, current.id, match.ftrack_id)
            if match.create:
                if fstate_confs.list_category_id is None:
                    outcome.refuse("list_type", current.label, "ftrack has no list category")
                    continue
                outcome.ftrack_requests += ftrack_write.create_list(
                    session,
                    list_id=match.ftrack_id,
                    name=current.label,
                    system_type=match.system_type,
                    project_id=ftrack_project_id,
                    category_id=fstate_confs.list_category_id,
                    list_type_conf=list_type_conf,
                    list_type=match.list_type,
                    entity_ids=match.add,
                )
                outcome.add({"lists.created": 1, "lists.items_added": len(match.add)})
                continue
            outcome.ftrack_requests += ftrack_write.update_list(
                session,
                list_id=match.ftrack_id,
                name=match.name,
                list_type_conf=list_type_conf,
                list_type=match.list_type if match.write_list_type else None,
                add=match.add,
                remove=match.remove,
            )
            outcome.add(
                {
                    "lists.renamed": 1 if match.name else 0,
                    "lists.items_added": len(match.add),
                    "lists.items_removed": len(match.remove),
                }
            )

    def _delete_list(
        self,
        conn: Connections,
        project_name: str,
        list_id: str,
        change: AyonChange,
        states: Sequence[FtrackListState],
        outcome: BatchOutcome,
    ) -> None:
        """The AYON list is gone: delete the ftrack list linked to it, if no other AYON list
        links to it (by id first; by label and type as the original did)."""
        if not change.topic.endswith(".deleted"):
            outcome.add({"skipped.list_gone": 1})
            return
        data = {**change.summary, **(change.payload.get("entityData") or {})}
        hint = (data.get("attrib") or {}).get("ftrackId") if isinstance(data, dict) else None
        label = str(data.get("label") or "")
        by_id = {s.id: s for s in states}
        found = by_id.get(str(hint or "")) or by_id.get(ftrack_id_for(list_id))
        if found is None and label:
            system_type = list_system_type(str(data.get("entityType") or ""))
            found = next(
                (
                    s
                    for s in sorted(states, key=lambda s: s.id)
                    if s.name.lower() == label.lower() and s.system_type == system_type
                ),
                None,
            )
        if found is None:
            return
        others = conn.ayon().get_entity_lists(
            project_name, fields=["id", "label", "attrib.ftrackId"]
        )
        for other in others:
            if (other.get("attrib") or {}).get("ftrackId") == found.id:
                outcome.add({"skipped.list_still_linked": 1})
                return
        outcome.ftrack_requests += ftrack_write.delete_list(conn.ftrack(), found.id)
        outcome.add({"lists.deleted": 1})


def _list_id(change: AyonChange) -> str | None:
    for value in (
        change.entity_id,
        change.summary.get("id"),
        change.summary.get("entityId"),
        change.summary.get("entityListId"),
    ):
        if isinstance(value, str) and value:
            return value
    return None


def _comment_ids(changes: Sequence[AyonChange], outcome: BatchOutcome) -> list[str]:
    """Ids of the comment activities created or edited (other activities, and deletions,
    which the original did not send either, are counted as skipped)."""
    ids: dict[str, None] = {}
    for change in changes:
        if not change.topic.startswith(ACTIVITY_TOPIC_PREFIX):
            continue
        kind = change.summary.get("activity_type")
        activity_id = change.summary.get("activity_id") or change.entity_id
        if change.topic == "activity.deleted":
            outcome.add({"skipped.comment_deleted": 1})
        elif kind not in (None, "comment") or not isinstance(activity_id, str):
            outcome.add({"skipped.activity": 1})
        else:
            ids[activity_id] = None
    return list(ids)


def _conf_keys(mapping: AttributeMapping, link_confs: Mapping[str, str]) -> dict[str, str]:
    """Custom attribute configuration id -> key (what ftrack events name)."""
    keys = {conf.id: conf.key for item in mapping.values() for conf in item.confs}
    keys.update({conf_id: key for key, conf_id in link_confs.items()})
    return keys


def _ftrack_of(update: AyonUpdate, entities: Mapping[str, Any]) -> str | None:
    attrib = update.changes.get("attrib") or {}
    value = attrib.get("ftrackId")
    if isinstance(value, str):
        return value
    entity = entities.get(update.id)
    return entity.ftrack_id if entity is not None else None


def _ayon_name(conn: Connections, ftrack_project_id: str) -> str:
    info = find_project(conn.ftrack(), ftrack_project_id)
    if not info.full_name:
        raise ProjectNotFound(f"ftrack project {ftrack_project_id} has no full name")
    return info.full_name
