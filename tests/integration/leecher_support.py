"""Shared by the leecher tests: fast options, polling without blocking the loop, running a
leecher as a task, and reading what the emulator's hub published and what was applied."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from ayon_ftrack_sync.config import (
    AppConfig,
    AyonConfig,
    FtrackConfig,
    ServiceConfig,
    TemporalConfig,
)
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.sync.events import decode_update
from ayon_ftrack_sync.workers.leecher import Leecher, LeecherOptions
from ayon_ftrack_sync.workflows.project_sync import workflow_id_for
from tests.workflows.project_sync_fakes import FakeIncremental

#: short timings so a test never waits on a production-sized interval
FAST = LeecherOptions(
    health_interval_s=0.5,
    poll_interval_s=0.2,
    retry_initial_s=0.1,
    retry_max_s=1.0,
    hub_retry_initial_s=0.2,
    hub_retry_max_s=1.0,
    hub_grace_s=0.5,
    flush_timeout_s=5.0,
    rpc_timeout_s=5.0,
    temporal_connect_timeout_s=2.0,
)


async def until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Poll without blocking the event loop (the worker and the forwarder run on it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or predicate!r}")
        await asyncio.sleep(0.05)


def leecher_config(tmp_path: Path, ftrack: FtrackEmulator, address: str, queue: str) -> AppConfig:
    return AppConfig(
        temporal=TemporalConfig(  # type: ignore[call-arg]
            TEMPORAL_ADDRESS=address, AYON_FTRACK_SYNC_TASK_QUEUE=queue
        ),
        ftrack=FtrackConfig(  # type: ignore[call-arg]
            FTRACK_SERVER=ftrack.url, FTRACK_API_USER=ftrack.api_user, FTRACK_API_KEY=ftrack.api_key
        ),
        ayon=AyonConfig(),  # type: ignore[call-arg]
        service=ServiceConfig(AYON_FTRACK_SYNC_STATE_DIR=str(tmp_path / "state")),  # type: ignore[call-arg]
    )


def subscribed(ftrack: FtrackEmulator, leecher: Leecher) -> bool:
    """The emulator's hub knows the leecher's `ftrack.update` subscriber."""
    sub_id = leecher.hub.subscriber_id
    return sub_id is not None and any(
        sub_id in conn.subscribers for conn in list(ftrack.hub.connections.values())
    )


@asynccontextmanager
async def running(ftrack: FtrackEmulator, leecher: Leecher) -> AsyncIterator[Leecher]:
    """Run the leecher as a task until the block ends, then stop it gracefully."""
    task = asyncio.create_task(leecher.run(install_signal_handlers=False))
    try:
        await until(lambda: task.done() or subscribed(ftrack, leecher), what="leecher subscribed")
        if task.done():
            task.result()  # raises what ended it
        yield leecher
        assert not task.done(), "the leecher stopped by itself"
    finally:
        leecher.request_stop()
        await asyncio.wait_for(task, 30)


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:8]}"


def shots_of(ftrack: FtrackEmulator, project_id: str) -> list[str]:
    rows = ftrack.control.query(f'select id, name from Shot where project_id is "{project_id}"')
    return [row["id"] for row in sorted(rows, key=lambda row: row["name"])]


def hub_updates(ftrack: FtrackEmulator, project_id: str) -> list[str]:
    """Ids of the `ftrack.update` events the hub published for this project, in order."""
    ids = []
    for event in list(ftrack.hub.log):
        if event.get("topic") != "ftrack.update":
            continue
        if any(part.project_id == project_id for part in decode_update(event).per_project):
            ids.append(event["id"])
    return ids


def applied_ids(fake: FakeIncremental, project_id: str) -> list[str]:
    return [
        event_id
        for batch in fake.applied
        if batch.ftrack_project_id == project_id
        for event_id in batch.event_ids
    ]


async def workflow_exists(client: Client, project_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id_for(project_id)).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def terminate(client: Client, *project_ids: str) -> None:
    for project_id in project_ids:
        if await workflow_exists(client, project_id):
            try:
                await client.get_workflow_handle(workflow_id_for(project_id)).terminate()
            except RPCError:
                pass  # already closed
