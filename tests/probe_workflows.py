"""Workflows defined only for tests. Kept in a module with no other imports because the
workflow sandbox re-imports the defining module on every run."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="PersistenceProbeWorkflow")
class PersistenceProbeWorkflow:
    """Waits for a signal: it must still be waiting after the server restarts."""

    def __init__(self) -> None:
        self._released = False

    @workflow.run
    async def run(self, label: str) -> str:
        await workflow.wait_condition(lambda: self._released)
        return f"released {label}"

    @workflow.signal
    def release(self) -> None:
        self._released = True


@workflow.defn(name="HealthCheckWorkflow")
class ChangedHealthCheckWorkflow:
    """A non-deterministic edit of HealthCheckWorkflow (a timer instead of the activity):
    replaying the recorded history with it must fail, proving the replay test can fail."""

    @workflow.run
    async def run(self, request: dict[str, str]) -> None:
        import asyncio

        await asyncio.sleep(1)
