"""`ayon-ftrack-sync resync PROJECT`: run a full ftrack -> AYON sync and follow it.

The sync itself runs in the workers (a `FullSyncWorkflow`); this command resolves the project,
starts the workflow (or follows one already running), shows progress from the workflow's
`progress` query and its activity heartbeats, and prints the report.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import (
    WorkflowAlreadyStartedError,
)

from ayon_ftrack_sync.cli.context import console, error_console, fail, state
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, FullSyncReport, Phase
from ayon_ftrack_sync.temporal import (
    AYON_PROJECT,
    FTRACK_PROJECT_ID,
    SYNC_STATE,
    SyncState,
    TemporalUnavailable,
    connect,
)
from ayon_ftrack_sync.temporal.failures import root_message
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow

PHASES = list(Phase)


def full_sync_workflow_id(ftrack_project_id: str) -> str:
    return f"ftrack-sync/project/{ftrack_project_id}/full-sync"


def resync(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="ftrack project: name, full name or id.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and print, write nothing.")
    ] = False,
    create_project: Annotated[
        bool, typer.Option("--create-project", help="Create the AYON project if missing.")
    ] = False,
    wait: Annotated[bool, typer.Option(help="Follow the sync until it ends.")] = True,
    ayon_project: Annotated[
        str | None, typer.Option(help="AYON project name [default: the ftrack full name].")
    ] = None,
    temporal_address: Annotated[str | None, typer.Option(help="Temporal host:port.")] = None,
    task_queue: Annotated[str | None, typer.Option(help="Task queue of the workers.")] = None,
) -> None:
    """Full sync of one project from ftrack to AYON, with progress and a report."""
    config = state(ctx).config(temporal={"address": temporal_address, "task_queue": task_queue})
    ftrack_id, full_name = _resolve_project(config, project)
    request = FullSyncInput(
        ftrack_project_id=ftrack_id,
        ayon_project_name=ayon_project,
        dry_run=dry_run,
        create_project=create_project,
        requested_by="cli",
    )
    code = asyncio.run(_run(config, request, ayon_project or full_name, wait))
    raise typer.Exit(code)


def _resolve_project(config: AppConfig, project: str) -> tuple[str, str]:
    from ayon_ftrack_sync.ftrack import FtrackError, find_project, open_session

    try:
        session = open_session(
            config.ftrack, schema_cache_dir=config.service.state_dir / "ftrack-schema-cache"
        )
    except FtrackError as exc:
        fail(str(exc))
    try:
        info = find_project(session, project)
    except FtrackError as exc:
        fail(str(exc))
    finally:
        session.close()
    return info.id, info.full_name


async def _run(config: AppConfig, request: FullSyncInput, ayon_name: str, wait: bool) -> int:
    try:
        client = await connect(config.temporal)
    except TemporalUnavailable as exc:
        error_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 1
    try:
        handle: WorkflowHandle[Any, FullSyncReport] = await client.start_workflow(
            FullSyncWorkflow.run,
            request,
            id=full_sync_workflow_id(request.ftrack_project_id),
            task_queue=config.temporal.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(FTRACK_PROJECT_ID, request.ftrack_project_id),
                    SearchAttributePair(AYON_PROJECT, ayon_name),
                    SearchAttributePair(SYNC_STATE, SyncState.RESYNCING.value),
                ]
            ),
            static_summary=f"full sync of {ayon_name}" + (" (dry run)" if request.dry_run else ""),
        )
        verb = "Started"
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(
            FullSyncWorkflow.run, full_sync_workflow_id(request.ftrack_project_id)
        )
        verb = "A full sync is already running; following it for"
    console.print(f"{verb} [bold]{escape(ayon_name)}[/] (workflow {escape(handle.id)})")
    if not wait:
        return 0
    try:
        report = await _follow(handle)
    except WorkflowFailureError as exc:
        error_console.print(f"[bold red]full sync failed:[/] {escape(root_message(exc))}")
        return 1
    _print_report(report)
    return 0


async def _follow(handle: WorkflowHandle[Any, FullSyncReport]) -> FullSyncReport:
    result = asyncio.ensure_future(handle.result())
    with Live(Text("starting..."), console=console, refresh_per_second=4, transient=True) as live:
        while not result.done():
            live.update(await _progress_view(handle))
            try:
                await asyncio.wait_for(asyncio.shield(result), timeout=0.5)
            except TimeoutError:
                pass
    return result.result()


async def _progress_view(handle: WorkflowHandle[Any, Any]) -> Group:
    try:
        progress = await handle.query(FullSyncWorkflow.progress)
        description = await handle.describe()
    except Exception:  # a query can race the end of the run; the next tick shows the result
        return Group(Text("finishing..."))
    lines: list[Text] = []
    for phase in PHASES:
        if phase in progress.done:
            lines.append(Text(f"  [done]    {phase.value}", style="green"))
        elif phase == progress.phase:
            detail = _heartbeat_detail(description)
            lines.append(Text(f"  [running] {phase.value} {detail}", style="bold yellow"))
        else:
            lines.append(Text(f"  [waiting] {phase.value}", style="dim"))
    if description.status not in (None, WorkflowExecutionStatus.RUNNING):
        lines.append(Text(f"  workflow {description.status.name.lower()}"))
    return Group(*lines)


def _heartbeat_detail(description: Any) -> str:
    """The latest heartbeat of the running phase activity, e.g. `writing AYON 3/24`."""
    pending = list(description.raw_description.pending_activities)
    if not pending:
        return ""
    activity = pending[0]
    if activity.attempt > 1:
        suffix = f" (attempt {activity.attempt}: {activity.last_failure.message[:80]})"
    else:
        suffix = ""
    details = activity.heartbeat_details.payloads
    if not details:
        return suffix.strip()
    import json

    try:
        data = json.loads(details[-1].data)
    except ValueError:
        return suffix.strip()
    if not isinstance(data, dict):
        return suffix.strip()
    step = str(data.get("step", ""))
    if "chunk" in data and "chunks" in data:
        step += f" {data['chunk']}/{data['chunks']}"
    elif "created" in data:
        step += f" ({data.get('created', 0)} to create, {data.get('updated', 0)} to update)"
    return (step + suffix).strip()


def _print_report(report: FullSyncReport) -> None:
    totals = report.totals()
    title = "Full sync plan (dry run: nothing written)" if report.dry_run else "Full sync report"
    table = Table(title=f"{title}: {report.project.ayon_project_name}")
    table.add_column("phase")
    table.add_column("result")
    table.add_column("ftrack req", justify="right")
    table.add_column("AYON req", justify="right")
    table.add_column("seconds", justify="right")
    for phase in report.phases:
        counts = ", ".join(f"{k} {v}" for k, v in phase.counts.items() if v)
        table.add_row(
            phase.phase.value,
            counts or "no changes",
            str(phase.ftrack_requests),
            str(phase.ayon_requests),
            f"{phase.seconds:.1f}",
        )
    console.print(table)
    console.print(
        f"created {totals.get('created', 0)}, updated {totals.get('updated', 0)}, "
        f"deactivated {totals.get('deactivated', 0)}, ftrack writes "
        f"{totals.get('ftrack_writes', 0)}, conflicts {totals['conflicts']}"
    )
    for phase in report.phases:
        for line in phase.preview:
            console.print(f"  {escape(line)}", highlight=False)
        for conflict in phase.conflicts[:20]:
            console.print(
                f"  [yellow]{conflict.kind}[/] {escape(conflict.path)}: {escape(conflict.detail)}",
                highlight=False,
            )
        hidden = phase.conflicts_total - min(len(phase.conflicts), 20)
        if hidden > 0:
            console.print(f"  ... {hidden} more conflict(s) in the AYON report event")
    if report.ayon_event_id:
        console.print(f"AYON event {report.ayon_event_id} (topic ftrack.sync.report)")
