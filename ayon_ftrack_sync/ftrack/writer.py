"""Write-back of the link attributes (``ayon_id``, ``ayon_path``, ``ayon_sync_failed``).

Each write is an ``update`` of ``ContextCustomAttributeValue`` keyed by
``[configuration_id, entity_id]``: the operation ``ftrack_api`` itself sends when a custom
attribute is set, which the server treats as an upsert -- so no read of the current rows is
needed and re-applying the same writes only stores the same values again. Writes go out in
batches (one request each, atomic on the server). A batch the server refuses (typically an
entity deleted in ftrack since the read) is split in halves until the refused writes are
isolated, so one stale id costs a few requests instead of the whole write-back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.sync.plan import FtrackWrite

from .errors import FtrackPermissionDenied, FtrackServerError
from .transport import FtrackApi

log = logging.getLogger(__name__)

VALUE_ENTITY_TYPE = "ContextCustomAttributeValue"


@dataclass(frozen=True, slots=True)
class FailedWrite:
    write: FtrackWrite
    reason: str


@dataclass(slots=True)
class WriteResult:
    """Counts for activity summaries; ``failed`` holds writes the server refused."""

    requested: int = 0
    written: int = 0
    requests: int = 0
    failed: list[FailedWrite] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "requested": self.requested,
            "written": self.written,
            "failed": len(self.failed),
            "requests": self.requests,
        }


def write_links(
    session: Any,
    writes: Sequence[FtrackWrite],
    config_ids: Mapping[str, str],
    *,
    batch_size: int = 500,
) -> WriteResult:
    """Apply ``writes``; ``config_ids`` is key -> configuration id (``ensure_link_attributes``).

    The same (entity, key) written twice keeps the last value. Raises ``FtrackPermissionDenied``
    and ``FtrackUnavailable`` as they come (retrying is the caller's business: the writes are
    idempotent); records other refusals in ``WriteResult.failed``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    latest: dict[tuple[str, str], FtrackWrite] = {}
    for write in writes:
        latest[(write.ftrack_id, write.key.value)] = write
    missing = sorted({key for _, key in latest} - set(config_ids))
    if missing:
        raise KeyError(f"no ftrack configuration id for link attribute(s): {', '.join(missing)}")
    unique = list(latest.values())
    api = FtrackApi(session)
    result = WriteResult(requested=len(writes))
    for start in range(0, len(unique), batch_size):
        _apply(api, unique[start : start + batch_size], config_ids, result)
    result.requests = api.requests
    if result.failed:
        log.warning(
            "ftrack refused some link attribute writes",
            extra={"failed": len(result.failed), "written": result.written},
        )
    return result


def _apply(
    api: FtrackApi,
    chunk: Sequence[FtrackWrite],
    config_ids: Mapping[str, str],
    result: WriteResult,
) -> None:
    send_bisecting(api, chunk, lambda write: _operation(write, config_ids), result)


def send_bisecting(
    api: FtrackApi,
    chunk: Sequence[FtrackWrite],
    to_operation: Callable[[FtrackWrite], dict[str, Any]],
    result: WriteResult,
) -> None:
    """Send a batch; if ftrack refuses it, split it until the refused writes are isolated
    (recorded in `result.failed`) and everything else is written."""
    try:
        api.call([to_operation(write) for write in chunk])
    except FtrackPermissionDenied:
        raise
    except FtrackServerError as exc:
        if len(chunk) == 1:
            result.failed.append(FailedWrite(chunk[0], str(exc)))
            return
        middle = len(chunk) // 2
        send_bisecting(api, chunk[:middle], to_operation, result)
        send_bisecting(api, chunk[middle:], to_operation, result)
        return
    result.written += len(chunk)


def _operation(write: FtrackWrite, config_ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "action": "update",
        "entity_type": VALUE_ENTITY_TYPE,
        "entity_key": [config_ids[write.key.value], write.ftrack_id],
        "entity_data": {"__entity_type__": VALUE_ENTITY_TYPE, "value": write.value},
    }
