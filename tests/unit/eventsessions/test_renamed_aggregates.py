"""Events stored before ``MailScheduler`` became ``MailTemplate`` still load, and the relay still routes them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from domain.eventsessions.application import EventSessions
from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.mail_schedule import MailTemplate
from domain.shared.clock import FrozenClock
from producers.catalogue import REGISTRY, relay_scopes
from producers.eventsessions import topics
from producers.relay import covers

NOW = datetime(2027, 1, 10, 8, tzinfo=timezone.utc)
OLD = "domain.eventsessions.mail_schedule:MailScheduler"
NEW = "domain.eventsessions.mail_schedule:MailTemplate"


def _app() -> EventSessions:
    return EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FrozenClock(NOW))


def test_a_template_stored_under_its_former_class_name_loads_as_a_mail_template():
    writer = _app()
    event = writer.create_event(name="Renamed", use_sessions=True, mail_schedulers=[])
    template_id = writer.add_mail_scheduler(event.id, MailRule("before_event", "days", 1, "Reminder")).id
    writer.update_mail_scheduler(template_id, {"interval_nbr": 2})
    stored = writer.recorder.select_events(template_id)
    assert [s.topic for s in stored] == [f"{NEW}.Created", f"{NEW}.Changed"]
    # As the events were written before the rename: the old topics, and the old class inside the first one.
    old = [
        replace(s, topic=s.topic.replace(NEW, OLD), state=s.state.replace(NEW.encode(), OLD.encode())) for s in stored
    ]
    assert OLD.encode() in old[0].state
    reader = _app()
    reader.recorder.insert_events(old)

    template = reader.repository.get(template_id)

    assert isinstance(template, MailTemplate)
    assert (template.version, template.interval_nbr, template.template) == (2, 2, "Reminder")


def test_the_relay_routes_events_of_the_former_class_name_to_the_mail_topic():
    assert REGISTRY.topics_by_aggregate()[f"{OLD}."] == topics.MAIL
    assert covers(relay_scopes(), f"{OLD}.Created") == covers(relay_scopes(), f"{NEW}.Created") == [topics.MAIL]
