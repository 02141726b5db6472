"""Payloads of the per-project entity workflow (`ProjectSyncWorkflow`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ayon_ftrack_sync.payloads.full_sync import ConflictRecord
from ayon_ftrack_sync.sync.echoes import ExpectedEcho
from ayon_ftrack_sync.sync.events import EntityChange, ProjectEvent

#: Events kept for deduplication, carried across continue-as-new.
DEDUPE_WINDOW = 5000
#: Most pending events carried across continue-as-new (the rest is drained first).
MAX_CARRY = 200


class EventBatch(BaseModel):
    """What the leecher (or the AYON listener) signals: one hub batch for one project."""

    events: list[ProjectEvent]


class AyonChange(BaseModel):
    """One AYON event (an `entity.*` / `entity_list.*` change not made by this service).

    Like ftrack events, it only tells the sync *what* changed; the transmit activity reads the
    current AYON state of that entity and writes the difference to ftrack."""

    #: the AYON source event id (the dedupe key)
    event_id: str
    topic: str
    project_name: str
    entity_type: str | None = None
    entity_id: str | None = None
    user: str | None = None
    #: the AYON event's summary and (bounded) payload, as the server sent them
    summary: dict[str, Any] = Field(default_factory=dict)
    payload: dict[str, Any] = Field(default_factory=dict)
    #: the enrolled job event, marked finished once Temporal accepted the signal
    job_id: str | None = None


class AyonEventBatch(BaseModel):
    """What the AYON listener signals: AYON changes of one project."""

    changes: list[AyonChange]


class TransmitBatchInput(BaseModel):
    """AYON changes of one window, for the transmit activity (AYON -> ftrack)."""

    ftrack_project_id: str
    ayon_project_name: str | None
    changes: list[AyonChange]


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
    ayon_events_received: int = 0
    ayon_events_duplicate: int = 0
    ayon_events_applied: int = 0
    #: ftrack keys dropped from events because they echoed the sync's own writes
    echoes_dropped: int = 0


class ProjectSyncInput(BaseModel):
    """Start (or continue-as-new) input. Tuning knobs have production defaults."""

    ftrack_project_id: str
    ayon_project_name: str | None = None
    pending: list[ProjectEvent] = Field(default_factory=list)
    #: AYON changes waiting (AYON -> ftrack)
    pending_ayon: list[AyonChange] = Field(default_factory=list)
    recent_event_ids: list[str] = Field(default_factory=list)
    stats: ProjectSyncStats = Field(default_factory=ProjectSyncStats)
    max_batch: int = 200
    window_seconds: float = 0.5
    dedupe_window: int = DEDUPE_WINDOW
    #: test hook: continue as new after this many history events
    max_history_length: int | None = None
    #: ftrack keys the transmit wrote whose echo has not come back yet (`sync.echoes`)
    expected_echoes: dict[str, ExpectedEcho] = Field(default_factory=dict)


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
    #: transmit: `entity id:key` of every ftrack key written (their events are echoes)
    echo_keys: list[str] = Field(default_factory=list)


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
    #: create the AYON project when it does not exist
    create_project: bool = False
    #: AYON project name when it differs from the ftrack full name
    ayon_project_name: str | None = None


class ProjectSyncStatus(BaseModel):
    """Answer of the `status` query."""

    ftrack_project_id: str
    ayon_project_name: str | None
    state: str
    pending: int
    resync_running: bool
    pending_ayon: int = 0
    #: the running full sync (child workflow), for progress
    resync_workflow_id: str | None = None
    stats: ProjectSyncStats
