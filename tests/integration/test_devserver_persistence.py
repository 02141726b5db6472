"""The embedded dev server keeps workflows, namespaces and search attributes across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from ayon_ftrack_sync.config import TemporalConfig
from ayon_ftrack_sync.temporal import AYON_PROJECT, SYNC_STATE, connect
from ayon_ftrack_sync.temporal.devserver import DevServer, DevServerOptions, free_port
from tests.conftest import WorkerFactory
from tests.probe_workflows import PersistenceProbeWorkflow


async def _client(server: DevServer) -> Client:
    return await connect(TemporalConfig(TEMPORAL_ADDRESS=server.address))  # type: ignore[call-arg]


async def _wait_listed(client: Client, query: str, timeout: float = 10.0) -> list[str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        ids = [wf.id async for wf in client.list_workflows(query)]
        if ids or asyncio.get_running_loop().time() > deadline:
            return ids
        await asyncio.sleep(0.1)


async def test_workflow_survives_a_restart(
    tmp_path: Path, make_worker: WorkerFactory, task_queue: str
) -> None:
    options = DevServerOptions(state_dir=tmp_path / "state", port=free_port(), ui_port=None)
    workflow_id = "persistence-probe"
    server = DevServer(options)
    server.start()
    try:
        client = await _client(server)
        await client.start_workflow(
            PersistenceProbeWorkflow.run,
            "before restart",
            id=workflow_id,
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(AYON_PROJECT, "persist_proj"),
                    SearchAttributePair(SYNC_STATE, "idle"),
                ]
            ),
        )
    finally:
        assert server.stop() == 0  # graceful exit
    assert options.database_path.is_file()

    restarted = DevServer(options)
    restarted.start()
    try:
        client = await _client(restarted)
        description = await client.get_workflow_handle(workflow_id).describe()
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert await _wait_listed(client, 'AyonProject="persist_proj"') == [workflow_id]
        worker = make_worker(client, workflows=[PersistenceProbeWorkflow], activities=[])
        async with worker:
            handle = client.get_workflow_handle(workflow_id)
            await handle.signal(PersistenceProbeWorkflow.release)
            assert await handle.result() == "released before restart"
    finally:
        restarted.stop()
