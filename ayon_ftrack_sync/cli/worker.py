"""`ayon-ftrack-sync worker`: the Temporal worker process."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ayon_ftrack_sync.cli.context import fail, state
from ayon_ftrack_sync.logging_setup import configure_logging
from ayon_ftrack_sync.temporal import TemporalUnavailable
from ayon_ftrack_sync.workers.worker import WorkerOptions, run_worker


def worker(
    ctx: typer.Context,
    temporal_address: Annotated[str | None, typer.Option(help="Temporal host:port.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Temporal namespace.")] = None,
    task_queue: Annotated[str | None, typer.Option(help="Task queue to poll.")] = None,
    max_concurrent_activities: Annotated[int, typer.Option(help="Activity slots.")] = 32,
    health_interval: Annotated[float, typer.Option(help="Seconds between health lines.")] = 60.0,
) -> None:
    """Run workflows and activities until SIGTERM/SIGINT (graceful shutdown)."""
    config = state(ctx).config(
        temporal={"address": temporal_address, "namespace": namespace, "task_queue": task_queue}
    )
    configure_logging(config.service.log_level, config.secrets())
    options = WorkerOptions(
        max_concurrent_activities=max_concurrent_activities, health_interval_s=health_interval
    )
    try:
        asyncio.run(run_worker(config, options))
    except TemporalUnavailable as exc:
        fail(str(exc))
