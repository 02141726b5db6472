"""`ayon-ftrack-sync leecher`: ftrack event hub -> local spool -> per-project workflows."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Annotated

import typer

from ayon_ftrack_sync.cli.context import fail, state
from ayon_ftrack_sync.logging_setup import configure_logging
from ayon_ftrack_sync.workers.leecher import LeecherOptions, run_leecher
from ayon_ftrack_sync.workers.spool import SPOOL_FILE_NAME, SpoolLocked


def leecher(
    ctx: typer.Context,
    temporal_address: Annotated[str | None, typer.Option(help="Temporal host:port.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Temporal namespace.")] = None,
    task_queue: Annotated[str | None, typer.Option(help="Task queue of the workers.")] = None,
    spool_path: Annotated[
        Path | None,
        typer.Option(help=f"SQLite spool file (default: {SPOOL_FILE_NAME} in the state dir)."),
    ] = None,
    spool_limit: Annotated[
        int, typer.Option(min=1, help="Most events kept in the spool while Temporal is away.")
    ] = 100_000,
    health_interval: Annotated[float, typer.Option(help="Seconds between health lines.")] = 60.0,
) -> None:
    """Listen to ftrack's event hub and hand every change to its project's sync workflow.

    Events are written to a local spool first and forwarded when Temporal accepts them, so
    nothing is lost while Temporal is unreachable. Stops gracefully on SIGTERM/SIGINT.
    """
    config = state(ctx).config(
        temporal={"address": temporal_address, "namespace": namespace, "task_queue": task_queue}
    )
    configure_logging(config.service.log_level, config.secrets())
    if not (config.ftrack.server_url and config.ftrack.api_user and config.ftrack.api_key):
        fail("ftrack is not configured: set FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY")
    options = LeecherOptions(
        spool_path=spool_path,
        spool_max_records=spool_limit,
        health_interval_s=health_interval,
    )
    try:
        asyncio.run(run_leecher(config, options))
    except (OSError, sqlite3.Error, SpoolLocked) as exc:  # spool unusable: say why, no trace
        fail(f"leecher cannot run: {exc}")
