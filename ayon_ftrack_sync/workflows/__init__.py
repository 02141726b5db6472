"""Workflow registry: every workflow class a worker registers."""

from __future__ import annotations

from collections.abc import Sequence

from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from ayon_ftrack_sync.workflows.health import HealthCheckWorkflow
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow

WORKFLOWS: Sequence[type] = (HealthCheckWorkflow, FullSyncWorkflow, ProjectSyncWorkflow)

__all__ = ["WORKFLOWS", "FullSyncWorkflow", "HealthCheckWorkflow", "ProjectSyncWorkflow"]
