"""``sessionstream projections``: rebuild a read model from the event store (now, or as it stood at an
instant, into a schema of its own), or verify it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from infra import rebuild as rebuilding
from infra.audit import parts
from infra.audit import rebuild as fast
from infra.cli.instants import parse_instant
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
def rebuild(
    name: str,
    until: Annotated[str | None, typer.Option(help="Build NAME as it stood at this instant (ISO 8601).")] = None,
    schema: Annotated[str | None, typer.Option(help="Into this schema, beside the live one.")] = None,
) -> None:
    """Empties the read model NAME and replays the whole event store into it; with --until or --schema,
    builds it (as it stood at UNTIL) into a schema of its own and leaves the live one alone."""
    projection = _projection(name)
    instant = parse_instant(until, "--until") if until is not None else None
    if instant is not None or schema is not None:
        schema = schema or fast.as_of_schema(name, instant or datetime.now(timezone.utc))
        try:
            fast.check_schema(schema)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--schema") from None
    container = build(get_settings())
    try:
        container.prepare()
        bar, progress = _progress_bar(container)
        with bar:
            if schema is None:
                done = parts.rebuild_live(container, projection, progress)
            else:
                done = parts.rebuild_as_of(container, projection, instant, schema, progress)
        where = "live" if schema is None else f"schema {schema}"
        console.print(f"rebuilt [bold]{name}[/bold] ({where}): {done.applied} messages from {done.events} events"
                      f" in {done.seconds:.1f} s")  # fmt: skip
        if schema is not None:
            print(schema)
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
