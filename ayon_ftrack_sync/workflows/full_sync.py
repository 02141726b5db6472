"""`FullSyncWorkflow`: one full ftrack -> AYON sync of a project, phase by phase.

Each phase is one activity that reads what it needs, plans and writes in bulk, heartbeats
its progress and, when retried, plans again from a fresh read, so a crash half way
resumes without duplicates. Only summaries pass through history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from ayon_ftrack_sync.payloads.full_sync import (
        FullSyncInput,
        FullSyncProgress,
        FullSyncReport,
        Phase,
        PhaseInput,
        PhaseResult,
        ProjectRef,
        ReportInput,
    )

#: Errors that retrying cannot fix: a person has to act (the message says how).
NON_RETRYABLE = [
    "ProjectNotFound",
    "InvalidProjectName",
    "MissingAttributes",
    "CredentialsRejected",
    "SettingsError",
    "PermissionDenied",
]

ResultT = TypeVar("ResultT")

PHASE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=8,
    non_retryable_error_types=NON_RETRYABLE,
)

#: a phase not heard from for this long is lost (its worker died) and retried
DEFAULT_HEARTBEAT_TIMEOUT = timedelta(minutes=2)


@workflow.defn(name="FullSyncWorkflow")
class FullSyncWorkflow:
    """prepare -> anatomy -> hierarchy -> links -> versions -> lists -> report."""

    def __init__(self) -> None:
        self._phase: Phase | None = None
        self._done: list[Phase] = []
        self._project: ProjectRef | None = None
        self._heartbeat_timeout = DEFAULT_HEARTBEAT_TIMEOUT

    @workflow.run
    async def run(self, request: FullSyncInput) -> FullSyncReport:
        started = workflow.now()
        if request.heartbeat_timeout_seconds is not None:
            self._heartbeat_timeout = timedelta(seconds=request.heartbeat_timeout_seconds)
        self._project = await self._phase_activity(
            Phase.PREPARE, "full_sync.prepare", request, ProjectRef, timedelta(minutes=5)
        )
        workflow.set_current_details(
            f"Syncing ftrack project {self._project.ftrack_full_name} to AYON project "
            f"{self._project.ayon_project_name}" + (" (dry run)" if request.dry_run else "")
        )
        phase_input = PhaseInput(project=self._project, dry_run=request.dry_run)
        results = [
            await self._phase_activity(
                Phase.ANATOMY, "full_sync.anatomy", phase_input, PhaseResult, timedelta(minutes=10)
            ),
            await self._phase_activity(
                Phase.HIERARCHY,
                "full_sync.hierarchy",
                phase_input,
                PhaseResult,
                timedelta(hours=2),
            ),
        ]
        for phase in (Phase.LINKS, Phase.VERSIONS, Phase.LISTS):
            results.append(
                await self._phase_activity(
                    phase, f"full_sync.{phase.value}", phase_input, PhaseResult, timedelta(hours=1)
                )
            )
        report = FullSyncReport(
            project=self._project,
            dry_run=request.dry_run,
            started_at=started,
            finished_at=workflow.now(),
            phases=results,
        )
        report = await self._phase_activity(
            Phase.REPORT,
            "full_sync.report",
            ReportInput(report=report),
            FullSyncReport,
            timedelta(minutes=5),
        )
        totals = report.totals()
        workflow.set_current_details(
            f"Done: {totals.get('created', 0)} created, {totals.get('updated', 0)} updated, "
            f"{totals.get('deactivated', 0)} deactivated, {totals['conflicts']} conflicts"
        )
        return report

    @workflow.query
    def progress(self) -> FullSyncProgress:
        return FullSyncProgress(phase=self._phase, done=list(self._done), project=self._project)

    async def _phase_activity(
        self,
        phase: Phase,
        activity: str,
        argument: object,
        result_type: type[ResultT],
        start_to_close: timedelta,
    ) -> ResultT:
        self._phase = phase
        result: ResultT = await workflow.execute_activity(
            activity,
            argument,
            result_type=result_type,
            start_to_close_timeout=start_to_close,
            heartbeat_timeout=self._heartbeat_timeout,
            retry_policy=PHASE_RETRY,
            summary=f"{phase.value} phase",
        )
        self._done.append(phase)
        self._phase = None
        return result
