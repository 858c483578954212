"""Commands on the two catalogues (spec §2.1, §2.5): event types and the timeslots of the wizard."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import asdict
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.eventsessions.catalogues import TIMESLOT_CATALOGUE_ID, EventType, TimeslotCatalogue
from domain.eventsessions.commands.base import EventSessionsBase
from domain.eventsessions.errors import EventTypeNotFoundError, TimeslotNotFoundError
from domain.eventsessions.mail_intervals import DEFAULT_MAIL_SCHEDULERS, MailRule
from domain.eventsessions.timeslots import check_timeslot_range
from domain.shared.application import Outcome, fingerprint
from domain.shared.errors import InvalidInputError
from domain.shared.timezones import check_timezone


def check_seats_max(seats_max: int) -> None:
    if seats_max < 0:
        raise InvalidInputError("seats_max", "seats_max cannot be negative.")


class CatalogueCommands(EventSessionsBase):
    def create_event_type(
        self,
        *,
        name: str,
        use_sessions: bool = False,
        has_seats_limitation: bool = False,
        seats_max: int = 0,
        auto_confirm: bool = True,
        default_timezone: str = "UTC",
        mail_schedulers: list[MailRule] | None = None,
        id: UUID | None = None,  # noqa: A002
    ) -> Outcome:
        """Spec §2.1: a template for new events; without a list, the three core mail schedulers."""
        check_timezone(default_timezone, field="default_timezone")
        check_seats_max(seats_max)
        rules = list(DEFAULT_MAIL_SCHEDULERS) if mail_schedulers is None else mail_schedulers
        for rule in rules:
            rule.validate()
        values: dict[str, Any] = {
            "name": name,
            "use_sessions": use_sessions,
            "has_seats_limitation": has_seats_limitation,
            "seats_max": seats_max,
            "auto_confirm": auto_confirm,
            "default_timezone": default_timezone,
            "mail_schedulers": [asdict(r) for r in rules],
        }
        digest = fingerprint(values)

        def create(new_id: UUID) -> Outcome:
            event_type = EventType(id=new_id, fingerprint=digest, **values)
            self.save(event_type)
            return Outcome(event_type.id, event_type.version, created=True)

        return self.create_once(id, EventType, "event type", digest, create)

    def get_event_type(self, event_type_id: UUID, *, field: str | None = None) -> EventType:
        try:
            return self.get_as(event_type_id, EventType, EventTypeNotFoundError, "Event type")
        except EventTypeNotFoundError:
            if field is None:
                raise
            raise InvalidInputError(field, f"Event type {event_type_id} not found.") from None

    def timeslots(self) -> TimeslotCatalogue:
        """The catalogue; created with its seed slots the first time anything asks for it."""
        try:
            catalogue: Any = self.repository.get(TIMESLOT_CATALOGUE_ID)
        except AggregateNotFoundError:
            with suppress(IntegrityError):  # another instance seeded it first
                self.save(TimeslotCatalogue.seeded())
            catalogue = self.repository.get(TIMESLOT_CATALOGUE_ID)
        assert isinstance(catalogue, TimeslotCatalogue)
        return catalogue

    def add_timeslot(self, time: float) -> Outcome:
        """C9/C10; the new slot's id is the outcome's ``id``."""
        check_timeslot_range(time)

        def attempt() -> Outcome:
            catalogue = self.timeslots()
            slot_id = uuid4()
            catalogue.add(slot_id, time)
            self.save(catalogue)
            return Outcome(slot_id, catalogue.version, created=True)

        return self.retrying(attempt)

    def remove_timeslot(self, slot_id: UUID) -> Outcome:
        def attempt() -> Outcome:
            catalogue = self.timeslots()
            if not catalogue.remove(slot_id):
                raise TimeslotNotFoundError(f"Timeslot {slot_id} not found.")
            self.save(catalogue)
            return Outcome(slot_id, catalogue.version)

        return self.retrying(attempt)
