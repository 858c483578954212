"""Logging: a constant message plus fields, through structlog.

``configure`` sets one pipeline for both kinds of caller:

- project code may log with structlog (``structlog.get_logger(__name__).info("relay stopped", scope=...)``);
- stdlib ``logging`` calls keep working (``log.info("topics created", extra={"topics": [...]})``): their
  ``extra`` fields become fields, and libraries' records (uvicorn, kafka-python) go the same way.

``as_json`` (``SESSIONSTREAM_LOG_JSON``) writes one JSON object per line for machines; otherwise a
console renderer for people.  Every line carries ``event`` (the constant message), ``level``,
``logger`` and ``timestamp``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure(level: str = "INFO", as_json: bool = False) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(default=str)
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=False, sort_keys=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records from stdlib ``logging``: their ``extra`` fields become the line's fields.
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([structlog.processors.format_exc_info] if as_json else []),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python warns about routine rebalances and slow selector turns; errors still show.
    logging.getLogger("kafka").setLevel(logging.ERROR)
    # uvicorn's own handlers would print a second, unstructured copy of its lines.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> Any:
    """A structlog logger: ``log.info("constant message", field=value, ...)``."""
    return structlog.get_logger(name)
