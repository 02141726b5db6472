"""`ayon-ftrack-sync emulate ftrack|ayon`: local servers that speak the real wire protocols.

For demos, tests by hand and benchmarks; the real ftrack-python-api and ayon-python-api
clients run against them unmodified. Their keys are local test keys, printed on purpose.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

emulate_app = typer.Typer(
    help="Run an ftrack or AYON server emulator in the foreground.", no_args_is_help=True
)

_HOST = typer.Option(help="Address to bind (loopback by default).")
_LATENCY = typer.Option(help="Added latency per request, in seconds.")
_ERRORS = typer.Option(help="Fraction of requests answered with an injected error.")
_STATE = typer.Option(help="JSON file: loaded at start if present, saved on exit.")


@emulate_app.command("ftrack")
def emulate_ftrack(
    port: Annotated[int, typer.Option(help="HTTP/websocket port.")] = 8765,
    host: Annotated[str, _HOST] = "127.0.0.1",
    api_user: Annotated[str, typer.Option(help="API user name.")] = "admin",
    api_key: Annotated[
        str | None, typer.Option(help="API key [default: a new random key, printed].")
    ] = None,
    seed_project: Annotated[
        str | None, typer.Option(help="Generate a demo project with this name.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (deterministic data).")] = 0,
    latency: Annotated[float, _LATENCY] = 0.0,
    error_rate: Annotated[float, _ERRORS] = 0.0,
    state_file: Annotated[Path | None, _STATE] = None,
) -> None:
    """ftrack emulator: /api batch protocol, query language, custom attributes, event hub."""
    from ayon_ftrack_sync.emulators.ftrack.serve import serve_forever

    serve_forever(
        host,
        port,
        api_user=api_user,
        api_key=api_key or secrets.token_hex(16),
        seed_project=seed_project,
        seed=seed,
        latency_s=latency,
        error_rate=error_rate,
        state_file=str(state_file) if state_file else None,
    )


@emulate_app.command("ayon")
def emulate_ayon(
    port: Annotated[int, typer.Option(help="HTTP port.")] = 5005,
    host: Annotated[str, _HOST] = "127.0.0.1",
    api_key: Annotated[
        str | None, typer.Option(help="Service API key [default: a new random key, printed].")
    ] = None,
    seed_project: Annotated[
        str | None, typer.Option(help="Create a demo project with this name.")
    ] = None,
    latency: Annotated[float, _LATENCY] = 0.0,
    error_rate: Annotated[float, _ERRORS] = 0.0,
    state_file: Annotated[Path | None, _STATE] = None,
) -> None:
    """AYON emulator: REST, GraphQL, operations, events and enroll, addon settings, /ws."""
    from ayon_ftrack_sync.emulators.ayon.serve import serve_forever

    serve_forever(
        host,
        port,
        api_key=api_key or secrets.token_hex(16),
        seed_project=seed_project,
        latency_s=latency,
        error_rate=error_rate,
        state_file=str(state_file) if state_file else None,
    )
