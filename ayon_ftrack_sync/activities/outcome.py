"""What one incremental batch did, in either direction, and the AYON event that shows what
it refused. Shared by `incremental.apply` (ftrack -> AYON) and `transmit.apply`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from ayon_ftrack_sync.activities.comments import CommentsOutcome
from ayon_ftrack_sync.activities.connections import Connections
from ayon_ftrack_sync.payloads.full_sync import MAX_LISTED_CONFLICTS, ConflictRecord

#: AYON event topic where people look for what the sync refused
CONFLICT_TOPIC = "ftrack.sync.conflict"


@dataclass(slots=True)
class BatchOutcome:
    """Counters of one batch, for the activity result."""

    counts: dict[str, int] = field(default_factory=dict)
    conflicts: list[ConflictRecord] = field(default_factory=list)
    #: entities the batch could not sync
    failed: list[str] = field(default_factory=list)
    ftrack_requests: int = 0
    #: ftrack keys written (`entity id:key`), whose events are echoes (`sync.echoes`)
    echo_keys: list[str] = field(default_factory=list)

    def add(self, counts: Mapping[str, int]) -> None:
        for key, value in counts.items():
            if value:
                self.counts[key] = self.counts.get(key, 0) + value

    def add_comments(self, comments: CommentsOutcome) -> None:
        """What a comment sync call did, in either direction."""
        self.add(comments.counts)
        self.ftrack_requests += comments.ftrack_requests
        for what, detail in comments.refused:
            self.refuse("comment", what, detail)

    def refuse(self, kind: str, path: str, detail: str, ftrack_id: str | None = None) -> None:
        self.conflicts.append(
            ConflictRecord(kind=kind, path=path, detail=detail, ftrack_id=ftrack_id)
        )


def report_conflicts(
    conn: Connections,
    sender: str,
    project_name: str,
    outcome: BatchOutcome,
    *,
    headline: str,
    ftrack_project_id: str,
    event_ids: Sequence[str],
    summary: Mapping[str, Any] | None = None,
) -> None:
    """One AYON event per batch that refused something, so a user sees why. A lost report
    must not undo the writes, so a failure to send it is only logged."""
    listed = outcome.conflicts[:MAX_LISTED_CONFLICTS]
    first = listed[0]
    try:
        conn.ayon().dispatch_event(
            CONFLICT_TOPIC,
            sender=sender,
            project_name=project_name,
            description=(
                f"{headline}: {len(outcome.conflicts)} problem(s), first: "
                f"{first.kind} at {first.path}: {first.detail}"
            )[:1000],
            summary={"conflicts": len(outcome.conflicts), **(summary or {})},
            payload={
                "ftrack_project_id": ftrack_project_id,
                "event_ids": list(event_ids)[:200],
                "conflicts": [c.model_dump(mode="json") for c in listed],
            },
            finished=True,
            store=True,
        )
    except Exception as exc:
        activity.logger.warning("could not write the conflict event: %s", exc)
