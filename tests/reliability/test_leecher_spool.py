"""Temporal unreachable: the leecher spools every event, survives its own restart with a full
spool, and drains in hub order when Temporal is back; nothing is lost, nothing applied twice.

Temporal here is a real `temporal server start-dev` with a file database (``DevServer``), so it
can be absent at first, then stopped and restarted on the same port with its workflows intact.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.config import TemporalConfig
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.temporal import connect
from ayon_ftrack_sync.temporal.devserver import DevServer, DevServerOptions, free_port
from ayon_ftrack_sync.workers.leecher import Leecher, LeecherOptions
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.conftest import WorkerFactory
from tests.helpers import temporal_address
from tests.integration.leecher_support import (
    FAST,
    applied_ids,
    hub_updates,
    leecher_config,
    running,
    shots_of,
    terminate,
    unique,
    until,
)
from tests.workflows.full_sync_fakes import FakeFullSync
from tests.workflows.project_sync_fakes import FakeIncremental

#: a short flush on stop: with Temporal down it could never succeed
STOP_FAST = LeecherOptions(**{**FAST.__dict__, "flush_timeout_s": 1.0})


async def _client(server: DevServer) -> Client:
    return await connect(TemporalConfig(TEMPORAL_ADDRESS=server.address))  # type: ignore[call-arg]


async def test_events_spool_while_temporal_is_away_and_drain_in_order(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    control = ftrack_server.control
    project = control.generate_project(
        unique("spool"), sequences=1, shots=6, tasks=0, auto_sync=True
    )
    shots = shots_of(ftrack_server, project)
    options = DevServerOptions(state_dir=tmp_path / "temporal", port=free_port(), ui_port=None)
    server = DevServer(options)
    config = leecher_config(tmp_path, ftrack_server, options.address, task_queue)
    fake = FakeIncremental()

    def edit(index: int) -> None:
        with control.as_user("jane.doe") as ui:
            ui.update("Shot", shots[index], {"description": f"edit {index}"})

    first = Leecher(config, STOP_FAST)  # no client given: it connects (and reconnects) itself
    try:
        # 1. Temporal has never been up: the events are spooled, none is lost
        async with running(ftrack_server, first):
            for i in range(3):
                edit(i)
            await until(lambda: first.counters.spooled == 3, what="3 events spooled")
            await until(lambda: first.counters.forward_errors >= 1, what="a failed hand-over")
            assert len(first.spool) == 3 and first.counters.forwarded_events == 0

            # 2. Temporal comes up: the spool drains in order into the project's workflow
            server.start()
            client = await _client(server)
            async with make_worker(
                client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]
            ):
                await until(
                    lambda: len(applied_ids(fake, project)) >= 3, 30, what="drained after start"
                )
                assert len(first.spool) == 0
                assert applied_ids(fake, project) == hub_updates(ftrack_server, project)

            # 3. Temporal goes away again (graceful stop; its database stays)
            assert server.stop() == 0
            for i in range(3, 6):
                edit(i)
            await until(lambda: first.counters.spooled == 6, what="3 more spooled")
            assert len(first.spool) == 3  # the hand-over cannot succeed: all kept
        # 4. the leecher itself is stopped with a non-empty spool (the flush cannot succeed)
        assert first.counters.forwarded_events == 3
        second = Leecher(config, STOP_FAST)
        assert len(second.spool) == 3  # survived the process's stop on disk
        async with running(ftrack_server, second):
            # 5. Temporal is back on the same port: the new leecher drains what the old spooled
            server = DevServer(options)
            server.start()
            client = await _client(server)
            async with make_worker(
                client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]
            ):
                await until(
                    lambda: len(applied_ids(fake, project)) >= 6, 30, what="drained after restart"
                )
                status = await client.get_workflow_handle(workflow_id_for(project)).query(
                    ProjectSyncWorkflow.status
                )
            assert len(second.spool) == 0
        emitted = hub_updates(ftrack_server, project)
        assert len(emitted) == 6
        assert applied_ids(fake, project) == emitted  # all of them, once each, in hub order
        assert [c.entity_id for b in fake.applied for c in b.changes] == shots
        assert status.stats.events_applied == 6
        assert second.counters.forwarded_events == 3
    finally:
        server.stop()


async def test_a_full_spool_refuses_loudly_and_repairs_with_a_resync(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bounded spool: the event that does not fit is logged as an error with its id (never a
    silent drop) and a full resync of its project is recorded; once Temporal is reachable the
    spooled events are forwarded and the resync repairs what was refused."""
    control = ftrack_server.control
    project = control.generate_project(
        unique("full"), sequences=1, shots=3, tasks=0, auto_sync=True
    )
    shots = shots_of(ftrack_server, project)
    closed = leecher_config(tmp_path, ftrack_server, f"127.0.0.1:{free_port()}", task_queue)
    bounded = LeecherOptions(**{**STOP_FAST.__dict__, "spool_max_records": 2})
    first = Leecher(closed, bounded)
    caplog.set_level(logging.ERROR, logger="ayon_ftrack_sync.workers.leecher")
    async with running(ftrack_server, first):
        with control.as_user("jane.doe") as ui:
            for shot in shots:
                ui.update("Shot", shot, {"description": "burst"})
        await until(lambda: first.counters.spool_rejected == 1, what="the third event refused")
        assert first.counters.spooled == 2 and len(first.spool) == 2
    emitted = hub_updates(ftrack_server, project)
    refused = emitted[2]
    (error,) = [r for r in caplog.records if "NOT stored" in r.getMessage()]
    assert refused in error.getMessage() and project in error.getMessage()

    reachable = leecher_config(tmp_path, ftrack_server, temporal_address(temporal_env), task_queue)
    second = Leecher(reachable, bounded, client=temporal_env.client)
    fake, full = FakeIncremental(), FakeFullSync()
    client = temporal_env.client
    try:
        async with (
            make_worker(
                client,
                activities=[*fake.activities(), *full.activities()],
                workflows=[ProjectSyncWorkflow, FullSyncWorkflow],
            ),
            running(ftrack_server, second),
        ):
            await until(lambda: len(applied_ids(fake, project)) == 2, what="spooled forwarded")
            await until(lambda: "report" in full.calls, what="the repairing full sync")
            assert second.counters.resyncs_requested == 1
            assert second.spool.resyncs() == []
        assert applied_ids(fake, project) == emitted[:2]
    finally:
        await terminate(client, project)
