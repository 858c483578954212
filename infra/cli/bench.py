"""``sessionstream bench``: the benchmark (see ``infra/bench``) on the configured or local services."""

from __future__ import annotations

import logging
from pathlib import Path

import typer


def bench(
    json_path: Path | None = typer.Option(None, "--json", help="Write the results as one JSON object to PATH."),
    quick: bool = typer.Option(False, "--quick", help="Smaller sizes: under a minute."),
) -> None:
    """Measures commands, relay, projection catch-up (vs eventsourcing's runner) and end-to-end lag."""
    from infra import bench as benchmark

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    benchmark.run(json_path, quick)
