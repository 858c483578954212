"""``sessionstream db``: the service's schema migrations (they also run when the service starts)."""

from __future__ import annotations

import typer
from rich.console import Console

from infra import logging as logs
from infra.container import build, prepare_schema, schema_plan
from infra.settings import get_settings
from projections.migrations import pending

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("migrate")
def migrate() -> None:
    """Applies every migration not yet applied, in order, and lists them."""
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    container = build(settings)
    try:
        applied = prepare_schema(container.pool)
        for name in applied:
            console.print(f"applied {name}")
        console.print(f"{len(applied)} migrations applied; the schema is current.")
    finally:
        container.close()


@app.command("status")
def status() -> None:
    """Lists the migrations not yet applied (exit 1 when there are any)."""
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    container = build(settings)
    try:
        with container.pool.connection() as conn, conn.cursor() as cur:
            waiting = [
                f"{schema}.{m}" for schema, components in schema_plan() for m in pending(cur, schema, components)
            ]
        for name in waiting:
            console.print(f"pending {name}")
        console.print(f"{len(waiting)} migrations pending.")
    finally:
        container.close()
    if waiting:
        raise typer.Exit(1)
