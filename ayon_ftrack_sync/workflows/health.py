"""`HealthCheckWorkflow`: one activity round trip, used by `doctor --worker`."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from ayon_ftrack_sync.payloads.health import PingRequest, WorkerIdentity


@workflow.defn(name="HealthCheckWorkflow")
class HealthCheckWorkflow:
    """Runs `health.ping` once; fails fast so `doctor` can report a missing worker."""

    @workflow.run
    async def run(self, request: PingRequest) -> WorkerIdentity:
        return await workflow.execute_activity(
            "health.ping",
            request,
            result_type=WorkerIdentity,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=2),
        )
