"""``sessionstream audit``: prove the log was not rewritten (``verify``), and feed it to a topic (``replay``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from infra import logging as logs
from infra.audit import replay as replaying
from infra.audit.sealer import log_name
from infra.audit.verify import read_checkpoints
from infra.audit.verify import verify as verify_chain
from infra.cli.instants import parse_instant
from infra.container import Container, build
from infra.settings import get_settings
from producers.audit import AUDIT_CHECKPOINTS
from producers.topics import physical

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)  # progress and details; the result lines go to stdout


def _container() -> Container:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    container = build(settings)
    container.prepare()
    return container


def _bar(total: int, what: str) -> tuple[Progress, Callable[[int, int], None]]:
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=console)
    task = bar.add_task(what, total=total)
    return bar, lambda _read, position: bar.update(task, completed=min(position, total))


@app.command()
def verify() -> None:
    """Recomputes the hash chain from the stored events and compares it with the sealed chain and with
    the checkpoints on Kafka; exits 1 at the first position that no longer matches."""
    container = _container()
    try:
        store = container.event_store
        topic = physical(AUDIT_CHECKPOINTS, container.settings.topic_prefix)
        checkpoints = read_checkpoints(container.endpoints.kafka_bootstrap, topic, log_name(store))
        bar, progress = _bar(store.recorder.max_notification_id() or 0, "verifying")
        with bar:
            report = verify_chain(store, checkpoints, progress)
    finally:
        container.close()
    print(report.summary())
    if not report.intact:
        raise typer.Exit(1)
    console.print(f"{report.checkpoints} of {len(checkpoints)} checkpoints on {topic} matched;"
                  f" {report.unsealed} events after position {report.head} not sealed yet")  # fmt: skip


@app.command()
def replay(
    topic: Annotated[str, typer.Option(help="The topic to publish to (created if missing).")],
    since: Annotated[str | None, typer.Option(help="Only events at or after this instant (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Only events at or before this instant (ISO 8601).")] = None,
    context: Annotated[str | None, typer.Option(help="Only this context's events (e.g. eventsessions).")] = None,
    partitions: Annotated[int, typer.Option(min=1, help="Partitions of a topic created here.")] = 1,
) -> None:
    """Publishes the stored history, in log order, with the domain topics' message contract and headers
    plus ``ce_replay: true``; prints how many messages it published."""
    start = parse_instant(since, "--since") if since else None
    end = parse_instant(until, "--until") if until else None
    if context is not None and context not in replaying.contexts():
        raise typer.BadParameter(f"unknown context; known: {', '.join(replaying.contexts())}", param_hint="--context")
    container = _container()
    try:
        replaying.ensure_topic(container.endpoints.kafka_bootstrap, topic, partitions)
        bar, progress = _bar(container.event_store.recorder.max_notification_id() or 0, "replaying")
        with bar:
            count = replaying.replay(container.event_store, container.producer, topic, since=start, until=end,
                                     context=context, progress=progress)  # fmt: skip
    finally:
        container.close()
    print(f"{count} messages published to {topic}")
