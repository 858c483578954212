"""What the one-shot commands share: a container whose clock reads ``--at``, and publishing what a
command recorded (through the scopes' relays, or by waiting for the running service's)."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from domain.shared.clock import FrozenClock, SystemClock, as_utc
from infra import logging as logs
from infra.container import Container, PgPosition, build
from infra.postgres import RELAY_LOCKS, advisory_lock
from infra.settings import get_settings
from producers.catalogue import relay_scopes

console = Console()

AtOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
                 help="Act as if the clock read this instant (UTC unless an offset is given); default now."),
]  # fmt: skip


def container_at(at: datetime | None) -> Container:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    container = build(settings, FrozenClock(as_utc(at)) if at else SystemClock())
    container.prepare()
    return container


def publish_recorded(container: Container, timeout_s: float = 30.0) -> str:
    """Makes sure what was just recorded reaches Kafka: each scope's relay runs here, or, when the
    service's relay holds that scope, this waits for it to pass what was recorded."""
    last = container.event_store.recorder.max_notification_id() or 0
    try_once = threading.Event()
    try_once.set()
    waited = False
    for scope in relay_scopes():
        name = container.relay_position_name(scope)
        with advisory_lock(container.endpoints.database_url, RELAY_LOCKS, name, try_once) as ours:
            if ours:
                relay = container.relay(scope)
                while relay.stats.position < last:
                    relay.relay_once()
                continue
        waited = True
        deadline = time.monotonic() + timeout_s
        while PgPosition(container.pool, name).load() < last:
            if time.monotonic() > deadline:
                typer.echo(f"The running service's relay of {scope.name} has not reached {last} yet.", err=True)
                raise typer.Exit(1)
            time.sleep(0.1)
    return "published by the running service's relay" if waited else "published by this command"
