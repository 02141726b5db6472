"""Test doubles of the full-sync activities, registered under the real names."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ayon_ftrack_sync.payloads.full_sync import (
    FullSyncInput,
    FullSyncReport,
    Phase,
    PhaseInput,
    PhaseResult,
    ProjectRef,
    ReportInput,
)


@dataclass
class FakeFullSync:
    """Canned phase results; knobs to fail, to block, and a log of calls."""

    calls: list[str] = field(default_factory=list)
    fail_prepare_with: str | None = None
    transient_hierarchy_failures: int = 0
    hierarchy_gate: asyncio.Event | None = None

    def activities(self) -> list[object]:
        return [
            self.prepare,
            self.anatomy,
            self.hierarchy,
            self.links,
            self.versions,
            self.lists,
            self.report,
        ]

    @activity.defn(name="full_sync.prepare")
    async def prepare(self, request: FullSyncInput) -> ProjectRef:
        self.calls.append("prepare")
        if self.fail_prepare_with:
            raise ApplicationError(
                f"ftrack project {request.ftrack_project_id} not found",
                type=self.fail_prepare_with,
                non_retryable=True,
            )
        return ProjectRef(
            ftrack_project_id=request.ftrack_project_id,
            ftrack_name="demo",
            ftrack_full_name="demo_project",
            ayon_project_name=request.ayon_project_name or "demo_project",
        )

    @activity.defn(name="full_sync.anatomy")
    async def anatomy(self, request: PhaseInput) -> PhaseResult:
        self.calls.append("anatomy")
        return PhaseResult(phase=Phase.ANATOMY, counts={"statuses": 3}, ayon_requests=2)

    @activity.defn(name="full_sync.hierarchy")
    async def hierarchy(self, request: PhaseInput) -> PhaseResult:
        self.calls.append(f"hierarchy(attempt {activity.info().attempt})")
        if self.hierarchy_gate is not None:
            await self.hierarchy_gate.wait()
        if activity.info().attempt <= self.transient_hierarchy_failures:
            raise RuntimeError("AYON answered 503")
        counts = {"created": 0 if request.dry_run else 12, "updated": 1, "deactivated": 1}
        return PhaseResult(
            phase=Phase.HIERARCHY,
            counts=counts,
            conflicts_total=1,
            ftrack_requests=4,
            ayon_requests=3,
        )

    @activity.defn(name="full_sync.links")
    async def links(self, request: PhaseInput) -> PhaseResult:
        self.calls.append("links")
        return PhaseResult(phase=Phase.LINKS, counts={"links.created": 2})

    @activity.defn(name="full_sync.versions")
    async def versions(self, request: PhaseInput) -> PhaseResult:
        self.calls.append("versions")
        return PhaseResult(phase=Phase.VERSIONS, counts={"versions.statuses": 1})

    @activity.defn(name="full_sync.lists")
    async def lists(self, request: PhaseInput) -> PhaseResult:
        self.calls.append("lists")
        return PhaseResult(phase=Phase.LISTS, counts={"lists.created": 1})

    @activity.defn(name="full_sync.report")
    async def report(self, request: ReportInput) -> FullSyncReport:
        self.calls.append("report")
        return request.report.model_copy(update={"ayon_event_id": "e" * 32})
