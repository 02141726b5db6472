"""`ProjectSyncWorkflow`: the long-lived entity workflow of one ftrack project.

It receives ftrack event batches by signal (signal-with-start from the leecher) and AYON
changes (from the AYON listener), drops duplicates,
merges changes over a short window, applies them in order, and moves on when a batch fails
for good after recording the failure where people look (AYON event, ftrack flag, Web UI).
A `resync` update runs a full sync as a child while new events wait in the buffer.
Continue-as-new keeps history short, carrying the buffer and the dedupe window.

Handler/main-loop shape after temporalio samples' `safe_message_handlers`.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, FullSyncReport
    from ayon_ftrack_sync.payloads.project_sync import (
        MAX_CARRY,
        ApplyBatchInput,
        ApplyBatchResult,
        AyonChange,
        AyonEventBatch,
        EventBatch,
        FailureRecord,
        ProjectSyncInput,
        ProjectSyncStatus,
        ResyncRequest,
        TransmitBatchInput,
    )
    from ayon_ftrack_sync.sync.coalesce import coalesce
    from ayon_ftrack_sync.sync.echoes import drop_echoes, drop_link_echoes, expect
    from ayon_ftrack_sync.sync.events import ProjectEvent
    from ayon_ftrack_sync.temporal.failures import root_message
    from ayon_ftrack_sync.temporal.search_attributes import AYON_PROJECT, SYNC_STATE, SyncState
    from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow

APPLY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=6,
    non_retryable_error_types=["InvalidChange", "ProjectNotFound", "MissingAttributes"],
)
#: the apply activities heartbeat at every step: a worker that died is noticed this fast
HEARTBEAT_S = 20
RECORD_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=10))


def workflow_id_for(ftrack_project_id: str) -> str:
    return f"ftrack-sync/project/{ftrack_project_id}"


@workflow.defn(name="ProjectSyncWorkflow")
class ProjectSyncWorkflow:
    @workflow.init
    def __init__(self, request: ProjectSyncInput) -> None:
        self._input = request
        self._stats = request.stats.model_copy()
        self._pending: list[ProjectEvent] = list(request.pending)
        self._pending_ayon: list[AyonChange] = list(request.pending_ayon)
        # when the oldest waiting change arrived: the batch window counts from there
        self._pending_since = workflow.now()
        self._pending_ayon_since = workflow.now()
        self._recent: deque[str] = deque(request.recent_event_ids, maxlen=request.dedupe_window)
        self._recent_set: set[str] = set(self._recent)
        self._ayon_project = request.ayon_project_name
        # ftrack keys the transmit wrote, whose events are echoes to drop (`sync.echoes`)
        self._echoes = dict(request.expected_echoes)
        self._state = SyncState.IDLE
        self._resync_queue: list[tuple[int, ResyncRequest]] = []
        self._resync_results: dict[int, FullSyncReport | str] = {}
        self._resync_running = False
        self._resync_child: str | None = None
        self._next_ticket = 0
        self._continuing = False

    # -- messages --------------------------------------------------------------------------

    @workflow.signal
    def enqueue(self, batch: EventBatch) -> None:
        """New events; duplicates (same ftrack event id) are counted and dropped."""
        for event in batch.events:
            self._stats.events_received += 1
            if event.event_id in self._recent_set:
                self._stats.events_duplicate += 1
                continue
            if len(self._recent) == self._recent.maxlen:
                self._recent_set.discard(self._recent[0])
            self._recent.append(event.event_id)
            self._recent_set.add(event.event_id)
            if not self._pending:
                self._pending_since = workflow.now()
            self._pending.append(event)

    @workflow.signal
    def enqueue_ayon(self, batch: AyonEventBatch) -> None:
        """AYON changes (AYON -> ftrack); duplicates (same AYON event id) are dropped."""
        for change in batch.changes:
            self._stats.ayon_events_received += 1
            key = f"ayon:{change.event_id}"
            if key in self._recent_set:
                self._stats.ayon_events_duplicate += 1
                continue
            if len(self._recent) == self._recent.maxlen:
                self._recent_set.discard(self._recent[0])
            self._recent.append(key)
            self._recent_set.add(key)
            if not self._pending_ayon:
                self._pending_ayon_since = workflow.now()
            self._pending_ayon.append(change)

    @workflow.query
    def status(self) -> ProjectSyncStatus:
        return ProjectSyncStatus(
            ftrack_project_id=self._input.ftrack_project_id,
            ayon_project_name=self._ayon_project,
            state=self._state.value,
            pending=len(self._pending),
            pending_ayon=len(self._pending_ayon),
            resync_running=self._resync_running,
            resync_workflow_id=self._resync_child if self._resync_running else None,
            stats=self._stats,
        )

    @workflow.update
    async def resync(self, request: ResyncRequest) -> FullSyncReport:
        """Run a full sync now (as a child); events arriving meanwhile wait and apply after."""
        ticket = self._next_ticket
        self._next_ticket += 1
        self._resync_queue.append((ticket, request))
        await workflow.wait_condition(lambda: ticket in self._resync_results)
        result = self._resync_results.pop(ticket)
        if isinstance(result, str):
            raise ApplicationError(result, type="ResyncFailed")
        return result

    @workflow.update
    async def flush(self) -> int:
        """Wait until every event received so far is handled; returns events applied.

        Returns -1 when the run is about to continue as new: call again (reaches the new run).
        """
        stats = self._stats
        target = stats.events_received - stats.events_duplicate
        target_ayon = stats.ayon_events_received - stats.ayon_events_duplicate
        await workflow.wait_condition(
            lambda: (
                (
                    self._handled() >= target
                    and stats.ayon_events_applied >= target_ayon
                    and not self._pending
                    and not self._pending_ayon
                )
                or self._continuing
            )
        )
        return -1 if self._continuing else self._stats.events_applied

    # -- main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: ProjectSyncInput) -> None:
        self._set_state(SyncState.IDLE)
        while True:
            await workflow.wait_condition(
                lambda: (
                    bool(self._pending or self._pending_ayon or self._resync_queue)
                    or self._should_continue()
                )
            )
            if self._resync_queue:
                await self._run_resync()
                continue
            if self._pending:
                await self._apply_next_batch()
                continue
            if self._pending_ayon:
                await self._transmit_next_batch()
                continue
            if (
                self._should_continue()
                and len(self._pending) + len(self._pending_ayon) <= MAX_CARRY
            ):
                self._continuing = True
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() or bool(self._resync_queue)
                )
                if self._resync_queue:
                    self._continuing = False
                    continue
                workflow.continue_as_new(self._carry())

    async def _apply_next_batch(self) -> None:
        window = self._window(self._pending_since)
        if len(self._pending) < self._input.max_batch and not self._resync_queue and window:
            try:
                await workflow.wait_condition(
                    lambda: len(self._pending) >= self._input.max_batch,
                    timeout=timedelta(seconds=window),
                )
            except TimeoutError:
                pass  # the window closed: apply what arrived
        batch = self._pending[: self._input.max_batch]
        del self._pending[: len(batch)]
        self._pending_since = workflow.now()
        events = batch
        if self._echoes and workflow.patched("drop-echoes"):
            events, dropped = drop_echoes(events, self._echoes, workflow.now())
            self._stats.echoes_dropped += dropped
        if any(event.by_service for event in events) and workflow.patched("drop-link-echoes"):
            events, dropped = drop_link_echoes(events)
            self._stats.echoes_dropped += dropped
        if events is not batch and not any(event.changes for event in events):
            self._stats.events_applied += len(batch)  # only echoes: nothing to do
            return
        merged = coalesce(events)
        self._set_state(SyncState.SYNCING)
        apply_input = ApplyBatchInput(
            ftrack_project_id=self._input.ftrack_project_id,
            ayon_project_name=self._ayon_project,
            changes=merged.changes,
            event_ids=merged.event_ids,
        )
        try:
            result = await workflow.execute_activity(
                "incremental.apply",
                apply_input,
                result_type=ApplyBatchResult,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=HEARTBEAT_S),
                retry_policy=APPLY_RETRY,
                summary=f"apply {len(merged.changes)} change(s) from {len(batch)} event(s)",
            )
        except ActivityError as err:
            await self._record_failure(apply_input, err)
            self._stats.events_applied += len(batch)  # handled (recorded), not lost
            return
        if result.ayon_project_name and result.ayon_project_name != self._ayon_project:
            self._ayon_project = result.ayon_project_name
            workflow.upsert_search_attributes([AYON_PROJECT.value_set(self._ayon_project)])
        self._stats.events_applied += len(batch)
        self._stats.batches_applied += 1
        self._stats.last_applied_at = workflow.now()
        self._set_state(SyncState.IDLE if not self._pending else SyncState.SYNCING)

    async def _transmit_next_batch(self) -> None:
        """AYON -> ftrack: the changes that arrived within the window, in one activity."""
        window = self._window(self._pending_ayon_since)
        if len(self._pending_ayon) < self._input.max_batch and not self._resync_queue and window:
            try:
                await workflow.wait_condition(
                    lambda: len(self._pending_ayon) >= self._input.max_batch or bool(self._pending),
                    timeout=timedelta(seconds=window),
                )
            except TimeoutError:
                pass  # the window closed: send what arrived
        batch = self._pending_ayon[: self._input.max_batch]
        del self._pending_ayon[: len(batch)]
        self._pending_ayon_since = workflow.now()
        self._set_state(SyncState.SYNCING)
        transmit_input = TransmitBatchInput(
            ftrack_project_id=self._input.ftrack_project_id,
            ayon_project_name=self._ayon_project,
            changes=batch,
        )
        try:
            result = await workflow.execute_activity(
                "transmit.apply",
                transmit_input,
                result_type=ApplyBatchResult,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=HEARTBEAT_S),
                retry_policy=APPLY_RETRY,
                summary=f"send {len(batch)} AYON change(s) to ftrack",
            )
        except ActivityError as err:
            await self._record_failure(
                ApplyBatchInput(
                    ftrack_project_id=self._input.ftrack_project_id,
                    ayon_project_name=self._ayon_project,
                    changes=[],
                    event_ids=[f"ayon:{c.event_id}" for c in batch],
                ),
                err,
            )
        else:
            expect(self._echoes, result.echo_keys, workflow.now())
            self._stats.batches_applied += 1
            self._stats.last_applied_at = workflow.now()
        self._stats.ayon_events_applied += len(batch)  # handled (applied or recorded)
        self._set_state(SyncState.IDLE if not self._pending else SyncState.SYNCING)

    async def _record_failure(self, apply_input: ApplyBatchInput, err: ActivityError) -> None:
        cause = err.cause
        error_type = cause.type if isinstance(cause, ApplicationError) and cause.type else "Error"
        message = str(cause.message if isinstance(cause, ApplicationError) else cause or err)
        self._stats.batches_failed += 1
        self._stats.last_error = f"{error_type}: {message}"[:500]
        self._set_state(SyncState.FAILING)
        record = FailureRecord(
            ftrack_project_id=self._input.ftrack_project_id,
            ayon_project_name=self._ayon_project,
            event_ids=apply_input.event_ids,
            entity_ids=[c.entity_id for c in apply_input.changes],
            error_type=error_type,
            message=message,
        )
        try:
            await workflow.execute_activity(
                "incremental.record_failure",
                record,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RECORD_RETRY,
            )
        except ActivityError:
            workflow.logger.error(
                "could not record failed batch %s: %s", apply_input.event_ids[:5], message
            )

    async def _run_resync(self) -> None:
        ticket, request = self._resync_queue.pop(0)
        self._resync_running = True
        self._set_state(SyncState.RESYNCING)
        self._stats.resyncs += 1
        child_id = f"{workflow.info().workflow_id}/full-sync/{workflow.uuid4().hex[:12]}"
        self._resync_child = child_id
        try:
            report = await workflow.execute_child_workflow(
                FullSyncWorkflow.run,
                FullSyncInput(
                    ftrack_project_id=self._input.ftrack_project_id,
                    ayon_project_name=request.ayon_project_name or self._ayon_project,
                    dry_run=request.dry_run,
                    create_project=request.create_project,
                    requested_by=request.requested_by,
                ),
                id=child_id,
                static_summary=f"full sync of {self._name()}"
                + (" (dry run)" if request.dry_run else ""),
            )
        except ChildWorkflowError as err:
            text = root_message(err)
            self._stats.last_error = f"full sync failed: {text}"[:500]
            self._resync_results[ticket] = self._stats.last_error
            self._set_state(SyncState.FAILING)
        else:
            keep = request.dry_run and self._ayon_project is not None
            if not (keep and workflow.patched("dry-run-keeps-ayon-project")):
                self._ayon_project = report.project.ayon_project_name
                workflow.upsert_search_attributes([AYON_PROJECT.value_set(self._ayon_project)])
            self._resync_results[ticket] = report
            self._set_state(SyncState.IDLE)
        finally:
            self._resync_running = False

    # -- helpers ---------------------------------------------------------------------------

    def _window(self, oldest: datetime) -> float:
        """Seconds still to wait for more changes: the window counts from the oldest waiting
        change, so a backlog that built up during the last batch goes out at once."""
        full = self._input.window_seconds
        if not workflow.patched("window-from-oldest-change"):
            return full
        waited = (workflow.now() - oldest).total_seconds()
        return max(0.0, full - waited)

    def _name(self) -> str:
        return self._ayon_project or self._input.ftrack_project_id

    def _handled(self) -> int:
        return self._stats.events_applied

    def _should_continue(self) -> bool:
        if workflow.info().is_continue_as_new_suggested():
            return True
        limit = self._input.max_history_length
        return limit is not None and workflow.info().get_current_history_length() > limit

    def _carry(self) -> ProjectSyncInput:
        return self._input.model_copy(
            update={
                "ayon_project_name": self._ayon_project,
                "pending": self._pending,
                "pending_ayon": self._pending_ayon,
                "recent_event_ids": list(self._recent),
                "stats": self._stats,
                "expected_echoes": self._echoes,
            }
        )

    def _set_state(self, state: SyncState) -> None:
        if state is self._state and workflow.info().get_current_history_length() > 3:
            return
        self._state = state
        workflow.upsert_search_attributes([SYNC_STATE.value_set(state.value)])
        name = self._name()
        details = {
            SyncState.IDLE: f"{name}: up to date ({self._stats.events_applied} events applied)",
            SyncState.SYNCING: f"{name}: applying changes ({len(self._pending)} waiting)",
            SyncState.RESYNCING: f"{name}: full resync running; new events wait",
            SyncState.FAILING: f"{name}: last batch failed: {self._stats.last_error}",
        }[state]
        workflow.set_current_details(details)
