"""One "due" rule (§7.4): the due-notifications SQL and the domain decide the same, case by case.

A grid of mail copies (before/after-event copies around an instant; after_sub attendees of every
registration state, in the copy's session or not, mailed or not, copy removed or not) is built with
the domain's own aggregates.  The domain answers with ``MailSchedule.due`` and, for an attendee,
``attendee_due`` + ``mails_registration`` (what the send commands check); the read model, fed the
same history through the relay's mapping, answers with ``projections.eventsessions.mail_schedulers.due``
on the real PostgreSQL.  Both must name the same items.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.mail_schedule import MailSchedule
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from producers.catalogue import DECODERS
from producers.eventsessions import mapping, topics
from projections.eventsessions import mail_schedulers
from projections.eventsessions.mail_schedulers import MailSchedulersProjection
from projections.eventsessions.registrations import RegistrationsProjection
from tests.support.projections import Scratch

AT = datetime(2027, 3, 1, 12, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
EVENT = uuid4()
Item = tuple[UUID, UUID | None]  # (copy, attendee registration or None)


def _messages(aggregates: list, topic: str) -> list:
    events = [e for a in aggregates for e in a.collect_events()]
    return [
        DECODERS[topic](out.message.model_dump_json().encode())
        for event in events
        for out in mapping.to_messages(event, lambda _: EVENT)
        if out.topic == topic
    ]


def _copy(rule: MailRule, *, session_id: UUID | None, begin: datetime, end: datetime, suspended: bool = False):
    return MailSchedule.for_owner(
        uuid4(),
        rule,
        event_id=EVENT,
        session_id=session_id,
        owner_id=session_id or uuid4(),
        owner_created_at=AT - 10 * HOUR,
        date_begin=begin,
        date_end=end,
        suspended=suspended,
    )


def one_shot_copies() -> tuple[list[MailSchedule], set[Item]]:
    copies, due = [], set()
    grid = itertools.product(
        ("before_event", "after_event"),
        (0, 1, 2),
        (-3, -1, 0, 1, 3),
        (1, 2),
        (False, True),
        (False, True),
        (False, True),
    )
    for interval_type, nbr, begin_h, hours, sent, removed, suspended in grid:
        begin = AT + begin_h * HOUR
        copy = _copy(
            MailRule(interval_type, "hours", nbr, "T"),
            session_id=uuid4(),
            begin=begin,
            end=begin + hours * HOUR,
            suspended=suspended,
        )
        if sent:
            copy.record_sent([], sent_at=AT - HOUR, taken=0, context={})
        if removed:
            copy.remove()
        copies.append(copy)
        if copy.due(AT):
            due.add((copy.id, None))
    return copies, due


def attendee_copies() -> tuple[list, set[Item]]:
    aggregates: list = []
    due = set()
    grid = itertools.product(
        (0, 1, 2), (-3, -1, 0, 1), RegistrationState, (True, False), (None, "session"), (False, True), (False, True)
    )
    for nbr, created_h, state, same_session, owner, sent, removed in grid:
        session_id = uuid4() if owner == "session" else None
        copy = _copy(MailRule("after_sub", "hours", nbr, "Welcome"), session_id=session_id, begin=AT, end=AT + HOUR)
        created = AT + created_h * HOUR
        registration = Registration(
            id=uuid4(),
            event_id=EVENT,
            session_id=session_id if same_session else uuid4(),
            name="R",
            email="r@example.org",
            phone=None,
            state=state.value,
            created_at=created,
            fingerprint="",
        )
        copy.queue_attendee(registration.id, created)
        if sent:
            recipient = {"registration_id": str(registration.id), "name": "R", "email": "r@example.org"}
            copy.record_attendee_mail(registration.id, recipient, sent_at=AT - HOUR, taken=1, context={})
        if removed:
            copy.remove()
        aggregates += [copy, registration]
        if copy.attendee_due(registration.id, AT) and copy.mails_registration(
            registration.state, registration.session_id
        ):
            due.add((copy.id, registration.id))
    return aggregates, due


def test_the_due_sql_and_the_domain_name_the_same_mails(container_factory):
    copies, due_copies = one_shot_copies()
    attendees, due_attendees = attendee_copies()
    scratch = Scratch(container_factory().pool, RegistrationsProjection(), MailSchedulersProjection())
    registrations = [a for a in attendees if isinstance(a, Registration)]
    schedules = copies + [a for a in attendees if isinstance(a, MailSchedule)]
    scratch.feed(RegistrationsProjection(), _messages(registrations, topics.REGISTRATIONS))
    scratch.feed(MailSchedulersProjection(), _messages(schedules, topics.MAIL))

    with scratch.cursor() as cur:
        rows = mail_schedulers.due(cur, AT, limit=100_000)

    found = {(r["schedule_id"], r["registration_id"]) for r in rows}
    # Both kinds are present, and neither everything nor nothing is due: the grid exercises the rule.
    assert 0 < len(due_copies) < len(copies) and 0 < len(due_attendees) < len(registrations)
    assert found == due_copies | due_attendees
