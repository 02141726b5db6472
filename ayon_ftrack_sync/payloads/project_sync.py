"""Payloads of the per-project entity workflow (`ProjectSyncWorkflow`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ayon_ftrack_sync.payloads.full_sync import ConflictRecord
from ayon_ftrack_sync.sync.events import EntityChange, ProjectEvent

#: Events kept for deduplication, carried across continue-as-new.
DEDUPE_WINDOW = 5000
#: Most pending events carried across continue-as-new (the rest is drained first).
MAX_CARRY = 200


class EventBatch(BaseModel):
    """What the leecher (or the AYON listener) signals: one hub batch for one project."""

    events: list[ProjectEvent]


class ProjectSyncStats(BaseModel):
    """Counters of the project's sync since the workflow started (carried across runs)."""

    events_received: int = 0
    events_duplicate: int = 0
    events_applied: int = 0
    batches_applied: int = 0
    batches_failed: int = 0
    resyncs: int = 0
    last_error: str | None = None
    last_applied_at: datetime | None = None


class ProjectSyncInput(BaseModel):
    """Start (or continue-as-new) input. Tuning knobs have production defaults."""

    ftrack_project_id: str
    ayon_project_name: str | None = None
    pending: list[ProjectEvent] = Field(default_factory=list)
    recent_event_ids: list[str] = Field(default_factory=list)
    stats: ProjectSyncStats = Field(default_factory=ProjectSyncStats)
    max_batch: int = 200
    window_seconds: float = 0.5
    dedupe_window: int = DEDUPE_WINDOW
    #: test hook: continue as new after this many history events
    max_history_length: int | None = None


class ApplyBatchInput(BaseModel):
    """Net changes of one window, for the incremental-apply activity."""

    ftrack_project_id: str
    ayon_project_name: str | None
    changes: list[EntityChange]
    event_ids: list[str]


class ApplyBatchResult(BaseModel):
    """Summary of one applied batch (shown as the activity result in the Web UI)."""

    applied: int = 0
    skipped: int = 0
    #: ftrack entities the batch could not sync (flagged `ayon_sync_failed` in ftrack)
    failed_entities: list[str] = Field(default_factory=list)
    ayon_requests: int = 0
    ftrack_requests: int = 0
    ayon_project_name: str | None = None
    #: created / updated / deactivated / ftrack_writes / skipped.<reason> ...
    counts: dict[str, int] = Field(default_factory=dict)
    #: what was refused, with the ftrack path (first ones; also an AYON event)
    conflicts: list[ConflictRecord] = Field(default_factory=list)


class FailureRecord(BaseModel):
    """A batch that failed for good: recorded in AYON and on the ftrack entities."""

    ftrack_project_id: str
    ayon_project_name: str | None
    event_ids: list[str]
    entity_ids: list[str]
    error_type: str
    message: str


class ResyncRequest(BaseModel):
    dry_run: bool = False
    requested_by: str = "cli"


class ProjectSyncStatus(BaseModel):
    """Answer of the `status` query."""

    ftrack_project_id: str
    ayon_project_name: str | None
    state: str
    pending: int
    resync_running: bool
    stats: ProjectSyncStats
