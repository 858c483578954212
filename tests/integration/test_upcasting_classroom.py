"""``LiveSession.Cancelled`` v1 -> v2 (``at`` renamed ``cancelled_at``, ``reason`` added): rows written with
the v1 JSON still load, replay and rebuild as before, under an intact hash chain (B.2.2)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from domain.classroom.live_session import LiveSession
from tests.integration import auditing
from tests.integration.auditing import seal_everything, sql, verified
from tests.integration.classroom_support import new_lesson
from tests.integration.upcasting import decoded, event_data, rebuilt, replayed, store_as_older, version_of

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def cancelled_lesson(app: Any, reason: str | None = None) -> tuple[UUID, int]:
    """A scheduled lesson the teacher cancels; its id and the ``Cancelled`` event's version."""
    lesson = new_lesson(app, students=2)
    outcome = app.cancel(lesson.session_id, lesson.teacher, reason=reason)
    return lesson.session_id, outcome.version


def as_version_1(new: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": new["timestamp"], "at": new["cancelled_at"], "by": new["by"]}


def test_v1_cancellations_load_replay_and_rebuild_as_before(fresh_container):
    container = fresh_container
    app = container.classroom
    session, version = cancelled_lesson(app)
    assert version == version_of(container, session, LiveSession.Cancelled)
    cancelled_at = app.repository.get(session).cancelled_at
    messages_before = replayed(container, "classroom")
    read_model_before = rebuilt(container, "live_sessions", "upcast_before")

    assert [row for row in read_model_before["classroom_live_sessions"] if cancelled_at in row]  # the row to compare
    store_as_older(container, session, version, as_version_1)

    loaded = app.repository.get(session, version=version)  # versioned: read from the store, never the cache
    event = decoded(container, session, version)
    assert (loaded.status, loaded.cancelled_at) == ("cancelled", cancelled_at)
    assert isinstance(event, LiveSession.Cancelled) and (event.cancelled_at, event.reason) == (cancelled_at, None)
    assert replayed(container, "classroom") == messages_before  # the published v1 message keeps ``at``
    assert rebuilt(container, "live_sessions", "upcast_after") == read_model_before
    data = event_data(container, session, version)
    assert (data["reason"], "at" in data, "cancelled_at" in data) == (None, False, True)


def test_new_cancellations_are_stored_as_version_2_and_the_chain_still_verifies(fresh_container):
    container = fresh_container
    app = container.classroom
    old, old_version = cancelled_lesson(app)
    store_as_older(container, old, old_version, as_version_1)
    new, new_version = cancelled_lesson(app, reason="The teacher is ill")
    seal_everything(container)

    (state,) = sql(container, "SELECT state FROM EVENTS WHERE originator_id = %s AND originator_version = %s",
                   new, new_version)[0]  # fmt: skip
    stored = json.loads(bytes(state))

    assert (stored["class_version"], stored["reason"], "at" in stored) == (2, "The teacher is ill", False)
    assert verified(container).intact
    published = [m for m in replayed(container, "classroom") if m["type"] == "LiveSessionCancelled"]
    assert [m["aggregate_id"] for m in published] == [str(old), str(new)]
    assert all("at" in m and "cancelled_at" not in m and "reason" not in m for m in published)
