"""HealthCheckWorkflow on the time-skipping server, and replay of its recorded history."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from ayon_ftrack_sync.payloads.health import PingRequest, WorkerIdentity
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.health import HealthCheckWorkflow
from tests.conftest import WorkerFactory

HISTORIES = Path(__file__).resolve().parent.parent / "histories"


async def test_real_ping_activity_answers(
    time_skipping_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    async with make_worker(time_skipping_env.client):
        identity = await time_skipping_env.client.execute_workflow(
            HealthCheckWorkflow.run,
            PingRequest(requested_by="test"),
            id=f"health-{uuid.uuid4().hex}",
            task_queue=task_queue,
        )
    assert isinstance(identity, WorkerIdentity)
    assert identity.requested_by == "test"
    assert identity.pid > 0


async def test_failing_worker_fails_the_check_after_two_attempts(
    time_skipping_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    attempts: list[int] = []

    @activity.defn(name="health.ping")
    def broken_ping(request: PingRequest) -> WorkerIdentity:
        attempts.append(activity.info().attempt)
        raise RuntimeError("worker cannot reach its dependencies")

    async with make_worker(time_skipping_env.client, activities=[broken_ping]):
        with pytest.raises(WorkflowFailureError):
            await time_skipping_env.client.execute_workflow(
                HealthCheckWorkflow.run,
                PingRequest(requested_by="test"),
                id=f"health-{uuid.uuid4().hex}",
                task_queue=task_queue,
            )
    assert attempts == [1, 2]


@pytest.mark.parametrize("history_file", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_histories_replay(history_file: Path) -> None:
    """Workflow code changes that break determinism fail here (see tests/histories/record.py)."""
    history = WorkflowHistory.from_json(history_file.stem, history_file.read_text())
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)


def test_every_workflow_has_a_recorded_history() -> None:
    recorded = {p.read_text() for p in HISTORIES.glob("*.json")}
    for workflow_class in WORKFLOWS:
        name = workflow_class.__temporal_workflow_definition.name  # type: ignore[attr-defined]
        assert any(f'"{name}"' in text for text in recorded), f"no history for {name}"


async def test_replay_detects_a_non_deterministic_change() -> None:
    from temporalio.workflow import NondeterminismError

    from tests.probe_workflows import ChangedHealthCheckWorkflow

    path = HISTORIES / "health_check.json"
    history = WorkflowHistory.from_json("health_check", path.read_text())
    replayer = Replayer(workflows=[ChangedHealthCheckWorkflow])
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(history)
