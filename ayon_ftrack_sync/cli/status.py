"""`ayon-ftrack-sync status [PROJECT]`: where each project's sync stands.

Reads Temporal only: the per-project workflows (by search attribute, so the Web UI and this
command agree) and their `status` query, plus the latest full sync of each project.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from ayon_ftrack_sync.cli.context import console, error_console, state
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.payloads.project_sync import ProjectSyncStatus
from ayon_ftrack_sync.temporal import TemporalUnavailable, connect
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow


def status(
    ctx: typer.Context,
    project: Annotated[
        str | None, typer.Argument(help="AYON project name or ftrack project id [default: all].")
    ] = None,
    temporal_address: Annotated[str | None, typer.Option(help="Temporal host:port.")] = None,
) -> None:
    """Per-project sync state: running or not, pending events, applied, failures, last error."""
    config = state(ctx).config(temporal={"address": temporal_address})
    raise typer.Exit(asyncio.run(_status(config, project)))


def _query(project: str | None, workflow_type: str) -> str:
    query = f'WorkflowType = "{workflow_type}"'
    if project:
        safe = project.replace('"', "")
        query += f' AND (AyonProject = "{safe}" OR FtrackProjectId = "{safe}")'
    return query


async def _status(config: AppConfig, project: str | None) -> int:
    try:
        client = await connect(config.temporal)
    except TemporalUnavailable as exc:
        error_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 1
    rows = await _project_rows(client, project)
    full_syncs = await _latest_full_syncs(client, project)
    if not rows and not full_syncs:
        what = f"project {project!r}" if project else "any project"
        console.print(f"No sync workflows found for {what} in namespace {client.namespace}.")
        return 1 if project else 0
    table = Table(title="ayon-ftrack-sync projects")
    for column in (
        "project",
        "ftrack id",
        "state",
        "pending ftrack/AYON",
        "applied ftrack/AYON",
        "echoes dropped",
        "failed batches",
    ):
        table.add_column(column)
    table.add_column("last full sync")
    table.add_column("last error")
    seen: set[str] = set()
    for ftrack_id, live in rows:
        seen.add(ftrack_id)
        table.add_row(
            escape(live.ayon_project_name or "?"),
            ftrack_id,
            live.state,
            f"{live.pending}/{live.pending_ayon}",
            f"{live.stats.events_applied}/{live.stats.ayon_events_applied}",
            str(live.stats.echoes_dropped),
            str(live.stats.batches_failed),
            full_syncs.get(ftrack_id, "-"),
            escape(live.stats.last_error or ""),
        )
    for ftrack_id, summary in full_syncs.items():
        if ftrack_id not in seen:
            table.add_row("-", ftrack_id, "no event sync", "-", "-", "-", "-", summary, "")
    console.print(table)
    return 0


async def _project_rows(client: Client, project: str | None) -> list[tuple[str, ProjectSyncStatus]]:
    rows: list[tuple[str, ProjectSyncStatus]] = []
    query = _query(project, "ProjectSyncWorkflow") + ' AND ExecutionStatus = "Running"'
    async for execution in client.list_workflows(query):
        handle = client.get_workflow_handle_for(ProjectSyncWorkflow.run, execution.id)
        try:
            live = await handle.query(ProjectSyncWorkflow.status)
        except RPCError:
            continue  # no worker answered the query: listed again on the next call
        rows.append((live.ftrack_project_id, live))
    return rows


async def _latest_full_syncs(client: Client, project: str | None) -> dict[str, str]:
    """ftrack project id -> `completed 2026-11-24 00:41` for the newest full sync of each."""
    latest: dict[str, str] = {}
    async for execution in client.list_workflows(_query(project, "FullSyncWorkflow")):
        ftrack_ids = execution.typed_search_attributes
        ftrack_id = next(
            (pair.value for pair in ftrack_ids if pair.key.name == "FtrackProjectId"), None
        )
        if not isinstance(ftrack_id, str) or ftrack_id in latest:
            continue  # newest first
        when = execution.close_time or execution.start_time
        word = (
            "running"
            if execution.status == WorkflowExecutionStatus.RUNNING
            else (execution.status.name.lower() if execution.status else "?")
        )
        latest[ftrack_id] = f"{word} {when:%Y-%m-%d %H:%M}"
    return latest
