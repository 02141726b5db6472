"""`ayon-ftrack-sync resync PROJECT`: run a full ftrack -> AYON sync and follow it.

The sync runs in the workers: the command sends the `resync` update to the project's
`ProjectSyncWorkflow` (starting it if needed), which runs a `FullSyncWorkflow` child while
the project's incremental changes wait. Progress comes from the child's `progress` query and
its activity heartbeats; the report is the update's result.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)

from ayon_ftrack_sync.cli.context import console, error_console, fail, state
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, FullSyncReport, Phase
from ayon_ftrack_sync.payloads.project_sync import ProjectSyncInput, ResyncRequest
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
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for

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
    project_id = request.ftrack_project_id
    # the project's own workflow runs the full sync as a child, so it never races the
    # incremental changes of the same project (those wait until it is done)
    update: WorkflowUpdateHandle[FullSyncReport] = await client.start_update_with_start_workflow(
        ProjectSyncWorkflow.resync,
        ResyncRequest(
            dry_run=request.dry_run,
            requested_by=request.requested_by,
            create_project=request.create_project,
            ayon_project_name=request.ayon_project_name,
        ),
        id=f"resync-{uuid.uuid4().hex[:12]}",
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        start_workflow_operation=WithStartWorkflowOperation(
            ProjectSyncWorkflow.run,
            ProjectSyncInput(
                ftrack_project_id=project_id, ayon_project_name=request.ayon_project_name
            ),
            id=workflow_id_for(project_id),
            task_queue=config.temporal.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(FTRACK_PROJECT_ID, project_id),
                    SearchAttributePair(AYON_PROJECT, ayon_name),
                    SearchAttributePair(SYNC_STATE, SyncState.IDLE.value),
                ]
            ),
            static_summary=f"ftrack sync of {ayon_name}",
        ),
    )
    kind = "dry run of a full sync" if request.dry_run else "full sync"
    console.print(
        f"Requested a {kind} of [bold]{escape(ayon_name)}[/] "
        f"(workflow {escape(workflow_id_for(project_id))})"
    )
    if not wait:
        return 0
    project = client.get_workflow_handle_for(ProjectSyncWorkflow.run, workflow_id_for(project_id))
    try:
        report = await _follow(update, project, client)
    except WorkflowUpdateFailedError as exc:
        error_console.print(f"[bold red]full sync failed:[/] {escape(root_message(exc))}")
        return 1
    _print_report(report)
    return 0


async def _follow(
    result_source: WorkflowUpdateHandle[FullSyncReport] | WorkflowHandle[Any, FullSyncReport],
    project: WorkflowHandle[Any, Any] | None = None,
    client: Client | None = None,
) -> FullSyncReport:
    """Live progress until the full sync ends. `result_source` is the resync update (the
    child's id comes from the project workflow's status) or a full-sync workflow handle."""
    result = asyncio.ensure_future(result_source.result())
    child: WorkflowHandle[Any, Any] | None = (
        result_source if isinstance(result_source, WorkflowHandle) else None
    )
    with Live(Text("starting..."), console=console, refresh_per_second=4, transient=True) as live:
        while not result.done():
            if child is None and project is not None and client is not None:
                child = await _running_child(client, project)
            if child is not None:
                live.update(await _progress_view(child))
            else:
                live.update(Text("waiting for the project's earlier work to finish..."))
            try:
                await asyncio.wait_for(asyncio.shield(result), timeout=0.5)
            except TimeoutError:
                pass
    return result.result()


async def _running_child(
    client: Client, project: WorkflowHandle[Any, Any]
) -> WorkflowHandle[Any, Any] | None:
    try:
        status = await project.query(ProjectSyncWorkflow.status)
    except Exception:  # the workflow task that starts the run may not have run yet
        return None
    if not status.resync_workflow_id:
        return None
    return client.get_workflow_handle(status.resync_workflow_id)


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
