"""Activity registry: the only code that talks to ftrack or AYON is registered here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ayon_ftrack_sync.activities import health
from ayon_ftrack_sync.config import AppConfig


def build_activities(config: AppConfig | None = None) -> Sequence[Callable[..., Any]]:
    """Every activity a worker registers, bound to `config` where they need servers.

    Without a config only the server-less ones are registered (health checks in tests)."""
    activities: list[Callable[..., Any]] = [health.ping]
    if config is not None:
        from ayon_ftrack_sync.activities.full_sync import FullSyncActivities
        from ayon_ftrack_sync.activities.full_sync_extras import FullSyncExtrasActivities
        from ayon_ftrack_sync.activities.incremental import IncrementalActivities
        from ayon_ftrack_sync.activities.transmit import TransmitActivities

        activities += FullSyncActivities(config).all()
        activities += FullSyncExtrasActivities(config).all()
        activities += IncrementalActivities(config).all()
        activities += TransmitActivities(config).all()
    return activities
