"""`ayon-ftrack-sync server`: the embedded Temporal dev server in the foreground."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from ayon_ftrack_sync.cli.context import console, fail, state
from ayon_ftrack_sync.temporal.devserver import (
    DevServer,
    DevServerError,
    DevServerOptions,
    find_temporal_binary,
)


def server(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Temporal frontend port.")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Web UI port.")] = 8233,
    ip: Annotated[str, typer.Option(help="Address to bind (keep loopback unless needed).")] = (
        "127.0.0.1"
    ),
    headless: Annotated[bool, typer.Option(help="Run without the Web UI.")] = False,
    state_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite database lives [default: config].")
    ] = None,
    in_memory: Annotated[bool, typer.Option(help="Keep nothing on disk.")] = False,
    namespace: Annotated[str | None, typer.Option(help="Extra namespace to create.")] = None,
) -> None:
    """Run the embedded Temporal dev server until Ctrl-C (SQLite file, WAL, search attributes)."""
    config = state(ctx).config(service={"state_dir": state_dir}, temporal={"namespace": namespace})
    try:
        binary = find_temporal_binary(config.service.temporal_bin)
    except DevServerError as exc:
        fail(str(exc))
    options = DevServerOptions(
        state_dir=config.service.state_dir,
        ip=ip,
        port=port,
        ui_port=None if headless else ui_port,
        namespace=config.temporal.namespace,
        persistent=not in_memory,
    )
    dev = DevServer(options, binary)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        dev.start()
    except DevServerError as exc:
        fail(str(exc))
    console.print(
        f"[green]Temporal dev server[/] {options.address} (namespace {options.namespace})"
    )
    if options.ui_url:
        console.print(f"[green]Web UI[/]              {options.ui_url}")
    console.print(
        f"[green]State[/]               {options.database_path if options.persistent else 'memory'}"
    )
    console.print(f"[green]Log[/]                 {options.log_path}")
    console.print("Press Ctrl-C to stop.")

    def stop_when_server_exits() -> None:
        dev.wait()
        stop.set()

    threading.Thread(target=stop_when_server_exits, daemon=True).start()
    stop.wait()
    code = dev.stop()
    if code not in (None, 0, -signal.SIGINT, 130):
        fail(f"temporal dev server exited with code {code}; see {options.log_path}")
    console.print("stopped.")
