"""Search attributes that make every project's sync run findable in the Temporal Web UI."""

from __future__ import annotations

from enum import StrEnum

from temporalio.common import SearchAttributeKey

FTRACK_PROJECT_ID = SearchAttributeKey.for_keyword("FtrackProjectId")
AYON_PROJECT = SearchAttributeKey.for_keyword("AyonProject")
SYNC_STATE = SearchAttributeKey.for_keyword("SyncState")

#: Every custom search attribute this product writes; registered by the dev server and tests.
ALL_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[str], ...] = (
    FTRACK_PROJECT_ID,
    AYON_PROJECT,
    SYNC_STATE,
)


class SyncState(StrEnum):
    """Values of `SyncState`, as a studio would filter them in the Web UI."""

    IDLE = "idle"
    SYNCING = "syncing"
    RESYNCING = "resyncing"
    FAILING = "failing"


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Keyword` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL_SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}=Keyword"]
    return flags
