"""The ftrack leecher: hub `ftrack.update` events -> per-project Temporal workflows, nothing lost.

Why it is built this way (seed_features.md section 1 lists what the original got wrong):

* ftrack's hub never replays history, so an event is only "received" once it is on local
  disk. The hub thread decodes each event and appends it to the SQLite spool before anything
  else (``workers/spool.py``); that write is our acknowledgement.
* A forwarder drains the spool in arrival order, groups events by project and makes one
  signal-with-start per project per drained chunk on ``ProjectSyncWorkflow``. Records are
  deleted only after Temporal accepted every signal of the chunk. When Temporal is down the
  forwarder keeps everything and retries with backoff; a chunk that was partly signalled is
  signalled again, and the workflow drops the repeats by ftrack event id.
* Projects without the ``auto_sync_enabled`` custom attribute (group ``ayon``) are ignored.
  The flag is cached per project (one ftrack query on first sight, refreshed from the toggle
  events themselves and after a TTL). Switching it on requests a full sync: an update-with-
  start of ``ProjectSyncWorkflow.resync``, recorded durably in the spool first and only
  waited for until the workflow accepted it (never until the full sync finishes).
* The hub session is re-created with backoff when the hub drops; ftrack_api's own reconnect
  loop (30 attempts, 10 s apart, blocking the receive thread) is cut to one quick attempt so
  our loop stays in charge.
* Decode problems and hostile events are logged with their event id and counted; they never
  end the process. A periodic health line shows the counters; SIGTERM/SIGINT close the hub,
  flush the forwarder (bounded) and leave whatever is still unsent in the spool for next time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateStage
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from ayon_ftrack_sync import __version__
from ayon_ftrack_sync.config import AppConfig, FtrackConfig
from ayon_ftrack_sync.payloads.project_sync import EventBatch, ProjectSyncInput
from ayon_ftrack_sync.payloads.project_sync import ResyncRequest as ResyncUpdate
from ayon_ftrack_sync.sync.events import ProjectEvent, decode_update, is_noise
from ayon_ftrack_sync.temporal import FTRACK_PROJECT_ID, connect
from ayon_ftrack_sync.workers.spool import SPOOL_FILE_NAME, ResyncRequest, Spool, SpoolFull
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for

log = logging.getLogger(__name__)

SUBSCRIPTION = "topic=ftrack.update"
AUTO_SYNC_KEY = "auto_sync_enabled"
AUTO_SYNC_GROUP = "ayon"
_TRUE_TEXT = frozenset({"1", "true", "yes", "on"})
#: auto-sync flags kept in memory (oldest forgotten first, then simply queried again)
MAX_CACHED_FLAGS = 10_000


@dataclass(frozen=True)
class LeecherOptions:
    """Knobs; the defaults suit production, tests shorten the timings."""

    spool_path: Path | None = None  # default: <state_dir>/leecher-spool.sqlite3
    spool_max_records: int = 100_000
    spool_max_bytes: int = 512 * 1024 * 1024
    #: spool records handed over per drained chunk
    drain_chunk: int = 200
    #: one signal carries at most this much JSON (Temporal warns at 256 KB, rejects at 2 MB)
    max_signal_bytes: int = 200 * 1024
    health_interval_s: float = 60.0
    #: cached auto-sync flags are re-read after this long (repairs a missed toggle event)
    flag_ttl_s: float = 300.0
    retry_initial_s: float = 0.5
    retry_max_s: float = 30.0
    hub_retry_initial_s: float = 1.0
    hub_retry_max_s: float = 60.0
    hub_connect_timeout_s: float = 15.0
    #: how long the hub may stay disconnected before the session is re-created
    hub_grace_s: float = 3.0
    rpc_timeout_s: float = 10.0
    temporal_connect_timeout_s: float = 5.0
    #: how long SIGTERM waits for the forwarder to hand over what is spooled
    flush_timeout_s: float = 10.0
    #: ftrack event ids remembered to skip repeats before they are spooled
    dedupe_window: int = 10_000
    #: idle wake-up of the forwarder (it is also woken by every append)
    poll_interval_s: float = 1.0
    #: after an idle spell, wait this long for more events before handing over: a burst
    #: then goes out as a few large signals instead of one signal per event
    linger_s: float = 0.05


@dataclass
class LeecherCounters:
    """What the health line reports (since start)."""

    received: int = 0
    dropped_noise: int = 0
    duplicates: int = 0
    decode_problems: int = 0
    spooled: int = 0
    spool_rejected: int = 0
    forwarded_events: int = 0
    signals: int = 0
    ignored_auto_sync_off: int = 0
    resyncs_requested: int = 0
    flag_lookups: int = 0
    hub_connects: int = 0
    hub_failures: int = 0
    forward_errors: int = 0

    def line(self, spool_depth: int, temporal_ok: bool, hub_ok: bool) -> str:
        return (
            f"received {self.received}, spooled {self.spooled}, forwarded {self.forwarded_events}"
            f" in {self.signals} signal(s), spool depth {spool_depth}, dropped as noise "
            f"{self.dropped_noise}, duplicates {self.duplicates}, decode problems "
            f"{self.decode_problems}, ignored (auto-sync off) {self.ignored_auto_sync_off}, "
            f"spool full rejections {self.spool_rejected}, resyncs requested "
            f"{self.resyncs_requested}, forward errors {self.forward_errors}; "
            f"hub {'connected' if hub_ok else 'DISCONNECTED'}, "
            f"temporal {'ok' if temporal_ok else 'UNREACHABLE'}"
        )


class Backoff:
    """Exponential backoff with jitter (many leechers must not retry in lockstep)."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self.maximum, self._next * 2)
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next = self.initial


# -- hub intake (thread) --------------------------------------------------------------------


class HubListener(threading.Thread):
    """Owns the hub session: subscribe, pump callbacks, re-create the session when it drops.

    Callbacks run in this thread (ftrack_api runs them inside ``wait()``), so the intake is
    synchronous and the spool write happens before the next event is looked at.
    """

    def __init__(
        self,
        session_factory: Callable[[], Any],
        on_event: Callable[[Mapping[str, Any]], None],
        options: LeecherOptions,
        counters: LeecherCounters,
    ) -> None:
        super().__init__(name="ftrack-hub", daemon=True)
        self._session_factory = session_factory
        self._on_event = on_event
        self._options = options
        self._counters = counters
        self._stop_requested = threading.Event()
        self.connected = threading.Event()
        #: our subscriber id on the current connection (tests wait for the server to know it)
        self.subscriber_id: str | None = None

    def stop(self, timeout: float = 15.0) -> None:
        self._stop_requested.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        backoff = Backoff(self._options.hub_retry_initial_s, self._options.hub_retry_max_s)
        while not self._stop_requested.is_set():
            session: Any = None
            try:
                session = self._session_factory()
                self._listen(session, backoff)
            except Exception as exc:
                self._counters.hub_failures += 1
                log.warning("ftrack event hub unavailable: %s", _short(exc))
            finally:
                self.connected.clear()
                self.subscriber_id = None
                if session is not None:
                    with contextlib.suppress(Exception):
                        session.close()
            if not self._stop_requested.is_set():
                delay = backoff.next()
                log.info("reconnecting to the ftrack event hub in %.1f s", delay)
                self._stop_requested.wait(delay)

    def _listen(self, session: Any, backoff: Backoff) -> None:
        hub = session.event_hub
        # ftrack_api would retry 30 times 10 s apart inside its receive thread; one quick
        # attempt, then our loop re-creates the session with a proper backoff.
        hub._auto_reconnect_attempts = 1
        hub._auto_reconnect_delay = 0
        self.subscriber_id = hub.subscribe(SUBSCRIPTION, self._callback)
        deadline = time.monotonic() + self._options.hub_connect_timeout_s
        while not hub.connected:
            if self._stop_requested.is_set():
                return
            if time.monotonic() > deadline:
                raise ConnectionError("no connection to the event hub")
            self._stop_requested.wait(0.05)
        self._counters.hub_connects += 1
        self.connected.set()
        log.info("listening on the ftrack event hub (%s)", SUBSCRIPTION)
        backoff.reset()
        down_since: float | None = None
        while True:
            if self._stop_requested.is_set():
                # events the client already received but has not dispatched yet would die
                # with the session: hand them to the intake (and the spool) first
                hub.wait(0.3)
                return
            hub.wait(0.2)
            if hub.connected:
                down_since = None
                self.connected.set()
                continue
            self.connected.clear()
            down_since = down_since or time.monotonic()
            if time.monotonic() - down_since > self._options.hub_grace_s:
                log.warning("ftrack event hub connection lost; re-creating the session")
                return

    def _callback(self, event: Any) -> None:
        try:
            raw = {key: event[key] for key in event.keys()}
        except Exception as exc:  # a hub event that is not even a mapping
            self._counters.received += 1
            self._counters.decode_problems += 1
            log.warning("unreadable hub event skipped: %s", _short(exc))
            return
        self._on_event(raw)


# -- auto-sync flag cache ---------------------------------------------------------------------


class AutoSyncGate:
    """Per-project ``auto_sync_enabled`` flags: queried once, refreshed by toggles and a TTL.

    Queries use their own ftrack session (no hub) on a one-thread executor: ftrack_api
    sessions are not thread-safe, and the forwarder must not block its event loop on HTTP.
    """

    def __init__(
        self,
        lookup: Callable[[str], bool],
        ttl_s: float,
        counters: LeecherCounters,
    ) -> None:
        self._lookup = lookup
        self._ttl_s = ttl_s
        self._counters = counters
        self._flags: dict[str, tuple[bool, float]] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auto-sync-flag")

    def cached(self, project_id: str) -> bool | None:
        entry = self._flags.get(project_id)
        if entry is None or time.monotonic() - entry[1] > self._ttl_s:
            return None
        return entry[0]

    def note(self, project_id: str, enabled: bool) -> None:
        self._flags.pop(project_id, None)
        self._flags[project_id] = (enabled, time.monotonic())
        while len(self._flags) > MAX_CACHED_FLAGS:  # hostile ids must not grow it forever
            self._flags.pop(next(iter(self._flags)))

    async def enabled(self, project_id: str) -> bool:
        known = self.cached(project_id)
        if known is not None:
            return known
        loop = asyncio.get_running_loop()
        value = await loop.run_in_executor(self._executor, self._lookup, project_id)
        self._counters.flag_lookups += 1
        self.note(project_id, value)
        return value

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class FtrackFlagLookup:
    """Reads ``auto_sync_enabled`` of a project from ftrack (lazy session, re-opened on error)."""

    def __init__(self, config: FtrackConfig) -> None:
        self._config = config
        self._session: Any = None

    def __call__(self, project_id: str) -> bool:
        from ayon_ftrack_sync.ftrack.session import open_session

        if self._session is None:
            self._session = open_session(self._config, timeout=30.0)
        literal = project_id.replace('"', "")
        try:
            rows = self._session.query(
                "select value from CustomAttributeValue "
                f'where entity_id is "{literal}" and configuration.key is "{AUTO_SYNC_KEY}" '
                f'and configuration.group.name is "{AUTO_SYNC_GROUP}"'
            ).all()
        except Exception:
            self.close()
            raise
        # values are sparse: no stored value means the default, which is off
        return any(_truthy(row["value"]) for row in rows)

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()


# -- the leecher --------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """What one drained chunk turns into."""

    seqs: list[int] = field(default_factory=list)
    by_project: dict[str, list[ProjectEvent]] = field(default_factory=dict)
    resyncs: list[ResyncRequest] = field(default_factory=list)
    ignored: int = 0


class Leecher:
    """Hub thread + spool + forwarder + health line; ``run()`` until ``request_stop()``."""

    def __init__(
        self,
        config: AppConfig,
        options: LeecherOptions = LeecherOptions(),
        *,
        client: Client | None = None,
        session_factory: Callable[[], Any] | None = None,
        flag_lookup: Callable[[str], bool] | None = None,
    ) -> None:
        self.config = config
        self.options = options
        self.counters = LeecherCounters()
        # the workers write ftrack as this user: its events may be echoes (`sync.echoes`)
        self._service_user = config.ftrack.api_user
        spool_path = options.spool_path or config.service.state_dir / SPOOL_FILE_NAME
        self.spool = Spool(
            spool_path, max_records=options.spool_max_records, max_bytes=options.spool_max_bytes
        )
        self._client = client
        self._owned_lookup = FtrackFlagLookup(config.ftrack) if flag_lookup is None else None
        self.gate = AutoSyncGate(
            flag_lookup or self._owned_lookup or _never, options.flag_ttl_s, self.counters
        )
        self.hub = HubListener(
            session_factory or (lambda: hub_session(config.ftrack)),
            self.intake,
            options,
            self.counters,
        )
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._flush_deadline = 0.0
        self.temporal_ok = False
        self._next_resync_attempt = 0.0
        self._resync_backoff = Backoff(options.retry_initial_s, options.retry_max_s)

    # -- intake (hub thread) ---------------------------------------------------------------

    def intake(self, raw: Mapping[str, Any]) -> None:
        """Filter, decode and spool one hub event. Never raises: a bad event is reported."""
        self.counters.received += 1
        event_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        try:
            if is_noise(raw):
                self.counters.dropped_noise += 1
                return
            decoded = decode_update(raw, self._service_user)
            for problem in decoded.problems:
                self.counters.decode_problems += 1
                log.warning(
                    "ftrack event %s: %s", problem.event_id or "(no id)", _cut(problem.reason)
                )
            if not decoded.per_project or event_id is None:
                return
            if event_id in self._recent:
                self.counters.duplicates += 1
                log.debug("ftrack event %s delivered again; skipped", event_id)
                return
            try:
                self.spool.append(event_id, decoded.per_project)
            except (SpoolFull, sqlite3.Error) as exc:  # full, or the disk failed us
                self._refused(event_id, decoded.per_project, exc)
                return
            self.counters.spooled += 1
            self._remember(event_id)
            self._wake_forwarder()
        except Exception as exc:
            self.counters.decode_problems += 1
            log.error("ftrack event %s could not be handled: %s", event_id, _short(exc))

    def _refused(self, event_id: str, events: list[ProjectEvent], exc: Exception) -> None:
        """The event could not be stored: say so loudly and record the repair (a resync)."""
        self.counters.spool_rejected += 1
        projects = sorted({event.project_id for event in events})
        log.error(
            "%s: ftrack event %s was NOT stored; a full resync of project(s) %s is recorded "
            "to repair it",
            _short(exc) if not isinstance(exc, SpoolFull) else exc,
            event_id,
            ", ".join(projects),
        )
        try:
            self.spool.add_resyncs(
                ResyncRequest(project, f"overflow/{event_id}", "events refused by the spool")
                for project in projects
            )
        except sqlite3.Error as error:
            log.error(
                "the resync of project(s) %s could not be recorded either (%s): run "
                "`ayon-ftrack-sync resync` for them",
                ", ".join(projects),
                _short(error),
            )
        self._wake_forwarder()

    def _remember(self, event_id: str) -> None:
        self._recent[event_id] = None
        while len(self._recent) > self.options.dedupe_window:
            self._recent.popitem(last=False)

    def _wake_forwarder(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake.set)

    # -- lifecycle -------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Graceful stop (signal handler, tests): close the hub, flush, leave the rest spooled."""
        self._stop.set()

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        self._loop = asyncio.get_running_loop()
        if install_signal_handlers:
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(signum, self.request_stop)
        log.info(
            "leecher started: spool %s (%d waiting), Temporal %s task queue %s",
            self.spool.path,
            len(self.spool),
            self.config.temporal.address,
            self.config.temporal.task_queue,
        )
        self.hub.start()
        forwarder = asyncio.create_task(self._forward_loop(), name="leecher-forwarder")
        health = asyncio.create_task(self._health_loop(), name="leecher-health")
        try:
            await self._stop.wait()
            log.info("stop requested: closing the event hub, flushing the spool")
        finally:
            await asyncio.to_thread(self.hub.stop)
            self._stopping = True
            self._flush_deadline = time.monotonic() + self.options.flush_timeout_s
            self._wake.set()
            # an RPC in flight to an unreachable server may outlive the deadline: cancel it
            # (nothing is deleted from the spool before Temporal accepted, so this is safe)
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(forwarder, self.options.flush_timeout_s + 1.0)
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await health
            await asyncio.to_thread(self.gate.close)
            if self._owned_lookup is not None:
                self._owned_lookup.close()
            left = len(self.spool)
            self.spool.close()
            if install_signal_handlers:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    self._loop.remove_signal_handler(signum)
            log.info(
                "leecher stopped: %s; %d event(s) left in the spool for the next start",
                self.counters.line(left, self.temporal_ok, False),
                left,
            )

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.health_interval_s)
            log.info(
                "leecher healthy: %s",
                self.counters.line(len(self.spool), self.temporal_ok, self.hub.connected.is_set()),
            )

    # -- forwarder -------------------------------------------------------------------------

    async def _forward_loop(self) -> None:
        backoff = Backoff(self.options.retry_initial_s, self.options.retry_max_s)
        failing_since: float | None = None
        idle = True
        while True:
            if self._stopping and (len(self.spool) == 0 or time.monotonic() > self._flush_deadline):
                return
            if idle and not self._stopping and self.options.linger_s > 0:
                await asyncio.sleep(self.options.linger_s)
            self._wake.clear()
            try:
                client = await self._temporal()
                moved = await self.drain_once(client)
                await self._request_resyncs(client)
            except Exception as exc:
                self.counters.forward_errors += 1
                self.temporal_ok = False
                if failing_since is None:
                    failing_since = time.monotonic()
                    log.warning(
                        "cannot forward spooled events (%s); keeping them in the spool "
                        "and retrying with backoff",
                        _short(exc),
                    )
                else:
                    log.debug("forwarding still failing: %s", _short(exc))
                await self._pause(backoff.next())
                continue
            if failing_since is not None:
                log.info(
                    "forwarding works again after %.0f s; handing over the spool "
                    "(%d event(s) still waiting)",
                    time.monotonic() - failing_since,
                    len(self.spool),
                )
                failing_since = None
            self.temporal_ok = True
            backoff.reset()
            idle = not moved
            if moved:
                continue
            await self._pause(self.options.poll_interval_s)

    async def _pause(self, seconds: float) -> None:
        """Sleep until woken, stopped or timed out (bounded by the flush deadline when stopping)."""
        if self._stopping:
            seconds = max(0.0, min(seconds, self._flush_deadline - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _temporal(self) -> Client:
        if self._client is None:
            self._client = await connect(
                self.config.temporal,
                identity=leecher_identity(),
                connect_timeout=timedelta(seconds=self.options.temporal_connect_timeout_s),
            )
        return self._client

    async def drain_once(self, client: Client) -> int:
        """Hand the oldest chunk to Temporal; returns the number of records removed."""
        records = self.spool.oldest(self.options.drain_chunk)
        if not records:
            return 0
        chunk = _Chunk()
        for record in records:
            chunk.seqs.append(record.seq)
            if record.problem is not None:
                self.counters.decode_problems += 1
                log.error(
                    "spooled ftrack event %s cannot be read back and is discarded (%s); "
                    "a resync of its project repairs what it changed",
                    record.event_id,
                    record.problem,
                )
            for event in record.events:
                await self._route(record.event_id, event, chunk)
        await asyncio.gather(
            *(
                self._signal_project(client, project_id, events)
                for project_id, events in chunk.by_project.items()
            )
        )
        # only now, with every signal accepted, are the records handed over
        self.spool.delete(chunk.seqs, chunk.resyncs)
        forwarded = sum(len(events) for events in chunk.by_project.values())
        self.counters.forwarded_events += forwarded
        self.counters.ignored_auto_sync_off += chunk.ignored
        if chunk.resyncs:
            self._next_resync_attempt = 0.0
        log.debug("forwarded %d event part(s) from %d record(s)", forwarded, len(records))
        return len(records)

    async def _route(self, event_id: str, event: ProjectEvent, chunk: _Chunk) -> None:
        project_id = event.project_id
        toggle = _auto_sync_toggle(event)
        if toggle is not None:
            switched_on, was_on = toggle
            self.gate.note(project_id, switched_on)
            if switched_on and not was_on:
                log.info("auto-sync switched on for ftrack project %s: full sync", project_id)
                chunk.resyncs = [r for r in chunk.resyncs if r.project_id != project_id]
                chunk.resyncs.append(
                    ResyncRequest(project_id, f"auto-sync-on/{event_id}", "auto-sync switched on")
                )
            enabled = switched_on
        else:
            enabled = await self.gate.enabled(project_id)
        if enabled:
            chunk.by_project.setdefault(project_id, []).append(event)
        else:
            chunk.ignored += 1

    async def _signal_project(
        self, client: Client, project_id: str, events: list[ProjectEvent]
    ) -> None:
        """Signal-with-start, in order, in batches that stay far below Temporal's limits."""
        for batch in _batches(events, self.options.max_signal_bytes):
            await client.start_workflow(
                ProjectSyncWorkflow.run,
                ProjectSyncInput(ftrack_project_id=project_id),
                id=workflow_id_for(project_id),
                task_queue=self.config.temporal.task_queue,
                start_signal="enqueue",
                start_signal_args=[EventBatch(events=batch)],
                search_attributes=_search_attributes(project_id),
                rpc_timeout=timedelta(seconds=self.options.rpc_timeout_s),
            )
            self.counters.signals += 1

    async def _request_resyncs(self, client: Client) -> None:
        """Send recorded full-sync requests; failures retry later without blocking events."""
        if time.monotonic() < self._next_resync_attempt:
            return
        for request in self.spool.resyncs():
            try:
                if not await self.gate.enabled(request.project_id):
                    log.info(
                        "full sync of ftrack project %s not requested: auto-sync is off",
                        request.project_id,
                    )
                    self.spool.resync_done(request)
                    continue
                await asyncio.wait_for(
                    self._start_resync(client, request),
                    timeout=self.options.rpc_timeout_s * 3,
                )
            except Exception as exc:
                delay = self._resync_backoff.next()
                self._next_resync_attempt = time.monotonic() + delay
                log.warning(
                    "full sync request for ftrack project %s not accepted yet (%s); retry in "
                    "%.0f s",
                    request.project_id,
                    _short(exc),
                    delay,
                )
                return
            self.spool.resync_done(request)
            self.counters.resyncs_requested += 1
            self._resync_backoff.reset()

    async def _start_resync(self, client: Client, request: ResyncRequest) -> None:
        # the update id makes a repeated request (crash before resync_done) a no-op
        await client.start_update_with_start_workflow(
            ProjectSyncWorkflow.resync,
            ResyncUpdate(requested_by=f"leecher: {request.reason}"),
            id=request.request_id,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            start_workflow_operation=WithStartWorkflowOperation(
                ProjectSyncWorkflow.run,
                ProjectSyncInput(ftrack_project_id=request.project_id),
                id=workflow_id_for(request.project_id),
                task_queue=self.config.temporal.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                search_attributes=_search_attributes(request.project_id),
            ),
            rpc_timeout=timedelta(seconds=self.options.rpc_timeout_s),
        )


async def run_leecher(config: AppConfig, options: LeecherOptions = LeecherOptions()) -> None:
    """The CLI's entry: run until SIGTERM/SIGINT."""
    leecher = Leecher(config, options)
    await leecher.run()


def hub_session(config: FtrackConfig) -> Any:
    """An ftrack session WITH the event hub (``open_session`` deliberately has none)."""
    import ftrack_api

    if not (config.server_url and config.api_user and config.api_key):
        from ayon_ftrack_sync.ftrack.errors import FtrackNotConfigured

        raise FtrackNotConfigured(
            "ftrack is not configured (FTRACK_SERVER, FTRACK_API_USER, FTRACK_API_KEY)"
        )
    return ftrack_api.Session(
        server_url=config.server_url,
        api_user=config.api_user,
        api_key=config.api_key.get_secret_value(),
        auto_connect_event_hub=True,
        plugin_paths=[],
        schema_cache_path=False,
    )


def leecher_identity() -> str:
    return f"ayon-ftrack-sync-leecher-{__version__}@{socket.gethostname()}:{os.getpid()}"


# -- helpers ------------------------------------------------------------------------------------


def _search_attributes(project_id: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(FTRACK_PROJECT_ID, project_id)])


def _auto_sync_toggle(event: ProjectEvent) -> tuple[bool, bool] | None:
    """(now on, was on) when this event changes the project's ``auto_sync_enabled``."""
    for change in event.changes:
        if change.table == "show" and change.entity_id == event.project_id:
            value = change.changes.get(AUTO_SYNC_KEY)
            if value is not None:
                return _truthy(value.new), _truthy(value.old)
    return None


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_TEXT
    return bool(value)


def _batches(events: list[ProjectEvent], max_bytes: int) -> list[list[ProjectEvent]]:
    """Consecutive batches under ``max_bytes`` of JSON; an oversized event is split into parts
    with derived ids (``<id>#1``...) so the workflow's dedupe still recognises a repeat."""
    batches: list[list[ProjectEvent]] = []
    current: list[ProjectEvent] = []
    size = 0
    for event in events:
        for part in _split(event, max_bytes):
            part_size = len(part.model_dump_json())
            if current and size + part_size > max_bytes:
                batches.append(current)
                current, size = [], 0
            current.append(part)
            size += part_size
    if current:
        batches.append(current)
    return batches


def _split(event: ProjectEvent, max_bytes: int) -> list[ProjectEvent]:
    if len(event.model_dump_json()) <= max_bytes:
        return [event]
    parts: list[ProjectEvent] = []
    current: list[Any] = []
    # the envelope (ids, user, application) is repeated in every part
    overhead = len(event.model_copy(update={"changes": []}).model_dump_json()) + 64
    size = overhead
    for change in event.changes:
        change_size = len(change.model_dump_json()) + 1  # the list separator
        if change_size > max_bytes:
            # a single change this large is hostile: keep which keys changed (the apply reads
            # current values from ftrack), drop the oversized values
            log.error(
                "ftrack event %s: change of %s %s is %d bytes; its values were dropped",
                event.event_id,
                change.table,
                change.entity_id,
                change_size,
            )
            change = change.model_copy(update={"changes": {}})
            change_size = len(change.model_dump_json()) + 1  # the list separator
        if current and size + change_size > max_bytes:
            parts.append(_part(event, current, len(parts)))
            current, size = [], overhead
        current.append(change)
        size += change_size
    if current:
        parts.append(_part(event, current, len(parts)))
    return parts


def _part(event: ProjectEvent, changes: list[Any], index: int) -> ProjectEvent:
    event_id = event.event_id if index == 0 else f"{event.event_id}#{index}"
    return event.model_copy(update={"event_id": event_id, "changes": changes})


def _never(project_id: str) -> bool:
    return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return _cut(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
