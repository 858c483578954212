"""Every event class the classroom context stores maps to a message (``MAPPING.routes``), through the
relay's registry, and every message survives its topic's decoder; the password never travels."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

from domain.classroom.application import Classrooms
from domain.shared.clock import FrozenClock
from producers import topics as shared_topics
from producers.catalogue import REGISTRY, decoder_for
from producers.classroom import topics
from producers.classroom.mapping import MAPPING
from producers.notifications import ClassroomNotification, decode_notification
from tests.unit.classroom.lessons import START, minute, new_lesson


def store_every_event(app: Classrooms, clock: FrozenClock) -> tuple[UUID, UUID]:
    """A scenario that stores every event class of the context; returns (session, cancelled session)."""
    lesson = new_lesson(app, clock, reminders=[30, 60], meeting_password="s3cret")
    app.update_live_session(lesson.session_id, lesson.teacher, {"title": "Modal verbs II", "meeting_password": "n3w"})
    assert app.record_reminder_sent(lesson.session_id, 60, at=minute(-50)).sent
    app.update_live_session(lesson.session_id, lesson.teacher, {"scheduled_at": START + timedelta(hours=2)})
    app.remove_reminder(lesson.session_id, lesson.teacher, 30)
    app.register(lesson.session_id, lesson.a)
    app.start(lesson.session_id, lesson.teacher, at=minute(120))
    app.join(lesson.session_id, lesson.b, at=minute(121))
    app.leave(lesson.session_id, lesson.b, at=minute(150))
    app.mark_attendance(lesson.session_id, lesson.teacher, lesson.c)
    app.end(lesson.session_id, lesson.teacher, at=minute(180))
    other = app.schedule_live_session(lesson.classroom_id, actor_id=lesson.teacher, title="Spare", scheduled_at=START)
    app.cancel(other.id, lesson.teacher)
    return lesson.session_id, other.id


def _published(app: Classrooms) -> list:
    messages_of = REGISTRY.bind(app.repository)
    return [
        (type(event), out)
        for notification in app.recorder.select_notifications(start=None, limit=10_000)
        for event in [app.mapper.to_domain_event(notification)]
        for out in messages_of(event)
    ]


def test_every_stored_event_class_of_the_classroom_maps_to_a_message(app, clock):
    store_every_event(app, clock)
    published = _published(app)
    assert {cls for cls, _ in published} == set(MAPPING.routes)
    assert set(MAPPING.routes.values()) == set(topics.DOMAIN_TOPICS)


def test_every_message_survives_its_topics_decoder_and_is_keyed_by_its_aggregate(app, clock):
    store_every_event(app, clock)
    for _cls, out in _published(app):
        value = out.message.__pydantic_serializer__.to_json(out.message)
        if out.topic == shared_topics.NOTIFICATIONS_OUTGOING:
            assert decode_notification(value) == out.message
        else:
            assert decoder_for(out.topic)(value) == out.message
            assert out.key == out.message.aggregate_id


def test_the_meeting_password_never_travels(app, clock):
    store_every_event(app, clock)
    for _cls, out in _published(app):
        text = out.message.model_dump_json()
        assert "s3cret" not in text and "n3w" not in text
        assert "meeting_password" not in json.loads(text)


def test_a_sent_reminder_is_a_classroom_notification_with_the_b56_text(app, clock):
    session_id, _ = store_every_event(app, clock)
    [notification] = [out for _, out in _published(app) if out.topic == shared_topics.NOTIFICATIONS_OUTGOING]
    message = notification.message
    assert isinstance(message, ClassroomNotification)
    assert notification.key == session_id and notification.message_id == message.notification_id
    assert (message.context, message.kind, message.template) == (
        "classroom",
        "live_session_reminder",
        "session_reminder",
    )
    assert message.title == "Session in 60 min: Modal verbs II"
    assert message.body == "Join at 18:00"
    assert len(message.recipients) == 3 and message.minutes == 60
    assert message.data == {"session_id": str(session_id), "classroom_id": str(message.classroom_id)}
