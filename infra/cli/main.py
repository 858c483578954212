"""``sessionstream``: run the service, manage local services, rebuild and verify read models, run jobs."""

from __future__ import annotations

import typer

from infra.cli import (
    audit,
    bench,
    db,
    demo,
    eventsessions,
    local,
    music,
    notifications,
    projections,
    run,
    schemas,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(local.app, name="local", help="Start, stop and report the local PostgreSQL and Kafka.")
app.add_typer(db.app, name="db", help="Schema migrations (also run when the service starts).")
app.add_typer(projections.app, name="projections", help="Rebuild and verify read models.")
app.add_typer(audit.app, name="audit", help="Verify the sealed log; replay the history to a topic.")
app.add_typer(schemas.app, name="schemas", help="The published schemas of every topic (AsyncAPI, JSON Schema).")
app.add_typer(notifications.app, name="notifications", help="Send due notifications (every context).")
app.add_typer(eventsessions.app, name="sessions", help="Event sessions: clean-up.")
app.add_typer(music.app, name="music", help="Music sessions: the auto-create / active-window tick, the demo.")
app.command("run")(run.run)
app.command("demo")(demo.demo)
app.command("bench")(bench.bench)

if __name__ == "__main__":
    app()
