"""Instants on the command line: ISO 8601 with ``Z`` or an offset, or naive (``YYYY-MM-DD HH:MM:SS``,
meaning UTC), as on the HTTP API."""

from __future__ import annotations

from datetime import datetime, timezone

import typer


def parse_instant(value: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 instant", param_hint=option) from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
