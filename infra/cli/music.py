"""``sessionstream music``: the music clock run once, and the music demo."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from infra.cli.music_tick import tick_at
from infra.cli.oneshot import AtOption

app = typer.Typer(no_args_is_help=True)


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
    from infra.cli.demo import DEMO_TOKEN
    from infra.cli.demo import demo as every_demo

    every_demo(url=url, token=token or DEMO_TOKEN, only=["music"])
