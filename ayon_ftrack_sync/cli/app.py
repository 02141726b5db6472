"""The `ayon-ftrack-sync` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ayon_ftrack_sync import __version__
from ayon_ftrack_sync.cli.ayon_listener import ayon_listener
from ayon_ftrack_sync.cli.config_cmd import show_config
from ayon_ftrack_sync.cli.context import CliState
from ayon_ftrack_sync.cli.demo import demo
from ayon_ftrack_sync.cli.doctor import doctor
from ayon_ftrack_sync.cli.emulate import emulate_app
from ayon_ftrack_sync.cli.leecher import leecher
from ayon_ftrack_sync.cli.resync import resync
from ayon_ftrack_sync.cli.server import server
from ayon_ftrack_sync.cli.status import status
from ayon_ftrack_sync.cli.worker import worker

app = typer.Typer(
    name="ayon-ftrack-sync",
    help="Keep ftrack and AYON in step, both ways, on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ayon-ftrack-sync {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    env_file: Annotated[
        Path | None,
        typer.Option(help="dotenv file to read [default: $AYON_FTRACK_SYNC_ENV_FILE or ./.env]."),
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING, ERROR.")] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Global options: where the configuration comes from."""
    ctx.obj = CliState(env_file=env_file, log_level=log_level)


app.command()(server)
app.command()(worker)
app.command()(leecher)
app.command()(ayon_listener)
app.command()(doctor)
app.command()(resync)
app.command()(status)
app.command()(demo)
app.command("config")(show_config)
app.add_typer(emulate_app, name="emulate")


def main() -> None:
    """Console entry point.

    Exits through `os._exit` after flushing: the Temporal core's Rust threads can abort the
    interpreter during finalisation (sdk-python issue 300), which would turn a successful
    command into exit code 134.
    """
    code = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
