"""The seat ledger of one session (or of one event without sessions), and the spec's checks on it.

Spec §3.1: draft counts as unconfirmed, open as reserved, done as used; cancel counts nowhere.
``seats_available = seats_max - (reserved + used)`` when ``seats_max > 0``, else 0.
C1: a limited ledger with ``seats_max > 0`` never has ``seats_available < 0``.
C2: a registration that arrives (created or moved in) needs ``seats_available >= 1`` when it is a
draft, ``>= 0`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class RegistrationState(str, Enum):
    """The one name of a registration's state (§4), in the domain, the message schemas and the SQL."""

    DRAFT = "draft"
    OPEN = "open"
    DONE = "done"
    CANCEL = "cancel"

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(s.value for s in cls)

    @classmethod
    def taking_a_seat(cls) -> tuple[str, ...]:
        """The states that hold a seat (reserved or used): they count against ``seats_max``."""
        return tuple(s.value for s in cls if s.takes_a_seat)

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def takes_a_seat(self) -> bool:
        return self in (RegistrationState.OPEN, RegistrationState.DONE)


_STATE_LABELS = {
    RegistrationState.DRAFT: "Unconfirmed",
    RegistrationState.OPEN: "Confirmed",
    RegistrationState.DONE: "Attended",
    RegistrationState.CANCEL: "Cancelled",
}


@dataclass(frozen=True)
class SeatCounts:
    """Registrations per counted state, and the capacity they are measured against."""

    seats_limited: bool
    seats_max: int
    seats_unconfirmed: int = 0
    seats_reserved: int = 0
    seats_used: int = 0

    @property
    def seats_available(self) -> int:
        if self.seats_max > 0:
            return self.seats_max - (self.seats_reserved + self.seats_used)
        return 0

    @property
    def seats_expected(self) -> int:
        return self.seats_unconfirmed + self.seats_reserved + self.seats_used

    @property
    def seats_taken(self) -> int:
        return self.seats_reserved + self.seats_used

    @property
    def is_enforced(self) -> bool:
        return self.seats_limited and self.seats_max > 0

    def missing_seats(self) -> int:
        """C1: how many seats the ledger is short of (0 when it is fine)."""
        if self.is_enforced and self.seats_available < 0:
            return -self.seats_available
        return 0

    def has_room_for(self, state: RegistrationState) -> bool:
        """C2, evaluated on the ledger *after* the arrival was counted."""
        # A draft consumes no seat, so for it "after" equals "before": it still needs one free seat.
        threshold = 1 if state is RegistrationState.DRAFT else 0
        return not self.is_enforced or self.seats_available >= threshold

    def moved(self, from_state: RegistrationState | None, to_state: RegistrationState | None) -> SeatCounts:
        """The ledger after one registration leaves ``from_state`` and enters ``to_state``."""
        counts = {"draft": self.seats_unconfirmed, "open": self.seats_reserved, "done": self.seats_used}
        if from_state is not None and from_state.value in counts:
            counts[from_state.value] -= 1
        if to_state is not None and to_state.value in counts:
            counts[to_state.value] += 1
        return SeatCounts(self.seats_limited, self.seats_max, counts["draft"], counts["open"], counts["done"])

    def with_capacity(self, seats_limited: bool, seats_max: int) -> SeatCounts:
        return SeatCounts(seats_limited, seats_max, self.seats_unconfirmed, self.seats_reserved, self.seats_used)


def check_seat_change(
    before: SeatCounts,
    from_state: RegistrationState | None,
    to_state: RegistrationState | None,
    *,
    name: str,
    arriving: bool,
) -> SeatCounts:
    """The ledger after the change, or the spec's refusal: C1 first, then C2 for an arrival."""
    from domain.eventsessions.errors import NoMoreSeatsError, NotEnoughSeatsError

    after = before.moved(from_state, to_state)
    if after.seats_taken > before.seats_taken and after.missing_seats():
        raise NotEnoughSeatsError([(name, after.missing_seats())])
    if arriving and to_state is not None and not after.has_room_for(to_state):
        raise NoMoreSeatsError()
    return after
