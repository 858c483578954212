"""Commands and reads the session-rule tests share (on the spec's "just starting" session, NL/STK/101)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.charging.application import ChargingSessions, PushOutcome
from domain.charging.validation import validate_session, validate_session_patch
from tests.unit.charging.conftest import session_body

T0 = "2020-03-09T10:17:09Z"
T1 = "2020-03-09T10:18:00Z"
T2 = "2020-03-09T10:19:00Z"
T3 = "2020-03-09T10:20:00Z"


def put(app: ChargingSessions, url: tuple[str, str, str] = ("NL", "STK", "101"), **fields: Any) -> PushOutcome:
    return app.put_session(*url, validate_session(session_body(**fields), "2.2.1"))


def patch(app: ChargingSessions, body: dict[str, Any], url: tuple[str, str, str] = ("NL", "STK", "101")) -> PushOutcome:
    return app.patch_session(*url, validate_session_patch(body, "2.2.1"))


def served(app: ChargingSessions) -> dict[str, Any]:
    return app.get_session("NL", "STK", "101").render("2.2.1")


def recorded(app: ChargingSessions, outcome: PushOutcome) -> list[Any]:
    return list(app.events.get(outcome.id))


def names(app: ChargingSessions, outcome: PushOutcome) -> list[str]:
    return [type(event).__name__ for event in recorded(app, outcome)]


def refused(kind: type[Exception], command: Callable[[], Any]) -> Any:
    with pytest.raises(kind) as caught:
        command()
    assert caught.value.ocpi_status == 2001  # type: ignore[attr-defined]
    return caught.value
