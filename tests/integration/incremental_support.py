"""The whole ftrack -> AYON event path for the incremental-sync tests.

Changes are made "as the web UI" on the ftrack emulator, whose hub publishes them; a real
in-process leecher hands them to `ProjectSyncWorkflow` on the real dev server; a real worker
runs the real activities against both emulators through the real clients.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import Client

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.config import (
    AppConfig,
    AyonConfig,
    FtrackConfig,
    ServiceConfig,
    TemporalConfig,
)
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, FullSyncReport
from ayon_ftrack_sync.payloads.project_sync import ProjectSyncStatus
from ayon_ftrack_sync.workers.leecher import Leecher
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.conftest import WorkerFactory
from tests.integration.leecher_support import FAST, hub_updates, running, terminate

MAPPED = ("frameStart", "frameEnd", "fps")


def settings_document(link_type: str | None = None) -> dict[str, Any]:
    """Hierarchical ftrack attributes named like the AYON ones are mapped."""
    handlers: dict[str, Any] = {}
    if link_type is not None:
        handlers["sync_link_type"] = link_type
    return {
        "custom_attributes": {
            "attributes_mapping": {
                "enabled": True,
                "mapping": [
                    {"name": n, "attr_type": "hierarchical", "hierarchical": n, "standard": []}
                    for n in MAPPED
                ],
            }
        },
        "service_event_handlers": {"sync_from_ftrack": handlers},
    }


def pipeline_config(
    tmp_path: Path, ftrack: FtrackEmulator, ayon: AyonEmulator, address: str, queue: str
) -> AppConfig:
    settings_file = tmp_path / "settings.json"
    if not settings_file.exists():
        settings_file.write_text(json.dumps(settings_document()))
    return AppConfig(
        temporal=TemporalConfig(  # type: ignore[call-arg]
            TEMPORAL_ADDRESS=address, AYON_FTRACK_SYNC_TASK_QUEUE=queue
        ),
        ftrack=FtrackConfig(  # type: ignore[call-arg]
            FTRACK_SERVER=ftrack.url, FTRACK_API_USER=ftrack.api_user, FTRACK_API_KEY=ftrack.api_key
        ),
        ayon=AyonConfig(AYON_SERVER_URL=ayon.url, AYON_API_KEY=ayon.api_key),  # type: ignore[call-arg]
        service=ServiceConfig(  # type: ignore[call-arg]
            AYON_FTRACK_SYNC_STATE_DIR=str(tmp_path / "state"),
            AYON_FTRACK_SYNC_SETTINGS_FILE=str(settings_file),
        ),
    )


@dataclass
class Pipeline:
    """A running leecher + worker; `settle` waits until a project's events are applied."""

    client: Client
    config: AppConfig
    task_queue: str
    ftrack: FtrackEmulator
    ayon: AyonEmulator
    leecher: Leecher
    projects: list[str] = field(default_factory=list)

    async def full_sync(self, project_id: str, **kwargs: Any) -> FullSyncReport:
        self.projects.append(project_id)
        return await self.client.execute_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(ftrack_project_id=project_id, **kwargs),
            id=f"{workflow_id_for(project_id)}/full-sync/{uuid.uuid4().hex[:8]}",
            task_queue=self.task_queue,
        )

    async def settle(
        self, project_id: str, *, events: int | None = None, timeout: float = 30.0
    ) -> ProjectSyncStatus:
        """Wait until every hub event of the project reached its workflow and was handled,
        including the echoes of the sync's own write-back (until the hub is quiet)."""
        handle = self.client.get_workflow_handle(workflow_id_for(project_id))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        async def received() -> int:
            try:
                status = await handle.query(ProjectSyncWorkflow.status)
            except Exception:
                return -1
            return status.stats.events_received

        while True:
            await asyncio.sleep(0.2)  # let the hub publish what was just committed
            expected = len(set(hub_updates(self.ftrack, project_id))) if events is None else events
            count = await received()
            while count < expected:
                assert loop.time() < deadline, (
                    f"workflow received {count} of {expected} events within {timeout} s"
                )
                await asyncio.sleep(0.05)
                count = await received()
            for _ in range(5):  # -1: the run continued as new; ask the next run
                if await handle.execute_update(ProjectSyncWorkflow.flush) >= 0:
                    break
            await asyncio.sleep(0.3)
            quiet = events is not None or len(set(hub_updates(self.ftrack, project_id))) == expected
            if quiet and await received() == count:
                return await handle.query(ProjectSyncWorkflow.status)
            assert loop.time() < deadline, f"project {project_id} did not settle in {timeout} s"


@asynccontextmanager
async def pipeline(
    tmp_path: Path,
    client: Client,
    address: str,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack: FtrackEmulator,
    ayon: AyonEmulator,
) -> AsyncIterator[Pipeline]:
    config = pipeline_config(tmp_path, ftrack, ayon, address, task_queue)
    leecher = Leecher(config, FAST, client=client)
    running_pipeline = Pipeline(client, config, task_queue, ftrack, ayon, leecher)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            make_worker(client, activities=build_activities(config), workflows=WORKFLOWS)
        )
        await stack.enter_async_context(running(ftrack, leecher))
        try:
            yield running_pipeline
        finally:
            await terminate(client, *running_pipeline.projects)
