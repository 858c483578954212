"""Fakes for the HTTP contract tests: a container whose parts are tripwires, an application that answers
what the test tells it to, a pool whose database is unreachable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from domain.shared.application import Outcome
from domain.shared.clock import FrozenClock
from infra.settings import Settings

NOW = datetime(2025, 10, 6, 12, 0, tzinfo=timezone.utc)


class Tripwire:
    """Stands for a part the request must not reach: touching it fails the test."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(f"{self._name}.{attr} was touched")


@dataclass
class FakeContainer:
    settings: Settings = field(default_factory=lambda: Settings(SESSIONSTREAM_API_TOKENS="w-token:write,r-token:read"))
    clock: FrozenClock = field(default_factory=lambda: FrozenClock(NOW))
    app: Any = field(default_factory=lambda: Tripwire("app"))
    pool: Any = field(default_factory=lambda: Tripwire("pool"))


class FakeApp:
    """An application whose commands answer (or raise) what the test tells them to."""

    def __init__(self, result: Outcome | Exception) -> None:
        self.result = result
        self.calls: list[tuple[str, Any, Any]] = []

    def __getattr__(self, command: str) -> Callable[..., Outcome]:
        def run(*args: Any, **kwargs: Any) -> Outcome:
            self.calls.append((command, args, kwargs))
            if isinstance(self.result, Exception):
                raise self.result
            return self.result

        return run


class DeadPool:
    """A pool whose database is unreachable."""

    def connection(self, timeout: float | None = None) -> Any:
        raise OSError("connection refused")
