"""A save of several MB never hangs (``infra.postgres.PIPELINE_MAX_BYTES``): eventsourcing's pipelined
insert deadlocked from a few MB on, holding the events table's lock, and the session wizard on an event
with 15 mail schedulers reached that size (the fuzzer found it as a request that timed out)."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.wizard import WizardRequest
from infra.postgres import PIPELINE_MAX_BYTES
from tests.integration import auditing

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def _within(seconds: float, work: Any) -> Any:
    """``work()``'s result, failing (not hanging the suite) when it takes longer than ``seconds``."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return outcome[0]


def test_a_save_of_several_megabytes_commits_with_its_ids_in_order(fresh_container):
    recorder = fresh_container.event_store.recorder
    state = b'{"padding":"' + b"x" * 1000 + b'"}'
    events = [StoredEvent(uuid.uuid4(), 1, "tests.large:Padding", state) for _ in range(6000)]
    assert sum(len(e.state) for e in events) > 20 * PIPELINE_MAX_BYTES

    ids = _within(60, lambda: recorder.insert_events(events))

    assert len(ids) == 6000 and ids == sorted(ids)
    assert [e.originator_id for e in recorder.select_notifications(start=ids[0], limit=6000)] == [
        e.originator_id for e in events
    ]


def test_the_wizard_on_an_event_with_many_mail_schedulers_answers(fresh_container):
    app = fresh_container.app
    event = app.create_event(name="Mailed", date_tz="Europe/Brussels", use_sessions=True)
    for i in range(15):
        app.add_mail_scheduler(event.id, MailRule("before_event", "days", 1, f"t{i}"))
    request = WizardRequest(rrule_type="monthly", start=date(2000, 1, 1), until=date(2027, 6, 30),
                            timeslots=(18.0,), duration=2.0)  # fmt: skip

    generated = _within(120, lambda: app.generate_sessions(event.id, request))

    assert len(generated) == 330
    assert len(app.sessions_of(app.get_event(event.id))) == 330
