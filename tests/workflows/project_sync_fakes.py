"""Test doubles of the incremental activities, registered under the real names."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ayon_ftrack_sync.payloads.project_sync import (
    ApplyBatchInput,
    ApplyBatchResult,
    FailureRecord,
    TransmitBatchInput,
)


@dataclass
class FakeIncremental:
    """Records applied batches; entities named in `poison` fail their batch for good."""

    applied: list[ApplyBatchInput] = field(default_factory=list)
    failures: list[FailureRecord] = field(default_factory=list)
    poison: set[str] = field(default_factory=set)
    transmitted: list[TransmitBatchInput] = field(default_factory=list)
    #: ftrack keys each transmit reports as written (`entity:key` of the AYON entity ids)
    echo_keys: dict[str, list[str]] = field(default_factory=dict)

    def activities(self) -> list[object]:
        return [self.apply, self.record_failure, self.transmit]

    @activity.defn(name="transmit.apply")
    async def transmit(self, batch: TransmitBatchInput) -> ApplyBatchResult:
        bad = [c.entity_id for c in batch.changes if c.entity_id in self.poison]
        if bad:
            raise ApplicationError(
                f"cannot send {bad[0]}", type="InvalidChange", non_retryable=True
            )
        self.transmitted.append(batch)
        written = [key for c in batch.changes for key in self.echo_keys.get(c.entity_id or "", [])]
        return ApplyBatchResult(applied=len(batch.changes), echo_keys=written)

    @activity.defn(name="incremental.apply")
    async def apply(self, batch: ApplyBatchInput) -> ApplyBatchResult:
        bad = [c.entity_id for c in batch.changes if c.entity_id in self.poison]
        if bad:
            raise ApplicationError(
                f"cannot apply {bad[0]}", type="InvalidChange", non_retryable=True
            )
        self.applied.append(batch)
        return ApplyBatchResult(applied=len(batch.changes), ayon_project_name="demo_project")

    @activity.defn(name="incremental.record_failure")
    async def record_failure(self, record: FailureRecord) -> None:
        self.failures.append(record)

    def applied_entities(self) -> list[str]:
        return [c.entity_id for batch in self.applied for c in batch.changes]
