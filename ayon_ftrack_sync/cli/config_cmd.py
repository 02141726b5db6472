"""`ayon-ftrack-sync config`: the effective configuration, secrets masked."""

from __future__ import annotations

import typer
from rich.table import Table

from ayon_ftrack_sync.cli.context import console, state


def show_config(ctx: typer.Context) -> None:
    """Show the effective configuration (flags > env > .env > defaults); keys are masked."""
    config = state(ctx).config()
    table = Table("setting", "value", title="ayon-ftrack-sync configuration")
    for section, rows in config.describe().items():
        for name, value in rows.items():
            table.add_row(f"{section}.{name}", value)
    console.print(table)
