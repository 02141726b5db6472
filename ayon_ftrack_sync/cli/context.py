"""What every command shares: the config, loaded once from env, `.env` and global flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from ayon_ftrack_sync.config import AppConfig, ConfigError, load_config

console = Console()
error_console = Console(stderr=True)


@dataclass
class CliState:
    """Global options; commands add their own flags as config overrides."""

    env_file: Path | None = None
    log_level: str | None = None
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def config(self, **sections: dict[str, Any]) -> AppConfig:
        """Load the config with command flags on top; a bad setting ends the command cleanly."""
        merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in self.overrides.items()}
        for name, values in sections.items():
            merged.setdefault(name, {}).update(values)
        if self.log_level:
            merged.setdefault("service", {})["log_level"] = self.log_level
        try:
            return load_config(self.env_file, merged)
        except ConfigError as exc:
            fail(str(exc))


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one readable error line and exit non-zero (no traceback for expected failures)."""
    error_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
