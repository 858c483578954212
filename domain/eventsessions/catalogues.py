"""The two catalogues: event types (templates for new events) and timeslots (times of day for the wizard).

- An ``EventType`` supplies defaults to the events created with it (spec §2.1, §6.1); explicit values
  given to the event win.  Without a seat limitation its ``seats_max`` is 0.
- The ``TimeslotCatalogue`` is one aggregate holding every timeslot, so "the timeslot has to be unique"
  (C9) holds under any concurrency: two writers adding the same time conflict on its version.  It is
  created with Odoo's 13 seed slots (10:00 ... 22:00).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.eventsessions.timeslots import SEED_TIMESLOTS, DuplicateTimeslotError, timeslot_name

TIMESLOT_CATALOGUE_ID = uuid5(NAMESPACE_URL, "sessionstream:eventsessions:timeslots")


def seed_timeslot_id(time: float) -> UUID:
    return uuid5(TIMESLOT_CATALOGUE_ID, f"seed:{time}")


class EventType(Aggregate):
    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the client-chosen or fresh id; eventsourcing keeps it out of the event
        name: str,
        use_sessions: bool,
        has_seats_limitation: bool,
        seats_max: int,
        auto_confirm: bool,
        default_timezone: str,
        mail_schedulers: list[dict[str, Any]],
        fingerprint: str,
    ) -> None:
        self.name = name
        self.use_sessions = use_sessions
        self.has_seats_limitation = has_seats_limitation
        self.seats_max = seats_max if has_seats_limitation else 0
        self.auto_confirm = auto_confirm
        self.default_timezone = default_timezone
        self.mail_schedulers = mail_schedulers
        self.fingerprint = fingerprint


class TimeslotCatalogue(Aggregate):
    @event("Created")
    def __init__(self, *, id: UUID) -> None:  # noqa: A002 - always TIMESLOT_CATALOGUE_ID
        self.slots: dict[str, float] = {}  # slot id (str) -> decimal hours

    @classmethod
    def seeded(cls) -> TimeslotCatalogue:
        catalogue = cls(id=TIMESLOT_CATALOGUE_ID)
        for time in SEED_TIMESLOTS:
            catalogue.add(seed_timeslot_id(time), time)
        return catalogue

    def ordered(self) -> list[tuple[UUID, float, str]]:
        """(id, time, name) by time, as Odoo sorts them."""
        return sorted(((UUID(k), t, timeslot_name(t)) for k, t in self.slots.items()), key=lambda s: (s[1], s[0]))

    def find(self, time: float) -> UUID | None:
        for slot_id, existing in self.slots.items():
            if abs(existing - time) < 1e-9:
                return UUID(slot_id)
        return None

    def add(self, slot_id: UUID, time: float) -> None:
        if self.find(time) is not None:
            raise DuplicateTimeslotError()
        self._added(slot_id=slot_id, time=time)

    @event("SlotAdded")
    def _added(self, slot_id: UUID, time: float) -> None:
        self.slots[str(slot_id)] = time

    def remove(self, slot_id: UUID) -> bool:
        if str(slot_id) not in self.slots:
            return False
        self._removed(slot_id=slot_id)
        return True

    @event("SlotRemoved")
    def _removed(self, slot_id: UUID) -> None:
        del self.slots[str(slot_id)]
