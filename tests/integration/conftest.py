"""Fixtures shared by the integration tests of the event pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from tests.conftest import WorkerFactory
from tests.helpers import temporal_address
from tests.integration.incremental_support import Pipeline, pipeline


@pytest.fixture
async def pipe(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
) -> AsyncIterator[Pipeline]:
    """The ftrack -> AYON pipeline (hub, leecher, worker) on the emulators."""
    async with pipeline(
        tmp_path,
        temporal_env.client,
        temporal_address(temporal_env),
        make_worker,
        task_queue,
        ftrack_server,
        ayon_server,
    ) as running:
        yield running
