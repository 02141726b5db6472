"""The AYON listener: AYON `entity.*` / `entity_list.*` events -> per-project Temporal workflows.

Why it is built this way (seed_features.md section 4.1, design.md data flow step 3):

* AYON keeps its events, so AYON itself is the durable queue: the listener *enrolls* jobs
  (target topic ``ftrack.sync``) on the source topics of seed_features.md 4.1 and asks the
  server to skip events whose sender type is ``ftrack``: those are this service's own writes
  (the loop guard, see ``ayon/client.py``). A job is marked ``finished`` only after Temporal
  accepted the signal that carries its change. Until then it stays open, and AYON hands an
  open job back to the sender that holds it (ayon_contract.md C.4, "resume"): a crash loses
  nothing, and a change signalled twice is dropped by the workflow (dedupe by AYON event id).
* Batching: AYON gives one sender one open job at a time. To hold several jobs at once the
  listener enrolls under a fixed set of *slot* senders (``<service>.ayon-listener.<n>``),
  stable across restarts, so a restarted listener resumes exactly the jobs its predecessor
  held (the first round after a start or an AYON outage looks at every slot). A batch is up to
  ``batch_max_jobs`` jobs or ``batch_window_s`` seconds; it is grouped by project in source
  order and handed over with one signal-with-start per project (split to stay far below
  Temporal's payload limits). The next batch is only taken once this one is handed over, so
  each project's changes reach its workflow in AYON's order.
* Routing: the ftrack project of an AYON project is its ``attrib.ftrackId`` if set, else the
  ftrack project whose ``full_name`` equals the AYON project name (one ftrack query for all
  projects, cached with a TTL). Only projects with ftrack ``auto_sync_enabled`` on (the
  leecher's ``AutoSyncGate``) are synced; a job of any other project is finished with a
  description saying why it was skipped (never failed: there is nothing to retry).
* A payload that is too large is cut (its identifying keys are kept); the transmit activity
  reads the current AYON state of the entity anyway.
* AYON and Temporal outages: the batch in hand is kept and handed over with backoff once both
  answer; its jobs stay open in AYON meanwhile. SIGTERM/SIGINT finishes the hand-over in
  hand (bounded) and hands back what could not be handed over (``failed``, so AYON offers it
  again to whichever listener enrolls next). A periodic health line shows the counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from ayon_ftrack_sync import __version__
from ayon_ftrack_sync.ayon.client import AyonCredentialsRejected, AyonUnavailable, open_api
from ayon_ftrack_sync.config import AYON_SENDER_TYPE, AppConfig, FtrackConfig
from ayon_ftrack_sync.payloads.project_sync import AyonChange, AyonEventBatch, ProjectSyncInput
from ayon_ftrack_sync.temporal import connect
from ayon_ftrack_sync.workers.leecher import (
    AutoSyncGate,
    Backoff,
    FtrackFlagLookup,
    LeecherCounters,
    _search_attributes,
    _short,
)
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for

log = logging.getLogger(__name__)

T = TypeVar("T")

#: AYON topics whose changes go to ftrack (seed_features.md section 4.1, in that order)
SOURCE_TOPICS: tuple[str, ...] = (
    *(
        f"entity.{entity}.{change}"
        for entity in ("project", "folder", "task", "product", "version")
        for change in ("created", "deleted", "active_changed", "attrib_changed", "data_changed")
    ),
    *(f"entity.{entity}.type_changed" for entity in ("folder", "task", "product")),
    *(
        f"entity.{entity}.{change}"
        for entity in ("folder", "task", "version")
        for change in ("thumbnail_changed", "status_changed")
    ),
    "entity.project.changed",
    "entity.folder.parent_changed",
    "entity.task.folder_changed",
    "entity.product.folder_changed",
    "entity.version.product_changed",
    "entity.version.task_changed",
    "entity.task.assignees_changed",
    "reviewable.created",
    "entity_list.created",
    "entity_list.changed",
    "entity_list.deleted",
    # beyond the original transmitter: renames reach ftrack too (issue 7)
    *(
        f"entity.{entity}.{change}"
        for entity in ("folder", "task")
        for change in ("renamed", "label_changed")
    ),
    # comments as events instead of the original's 15 s polling (seed_features.md 4.2)
    "activity.created",
    "activity.updated",
)
#: the enrolled jobs' topic (the original transmitter's, so a switch-over does not re-send)
TARGET_TOPIC = "ftrack.sync"
#: events made by this service (its AYON writes carry this sender type) are never enrolled
IGNORED_SENDER_TYPES: tuple[str, ...] = (AYON_SENDER_TYPE,)
#: most slot senders (= most jobs held at once); a start looks at all of them to resume
MAX_SLOTS = 64
#: what the listener reads of its jobs' source events (one GraphQL query per batch)
_SOURCE_FIELDS = ("id", "topic", "project", "user", "createdAt", "summary", "payload")
#: project-level topics after which the project's ftrack link is looked up again
_LINK_TOPICS = frozenset(
    {
        "entity.project.created",
        "entity.project.deleted",
        "entity.project.changed",
        "entity.project.attrib_changed",
    }
)
#: keys that identify an entity or a change; kept when a payload has to be cut
IDENTITY_KEYS = (
    "id",
    "entityId",
    "parentId",
    "folderId",
    "productId",
    "taskId",
    "versionId",
    "entityPath",
    "path",
    "name",
    "label",
    "folderType",
    "taskType",
    "productType",
    "entityType",
    "entityListType",
    "status",
    "version",
    "active",
    "value",
)
#: how hard a too-large payload is cut, one level after the other:
#: (longest text, most list items, most mapping keys, deepest nesting)
_TRIM_LEVELS = ((2048, 200, 200, 6), (256, 20, 50, 4), (64, 5, 20, 2))
#: ayon_api refuses `ignoreSenderTypes` on servers up to this version (the loop guard)
_MIN_SERVER_VERSION = (1, 5, 5)


class ListenerFatal(RuntimeError):
    """The listener cannot work with this AYON server at all (an operator must act)."""


@dataclass(frozen=True)
class ListenerOptions:
    """Knobs; the defaults suit production, tests shorten the timings."""

    #: jobs per batch (and slot senders used); capped at MAX_SLOTS
    batch_max_jobs: int = 20
    #: how long a batch waits for more jobs after its first one
    batch_window_s: float = 0.2
    #: pause between enroll attempts while a batch is open
    batch_poll_s: float = 0.05
    #: idle wait between enroll attempts when AYON has nothing
    poll_interval_s: float = 1.0
    #: one signal carries at most this much JSON (Temporal warns at 256 KB, rejects at 2 MB)
    max_signal_bytes: int = 200 * 1024
    #: one change (summary + payload) is cut to this much JSON
    max_change_bytes: int = 16 * 1024
    #: ftrack links of AYON projects, the ftrack project index and auto-sync flags are
    #: looked up again after this long
    project_ttl_s: float = 60.0
    health_interval_s: float = 60.0
    retry_initial_s: float = 0.5
    retry_max_s: float = 30.0
    rpc_timeout_s: float = 10.0
    temporal_connect_timeout_s: float = 5.0
    ayon_timeout_s: float = 30.0
    #: how long SIGTERM waits for the batch in hand to be handed over
    stop_timeout_s: float = 10.0
    #: enroll skips source events older than this many days (None: the server's default, 3)
    ignore_older_than_days: int | None = None
    #: a job handed back (failed) is offered again this many times; it only happens on stops
    max_retries: int = 1000
    #: AYON requests in flight at once while enrolling (one per slot) and finishing jobs
    parallel_requests: int = 8


@dataclass
class ListenerCounters:
    """What the health line reports (since start)."""

    enrolled: int = 0
    resumed_rounds: int = 0
    forwarded: int = 0
    signals: int = 0
    finished: int = 0
    skipped: int = 0
    truncated: int = 0
    released: int = 0
    link_lookups: int = 0
    ftrack_index_queries: int = 0
    ayon_errors: int = 0
    forward_errors: int = 0
    #: the auto-sync gate's own counters (flag_lookups is the one that matters)
    gate: LeecherCounters = field(default_factory=LeecherCounters)

    def line(self, held: int, ayon_ok: bool, temporal_ok: bool) -> str:
        return (
            f"enrolled {self.enrolled}, forwarded {self.forwarded} in {self.signals} "
            f"signal(s), finished {self.finished}, skipped {self.skipped}, held {held}, "
            f"payloads cut {self.truncated}, handed back {self.released}, link lookups "
            f"{self.link_lookups}, auto-sync lookups {self.gate.flag_lookups}, AYON errors "
            f"{self.ayon_errors}, forward errors {self.forward_errors}; "
            f"ayon {'ok' if ayon_ok else 'UNREACHABLE'}, "
            f"temporal {'ok' if temporal_ok else 'UNREACHABLE'}"
        )


@dataclass
class Job:
    """One enrolled AYON job and what became of it."""

    job_id: str
    source_id: str
    slot: int
    #: source event's creation time (batch order)
    created_at: str = ""
    change: AyonChange | None = None
    ftrack_project_id: str | None = None
    #: why the job is finished without a signal (then ``change`` is not sent)
    skip_reason: str | None = None
    #: its source event was read (``change`` or ``skip_reason`` set from it)
    read: bool = False
    routed: bool = False
    signalled: bool = False
    finished: bool = False


# -- routing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """Where the changes of one AYON project go: an ftrack project id, or why nowhere."""

    ftrack_project_id: str | None
    reason: str | None = None


class ProjectRouter:
    """AYON project name -> ftrack project id (linked and auto-sync on), cached with a TTL.

    The link is the AYON project's ``attrib.ftrackId`` if set, else the ftrack project whose
    ``full_name`` equals the AYON project name (one ftrack query lists every project)."""

    def __init__(
        self,
        ayon_project: Callable[[str], Awaitable[Mapping[str, Any] | None]],
        ftrack_projects: Callable[[], Awaitable[Mapping[str, list[str]]]],
        gate: AutoSyncGate,
        ttl_s: float,
        counters: ListenerCounters,
    ) -> None:
        self._ayon_project = ayon_project
        self._ftrack_projects = ftrack_projects
        self._gate = gate
        self._ttl_s = ttl_s
        self._counters = counters
        self._links: dict[str, tuple[Route, float]] = {}
        self._index: Mapping[str, list[str]] | None = None
        self._index_at = 0.0

    def forget(self, project_name: str) -> None:
        self._links.pop(project_name, None)

    async def route(self, project_name: str) -> Route:
        cached = self._links.get(project_name)
        if cached is None or time.monotonic() - cached[1] > self._ttl_s:
            link = await self._link(project_name)
            self._links[project_name] = (link, time.monotonic())
            while len(self._links) > 10_000:  # hostile names must not grow it forever
                self._links.pop(next(iter(self._links)))
        else:
            link = cached[0]
        if link.ftrack_project_id is None:
            return link
        if not await self._gate.enabled(link.ftrack_project_id):
            return Route(
                None,
                f"auto-sync is off for ftrack project {link.ftrack_project_id} "
                f"(custom attribute auto_sync_enabled)",
            )
        return link

    async def _link(self, project_name: str) -> Route:
        self._counters.link_lookups += 1
        project = await self._ayon_project(project_name)
        if project is None:
            return Route(None, f"AYON project {project_name!r} does not exist (any more)")
        attrib = project.get("attrib")
        ftrack_id = attrib.get("ftrackId") if isinstance(attrib, Mapping) else None
        if isinstance(ftrack_id, str) and ftrack_id.strip():
            return Route(ftrack_id.strip())
        ids = (await self._index_of_projects()).get(project_name, [])
        if len(ids) == 1:
            return Route(ids[0])
        if ids:
            return Route(
                None,
                f"{len(ids)} ftrack projects are named {project_name!r}; set attrib.ftrackId "
                "on the AYON project to choose one",
            )
        return Route(
            None,
            f"AYON project {project_name!r} is not linked to an ftrack project (no "
            "attrib.ftrackId, no ftrack project with that full name)",
        )

    async def _index_of_projects(self) -> Mapping[str, list[str]]:
        if self._index is None or time.monotonic() - self._index_at > self._ttl_s:
            self._index = await self._ftrack_projects()
            self._index_at = time.monotonic()
            self._counters.ftrack_index_queries += 1
        return self._index


class FtrackProjectIndex:
    """ftrack project ids by full name, in one query (lazy session, re-opened on error)."""

    def __init__(self, config: FtrackConfig) -> None:
        self._config = config
        self._session: Any = None

    def __call__(self) -> dict[str, list[str]]:
        from ayon_ftrack_sync.ftrack.session import open_session

        if self._session is None:
            self._session = open_session(self._config, timeout=30.0)
        try:
            rows = self._session.query("select id, full_name from Project").all()
        except Exception:
            self.close()
            raise
        index: dict[str, list[str]] = {}
        for row in rows:
            index.setdefault(str(row["full_name"]), []).append(str(row["id"]))
        return index

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()


# -- the listener ---------------------------------------------------------------------------------


class AyonListener:
    """Enroll -> route -> signal-with-start -> finish, in batches; ``run()`` until stopped."""

    def __init__(
        self,
        config: AppConfig,
        options: ListenerOptions = ListenerOptions(),
        *,
        client: Client | None = None,
        flag_lookup: Callable[[str], bool] | None = None,
        ftrack_projects: Callable[[], Mapping[str, list[str]]] | None = None,
    ) -> None:
        self.config = config
        self.options = options
        self.counters = ListenerCounters()
        self.slots = max(1, min(options.batch_max_jobs, MAX_SLOTS))
        self.sender_base = listener_sender(config)
        self._client = client
        self._api: Any = None
        # AYON calls are blocking (requests): one thread keeps them in order
        self._ayon_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ayon-listener")
        # enrolls of different slots and job updates are independent: these go in parallel
        self._ayon_pool = ThreadPoolExecutor(
            max_workers=max(1, options.parallel_requests), thread_name_prefix="ayon-listener-io"
        )
        self._ftrack_executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="ftrack-projects"
        )
        self._owned_lookup = FtrackFlagLookup(config.ftrack) if flag_lookup is None else None
        self._owned_index = FtrackProjectIndex(config.ftrack) if ftrack_projects is None else None
        self._index_lookup: Callable[[], Mapping[str, list[str]]] = (
            ftrack_projects or self._owned_index or dict
        )
        self.gate = AutoSyncGate(
            flag_lookup or self._owned_lookup or _never, options.project_ttl_s, self.counters.gate
        )
        self.router = ProjectRouter(
            self._ayon_project,
            self._ftrack_index,
            self.gate,
            options.project_ttl_s,
            self.counters,
        )
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._stopping = False
        self._stop_deadline = 0.0
        #: the start's look at every slot goes on from this slot (None: done)
        self._resume_from: int | None = 0
        self.held: list[Job] = []
        self.ayon_ok = False
        self.temporal_ok = False

    # -- lifecycle -------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Graceful stop (signal handler, tests): hand over what is in hand, then end."""
        self._stop.set()
        self._wake.set()

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if install_signal_handlers:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self.request_stop)
        log.info(
            "AYON listener started: %s, %d topic(s) -> %s as %s.<0..%d>, Temporal %s task queue %s",
            self.config.ayon.server_url,
            len(SOURCE_TOPICS),
            TARGET_TOPIC,
            self.sender_base,
            self.slots - 1,
            self.config.temporal.address,
            self.config.temporal.task_queue,
        )
        pump = asyncio.create_task(self._pump(), name="ayon-listener-pump")
        health = asyncio.create_task(self._health_loop(), name="ayon-listener-health")
        stopped = asyncio.create_task(self._stop.wait(), name="ayon-listener-stop")
        try:
            await asyncio.wait({pump, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not pump.done():
                log.info("stop requested: handing over the batch in hand")
                self._stopping = True
                self._stop_deadline = time.monotonic() + self.options.stop_timeout_s
                self._wake.set()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(pump, self.options.stop_timeout_s + 5.0)
            elif not pump.cancelled() and pump.exception() is not None:
                raise pump.exception()  # type: ignore[misc]
        finally:
            # a cancelled run (a killed process) makes no more requests: open jobs stay open
            for task in (pump, health, stopped):
                task.cancel()
            for task in (pump, health, stopped):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._close()
            if install_signal_handlers:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)
            log.info(
                "AYON listener stopped: %s",
                self.counters.line(len(self.held), self.ayon_ok, self.temporal_ok),
            )

    async def _close(self) -> None:
        api, self._api = self._api, None
        self._ayon_executor.shutdown(wait=False, cancel_futures=True)
        self._ayon_pool.shutdown(wait=False, cancel_futures=True)
        self._ftrack_executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self.gate.close)
        for owned in (self._owned_lookup, self._owned_index):
            if owned is not None:
                owned.close()
        if api is not None:
            with contextlib.suppress(Exception):
                api.close_session()

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.health_interval_s)
            log.info(
                "AYON listener healthy: %s",
                self.counters.line(len(self.held), self.ayon_ok, self.temporal_ok),
            )

    # -- the pump --------------------------------------------------------------------------

    async def _pump(self) -> None:
        backoff = Backoff(self.options.retry_initial_s, self.options.retry_max_s)
        failing_since: float | None = None
        while not self._stopping:
            try:
                jobs = await self._collect()
            except (ListenerFatal, AyonCredentialsRejected):
                raise
            except Exception as exc:
                self.counters.ayon_errors += 1
                self.ayon_ok = False
                if failing_since is None:
                    failing_since = time.monotonic()
                    log.warning("cannot enroll AYON jobs (%s); retrying with backoff", _short(exc))
                else:
                    log.debug("enrolling still failing: %s", _short(exc))
                await self._pause(backoff.next())
                continue
            if failing_since is not None:
                log.info("AYON answers again after %.0f s", time.monotonic() - failing_since)
                failing_since = None
            self.ayon_ok = True
            backoff.reset()
            if not jobs:
                await self._pause(self.options.poll_interval_s)
                continue
            await self._hand_over(jobs)

    async def _pause(self, seconds: float) -> None:
        """Sleep until woken, stopped or timed out (bounded by the stop deadline when stopping)."""
        if self._stopping:
            seconds = max(0.0, min(seconds, self._stop_deadline - time.monotonic()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    # -- 1. enroll ---------------------------------------------------------------------------

    async def _collect(self) -> list[Job]:
        """Take up to ``slots`` jobs (or what arrives within the batch window), source order.

        The first round after a start looks at every slot once (``MAX_SLOTS``): a slot that
        holds an open job of an earlier run gets it back. Later rounds use slots below
        ``slots`` only; a job of theirs left open by a failed round comes back by itself.
        An AYON error ends the round: what was taken so far is handed over, the rest waits.
        """
        resume = self._resume_from is not None
        jobs: list[Job] = []
        self.held = jobs
        if not resume:
            return await self._collect_parallel(jobs)
        slots = range(self._resume_from or 0, MAX_SLOTS)
        deadline: float | None = None
        for slot in slots:
            while True:
                if self._stopping:
                    return self._ordered(jobs)
                try:
                    job = await self._ayon_call(self._take, slot)
                except (ListenerFatal, AyonCredentialsRejected):
                    raise
                except Exception as exc:
                    if resume:
                        self._resume_from = slot  # go on from here next round
                    if not jobs:
                        raise
                    self.counters.ayon_errors += 1
                    log.info(
                        "enrolling stopped early (%s); handing over %d job(s)",
                        _short(exc),
                        len(jobs),
                    )
                    return self._ordered(jobs)
                if job is not None:
                    break
                if resume or deadline is None:
                    break  # resume: look at every slot once; idle: nothing to wait for
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return self._ordered(jobs)
                await self._pause(min(remaining, self.options.batch_poll_s))
            if job is None:
                if resume:
                    continue
                break  # idle
            jobs.append(job)
            self.counters.enrolled += 1
            if deadline is None:
                deadline = time.monotonic() + self.options.batch_window_s
            if not resume and time.monotonic() >= deadline:
                break
        if resume:
            self.counters.resumed_rounds += 1
            self._resume_from = None
        return self._ordered(jobs)

    async def _collect_parallel(self, jobs: list[Job]) -> list[Job]:
        """A normal round: enroll the free slots a wave at a time (``parallel_requests``
        requests in flight), until every slot holds a job or the batch window closes; an idle
        AYON ends the round at once."""
        await self._ayon_call(self._connected)  # opened once, before the pool uses it
        free = list(range(self.slots))
        deadline: float | None = None
        width = max(1, self.options.parallel_requests)
        while free and not self._stopping:
            wave = free[:width]
            results = await asyncio.gather(
                *(self._ayon_pooled(self._take, slot) for slot in wave), return_exceptions=True
            )
            error: BaseException | None = None
            taken = 0
            for slot, result in zip(wave, results, strict=True):
                if isinstance(result, (ListenerFatal, AyonCredentialsRejected)):
                    raise result
                if isinstance(result, BaseException):
                    error = error or result
                elif result is not None:
                    jobs.append(result)
                    free.remove(slot)
                    taken += 1
                    self.counters.enrolled += 1
            if error is not None:
                if not jobs:
                    raise error
                self.counters.ayon_errors += 1
                log.info(
                    "enrolling stopped early (%s); handing over %d job(s)",
                    _short(error),
                    len(jobs),
                )
                break
            if not jobs:
                break  # idle: nothing to wait for
            if deadline is None:
                deadline = time.monotonic() + self.options.batch_window_s
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if taken < len(wave):  # AYON has no more right now: wait a little for more
                await self._pause(min(remaining, self.options.batch_poll_s))
        return self._ordered(jobs)

    def _ordered(self, jobs: list[Job]) -> list[Job]:
        # resumed jobs may come back in any slot: the source events' creation time is the order
        jobs.sort(key=lambda job: job.created_at)
        return jobs

    def _take(self, slot: int) -> Job | None:
        """Enroll as slot ``slot`` (AYON thread); the source event is read per batch."""
        api = self._connected()
        body: dict[str, Any] = {
            "sourceTopic": list(SOURCE_TOPICS),
            "targetTopic": TARGET_TOPIC,
            "sender": self.sender(slot),
            "sequential": False,
            "ignoreSenderTypes": list(IGNORED_SENDER_TYPES),
            "maxRetries": self.options.max_retries,
        }
        if self.options.ignore_older_than_days is not None:
            body["ignoreOlderThan"] = self.options.ignore_older_than_days
        # the raw request (ayon_api's enroll_event_job would log and swallow server errors)
        response = api.post("enroll", **body)
        if response.status_code == 204:
            return None
        if response.status_code == 503:  # busy, or the same request still running
            log.debug("AYON is busy; enroll again later")
            return None
        if response.status_code >= 400:
            raise AyonUnavailable(
                f"enroll answered HTTP {response.status_code}: {_detail(response)}"
            )
        data = response.data or {}
        job_id, source_id = data.get("id"), data.get("dependsOn")
        if not isinstance(job_id, str) or not isinstance(source_id, str):
            raise AyonUnavailable(f"enroll answered without a job id: {_cut_repr(data)}")
        return Job(job_id=job_id, source_id=source_id, slot=slot)

    async def _read_sources(self, jobs: list[Job]) -> None:
        """Read the source events of the jobs not read yet, in one query, and put the batch in
        source order (one GraphQL request per batch instead of one REST read per job)."""
        unread = [job for job in jobs if not job.read]
        if not unread:
            return
        events = await self._ayon_call(self._source_events, [job.source_id for job in unread])
        for job in unread:
            event = events.get(job.source_id)
            job.read = True
            if event is None:
                job.skip_reason = f"source event {job.source_id} no longer exists"
                continue
            job.created_at = str(event.get("createdAt") or "")
            change, problem, cut = change_from_event(
                event, job.job_id, self.options.max_change_bytes
            )
            if cut:
                self.counters.truncated += 1
                log.info(
                    "AYON event %s (%s): payload cut to its identifying keys",
                    job.source_id,
                    change.topic if change else "?",
                )
            job.change, job.skip_reason = change, problem
        self._ordered(jobs)

    def _source_events(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Source events by id (AYON thread); summary and payload decoded."""
        api = self._connected()
        found: dict[str, dict[str, Any]] = {}
        for event in api.get_events(event_ids=ids, fields=_SOURCE_FIELDS):
            event = dict(event)
            for key in ("summary", "payload"):
                value = event.get(key)
                if isinstance(value, str):
                    try:
                        event[key] = json.loads(value) if value else {}
                    except ValueError:
                        event[key] = {}
            if isinstance(event.get("id"), str):
                found[event["id"]] = event
        return found

    # -- 2. route, 3. signal, 4. finish ------------------------------------------------------

    async def _hand_over(self, jobs: list[Job]) -> None:
        """Route, signal and finish the batch; keep retrying until done or stopped."""
        self.held = jobs
        backoff = Backoff(self.options.retry_initial_s, self.options.retry_max_s)
        failing_since: float | None = None
        while True:
            temporal_error: Exception | None = None
            try:
                await self._read_sources(jobs)
                await self._route_all(jobs)
                if any(job.ftrack_project_id and not job.signalled for job in jobs):
                    try:
                        await self._signal_all(await self._temporal(), jobs)
                        self.temporal_ok = True
                    except Exception as exc:  # finish what was accepted, then retry the rest
                        self.temporal_ok = False
                        temporal_error = exc
                await self._finish_all(jobs)
                self.ayon_ok = True
                if temporal_error is not None:
                    raise temporal_error
            except (ListenerFatal, AyonCredentialsRejected):
                raise
            except Exception as exc:
                if exc is temporal_error:
                    self.counters.forward_errors += 1
                else:  # reading AYON or ftrack, or finishing jobs in AYON
                    self.counters.ayon_errors += 1
                    self.ayon_ok = False
                if failing_since is None:
                    failing_since = time.monotonic()
                    log.warning(
                        "cannot hand over %d AYON job(s) (%s); they stay open in AYON and are "
                        "retried with backoff",
                        sum(not job.finished for job in jobs),
                        _short(exc),
                    )
                else:
                    log.debug("hand-over still failing: %s", _short(exc))
                if self._stopping and time.monotonic() >= self._stop_deadline:
                    await self._release(jobs)
                    return
                await self._pause(backoff.next())
                if self._stopping and time.monotonic() >= self._stop_deadline:
                    await self._release(jobs)
                    return
                continue
            if failing_since is not None:
                log.info("hand-over works again after %.0f s", time.monotonic() - failing_since)
            self.held = []
            return

    async def _route_all(self, jobs: list[Job]) -> None:
        for name in {
            job.change.project_name
            for job in jobs
            if job.change and not job.routed and job.change.topic in _LINK_TOPICS
        }:
            self.router.forget(name)
        for job in jobs:
            if job.routed:
                continue
            if job.change is not None and job.skip_reason is None:
                route = await self.router.route(job.change.project_name)
                job.ftrack_project_id, job.skip_reason = route.ftrack_project_id, route.reason
            job.routed = True

    async def _signal_all(self, client: Client, jobs: list[Job]) -> None:
        """One signal-with-start per project (projects in parallel, each in source order)."""
        by_project: dict[str, list[Job]] = {}
        for job in jobs:
            if job.change is not None and job.ftrack_project_id and not job.signalled:
                by_project.setdefault(job.ftrack_project_id, []).append(job)
        results = await asyncio.gather(
            *(self._signal_project(client, pid, part) for pid, part in by_project.items()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _signal_project(self, client: Client, project_id: str, jobs: list[Job]) -> None:
        """Signal-with-start ``enqueue_ayon``, in order, in batches far below Temporal's limits."""
        for part in _batches(jobs, self.options.max_signal_bytes):
            changes = [job.change for job in part if job.change is not None]
            await client.start_workflow(
                ProjectSyncWorkflow.run,
                ProjectSyncInput(ftrack_project_id=project_id),
                id=workflow_id_for(project_id),
                task_queue=self.config.temporal.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                start_signal="enqueue_ayon",
                start_signal_args=[AyonEventBatch(changes=changes)],
                search_attributes=_search_attributes(project_id),
                rpc_timeout=timedelta(seconds=self.options.rpc_timeout_s),
            )
            for job in part:
                job.signalled = True
            self.counters.signals += 1
            self.counters.forwarded += len(part)

    async def _finish_all(self, jobs: list[Job]) -> None:
        """Mark ``finished`` every job that was handed over or is skipped (AYON thread)."""
        ready = [
            job
            for job in jobs
            if not job.finished and job.routed and (job.signalled or job.skip_reason is not None)
        ]
        if ready:
            await self._ayon_call(self._finish, ready)

    def _finish(self, jobs: list[Job]) -> None:
        """Mark the jobs finished (AYON thread), ``parallel_requests`` requests at a time."""
        api = self._connected()

        def finish(job: Job) -> None:
            if job.skip_reason is not None:
                description = f"skipped: {job.skip_reason}"
            else:
                assert job.ftrack_project_id is not None
                description = f"handed to {workflow_id_for(job.ftrack_project_id)}"
            api.update_event(job.job_id, status="finished", description=description[:500])

        futures = [(job, self._ayon_pool.submit(finish, job)) for job in jobs]
        error: BaseException | None = None
        for job, future in futures:
            try:
                future.result()
            except Exception as exc:  # the others are still finished; this one is retried
                error = error or exc
                continue
            job.finished = True
            if job.skip_reason is not None:
                self.counters.skipped += 1
                log.debug("AYON job %s skipped: %s", job.job_id, job.skip_reason)
            else:
                self.counters.finished += 1
        if error is not None:
            raise error

    async def _release(self, jobs: list[Job]) -> None:
        """Stopping: hand back open jobs (``failed``: AYON offers them again), best effort."""
        open_jobs = [job for job in jobs if not job.finished]
        if not open_jobs:
            return

        def release() -> int:
            api = self._connected()
            released = 0
            for job in open_jobs:
                api.update_event(
                    job.job_id,
                    status="failed",
                    description="AYON listener stopped before handing this over; offered again",
                )
                released += 1
            return released

        try:
            released = await asyncio.wait_for(self._ayon_call(release), timeout=5.0)
        except Exception as exc:
            log.warning(
                "%d AYON job(s) stay open (%s); the next listener with the same service name "
                "resumes them",
                len(open_jobs),
                _short(exc),
            )
            return
        self.counters.released += released
        log.info("%d AYON job(s) handed back to AYON for the next listener", released)

    # -- connections -------------------------------------------------------------------------

    async def _temporal(self) -> Client:
        if self._client is None:
            self._client = await connect(
                self.config.temporal,
                identity=listener_identity(),
                connect_timeout=timedelta(seconds=self.options.temporal_connect_timeout_s),
            )
        return self._client

    async def _ayon_call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._ayon_executor, fn, *args)

    async def _ayon_pooled(self, fn: Callable[..., T], *args: Any) -> T:
        """An independent AYON request, in parallel with others (the connection is open)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._ayon_pool, fn, *args)

    def _connected(self) -> Any:
        """The AYON connection (AYON thread); opened (and checked) on first use."""
        if self._api is None:
            api, _ = open_api(self.config.ayon, timeout=self.options.ayon_timeout_s, max_retries=2)
            version = tuple(api.get_server_version_tuple()[:3])
            if version < _MIN_SERVER_VERSION:
                api.close_session()
                raise ListenerFatal(
                    f"AYON {api.get_server_version()} cannot filter events by sender type "
                    "(ignoreSenderTypes needs 1.5.5+): the sync would echo its own writes"
                )
            self._api = api
        return self._api

    async def _ayon_project(self, name: str) -> Mapping[str, Any] | None:
        def read() -> Mapping[str, Any] | None:
            project = self._connected().get_project(name)
            return project if isinstance(project, Mapping) else None

        return await self._ayon_call(read)

    async def _ftrack_index(self) -> Mapping[str, list[str]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._ftrack_executor, self._index_lookup)

    def sender(self, slot: int) -> str:
        return f"{self.sender_base}.{slot}"


async def run_ayon_listener(
    config: AppConfig, options: ListenerOptions = ListenerOptions()
) -> None:
    """The CLI's entry: run until SIGTERM/SIGINT."""
    listener = AyonListener(config, options)
    await listener.run()


def listener_sender(config: AppConfig) -> str:
    """Base of the slot senders: stable across restarts (no host, no pid), so open jobs resume.

    Two listeners on one AYON server need different ``AYON_SERVICE_NAME`` values."""
    return f"{config.ayon.service_name or 'ayon-ftrack-sync'}.ayon-listener"


def listener_identity() -> str:
    return f"ayon-ftrack-sync-ayon-listener-{__version__}@{socket.gethostname()}:{os.getpid()}"


# -- changes ------------------------------------------------------------------------------------


def change_from_event(
    event: Mapping[str, Any], job_id: str | None, max_bytes: int
) -> tuple[AyonChange | None, str | None, bool]:
    """(change, why there is none, whether its payload was cut) for one AYON source event."""
    event_id = event.get("id")
    topic = event.get("topic")
    project = event.get("project")
    if not isinstance(event_id, str) or not isinstance(topic, str):
        return None, "the source event has no id or topic", False
    if not isinstance(project, str) or not project:
        return None, f"{topic} event {event_id} names no project", False
    summary = event.get("summary") if isinstance(event.get("summary"), dict) else {}
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    assert isinstance(summary, dict) and isinstance(payload, dict)
    entity_type, entity_id = _entity_of(topic, summary, payload)
    user = event.get("user")
    change = AyonChange(
        event_id=event_id,
        topic=topic,
        project_name=project,
        entity_type=entity_type,
        entity_id=entity_id,
        user=user if isinstance(user, str) else None,
        summary=summary,
        payload=payload,
        job_id=job_id,
    )
    size = len(change.model_dump_json())
    if size <= max_bytes:
        return change, None, False
    for level in _TRIM_LEVELS:
        cut = change.model_copy(
            update={
                "summary": _trim(summary, *level),
                "payload": {**_trim(payload, *level), "_truncated": size},
            }
        )
        if len(cut.model_dump_json()) <= max_bytes:
            return cut, None, True
    # last resort: only what identifies the entity and the change
    entity_data = payload.get("entityData")
    kept: dict[str, Any] = {"_truncated": size}
    if isinstance(entity_data, dict):
        kept["entityData"] = _identity(entity_data)
    cut = change.model_copy(update={"summary": _identity(summary), "payload": kept})
    return cut, None, True


def _entity_of(
    topic: str, summary: Mapping[str, Any], payload: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    parts = topic.split(".")
    if parts[0] == "entity" and len(parts) >= 3:
        entity_type: str | None = parts[1]
    elif parts[0] == "entity_list":
        entity_type = "list"
    elif parts[0] == "reviewable":
        entity_type = "version"
    elif parts[0] == "activity":
        entity_type = "activity"
    else:
        entity_type = None
    for source, key in (
        (summary, "activity_id"),
        (summary, "entityId"),
        (summary, "entityListId"),
        (summary, "versionId"),
        (summary, "id"),
        (payload, "id"),
    ):
        value = source.get(key)
        if isinstance(value, str) and value:
            return entity_type, value
    return entity_type, None


def _trim(value: Any, text: int, items: int, keys: int, depth: int) -> Any:
    """A JSON-able copy with long texts, lists, mappings and deep nesting cut."""
    if isinstance(value, str):
        return value if len(value) <= text else value[:text] + "..."
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth <= 0:
        return None
    if isinstance(value, Mapping):
        ordered = sorted(value, key=lambda k: (k not in IDENTITY_KEYS, str(k)))
        return {
            str(k)[:text]: _trim(value[k], text, items, keys, depth - 1) for k in ordered[:keys]
        }
    if isinstance(value, list | tuple):
        return [_trim(v, text, items, keys, depth - 1) for v in value[:items]]
    return _trim(str(value), text, items, keys, depth)


def _identity(value: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key in IDENTITY_KEYS:
        item = value.get(key)
        if isinstance(item, str):
            kept[key] = item[:256]
        elif item is None or isinstance(item, bool | int | float):
            if key in value:
                kept[key] = item
    return kept


def _batches(jobs: list[Job], max_bytes: int) -> list[list[Job]]:
    """Consecutive batches of jobs whose changes stay under ``max_bytes`` of JSON."""
    batches: list[list[Job]] = []
    current: list[Job] = []
    size = 0
    for job in jobs:
        job_size = len(job.change.model_dump_json()) + 1 if job.change else 0
        if current and size + job_size > max_bytes:
            batches.append(current)
            current, size = [], 0
        current.append(job)
        size += job_size
    if current:
        batches.append(current)
    return batches


def _detail(response: Any) -> str:
    data = getattr(response, "data", None)
    if isinstance(data, Mapping) and data.get("detail"):
        return _cut_repr(data["detail"])
    return _cut_repr(getattr(response, "text", "") or "")


def _cut_repr(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _never(project_id: str) -> bool:
    return False
