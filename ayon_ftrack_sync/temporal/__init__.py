"""Temporal runtime: client factory, search attributes, the embedded dev server."""

from ayon_ftrack_sync.temporal.client import TemporalUnavailable, connect
from ayon_ftrack_sync.temporal.search_attributes import (
    ALL_SEARCH_ATTRIBUTES,
    AYON_PROJECT,
    FTRACK_PROJECT_ID,
    SYNC_STATE,
    SyncState,
)

__all__ = [
    "ALL_SEARCH_ATTRIBUTES",
    "AYON_PROJECT",
    "FTRACK_PROJECT_ID",
    "SYNC_STATE",
    "SyncState",
    "TemporalUnavailable",
    "connect",
]
