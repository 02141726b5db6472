"""Benchmark of the full ftrack -> AYON sync, against its I/O floor measured in the same run.

Setup: a generated ftrack project (sequences x shots x tasks, frame attributes and assignees
set) in the ftrack emulator and an empty AYON emulator, each in its own process (started with
`ayon-ftrack-sync emulate ... --state-file`), the Temporal dev server and one
`ayon-ftrack-sync worker` as subprocesses (so the worker's peak RSS is its own).

Measured:
* `full_sync_s`: first FullSyncWorkflow (creates everything, writes ids back to ftrack);
* `noop_s` / `noop_writes`: the same sync again (must write nothing);
* `floor_s`: the minimal bulk I/O for the same data with the same clients and no Temporal:
  one paged read of the ftrack hierarchy and its custom attribute values, the AYON creates in
  500-operation batches, and the ftrack `ayon_id` write-back in 500-write batches, into a
  fresh AYON project;
* requests per side (from the workflow report), and the worker's peak RSS (VmHWM).

Usage: `python bench/full_sync.py [--sequences 100 --shots 20 --tasks 5]` (12,100 entities).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ayon_api
import ftrack_api
from temporalio.client import Client

from ayon_ftrack_sync.config import TemporalConfig
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.ftrack.transport import FtrackApi, QueryRunner, quote
from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, FullSyncReport, Phase, PhaseResult
from ayon_ftrack_sync.temporal import connect
from ayon_ftrack_sync.temporal.devserver import DevServer, DevServerOptions, free_port
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.helpers import sync_env  # noqa: E402

TASK_QUEUE = "bench-full-sync"


def _phase(report: FullSyncReport, phase: Phase) -> PhaseResult:
    return next(p for p in report.phases if p.phase is phase)


def cli_path() -> Path:
    import sysconfig

    return Path(sysconfig.get_path("scripts")) / "ayon-ftrack-sync"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run_sync(client: Client, project_id: str, create: bool) -> tuple[float, FullSyncReport]:
    started = time.perf_counter()
    report = await client.execute_workflow(
        FullSyncWorkflow.run,
        FullSyncInput(ftrack_project_id=project_id, create_project=create),
        id=f"bench/full-sync/{uuid.uuid4().hex[:8]}",
        task_queue=TASK_QUEUE,
    )
    return time.perf_counter() - started, report


def floor(ftrack_server: Endpoint, ayon_server: Endpoint, project_id: str) -> float:
    """Read the hierarchy and values, create everything in AYON, write ids back: no planning."""
    started = time.perf_counter()
    session = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        api_user=ftrack_server.api_user,
        schema_cache_path=False,
        auto_connect_event_hub=False,
    )
    try:
        api_ft = FtrackApi(session)
        runner = QueryRunner(api_ft)
        rows = runner.fetch(
            "select id, name, parent_id, object_type_id, type_id, status_id from TypedContext "
            f"where project_id is {quote(project_id)} order by id"
        )
        confs = {
            r["key"]: r["id"]
            for r in runner.fetch("select id, key from CustomAttributeConfiguration")
        }
        ids = [r["id"] for r in rows]
        values: list[dict[str, Any]] = []
        for start in range(0, len(ids), 500):
            chunk = ", ".join(quote(i) for i in ids[start : start + 500])
            values += runner.fetch(
                f"select entity_id, configuration_id, value from CustomAttributeValue "
                f"where entity_id in ({chunk})"
            )
        api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key, sender_type="ftrack")
        api.create_project("Floor", "floor")
        by_parent: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_parent.setdefault(row["parent_id"], []).append(row)
        ayon_ids = {row["id"]: uuid.uuid5(uuid.NAMESPACE_URL, row["id"]).hex for row in rows}
        ops: list[dict[str, Any]] = []
        queue = [project_id]
        while queue:
            parent = queue.pop(0)
            for row in by_parent.get(parent, []):
                queue.append(row["id"])
                is_task = row.get("type_id") is not None
                data: dict[str, Any] = {
                    "id": ayon_ids[row["id"]],
                    "name": row["name"],
                    "attrib": {"ftrackId": row["id"]},
                }
                if is_task:
                    data.update(taskType="Compositing", folderId=ayon_ids.get(parent))
                else:
                    data.update(folderType="Folder", parentId=ayon_ids.get(parent))
                ops.append(
                    {
                        "type": "create",
                        "entityType": "task" if is_task else "folder",
                        "entityId": data["id"],
                        "data": data,
                    }
                )
        for start in range(0, len(ops), 500):
            api.send_batch_operations("Floor", ops[start : start + 500])
        writes = [
            {
                "action": "update",
                "entity_type": "ContextCustomAttributeValue",
                "entity_key": [confs["ayon_id"], row["id"]],
                "entity_data": {"value": ayon_ids[row["id"]]},
            }
            for row in rows
        ]
        for start in range(0, len(writes), 500):
            api_ft.call(writes[start : start + 500])
        del values
    finally:
        session.close()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Endpoint:
    """URL and credentials of a server (what `sync_env` and the floor need)."""

    url: str
    api_user: str
    api_key: str


class ServerProcess:
    """An emulator started with `ayon-ftrack-sync emulate ...` from a state dump."""

    def __init__(self, args: list[str], port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.process = subprocess.Popen(
            [str(cli_path()), "emulate", *args, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"emulator on port {port} did not start; see {log}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


async def main(sequences: int, shots: int, tasks: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-full-sync-"))
    ftrack_key, ayon_key = uuid.uuid4().hex, uuid.uuid4().hex
    with FtrackEmulator(api_key=ftrack_key) as builder:
        project_id = builder.control.generate_project(
            "bench", sequences=sequences, shots=shots, tasks=tasks
        )
        (tmp / "ftrack.json").write_text(json.dumps(builder.control.dump()))
    with AyonEmulator(api_key=ayon_key) as builder_ayon:
        for artist in ("artist1.bench", "artist2.bench"):
            builder_ayon.control.create_user(artist)
        (tmp / "ayon.json").write_text(json.dumps(builder_ayon.control.dump()))
    ftrack_proc = ServerProcess(
        ["ftrack", "--api-key", ftrack_key, "--state-file", str(tmp / "ftrack.json")],
        free_port(),
        tmp / "ftrack.log",
    )
    ayon_proc = ServerProcess(
        ["ayon", "--api-key", ayon_key, "--state-file", str(tmp / "ayon.json")],
        free_port(),
        tmp / "ayon.log",
    )
    ftrack_server = Endpoint(ftrack_proc.url, "admin", ftrack_key)
    ayon_server = Endpoint(ayon_proc.url, "admin", ayon_key)
    entities = sequences + sequences * shots + sequences * shots * tasks
    port = free_port()
    server = DevServer(
        DevServerOptions(state_dir=tmp / "temporal", port=port, ui_port=None, persistent=False)
    )
    server.start()
    env = {
        **os.environ,
        **sync_env(
            tmp,
            ftrack_server,
            ayon_server,
            TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
            AYON_FTRACK_SYNC_TASK_QUEUE=TASK_QUEUE,
            AYON_FTRACK_SYNC_LOG_LEVEL="WARNING",
        ),
    }
    worker = subprocess.Popen(
        [str(cli_path()), "worker"],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "worker.log").open("w"),
    )
    try:
        client = await connect(TemporalConfig(TEMPORAL_ADDRESS=f"127.0.0.1:{port}"))  # type: ignore[call-arg]
        first_s, first = await run_sync(client, project_id, create=True)
        noop_s, noop = await run_sync(client, project_id, create=False)
        rss = peak_rss_mb(worker.pid)
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        server.stop()
        floor_s = floor(ftrack_server, ayon_server, project_id)
    finally:
        if worker.poll() is None:
            worker.kill()
        server.stop()
        ftrack_proc.stop()
        ayon_proc.stop()
    first_totals, noop_totals = first.totals(), noop.totals()
    return {
        "entities": entities,
        "full_sync_s": round(first_s, 2),
        "floor_s": round(floor_s, 2),
        "ratio_to_floor": round(first_s / floor_s, 2),
        "noop_s": round(noop_s, 2),
        "noop_ratio": round(noop_s / first_s, 3),
        "noop_writes": noop_totals.get("created", 0)
        + noop_totals.get("updated", 0)
        + noop_totals.get("deactivated", 0)
        + noop_totals.get("ftrack_writes", 0),
        "created": first_totals.get("created", 0),
        "conflicts": first_totals["conflicts"],
        "ayon_requests": first_totals["ayon_requests"],
        "ftrack_requests": first_totals["ftrack_requests"],
        "ayon_requests_per_100": round(100 * first_totals["ayon_requests"] / entities, 2),
        "ftrack_requests_per_100": round(100 * first_totals["ftrack_requests"] / entities, 2),
        "noop_ayon_requests": noop_totals["ayon_requests"],
        "noop_ftrack_requests": noop_totals["ftrack_requests"],
        "phase_s": {p.phase.value: p.seconds for p in first.phases},
        "noop_phase_s": {p.phase.value: p.seconds for p in noop.phases},
        "hierarchy_steps_s": _phase(first, Phase.HIERARCHY).timings,
        "noop_hierarchy_steps_s": _phase(noop, Phase.HIERARCHY).timings,
        "peak_rss_mb": round(rss, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=100)
    parser.add_argument("--shots", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(main(args.sequences, args.shots, args.tasks))
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)
