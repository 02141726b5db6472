"""Recognise the ftrack events of the sync's own ftrack writes (echoes) and drop them.

The transmit (AYON -> ftrack) writes ftrack as the service's API user; ftrack then sends an
update event for each write, which the leecher delivers like any other. Applying an echo is
a no-op when AYON still holds the value that was sent. But a person may have changed the same
AYON attribute again meanwhile, and that newer edit waits in the workflow: applying the echo
would put the older value back into AYON and the newer edit would then find nothing to send
(seed_features.md bug 5). So the workflow remembers, for a short time, which ftrack keys the
transmit wrote (`entity id:key`, legacy column or custom attribute key), and an update event
made by the service user that names such a key has that key removed before the batch is
applied. Changes by anybody else are never touched, nor creations and removals.

The link attributes (`ayon_id`, `ayon_path`, `ayon_sync_failed`) are written only by the sync
itself (write-backs, failure flags); the service user's updates of them are always dropped,
without being remembered first: re-planning an entity because the sync wrote its link is work
for nothing (and for a project that cannot sync, a second failed batch per edit).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from datetime import datetime, timedelta

from pydantic import BaseModel

from ayon_ftrack_sync.sync.events import EntityChange, ProjectEvent
from ayon_ftrack_sync.sync.fields import APPOINTMENT_KEY

#: how long a written key waits for its echo (normally seconds; longer covers a leecher restart)
ECHO_TTL = timedelta(minutes=5)
#: keys remembered at most (about 100 bytes each in the workflow state and continue-as-new
#: input); past it the oldest are forgotten and their echoes are applied as key-scoped diffs
MAX_EXPECTED_ECHOES = 5000
#: ftrack API attribute -> the legacy column its update events name
LEGACY_COLUMNS = {
    "status_id": "statusid",
    "type_id": "typeid",
    "start_date": "startdate",
    "end_date": "enddate",
    "object_type_id": "object_typeid",
}


#: ftrack custom attributes only the sync writes (group `ayon`)
LINK_KEYS = frozenset({"ayon_id", "ayon_path", "ayon_sync_failed"})


class ExpectedEcho(BaseModel):
    """Echoes still to come for one written key, and until when to wait for them."""

    until: datetime
    count: int = 1


def echo_key(entity_id: str, key: str) -> str:
    return f"{entity_id}:{key}"


def expect(expected: MutableMapping[str, ExpectedEcho], keys: Iterable[str], now: datetime) -> None:
    """Remember keys the transmit just wrote; each write makes one echo."""
    for key in keys:
        entry = expected.get(key)
        if entry is None or entry.until < now:
            expected[key] = ExpectedEcho(until=now + ECHO_TTL)
        else:
            expected[key] = ExpectedEcho(until=now + ECHO_TTL, count=entry.count + 1)
    excess = len(expected) - MAX_EXPECTED_ECHOES
    if excess > 0:
        oldest = sorted(expected, key=lambda k: expected[k].until)[:excess]
        for key in oldest:
            del expected[key]


def drop_echoes(
    events: list[ProjectEvent], expected: MutableMapping[str, ExpectedEcho], now: datetime
) -> tuple[list[ProjectEvent], int]:
    """The events without the keys that echo the sync's own writes, and how many keys were
    dropped. Consumes the matched expectations; forgets expired ones."""
    for key in [k for k, entry in expected.items() if entry.until < now]:
        del expected[key]
    if not expected:
        return events, 0
    dropped = 0
    kept_events: list[ProjectEvent] = []
    for event in events:
        if not event.by_service:
            kept_events.append(event)
            continue
        changes: list[EntityChange] = []
        before = dropped
        for change in event.changes:
            kept, count = _without_echoed_keys(change, expected)
            dropped += count
            if kept is not None:
                changes.append(kept)
        kept_events.append(
            event if dropped == before else event.model_copy(update={"changes": changes})
        )
    return kept_events, dropped


def drop_link_echoes(events: list[ProjectEvent]) -> tuple[list[ProjectEvent], int]:
    """The events without the service user's updates of link attributes, and how many keys
    were dropped."""
    dropped = 0
    kept_events: list[ProjectEvent] = []
    for event in events:
        if not event.by_service or not any(
            change.action in ("update", "move") and LINK_KEYS & set(change.keys)
            for change in event.changes
        ):
            kept_events.append(event)  # nothing to drop: no copy (batches of thousands)
            continue
        changes: list[EntityChange] = []
        for change in event.changes:
            if change.action not in ("update", "move") or not LINK_KEYS & set(change.keys):
                changes.append(change)
                continue
            keys = [k for k in change.keys if k not in LINK_KEYS]
            dropped += len(change.keys) - len(keys)
            if keys:
                kept = {k: v for k, v in change.changes.items() if k in keys}
                changes.append(change.model_copy(update={"keys": keys, "changes": kept}))
        kept_events.append(event.model_copy(update={"changes": changes}))
    return kept_events, dropped


def _without_echoed_keys(
    change: EntityChange, expected: MutableMapping[str, ExpectedEcho]
) -> tuple[EntityChange | None, int]:
    if change.table == "appointment" and change.action in ("add", "remove"):
        context = change.changes.get("context_id")
        task_id = change.parent_id or (context.new or context.old if context else None)
        if (
            isinstance(task_id, str)
            and task_id
            and _consume(expected, echo_key(task_id, APPOINTMENT_KEY))
        ):
            return None, 1
        return change, 0
    if change.action not in ("update", "move") or not change.keys:
        return change, 0
    keys = [k for k in change.keys if not _consume(expected, echo_key(change.entity_id, k))]
    dropped = len(change.keys) - len(keys)
    if not dropped:
        return change, 0
    if not keys:
        return None, dropped
    changes = {k: v for k, v in change.changes.items() if k in keys}
    return change.model_copy(update={"keys": keys, "changes": changes}), dropped


def _consume(expected: MutableMapping[str, ExpectedEcho], key: str) -> bool:
    entry = expected.get(key)
    if entry is None:
        return False
    if entry.count <= 1:
        del expected[key]
    else:
        expected[key] = ExpectedEcho(until=entry.until, count=entry.count - 1)
    return True
