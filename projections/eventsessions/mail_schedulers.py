"""Read model ``mail_schedulers``: every mail scheduler copy (per session, or the event's own) with its
scheduled date and "sent" status, and the per-attendee tracking of ``after_sub`` copies (spec §7), from
``eventsessions.mail.v1``.

``due`` answers the due-notifications queue (§7.4): one-shot copies not sent whose date has come (a
before-event mail of a session that has ended is never due, Q6), and after_sub attendees not mailed
whose date has come and whose registration still holds a seat.  Recipients and registration states come
from the ``registrations`` read model at query time; the dispatcher's command re-checks everything on
the write side, so a read model that trails by a moment can delay a mail, never duplicate one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.eventsessions.mail_intervals import mail_state
from domain.eventsessions.seats import RegistrationState
from producers.eventsessions import mail_messages as mail
from producers.eventsessions import messages as v1
from producers.eventsessions import topics
from projections.base import Row, fold
from projections.migrations import Migration

COLUMNS = (
    "id",
    "version",
    "event_id",
    "scheduler_id",
    "session_id",
    "interval_type",
    "interval_unit",
    "interval_nbr",
    "template",
    "date_begin",
    "date_end",
    "scheduled_date",
    "mail_done",
    "mail_count_done",
    "removed",
)
RULE = ("interval_type", "interval_unit", "interval_nbr", "template")
COPY_MESSAGES = (
    mail.MailScheduleScheduled,
    mail.MailScheduleRescheduled,
    mail.MailScheduleRemoved,
    mail.MailScheduleAttendeeQueued,
    mail.MailScheduleAttendeeDropped,
    mail.MailScheduleAttendeeMailSent,
    mail.MailScheduleMailSent,
)


class MailSchedulersProjection:
    name = "mail_schedulers"
    topics = (topics.MAIL,)
    tables = ("mail_schedules", "mail_attendees")
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS mail_schedules (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        event_id uuid NOT NULL,
        scheduler_id uuid NOT NULL,
        session_id uuid,
        interval_type text NOT NULL,
        interval_unit text NOT NULL,
        interval_nbr integer NOT NULL,
        template text NOT NULL,
        date_begin timestamptz NOT NULL,
        date_end timestamptz NOT NULL,
        scheduled_date timestamptz,
        mail_done boolean NOT NULL,
        mail_count_done integer NOT NULL,
        removed boolean NOT NULL
    );
    CREATE INDEX IF NOT EXISTS mail_schedules_session_idx ON mail_schedules (session_id);
    CREATE INDEX IF NOT EXISTS mail_schedules_due_idx ON mail_schedules (scheduled_date)
        WHERE NOT mail_done AND NOT removed AND interval_type <> 'after_sub';
    CREATE TABLE IF NOT EXISTS mail_attendees (
        schedule_id uuid NOT NULL,
        registration_id uuid NOT NULL,
        scheduled_date timestamptz NOT NULL,
        sent boolean NOT NULL,
        PRIMARY KEY (schedule_id, registration_id)
    );
    CREATE INDEX IF NOT EXISTS mail_attendees_due_idx ON mail_attendees (scheduled_date) WHERE NOT sent;
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        copies = [m for m in messages if isinstance(m, COPY_MESSAGES)]  # templates live in their copies
        fold(cur, "mail_schedules", "id", COLUMNS, copies, lambda m: m.aggregate_id, _apply)
        _apply_attendees(cur, copies)


def _apply(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, mail.MailScheduleScheduled):
        return {
            "id": m.aggregate_id,
            "version": m.version,
            "event_id": m.event_id,
            "scheduler_id": m.scheduler_id,
            "session_id": m.session_id,
            **{k: getattr(m, k) for k in RULE},
            "date_begin": m.date_begin,
            "date_end": m.date_end,
            "scheduled_date": m.scheduled_date,
            "mail_done": False,
            "mail_count_done": 0,
            "removed": False,
        }
    if row is None:
        return None
    row = dict(row, version=m.version)
    match m:
        case mail.MailScheduleRescheduled():
            row.update({k: getattr(m, k) for k in RULE})
            row.update(date_begin=m.date_begin, date_end=m.date_end, scheduled_date=m.scheduled_date)
        case mail.MailScheduleRemoved():
            row["removed"] = True
        case mail.MailScheduleAttendeeQueued():
            row["mail_done"] = False  # §7.4: a new attendee makes the copy run again
        case mail.MailScheduleAttendeeMailSent():
            row.update(mail_count_done=m.mail_count_done, mail_done=m.mail_done)
        case mail.MailScheduleMailSent():
            row.update(mail_count_done=m.mail_count_done, mail_done=True)
    return row


_QUEUE = (
    "INSERT INTO mail_attendees (schedule_id, registration_id, scheduled_date, sent) VALUES (%s, %s, %s, false)"
    " ON CONFLICT (schedule_id, registration_id) DO UPDATE SET scheduled_date = EXCLUDED.scheduled_date"
)
_DROP = "DELETE FROM mail_attendees WHERE schedule_id = %s AND registration_id = %s"
_SENT = "UPDATE mail_attendees SET sent = true WHERE schedule_id = %s AND registration_id = %s"
_MOVE = "UPDATE mail_attendees SET scheduled_date = %s WHERE schedule_id = %s AND registration_id = %s"
_REMOVE = "DELETE FROM mail_attendees WHERE schedule_id = %s AND NOT sent"


def _apply_attendees(cur: Cursor[Any], messages: Sequence[Any]) -> None:
    """Per-attendee rows, in order: each run of one kind of statement in one ``executemany`` (one round
    trip: a rebuild's batch can hold thousands of attendees queued, one registration each)."""
    for statement, rows in groupby(_attendee_statements(messages), key=itemgetter(0)):
        cur.executemany(statement, [params for _, params in rows])


def _attendee_statements(messages: Sequence[Any]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    for m in messages:
        match m:
            case mail.MailScheduleAttendeeQueued():
                yield _QUEUE, (m.aggregate_id, m.registration_id, m.scheduled_date)
            case mail.MailScheduleAttendeeDropped():
                yield _DROP, (m.aggregate_id, m.registration_id)
            case mail.MailScheduleAttendeeMailSent():
                yield _SENT, (m.aggregate_id, m.registration_id)
            case mail.MailScheduleRescheduled() if m.attendee_dates:
                for rid, at in m.attendee_dates.items():
                    yield _MOVE, (at, m.aggregate_id, rid)
            case mail.MailScheduleRemoved():
                yield _REMOVE, (m.aggregate_id,)


def with_state(row: Row) -> Row:
    """Q15: ``mail_state`` from the copy's own fields."""
    return dict(row, mail_state=mail_state(row["interval_type"], row["mail_done"], row["scheduled_date"]))


def of_owner(cur: Cursor[Any], *, session_id: UUID | None = None, event_id: UUID | None = None) -> list[Row]:
    """A session's copies, or (with ``event_id``) the event's own schedulers."""
    owner = "session_id = %s" if session_id is not None else "session_id IS NULL AND event_id = %s"
    cur.execute(
        f"SELECT {', '.join(COLUMNS)} FROM mail_schedules WHERE {owner} AND NOT removed"
        " ORDER BY scheduled_date NULLS LAST, interval_type, id",
        (session_id if session_id is not None else event_id,),
    )
    return [with_state(dict(zip(COLUMNS, r, strict=True))) for r in cur.fetchall()]


# The registration states in SQL, from the one enum (constants of ours, so inlining them is safe).
_CANCELLED = f"'{RegistrationState.CANCEL.value}'"
_TAKING = ", ".join(f"'{state}'" for state in RegistrationState.taking_a_seat())

_DUE_COPIES = f"""
SELECT s.id, s.interval_type, s.scheduled_date, s.template, coalesce(s.session_id, s.event_id), s.event_id,
       s.session_id, NULL::uuid,
       coalesce((SELECT jsonb_agg(jsonb_build_object('registration_id', r.id, 'name', r.name, 'email', r.email)
                                  ORDER BY r.created_at, r.id)
                 FROM registrations r
                 WHERE r.event_id = s.event_id AND r.session_id IS NOT DISTINCT FROM s.session_id
                   AND r.state <> {_CANCELLED}), '[]'::jsonb)
FROM mail_schedules s
WHERE NOT s.removed AND NOT s.mail_done AND s.interval_type <> 'after_sub'
  AND s.scheduled_date <= %(at)s AND (s.interval_type = 'after_event' OR s.date_end > %(at)s)
"""
_DUE_ATTENDEES = f"""
SELECT s.id, s.interval_type, a.scheduled_date, s.template, r.id, s.event_id, s.session_id, r.id,
       jsonb_build_array(jsonb_build_object('registration_id', r.id, 'name', r.name, 'email', r.email))
FROM mail_attendees a
JOIN mail_schedules s ON s.id = a.schedule_id
JOIN registrations r ON r.id = a.registration_id
WHERE NOT a.sent AND a.scheduled_date <= %(at)s AND NOT s.removed AND s.interval_type = 'after_sub'
  AND r.state IN ({_TAKING}) AND r.session_id IS NOT DISTINCT FROM s.session_id
"""


def due(cur: Cursor[Any], at: datetime, limit: int = 1000) -> list[Row]:
    """The due-notifications queue as of ``at``, oldest first."""
    cur.execute(
        f"SELECT * FROM ({_DUE_COPIES} UNION ALL {_DUE_ATTENDEES}) AS due ORDER BY 3, 1, 8 NULLS FIRST LIMIT %(limit)s",
        {"at": at, "limit": limit},
    )
    names = (
        "schedule_id",
        "interval_type",
        "due_at",
        "template",
        "subject_id",
        "event_id",
        "session_id",
        "registration_id",
        "recipients",
    )
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
