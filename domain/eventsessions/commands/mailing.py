"""Mail-scheduling commands (spec §7): templates, their per-owner copies, and sending.

Every command writes the template, the parent event and every affected copy in one ``save()``, so a
copy never disagrees with its template or its owner's dates.  Sending is a command too: the
dispatcher asks a copy to record "sent", and the relay publishes that record on
``notifications.outgoing.v1`` (the event store is the outbox), so a mail is recorded once however
many dispatchers race for it.

The other commands keep the copies in step through the hooks below (``copies_for_new_session``,
``reschedule_copies``, ``remove_copies``, ``queue_attendee``, ``drop_attendee``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.eventsessions.commands.base import EventSessionsBase
from domain.eventsessions.errors import MailSchedulerNotFoundError
from domain.eventsessions.mail_intervals import MailRule, date_range_phrase
from domain.eventsessions.mail_schedule import TAKING_STATES, MailSchedule, MailTemplate, copy_id
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from domain.eventsessions.session import Session
from domain.shared.application import Outcome, fingerprint
from domain.shared.clock import as_utc
from domain.shared.timezones import load_zone

#: Whose dates a copy follows: a session, or the event itself (an event without sessions).
Owner = ParentEvent | Session


@dataclass(frozen=True)
class Dispatch:
    """What a send command did: ``sent`` is False when there was nothing (left) to send."""

    copy_id: UUID
    sent: bool
    version: int
    reason: str = ""


class MailingCommands(EventSessionsBase):
    # -- loading ---------------------------------------------------------------------------------

    def get_mail_scheduler(self, scheduler_id: UUID) -> MailTemplate:
        """The template (``MailTemplate``) of an event: the API calls it a mail scheduler."""
        try:
            template: Any = self.repository.get(scheduler_id)
        except AggregateNotFoundError:
            template = None
        if not isinstance(template, MailTemplate) or template.removed:
            raise MailSchedulerNotFoundError(f"Mail scheduler {scheduler_id} not found.")
        return template

    def get_mail_schedule(self, schedule_id: UUID) -> MailSchedule | None:
        try:
            copy: Any = self.repository.get(schedule_id)
        except AggregateNotFoundError:
            return None
        return copy if isinstance(copy, MailSchedule) and not copy.removed else None

    def templates_of(self, parent: ParentEvent) -> list[MailTemplate]:
        return [self.get_mail_scheduler(sid) for sid in parent.scheduler_ids()]

    def _copies(self, parent: ParentEvent, owner_id: UUID, interval_type: str | None = None) -> list[MailSchedule]:
        found = (self.get_mail_schedule(copy_id(sid, owner_id)) for sid in parent.scheduler_ids(interval_type))
        return [c for c in found if c is not None]

    # -- templates -------------------------------------------------------------------------------

    def new_templates(
        self, parent: ParentEvent, rules: Iterable[MailRule], ids: Iterable[UUID], digest: str
    ) -> list[Any]:
        """Templates for a new event, with the event-level copies (suspended when it uses sessions)."""
        created: list[Any] = []
        for sequence, (rule, template_id) in enumerate(zip(rules, ids, strict=True), start=1):
            template = MailTemplate(
                id=template_id,
                event_id=parent.id,
                interval_type=rule.interval_type,
                interval_unit=rule.interval_unit,
                interval_nbr=rule.interval_nbr,
                template=rule.template,
                sequence=sequence,
                fingerprint=digest,
            )
            parent.set_mail_scheduler(template.id, rule.interval_type)
            created += [template, self._event_copy(parent, template.id, rule)]
        return created

    def _event_copy(self, parent: ParentEvent, template_id: UUID, rule: MailRule) -> MailSchedule:
        return MailSchedule.for_owner(
            template_id,
            rule,
            event_id=parent.id,
            session_id=None,
            owner_id=parent.id,
            owner_created_at=parent.created_at,
            date_begin=parent.date_begin,
            date_end=parent.date_end,
            suspended=parent.use_sessions,
        )

    def session_copy(self, parent: ParentEvent, session: Session, template_id: UUID, rule: MailRule) -> MailSchedule:
        return MailSchedule.for_owner(
            template_id,
            rule,
            event_id=parent.id,
            session_id=session.id,
            owner_id=session.id,
            owner_created_at=session.created_at,
            date_begin=session.date_begin,
            date_end=session.date_end,
        )

    def copies_for_new_session(self, parent: ParentEvent, session: Session) -> list[MailSchedule]:
        """§7.2: a new session gets one copy per template of its event, dates computed at once."""
        return [self.session_copy(parent, session, t.id, t.rule) for t in self.templates_of(parent)]

    def add_mail_scheduler(self, event_id: UUID, rule: MailRule, *, id: UUID | None = None) -> Outcome:  # noqa: A002
        rule.validate()
        digest = fingerprint({"event_id": event_id, **asdict(rule)})

        def create(new_id: UUID) -> Outcome:
            parent = self.get_event(event_id)
            template = MailTemplate(
                id=new_id,
                event_id=event_id,
                interval_type=rule.interval_type,
                interval_unit=rule.interval_unit,
                interval_nbr=rule.interval_nbr,
                template=rule.template,
                sequence=len(parent.mail_schedulers) + 1,
                fingerprint=digest,
            )
            parent.set_mail_scheduler(new_id, rule.interval_type)
            event_copy = self._event_copy(parent, new_id, rule)
            touched: list[Any] = [template, parent, event_copy]
            for session in self.sessions_of(parent):
                copy = self.session_copy(parent, session, new_id, rule)
                self._queue_existing(copy, session)
                touched += [copy]
            if not parent.use_sessions:
                self._queue_existing(event_copy, parent)
            self.save(*touched)
            return Outcome(template.id, template.version, created=True)

        return self.create_once(id, MailTemplate, "mail scheduler", digest, create)

    def update_mail_scheduler(self, scheduler_id: UUID, changes: Mapping[str, Any]) -> Outcome:
        def attempt() -> Outcome:
            template = self.get_mail_scheduler(scheduler_id)
            rule = MailRule(**{**asdict(template.rule), **changes})
            rule.validate()
            if not template.change(rule):
                return Outcome(template.id, template.version)
            parent = self.get_event(template.event_id)
            parent.set_mail_scheduler(template.id, rule.interval_type)
            touched: list[Any] = [template, parent]
            owners: list[Owner] = [parent, *self.sessions_of(parent)]
            for owner in owners:
                copy = self.get_mail_schedule(copy_id(template.id, owner.id))
                if copy is None:
                    continue
                suspended = owner is parent and parent.use_sessions
                copy.reconfigure(rule, owner.date_begin, owner.date_end, suspended=suspended)
                if not suspended:
                    self._queue_existing(copy, owner)
                touched.append(copy)
            self.save(*touched)
            return Outcome(template.id, template.version)

        return self.retrying(attempt)

    def remove_mail_scheduler(self, scheduler_id: UUID) -> Outcome:
        """Deleting a template deletes its copies (§7.2); what was sent stays in the history."""

        def attempt() -> Outcome:
            template = self.get_mail_scheduler(scheduler_id)
            parent = self.get_event(template.event_id)
            copies = [self.get_mail_schedule(copy_id(template.id, o)) for o in [parent.id, *parent.session_ids]]
            live = [c for c in copies if c is not None]
            for copy in live:
                copy.remove()
            template.remove()
            parent.drop_mail_scheduler(template.id)
            self.save(template, parent, *live)
            return Outcome(template.id, template.version)

        return self.retrying(attempt)

    def _queue_existing(self, copy: MailSchedule, owner: Owner) -> None:
        """A new (or newly after_sub) copy takes the owner's seat holders as its attendees (§7.4 step 1)."""
        if copy.interval_type != "after_sub":
            return
        for rid, state in owner.attendees.items():
            if state in TAKING_STATES:
                copy.queue_attendee(UUID(rid), self.get_registration(UUID(rid)).created_at)

    # -- hooks for the other commands ------------------------------------------------------------

    def reschedule_copies(self, parent: ParentEvent, owner: Owner) -> list[MailSchedule]:
        """§7.3: the owner's dates changed (or the event switched sessions on or off)."""
        rules = {t.id: t.rule for t in self.templates_of(parent)}
        copies = self._copies(parent, owner.id)
        suspended = owner is parent and parent.use_sessions
        for copy in copies:
            copy.reconfigure(rules[copy.scheduler_id], owner.date_begin, owner.date_end, suspended=suspended)
        return copies

    def remove_copies(self, parent: ParentEvent, owner_id: UUID) -> list[MailSchedule]:
        copies = self._copies(parent, owner_id)
        for copy in copies:
            copy.remove()
        return copies

    def queue_attendee(self, parent: ParentEvent, owner: Owner, registration: Registration) -> list[MailSchedule]:
        """§7.4 immediate trigger: a registration now holding a seat joins the after_sub copies of its owner."""
        if registration.state not in TAKING_STATES:
            return []
        copies = self._copies(parent, owner.id, "after_sub")
        return [c for c in copies if c.queue_attendee(registration.id, registration.created_at)]

    def drop_attendee(self, parent: ParentEvent, owner_id: UUID, registration_id: UUID) -> list[MailSchedule]:
        copies = self._copies(parent, owner_id, "after_sub")
        return [c for c in copies if c.drop_attendee(registration_id)]

    # -- sending ---------------------------------------------------------------------------------

    def send_scheduled_mail(self, schedule_id: UUID, at: datetime | None = None) -> Dispatch:
        """Sends a due before/after-event mail to every non-cancelled registration of its owner, once."""
        when = as_utc(at) if at else self.clock.now()

        def attempt() -> Dispatch:
            copy = self.get_mail_schedule(schedule_id)
            if copy is None:
                return Dispatch(schedule_id, False, 0, "unknown or removed")
            if not copy.due(when):
                return Dispatch(copy.id, False, copy.version, "not due" if not copy.mail_done else "already sent")
            parent = self.get_event(copy.event_id)
            owner = self._owner_of(parent, copy)
            recipients = [
                self._recipient(UUID(rid))
                for rid, state in owner.attendees.items()
                if state != RegistrationState.CANCEL.value
            ]
            copy.record_sent(
                recipients, sent_at=when, taken=owner.seats.seats_taken, context=self._context(parent, owner, when)
            )
            self.save(copy)
            return Dispatch(copy.id, True, copy.version)

        return self.retrying(attempt)

    def send_attendee_mail(self, schedule_id: UUID, registration_id: UUID, at: datetime | None = None) -> Dispatch:
        """Sends an after_sub mail to one attendee, once, if it still holds a seat in the copy's owner."""
        when = as_utc(at) if at else self.clock.now()

        def attempt() -> Dispatch:
            copy = self.get_mail_schedule(schedule_id)
            if copy is None:
                return Dispatch(schedule_id, False, 0, "unknown or removed")
            if not copy.attendee_due(registration_id, when):
                return Dispatch(copy.id, False, copy.version, "not due or already sent")
            registration = self.get_registration(registration_id)
            if not copy.mails_registration(registration.state, registration.session_id):
                return Dispatch(copy.id, False, copy.version, f"registration is {registration.state}")
            parent = self.get_event(copy.event_id)
            owner = self._owner_of(parent, copy)
            copy.record_attendee_mail(
                registration_id,
                self._recipient(registration_id),
                sent_at=when,
                taken=owner.seats.seats_taken,
                context=self._context(parent, owner, when),
            )
            self.save(copy)
            return Dispatch(copy.id, True, copy.version)

        return self.retrying(attempt)

    def _owner_of(self, parent: ParentEvent, copy: MailSchedule) -> Owner:
        return parent if copy.session_id is None else self.get_session(copy.session_id)

    def _recipient(self, registration_id: UUID) -> dict[str, Any]:
        registration = self.get_registration(registration_id)
        return {"registration_id": str(registration.id), "name": registration.name, "email": registration.email}

    def _context(self, parent: ParentEvent, owner: Owner, when: datetime) -> dict[str, Any]:
        """What a mailer needs to fill the template: names, dates, and the §9 "date range" phrase."""
        today = when.astimezone(load_zone(parent.date_tz)).date()
        return {
            "event_name": parent.name,
            "date_tz": parent.date_tz,
            "date_begin": owner.date_begin,
            "date_end": owner.date_end,
            "date_range": date_range_phrase(owner.date_begin, today, parent.date_tz),
        }
