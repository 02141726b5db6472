"""Payloads of the full project sync (ftrack -> AYON): inputs, phase results, the report.

Bounded by design: conflicts beyond `MAX_LISTED_CONFLICTS` are counted, not listed, so a
project with thousands of problems cannot blow the 2 MB payload limit; the full list goes to
the AYON event the report activity writes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

MAX_LISTED_CONFLICTS = 200


class Phase(StrEnum):
    """The phases of a full sync, in order."""

    PREPARE = "prepare"  # project resolved, link attributes on both sides
    ANATOMY = "anatomy"  # folder types, task types, statuses
    HIERARCHY = "hierarchy"  # folders, tasks, attributes, assignees, write-back of ids
    LINKS = "links"  # ftrack TypedContextLinks -> AYON folder links
    VERSIONS = "versions"  # AssetVersion statuses -> AYON version statuses (setting)
    LISTS = "lists"  # ftrack lists -> AYON entity lists (after versions: items need them)
    REPORT = "report"


class FullSyncInput(BaseModel):
    """What to sync. The AYON project is the ftrack project's full name unless given."""

    ftrack_project_id: str
    ayon_project_name: str | None = None
    dry_run: bool = False
    create_project: bool = False
    requested_by: str = "cli"
    #: seconds without a heartbeat after which a phase counts as lost (its worker died) and
    #: is retried; None = the default of 2 minutes. Keep it well above the longest gap
    #: between heartbeats (prepare, anatomy and report do not heartbeat at all).
    heartbeat_timeout_seconds: float | None = Field(default=None, gt=0)


class ProjectRef(BaseModel):
    """Both names of the project being synced (resolved by the prepare phase)."""

    ftrack_project_id: str
    ftrack_name: str
    ftrack_full_name: str
    ayon_project_name: str
    created: bool = False


class ConflictRecord(BaseModel):
    """One conflict, as a user reads it in the report."""

    kind: str
    path: str
    detail: str
    ftrack_id: str | None = None


class PhaseResult(BaseModel):
    """What one phase did; counts are plain numbers so the Web UI shows them readably."""

    phase: Phase
    counts: dict[str, int] = Field(default_factory=dict)
    conflicts: list[ConflictRecord] = Field(default_factory=list)
    conflicts_total: int = 0
    ftrack_requests: int = 0
    ayon_requests: int = 0
    seconds: float = 0.0
    #: seconds per step (read, plan, write...), to see where a slow sync spends its time
    timings: dict[str, float] = Field(default_factory=dict)
    preview: list[str] = Field(default_factory=list)


class FullSyncReport(BaseModel):
    """The workflow result, also written to AYON as an event."""

    project: ProjectRef
    dry_run: bool
    started_at: datetime
    finished_at: datetime
    phases: list[PhaseResult]
    ayon_event_id: str | None = None

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for phase in self.phases:
            for key, value in phase.counts.items():
                totals[key] = totals.get(key, 0) + value
        totals["conflicts"] = sum(p.conflicts_total for p in self.phases)
        totals["ftrack_requests"] = sum(p.ftrack_requests for p in self.phases)
        totals["ayon_requests"] = sum(p.ayon_requests for p in self.phases)
        return totals


class PhaseInput(BaseModel):
    """Input of every phase activity after `prepare`."""

    project: ProjectRef
    dry_run: bool = False


class ReportInput(BaseModel):
    report: FullSyncReport


class FullSyncProgress(BaseModel):
    """Answer of the `progress` query: where the run is, for CLIs and the Web UI."""

    phase: Phase | None
    done: list[Phase]
    project: ProjectRef | None
