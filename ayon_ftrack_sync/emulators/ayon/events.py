"""Event stream: storing, hashing, querying and the enroll job queue (contract C.4)."""

from __future__ import annotations

import fnmatch
import hashlib
import heapq
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import ApiError
from .store import State
from .util import now_iso

EVENT_STATUSES = ("pending", "in_progress", "finished", "failed", "aborted", "restarted")


@dataclass
class Actor:
    """Who performs a request: the user plus the `x-sender`/`x-sender-type` headers."""

    user: str
    sender: str | None = None
    sender_type: str | None = None
    is_service: bool = False
    is_admin: bool = False


@dataclass
class Tx:
    """A write transaction: undo closures for cheap rollback, events held until commit."""

    state: State
    actor: Actor
    undo: list[Callable[[], None]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def emit(
        self,
        topic: str,
        project: str | None,
        description: str,
        summary: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(
            new_event(
                self.state,
                topic,
                self.actor,
                project=project,
                description=description,
                summary=summary or {},
                payload=payload or {},
            )
        )

    def commit(self) -> None:
        for ev in self.events:
            store_event(self.state, ev)
        self.events.clear()
        self.undo.clear()

    def rollback(self) -> None:
        for fn in reversed(self.undo):
            fn()
        self.undo.clear()
        self.events.clear()


def new_event(
    state: State,
    topic: str,
    actor: Actor,
    *,
    project: str | None = None,
    description: str = "",
    summary: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    status: str = "finished",
    event_hash: str | None = None,
    depends_on: str | None = None,
    sender: str | None = None,
    user: str | None = None,
) -> dict[str, Any]:
    """Build an event record (not yet stored)."""
    eid = state.new_id()
    ts = now_iso()
    return {
        "id": eid,
        "hash": event_hash or eid,
        "topic": topic,
        "sender": sender if sender is not None else actor.sender,
        "senderType": actor.sender_type or "api",
        "project": project,
        "user": user or actor.user,
        "dependsOn": depends_on,
        "status": status,
        "retries": 0,
        "description": description or "",
        "summary": summary or {},
        "payload": payload or {},
        "progress": None,
        "createdAt": ts,
        "updatedAt": ts,
        "_seq": state.next_seq(),
    }


def store_event(state: State, ev: dict[str, Any], store: bool = True) -> None:
    """Persist (unless `store` is false) and broadcast to websocket listeners."""
    if store:
        if ev["hash"] in state.events_by_hash:
            raise ApiError(409, "Event with the same hash already exists")
        state.events[ev["id"]] = ev
        state.events_by_hash[ev["hash"]] = ev["id"]
        state.events_by_topic.setdefault(ev["topic"], {})[ev["id"]] = None
    for listener in list(state.event_listeners):
        listener(ev)


def event_rest(ev: dict[str, Any]) -> dict[str, Any]:
    """`GET /api/events/{id}` shape."""
    keys = (
        "id",
        "hash",
        "topic",
        "sender",
        "senderType",
        "project",
        "user",
        "dependsOn",
        "status",
        "retries",
        "description",
        "summary",
        "payload",
        "createdAt",
        "updatedAt",
    )
    return {k: ev.get(k) for k in keys}


def event_ws(ev: dict[str, Any]) -> dict[str, Any]:
    """Websocket message shape: the event without its payload."""
    keys = (
        "id",
        "topic",
        "sender",
        "senderType",
        "project",
        "user",
        "status",
        "summary",
        "description",
        "progress",
        "createdAt",
        "updatedAt",
        "dependsOn",
    )
    out = {k: ev.get(k) for k in keys}
    out["store"] = True
    return out


def event_query_row(ev: dict[str, Any]) -> dict[str, Any]:
    """`POST /api/query` row: snake_case keys, null project omitted (as recorded)."""
    out: dict[str, Any] = {
        "id": ev["id"],
        "hash": ev["hash"],
        "topic": ev["topic"],
        "sender": ev["sender"],
        "sender_type": ev["senderType"],
    }
    if ev.get("project"):
        out["project"] = ev["project"]
    if ev.get("dependsOn"):
        out["depends_on"] = ev["dependsOn"]
    out.update(
        {
            "user": ev["user"],
            "status": ev["status"],
            "retries": ev["retries"],
            "description": ev["description"],
            "summary": ev["summary"],
            "payload": ev["payload"],
            "created_at": ev["createdAt"],
            "updated_at": ev["updatedAt"],
        }
    )
    return out


def topic_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """SQL `LIKE` semantics with `*` turned into `%` (so `entity.*` matches all entity)."""
    regexes = [
        re.compile("^" + re.escape(p).replace(r"\*", ".*").replace("%", ".*") + "$")
        for p in patterns
    ]
    return lambda topic: any(r.match(topic) for r in regexes)


def topics_matching(state: State, patterns: Iterable[str]) -> list[str]:
    match = topic_matcher(patterns)
    return [t for t in state.events_by_topic if match(t)]


def iter_events(state: State, patterns: list[str] | None) -> list[dict[str, Any]]:
    """Events in creation order, restricted to topics by index when patterns are given."""
    if patterns is None:
        return list(state.events.values())  # insertion order is creation order
    streams = [
        [state.events[i] for i in state.events_by_topic[topic]]
        for topic in topics_matching(state, patterns)
    ]
    if len(streams) == 1:
        return streams[0]
    return list(heapq.merge(*streams, key=lambda e: e["_seq"]))


# --------------------------------------------------------------------- filter
def _lookup(ev: dict[str, Any], key: str) -> Any:
    aliases = {
        "sender_type": "senderType",
        "depends_on": "dependsOn",
        "created_at": "createdAt",
        "updated_at": "updatedAt",
    }
    cur: Any = ev
    for part in re.split(r"[/.]", key):
        part = aliases.get(part, part)
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _cond_ok(ev: dict[str, Any], cond: dict[str, Any]) -> bool:
    if "conditions" in cond:
        return filter_ok(ev, cond)
    value = _lookup(ev, str(cond.get("key", "")))
    want = cond.get("value")
    op = str(cond.get("operator", "eq")).lower()
    if op == "eq":
        return bool(value == want)
    if op == "ne":
        return bool(value != want)
    if op == "in":
        return value in (want or [])
    if op == "notin":
        return value not in (want or [])
    if op == "like":
        pattern = str(want).replace("%", "*")
        return value is not None and fnmatch.fnmatchcase(str(value), pattern)
    if op == "isnull":
        return value is None
    if op == "notnull":
        return value is not None
    if op in ("lt", "lte", "gt", "gte"):
        try:
            if op == "lt":
                return bool(value < want)
            if op == "lte":
                return bool(value <= want)
            if op == "gt":
                return bool(value > want)
            return bool(value >= want)
        except TypeError:
            return False
    if op == "includes":
        return isinstance(value, list) and want in value
    return False


def filter_ok(ev: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    """Evaluate an `ayon_server.sqlfilter.Filter`-shaped dict against one event."""
    if not flt:
        return True
    conds = flt.get("conditions") or []
    if not conds:
        return True
    results = (_cond_ok(ev, c) for c in conds)
    return any(results) if str(flt.get("operator", "and")).lower() == "or" else all(results)


# --------------------------------------------------------------------- enroll
def enroll(state: State, body: dict[str, Any], actor: Actor) -> dict[str, Any] | None:
    """Contract C.4: return the job for the caller, or None for "nothing to do" (204)."""
    if not (actor.is_service or actor.is_admin):
        raise ApiError(403, "Only services can enroll to jobs")
    source = body.get("sourceTopic")
    sources = [source] if isinstance(source, str) else list(source or [])
    target_topic = str(body.get("targetTopic") or "")
    sender = body.get("sender") or actor.sender or ""
    sequential = bool(body.get("sequential", False))
    raw_retries = body.get("maxRetries")
    max_retries = int(raw_retries) if raw_retries is not None else 3
    older = body.get("ignoreOlderThan")
    ignore_days = float(older) if older is not None else 3.0
    ignore_types = set(body.get("ignoreSenderTypes") or [])
    flt = body.get("filter")
    cutoff = (datetime.now(UTC) - timedelta(days=ignore_days)).isoformat() if ignore_days else ""

    wm_key = (
        tuple(sorted(sources)),
        target_topic,
        sender,
        repr(flt),
        tuple(sorted(ignore_types)),
        ignore_days,
    )
    candidates = iter_events(state, sources)
    start = state.enroll_watermarks.get(wm_key, 0)
    if start > len(candidates):
        start = 0
    all_done_so_far = True
    for index in range(start, len(candidates)):
        ev = candidates[index]
        # sources that can never be picked again by this request shape: already processed,
        # from an ignored sender type, or too old (age only grows)
        settled = (
            _is_done(state, ev, target_topic, max_retries)
            or ev.get("senderType") in ignore_types
            or bool(cutoff and ev["createdAt"] < cutoff)
        )
        if settled:
            if all_done_so_far:
                state.enroll_watermarks[wm_key] = index + 1
            continue
        all_done_so_far = False
        if ev["status"] != "finished":
            continue
        if not filter_ok(ev, flt):
            continue
        target_id = state.enroll_targets.get((target_topic, ev["id"]))
        target = state.events.get(target_id) if target_id else None
        if target is None:
            job = new_event(
                state,
                target_topic,
                actor,
                project=None,
                description=body.get("description") or f"Convert {ev['topic']} to {target_topic}",
                status="pending",
                depends_on=ev["id"],
                event_hash=hashlib.sha256(f"{target_topic}{ev['id']}".encode()).hexdigest(),
            )
            job["_enrollSender"] = sender
            store_event(state, job)
            state.enroll_targets[(target_topic, ev["id"])] = job["id"]
            return _job(job)
        if target["status"] in ("failed", "restarted"):
            if target["status"] == "failed":
                target["retries"] = int(target.get("retries", 0)) + 1
            target["status"] = "pending"
            target["_enrollSender"] = sender
            target["updatedAt"] = now_iso()
            return _job(target)
        if target.get("_enrollSender", target.get("sender")) != sender:
            if sequential:
                return None
            continue
        return _job(target)
    return None


def _is_done(state: State, ev: dict[str, Any], target_topic: str, max_retries: int) -> bool:
    target_id = state.enroll_targets.get((target_topic, ev["id"]))
    if not target_id:
        return False
    target = state.events.get(target_id)
    if target is None:
        return False
    if target["status"] == "finished":
        return True
    return bool(target["status"] == "failed" and int(target.get("retries", 0)) > max_retries)


def _job(ev: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ev["id"],
        "dependsOn": ev["dependsOn"],
        "hash": ev["hash"],
        "status": ev["status"],
    }


def update_event(state: State, event_id: str, patch: dict[str, Any], actor: Actor) -> None:
    ev = state.events.get(event_id)
    if ev is None:
        raise ApiError(404, f"Event {event_id} not found")
    for key in (
        "sender",
        "project",
        "user",
        "description",
        "summary",
        "payload",
        "progress",
        "retries",
    ):
        if key in patch:
            ev[key] = patch[key]
    if "status" in patch and patch["status"] is not None:
        status = patch["status"]
        if status not in EVENT_STATUSES:
            raise ApiError(400, f"Invalid status {status}")
        if status != "finished" and ev["status"] == "finished":
            # a finished job that is reopened invalidates enroll watermarks
            state.enroll_watermarks.clear()
        ev["status"] = status
    ev["updatedAt"] = now_iso()
    for listener in list(state.event_listeners):
        listener(ev)


def delete_event(state: State, event_id: str) -> None:
    ev = state.events.pop(event_id, None)
    if ev is None:
        raise ApiError(404, f"Event {event_id} not found")
    state.events_by_hash.pop(ev["hash"], None)
    state.events_by_topic.get(ev["topic"], {}).pop(event_id, None)
    state.enroll_watermarks.clear()
