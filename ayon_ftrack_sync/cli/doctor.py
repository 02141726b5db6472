"""`ayon-ftrack-sync doctor`: one line per system, non-zero exit when anything fails."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape

from ayon_ftrack_sync.cli.context import console, state
from ayon_ftrack_sync.doctor import run_checks


def doctor(
    ctx: typer.Context,
    temporal_address: Annotated[str | None, typer.Option(help="Temporal host:port.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Temporal namespace.")] = None,
    task_queue: Annotated[str | None, typer.Option(help="Task queue of the workers.")] = None,
    ftrack_url: Annotated[str | None, typer.Option(help="ftrack server URL.")] = None,
    ftrack_user: Annotated[str | None, typer.Option(help="ftrack API user.")] = None,
    ayon_url: Annotated[str | None, typer.Option(help="AYON server URL.")] = None,
    worker: Annotated[
        bool, typer.Option("--worker", help="Also run a round trip through a worker.")
    ] = False,
) -> None:
    """Check that Temporal, ftrack and AYON are reachable and accept the credentials."""
    config = state(ctx).config(
        temporal={"address": temporal_address, "namespace": namespace, "task_queue": task_queue},
        ftrack={"server_url": ftrack_url, "api_user": ftrack_user},
        ayon={"server_url": ayon_url},
    )
    results = asyncio.run(run_checks(config, with_worker=worker))
    width = max(len(r.name) for r in results)
    for result in results:
        mark = "[green]ok  [/]" if result.ok else "[red]FAIL[/]"
        console.print(f"{mark} {result.name:<{width}}  {escape(result.detail)}", highlight=False)
    if not all(r.ok for r in results):
        raise typer.Exit(1)
