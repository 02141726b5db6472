"""`ayon-ftrack-sync ayon-listener`: AYON entity events -> per-project workflows (to ftrack)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ayon_ftrack_sync.ayon.client import AyonCredentialsRejected
from ayon_ftrack_sync.cli.context import fail, state
from ayon_ftrack_sync.logging_setup import configure_logging
from ayon_ftrack_sync.workers.ayon_listener import (
    MAX_SLOTS,
    ListenerFatal,
    ListenerOptions,
    run_ayon_listener,
)


def ayon_listener(
    ctx: typer.Context,
    temporal_address: Annotated[str | None, typer.Option(help="Temporal host:port.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Temporal namespace.")] = None,
    task_queue: Annotated[str | None, typer.Option(help="Task queue of the workers.")] = None,
    batch_size: Annotated[
        int,
        typer.Option(min=1, max=MAX_SLOTS, help="Most AYON jobs handed over in one batch."),
    ] = 20,
    health_interval: Annotated[float, typer.Option(help="Seconds between health lines.")] = 60.0,
) -> None:
    """Hand AYON changes not made by this service to their project's sync workflow.

    Enrolls AYON entity and list events as jobs; a job is finished only after Temporal
    accepted its change, so nothing is lost while Temporal or AYON is unreachable. Only
    projects linked to an ftrack project with auto-sync on are synced. Stops gracefully on
    SIGTERM/SIGINT.
    """
    config = state(ctx).config(
        temporal={"address": temporal_address, "namespace": namespace, "task_queue": task_queue}
    )
    configure_logging(config.service.log_level, config.secrets())
    if not (config.ayon.server_url and config.ayon.api_key):
        fail("AYON is not configured: set AYON_SERVER_URL and AYON_API_KEY")
    if not (config.ftrack.server_url and config.ftrack.api_user and config.ftrack.api_key):
        fail("ftrack is not configured: set FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY")
    options = ListenerOptions(batch_max_jobs=batch_size, health_interval_s=health_interval)
    try:
        asyncio.run(run_ayon_listener(config, options))
    except (AyonCredentialsRejected, ListenerFatal) as exc:
        fail(f"AYON listener cannot run: {exc}")
