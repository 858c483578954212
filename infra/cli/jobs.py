"""One-shot runs of the service's periodic jobs, as if the clock read ``--at``:
``sessionstream notifications dispatch`` and ``sessionstream sessions auto-end``."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from domain.shared.clock import FrozenClock, SystemClock, as_utc
from infra import logging as logs
from infra.container import Container, PgPosition, build
from infra.relays import scope_lock
from infra.settings import get_settings
from producers.catalogue import relay_scopes

notifications = typer.Typer(no_args_is_help=True)
sessions = typer.Typer(no_args_is_help=True)
console = Console()

AtOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
                 help="Act as if the clock read this instant (UTC unless an offset is given); default now."),
]  # fmt: skip


def _container(at: datetime | None) -> Container:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    container = build(settings, FrozenClock(as_utc(at)) if at else SystemClock())
    container.prepare()
    return container


def publish_recorded(container: Container, timeout_s: float = 30.0) -> str:
    """Makes sure what was just recorded reaches Kafka: each scope's relay runs here, or, when the
    service's relay holds that scope, this waits for it to pass what was recorded."""
    last = container.app.recorder.max_notification_id() or 0
    try_once = threading.Event()
    try_once.set()
    waited = False
    for scope in relay_scopes():
        name = container.relay_position_name(scope)
        with scope_lock(container.endpoints.database_url, name, try_once) as ours:
            if ours:
                relay = container.relay(scope)
                while relay.stats.position < last:
                    relay.relay_once()
                continue
        waited = True
        deadline = time.monotonic() + timeout_s
        while PgPosition(container.pool, name).load() < last:
            if time.monotonic() > deadline:
                raise typer.Exit(f"The running service's relay of {scope.name} has not reached {last} yet.")
            time.sleep(0.1)
    return "published by the running service's relay" if waited else "published by this command"


@notifications.command("dispatch")
def dispatch(at: AtOption = None) -> None:
    """Sends every due notification once: records it as sent, and publishes it on notifications.outgoing.v1."""
    container = _container(at)
    try:
        report = container.dispatcher().dispatch(container.clock.now())
        how = publish_recorded(container) if report.sent else "nothing to publish"
        table = Table("copy", "sent", "note")
        for item in report.sent + report.skipped:
            table.add_row(str(item.copy_id), "yes" if item.sent else "no", item.reason)
        console.print(table)
        console.print(f"{report.due} due, {len(report.sent)} sent, {len(report.skipped)} skipped; {how}.")
    finally:
        container.close()


@sessions.command("auto-end")
def auto_end(at: AtOption = None) -> None:
    """Moves finished sessions and events (date_end before --at) to the "Ended" stage."""
    container = _container(at)
    try:
        report = container.auto_end().run_at(container.clock.now())
        publish_recorded(container)
        console.print(f"{len(report.sessions)} sessions and {len(report.events)} events moved to Ended.")
    finally:
        container.close()
