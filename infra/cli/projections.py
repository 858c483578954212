"""``sessionstream projections``: rebuild a read model from the event store, or verify it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from infra import rebuild as rebuilding
from infra.container import build
from infra.settings import get_settings
from projections.catalogue import PROJECTIONS

app = typer.Typer(no_args_is_help=True)
console = Console()


def _projection(name: str):  # type: ignore[no-untyped-def]
    if name not in PROJECTIONS:
        raise typer.BadParameter(f"unknown read model {name!r}; known: {', '.join(PROJECTIONS)}")
    return PROJECTIONS[name]


def _progress_bar(container):  # type: ignore[no-untyped-def]
    total = container.event_store.recorder.max_notification_id() or 0
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=console)
    task = bar.add_task("events", total=total)
    return bar, lambda read, position: bar.update(task, completed=min(position, total))


@app.command("list")
def list_() -> None:
    """Lists the read models and the topics they consume."""
    table = Table("read model", "topics", "tables")
    for p in PROJECTIONS.values():
        table.add_row(p.name, ", ".join(p.topics), ", ".join(p.tables))
    console.print(table)


@app.command()
def rebuild(name: str) -> None:
    """Empties the read model NAME and replays the whole event store into it."""
    projection = _projection(name)
    container = build(get_settings())
    try:
        container.prepare()
        bar, progress = _progress_bar(container)
        with bar:
            applied = rebuilding.rebuild(container.event_store, container.pool, projection, progress)
        console.print(f"rebuilt [bold]{name}[/bold]: {applied} messages applied")
    finally:
        container.close()


@app.command()
def verify(
    name: str,
    settle: Annotated[float, typer.Option(help="Seconds a difference must persist to count.")] = 10.0,
) -> None:
    """Rebuilds NAME into a scratch schema and reports every row that differs from the live one."""
    projection = _projection(name)
    container = build(get_settings())
    try:
        container.prepare()
        bar, progress = _progress_bar(container)
        with bar:
            found = rebuilding.verify(
                container.event_store, container.pool, projection, settle_seconds=settle, progress=progress
            )
    finally:
        container.close()
    if not found:
        console.print(f"[green]{name}: the live read model equals a rebuild from the event store[/green]")
        return
    table = Table("table", "side", "row")
    for d in found:
        table.add_row(d.table, d.side, repr(d.row))
    console.print(table)
    console.print(f"[red]{name}: {len(found)} differing rows[/red]")
    raise typer.Exit(1)
