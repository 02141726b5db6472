"""Workflow registry: every workflow class a worker registers."""

from __future__ import annotations

from collections.abc import Sequence

from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from ayon_ftrack_sync.workflows.health import HealthCheckWorkflow

WORKFLOWS: Sequence[type] = (HealthCheckWorkflow, FullSyncWorkflow)

__all__ = ["WORKFLOWS", "FullSyncWorkflow", "HealthCheckWorkflow"]
