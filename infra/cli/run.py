"""``sessionstream run``: the whole service in one process, or any part of it alone."""

from __future__ import annotations

from typing import Annotated

import typer

from infra import logging as logs
from infra.container import build
from infra.service import Service
from infra.settings import get_settings
from projections.catalogue import PROJECTIONS


def run(
    api: Annotated[bool, typer.Option(help="Serve the HTTP API.")] = True,
    relay: Annotated[bool, typer.Option(help="Relay the event store to Kafka.")] = True,
    inbound: Annotated[bool, typer.Option(help="Consume inbound.registrations.v1.")] = True,
    projection: Annotated[
        list[str] | None, typer.Option(help="Read models to keep up to date (repeat; default: all).")
    ] = None,
    no_projections: Annotated[bool, typer.Option("--no-projections", help="Run no read model consumer.")] = False,
) -> None:
    """Runs the service (HTTP API, relay, consumers) until SIGTERM."""
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    for name in projection or []:
        if name not in PROJECTIONS:
            raise typer.BadParameter(f"unknown read model {name!r}; known: {', '.join(PROJECTIONS)}")
    chosen = [] if no_projections else projection
    service = Service.assemble(build(settings), relay=relay, projections=chosen, inbound=inbound)
    service.run(api=api)
