"""``sessionstream notifications``: the due notifications of every context."""

from __future__ import annotations

import typer
from rich.table import Table

from infra.cli.oneshot import AtOption, console, container_at, publish_recorded

app = typer.Typer(no_args_is_help=True)


@app.command("dispatch")
def dispatch(at: AtOption = None) -> None:
    """Sends every due notification once: records it as sent, and publishes it on notifications.outgoing.v1."""
    container = container_at(at)
    try:
        report = container.dispatcher().dispatch(container.clock.now())
        how = publish_recorded(container) if report.sent else "nothing to publish"
        table = Table("notification", "sent", "note")
        for item in report.sent + report.skipped:
            table.add_row(item.item_id, "yes" if item.sent else "no", item.reason)
        console.print(table)
        console.print(f"{report.due} due, {len(report.sent)} sent, {len(report.skipped)} skipped; {how}.")
    finally:
        container.close()
