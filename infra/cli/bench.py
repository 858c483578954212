"""``sessionstream bench``: the benchmark (see ``infra/bench``) on the configured or local services."""

from __future__ import annotations

import logging
from pathlib import Path

import typer


def bench(
    json_path: Path | None = typer.Option(None, "--json", help="Write the results as one JSON object to PATH."),
    quick: bool = typer.Option(False, "--quick", help="Smaller sizes: a few minutes."),
    large: bool = typer.Option(False, "--large", help="A 1,000,000-event store (the audit's rebuild size)."),
) -> None:
    """Every figure: commands, relay, catch-up (vs eventsourcing's runner), lag, audit (sealing, rebuilds),
    charging (OCPI PATCHes), classroom (presence webhooks), music (recurrence, tune log)."""
    from infra import bench as benchmark

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    benchmark.run(json_path, quick, large)
