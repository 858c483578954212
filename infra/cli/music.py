"""``sessionstream music``: the music clock run once, and the music demo."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated, Any

import typer

from consumers.music.clock import tick_report
from infra.cli.oneshot import AtOption, container_at, publish_recorded

app = typer.Typer(no_args_is_help=True)


def tick_at(at: datetime | None, *, quiet: bool = False) -> dict[str, Any]:
    """One tick (auto-create, then the active window) as if the clock read ``at``; publishes what it
    recorded and returns the A.4 result (plus what the active window changed).  ``quiet``: warnings only."""
    container = container_at(at)
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    try:
        report = tick_report(container.music.tick(container.clock.now()))
        publish_recorded(container)
        return report
    finally:
        container.close()


@app.command("tick")
def tick(at: AtOption = None) -> None:
    """Auto-creates the instances due within each session's horizon, then sets every instance's
    is_active at INSTANT + 60 s; prints the result as JSON (errors of single sessions included)."""
    typer.echo(json.dumps(tick_at(at), indent=2))


@app.command("demo")
def demo(
    url: Annotated[str | None, typer.Option(help="A running service; default: start one.")] = None,
    token: Annotated[str | None, typer.Option(help="A write token of that service.")] = None,
) -> None:
    """A weekly Chicago session across the DST switch: auto-create, the active window, a tune log built
    over HTTP and from an offline phone's queue on Kafka, a move, and the popular tunes."""
    from infra.cli import demo_music

    demo_music.demo(url, token)
