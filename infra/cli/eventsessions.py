"""``sessionstream sessions``: event-session jobs run once."""

from __future__ import annotations

import typer

from infra.cli.oneshot import AtOption, console, container_at, publish_recorded

app = typer.Typer(no_args_is_help=True)


@app.command("auto-end")
def auto_end(at: AtOption = None) -> None:
    """Moves finished sessions and events (date_end before --at) to the "Ended" stage."""
    container = container_at(at)
    try:
        report = container.auto_end().run_at(container.clock.now())
        publish_recorded(container)
        console.print(f"{len(report.sessions)} sessions and {len(report.events)} events moved to Ended.")
    finally:
        container.close()
