"""``sessionstream schemas``: the published schemas of every topic, as files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from infra import asyncapi

app = typer.Typer(no_args_is_help=True)


@app.command()
def export(directory: Annotated[Path, typer.Argument(help="Where to write (created if missing).")]) -> None:
    """Writes the AsyncAPI document (asyncapi.json) and one JSON Schema file per message (messages/)."""
    written = asyncapi.export(directory)
    print(f"{len(written) - 1} message schemas and asyncapi.json written to {directory}")
