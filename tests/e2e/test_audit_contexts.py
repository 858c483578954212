"""The audit serves every context alike: one line per context below gives an aggregate to look at."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from domain.charging.validation import validate_session, validate_session_patch
from domain.eventsessions.seats import RegistrationState
from infra.container import Container
from producers.catalogue import REGISTRY
from tests.e2e import test_audit_api
from tests.e2e.charging_support import session as charging_session

auditor = test_audit_api.auditor  # the fixture, bound where pytest looks for it

START = datetime(2033, 1, 10, 9, tzinfo=timezone.utc)


def eventsessions_aggregate(container: Container) -> UUID:
    app = container.app
    event = app.create_event(name="Any context", use_sessions=True, seats_limited=True, seats_max=3)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    registration = app.register(event_id=event.id, session_id=session.id, name="Cy", email="cy@example.org")
    app.change_registration_state(registration.id, RegistrationState.DONE)
    return registration.id


def charging_aggregate(container: Container) -> UUID:
    body = charging_session(status="ACTIVE")
    app = container.charging
    app.put_session("NL", "STK", body["id"], validate_session(body, "2.2.1"))
    patch = {"kwh": 5, "last_updated": "2033-01-10T10:00:00Z"}
    return app.patch_session("NL", "STK", body["id"], validate_session_patch(patch, "2.2.1")).id


def classroom_aggregate(container: Container) -> UUID:
    app, teacher = container.classroom, uuid4()
    classroom_id = app.create_classroom(name="Any context", teacher_id=teacher).id
    session_id = app.schedule_live_session(classroom_id, actor_id=teacher, title="Audited", scheduled_at=START).id
    app.update_live_session(session_id, teacher, {"title": "Audited again"})
    return session_id


def music_aggregate(container: Container) -> UUID:
    app = container.music
    session = app.create_session(name="Any context", path=f"audited-{uuid4().hex[:8]}", timezone="UTC")
    instance = app.create_instance(session.id, date=date(2033, 1, 10), start_time="19:00", end_time="22:00").id
    app.add_tune(instance, name="The Kesh")
    return instance


#: Context -> something that records an aggregate with a few events and returns its id.
MAKERS: dict[str, Callable[[Container], UUID]] = {
    "eventsessions": eventsessions_aggregate,
    "charging": charging_aggregate,
    "classroom": classroom_aggregate,
    "music": music_aggregate,
}


def test_every_context_of_the_registry_has_an_audited_aggregate_here():
    assert set(MAKERS) == {m.context for m in REGISTRY.mappings}


@pytest.mark.parametrize("context", sorted(MAKERS))
def test_an_aggregate_of_any_context_has_its_history_and_its_state_at_every_version(auditor, container, context):
    aggregate_id = MAKERS[context](container)

    history = auditor.get(f"/audit/aggregates/{aggregate_id}/events").json()
    states = [auditor.get(f"/audit/aggregates/{aggregate_id}/state", params={"version": e["version"]}).json()
              for e in history["events"]]  # fmt: skip
    first_at = auditor.get(f"/audit/aggregates/{aggregate_id}/state",
                           params={"at": history["events"][0]["occurred_at"]}).json()  # fmt: skip

    assert history["context"] == context and len(history["events"]) >= 2
    assert all(e["type"].startswith(f"{context}.{history['aggregate_type']}.") for e in history["events"])
    assert [s["version"] for s in states] == [e["version"] for e in history["events"]]
    assert all(s["aggregate_type"] == history["aggregate_type"] and s["state"] for s in states)
    assert first_at["version"] == 1
