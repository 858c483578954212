"""Mail scheduling (spec §7): an event's schedulers are templates; each owner keeps its own copy.

- ``MailTemplate`` is the template (Odoo's ``event.mail``, the API's "mail scheduler"): interval,
  unit, type and mail template.  It is never executed itself.  Until it was renamed it was stored as
  ``MailScheduler``: those events still load (``domain.shared.renames``).
- ``MailSchedule`` is one copy per (template, owner) with its own scheduled date, "sent" status and,
  for ``after_sub``, per-attendee tracking.  The owner is a session (``event.mail.session``) or, for
  the event itself, the event: that copy is the core event-level scheduler of a regular event, and its
  date is empty while the event uses sessions, so it never becomes due (§2.6).

Invariants held here:
- "sent" is never reset and never recorded twice: a copy is sent once, an attendee is mailed once
  per copy; a second dispatcher loses on the version check and then finds it sent.
- Interval, unit, type and template are always the template's live values (§7.2); every change is
  written to every copy in the same transaction, with recomputed dates (§7.3, and Q14: attendee dates
  follow any interval change).
- A ``before_event`` mail whose session has ended is never sent and stays not sent (§7.4, Q6).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.eventsessions.mail_intervals import MailRule, attendee_scheduled_date, mail_state, scheduled_date
from domain.eventsessions.seats import RegistrationState
from domain.shared.copying import FlatStateCopy
from domain.shared.renames import renamed_aggregate

COPY_NAMESPACE = uuid5(NAMESPACE_URL, "sessionstream:eventsessions:mail-schedule")
#: The registration states that hold a seat: they get after_sub mails (§4, §7.4).
TAKING_STATES = RegistrationState.taking_a_seat()


class AttendeeTracking(NamedTuple):
    scheduled_date: datetime
    sent: bool
    registration_created_at: datetime


def copy_id(scheduler_id: UUID, owner_id: UUID) -> UUID:
    """The copy of one template for one owner: derived, so any command can find it without a lookup."""
    return uuid5(COPY_NAMESPACE, f"{scheduler_id}:{owner_id}")


class MailTemplate(Aggregate):
    """An event-level scheduler: the template its copies read (spec §2.6)."""

    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the client-chosen or fresh id; eventsourcing keeps it out of the event
        event_id: UUID,
        interval_type: str,
        interval_unit: str,
        interval_nbr: int,
        template: str,
        sequence: int,
        fingerprint: str,
    ) -> None:
        self.event_id = event_id
        self.interval_type = interval_type
        self.interval_unit = interval_unit
        self.interval_nbr = interval_nbr
        self.template = template
        self.sequence = sequence
        self.fingerprint = fingerprint
        self.removed = False

    @property
    def rule(self) -> MailRule:
        return MailRule(self.interval_type, self.interval_unit, self.interval_nbr, self.template)

    def change(self, rule: MailRule) -> bool:
        if rule == self.rule:
            return False
        self._changed(
            interval_type=rule.interval_type,
            interval_unit=rule.interval_unit,
            interval_nbr=rule.interval_nbr,
            template=rule.template,
        )
        return True

    @event("Changed")
    def _changed(self, interval_type: str, interval_unit: str, interval_nbr: int, template: str) -> None:
        self.interval_type = interval_type
        self.interval_unit = interval_unit
        self.interval_nbr = interval_nbr
        self.template = template

    @event("Removed")
    def remove(self) -> None:
        self.removed = True


renamed_aggregate(MailTemplate, "domain.eventsessions.mail_schedule:MailScheduler")


class MailSchedule(FlatStateCopy, Aggregate):
    """One template's copy for one owner (a session, or the event itself)."""

    @event("Scheduled")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - derived by copy_id()
        event_id: UUID,
        scheduler_id: UUID,
        session_id: UUID | None,
        interval_type: str,
        interval_unit: str,
        interval_nbr: int,
        template: str,
        owner_created_at: datetime,
        date_begin: datetime,
        date_end: datetime,
        scheduled_date: datetime | None,
    ) -> None:
        self.event_id = event_id
        self.scheduler_id = scheduler_id
        self.session_id = session_id
        self.interval_type = interval_type
        self.interval_unit = interval_unit
        self.interval_nbr = interval_nbr
        self.template = template
        self.owner_created_at = owner_created_at
        self.date_begin = date_begin
        self.date_end = date_end
        self.scheduled_date = scheduled_date
        self.mail_done = False
        self.mail_count_done = 0
        self.removed = False
        # registration id (str) -> (scheduled date, sent, registration created at); replaced, never mutated
        self.attendees: dict[str, tuple[datetime, bool, datetime]] = {}

    @classmethod
    def for_owner(
        cls,
        scheduler_id: UUID,
        rule: MailRule,
        *,
        event_id: UUID,
        session_id: UUID | None,
        owner_id: UUID,
        owner_created_at: datetime,
        date_begin: datetime,
        date_end: datetime,
        suspended: bool = False,
    ) -> MailSchedule:
        """A new copy with its date computed (§7.1); ``suspended`` copies (event-level ones of a
        session event) get no date."""
        return cls(
            id=copy_id(scheduler_id, owner_id),
            event_id=event_id,
            scheduler_id=scheduler_id,
            session_id=session_id,
            interval_type=rule.interval_type,
            interval_unit=rule.interval_unit,
            interval_nbr=rule.interval_nbr,
            template=rule.template,
            owner_created_at=owner_created_at,
            date_begin=date_begin,
            date_end=date_end,
            scheduled_date=None if suspended else _date_of(rule, owner_created_at, date_begin, date_end),
        )

    @property
    def rule(self) -> MailRule:
        return MailRule(self.interval_type, self.interval_unit, self.interval_nbr, self.template)

    @property
    def mail_state(self) -> str:
        """Q15: from the copy's own fields (the same rule as the read model's)."""
        return mail_state(self.interval_type, self.mail_done, self.scheduled_date)

    # -- configuration ---------------------------------------------------------------------------

    def reconfigure(self, rule: MailRule, date_begin: datetime, date_end: datetime, *, suspended: bool = False) -> None:
        """The template or the owner's dates changed: recompute the dates that depend on them."""
        new_date = None if suspended else _date_of(rule, self.owner_created_at, date_begin, date_end)
        attendee_dates: dict[str, datetime] = {}
        if rule != self.rule:
            attendee_dates = {
                rid: attendee_scheduled_date(rule.interval_unit, rule.interval_nbr, created)
                for rid, (_, sent, created) in self.attendees.items()
                if not sent
            }
        unchanged = (
            rule == self.rule
            and (date_begin, date_end) == (self.date_begin, self.date_end)
            and new_date == self.scheduled_date
        )
        if unchanged:
            return
        self._rescheduled(
            interval_type=rule.interval_type,
            interval_unit=rule.interval_unit,
            interval_nbr=rule.interval_nbr,
            template=rule.template,
            date_begin=date_begin,
            date_end=date_end,
            scheduled_date=new_date,
            attendee_dates=attendee_dates,
        )

    @event("Rescheduled")
    def _rescheduled(
        self,
        interval_type: str,
        interval_unit: str,
        interval_nbr: int,
        template: str,
        date_begin: datetime,
        date_end: datetime,
        scheduled_date: datetime | None,
        attendee_dates: dict[str, datetime],
    ) -> None:
        self.interval_type = interval_type
        self.interval_unit = interval_unit
        self.interval_nbr = interval_nbr
        self.template = template
        self.date_begin = date_begin
        self.date_end = date_end
        self.scheduled_date = scheduled_date
        for rid, at in attendee_dates.items():
            _, sent, created = self.attendees[rid]
            self.attendees[rid] = (at, sent, created)

    @event("Removed")
    def remove(self) -> None:
        self.removed = True

    # -- after_sub attendees ---------------------------------------------------------------------

    def attendee(self, registration_id: UUID) -> AttendeeTracking | None:
        """The tracking record of one attendee (§2.8), if it has one."""
        tracked = self.attendees.get(str(registration_id))
        return None if tracked is None else AttendeeTracking(*tracked)

    def queue_attendee(self, registration_id: UUID, registration_created_at: datetime) -> bool:
        """§7.4: a registration that takes a seat gets a tracking record (once) and the copy runs again."""
        if self.removed or self.interval_type != "after_sub" or str(registration_id) in self.attendees:
            return False
        at = attendee_scheduled_date(self.interval_unit, self.interval_nbr, registration_created_at)
        self._attendee_queued(
            registration_id=registration_id, registration_created_at=registration_created_at, scheduled_date=at
        )
        return True

    @event("AttendeeQueued")
    def _attendee_queued(
        self, registration_id: UUID, registration_created_at: datetime, scheduled_date: datetime
    ) -> None:
        self.attendees[str(registration_id)] = (scheduled_date, False, registration_created_at)
        self.mail_done = False

    def drop_attendee(self, registration_id: UUID) -> bool:
        """A registration moved to another session: strictly per session (Q5), it is not mailed here."""
        tracked = self.attendees.get(str(registration_id))
        if tracked is None or AttendeeTracking(*tracked).sent:
            return False
        self._attendee_dropped(registration_id=registration_id)
        return True

    @event("AttendeeDropped")
    def _attendee_dropped(self, registration_id: UUID) -> None:
        del self.attendees[str(registration_id)]

    def mails_registration(self, state: str, session_id: UUID | None) -> bool:
        """An attendee mail of this copy goes only to a registration that holds a seat in the copy's own
        owner (§7.4; strictly per session, Q5)."""
        return state in TAKING_STATES and session_id == self.session_id

    def attendee_due(self, registration_id: UUID, at: datetime) -> bool:
        tracked = self.attendees.get(str(registration_id))
        return (
            not self.removed
            and self.interval_type == "after_sub"
            and tracked is not None
            and not AttendeeTracking(*tracked).sent
            and AttendeeTracking(*tracked).scheduled_date <= at
        )

    def record_attendee_mail(
        self,
        registration_id: UUID,
        recipient: dict[str, Any],
        *,
        sent_at: datetime,
        taken: int,
        context: dict[str, Any],
    ) -> None:
        """Marks one attendee mailed; ``mail_done`` once every seat holder was mailed (§7.4 step 5)."""
        count = self.mail_count_done + 1
        self._attendee_mail_sent(
            registration_id=registration_id,
            recipient=recipient,
            sent_at=sent_at,
            due_at=AttendeeTracking(*self.attendees[str(registration_id)]).scheduled_date,
            mail_count_done=count,
            mail_done=count >= taken,
            what=self._what(registration_id),
            context=context,
        )

    @event("AttendeeMailSent")
    def _attendee_mail_sent(
        self,
        registration_id: UUID,
        recipient: dict[str, Any],
        sent_at: datetime,
        due_at: datetime,
        mail_count_done: int,
        mail_done: bool,
        what: dict[str, Any],
        context: dict[str, Any],
    ) -> None:
        scheduled, _, created = self.attendees[str(registration_id)]
        self.attendees[str(registration_id)] = (scheduled, True, created)
        self.mail_count_done = mail_count_done
        self.mail_done = mail_done

    # -- before_event / after_event ----------------------------------------------------------------

    def due(self, at: datetime) -> bool:
        """§7.4: due, not sent; a before-event mail of a session that has ended is never due (Q6)."""
        if self.removed or self.mail_done or self.interval_type == "after_sub" or self.scheduled_date is None:
            return False
        if self.scheduled_date > at:
            return False
        return self.interval_type == "after_event" or self.date_end > at

    def record_sent(
        self, recipients: list[dict[str, Any]], *, sent_at: datetime, taken: int, context: dict[str, Any]
    ) -> None:
        """Sent to every recipient; ``mail_count_done`` is the taken count, as in Odoo (§7.4 step 4)."""
        self._mail_sent(
            recipients=recipients,
            sent_at=sent_at,
            due_at=self.scheduled_date,
            mail_count_done=taken,
            what=self._what(self.session_id or self.event_id),
            context=context,
        )

    def _what(self, subject_id: UUID) -> dict[str, Any]:
        """Recorded with each sending, so the notification can be published from that record alone."""
        return {
            "template": self.template,
            "interval_type": self.interval_type,
            "scheduler_id": self.scheduler_id,
            "session_id": self.session_id,
            "subject_id": subject_id,
        }

    @event("MailSent")
    def _mail_sent(
        self,
        recipients: list[dict[str, Any]],
        sent_at: datetime,
        due_at: datetime | None,
        mail_count_done: int,
        what: dict[str, Any],
        context: dict[str, Any],
    ) -> None:
        self.mail_done = True
        self.mail_count_done = mail_count_done


def _date_of(rule: MailRule, created_at: datetime, date_begin: datetime, date_end: datetime) -> datetime | None:
    return scheduled_date(
        rule.interval_type,
        rule.interval_unit,
        rule.interval_nbr,
        created_at=created_at,
        date_begin=date_begin,
        date_end=date_end,
    )
