"""One test per rule of ``specs/event-sessions.md``, through the ``EventSessions`` application.

Everything runs on the in-memory (POPO) event store with a frozen clock: no network, no read models.
Section numbers (§), constraint numbers (C1...) and quirk numbers (Q1...) are the spec's; error messages
are quoted word for word.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import UUID

import pytest

from domain.eventsessions.application import EventSessions
from domain.eventsessions.errors import (
    DatesOutOfOrderError,
    NoMoreSeatsError,
    NotEnoughSeatsError,
    SessionInUseError,
    SessionsToggleRefusedError,
)
from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.mail_schedule import copy_id
from domain.eventsessions.seats import RegistrationState
from domain.eventsessions.stages import ENDED_STAGE_ID, FIRST_STAGE_ID
from domain.eventsessions.timeslots import parse_timeslot
from domain.eventsessions.wizard import WizardRequest
from domain.shared.clock import FrozenClock
from domain.shared.errors import InvalidInputError, NotFoundError, RuleViolationError

UTC = timezone.utc
NOW = datetime(2027, 1, 10, 8, tzinfo=UTC)
BEGIN = datetime(2027, 2, 1, 9, tzinfo=UTC)  # a session from 09:00 to 11:00 UTC, well after NOW
EVENT = "Test event"

DRAFT, OPEN = RegistrationState.DRAFT, RegistrationState.OPEN
DONE, CANCEL = RegistrationState.DONE, RegistrationState.CANCEL

NOT_ENOUGH_SEATS = "There are not enough seats available for:\n"
NO_MORE_SEATS = "No more seats available for this session."
CLOSING_BEFORE_BEGINNING = "The closing date cannot be earlier than the beginning date."
CANNOT_TOGGLE = "You can't enable/disable sessions on events with registrations."
SESSION_IN_USE = (
    "The operation cannot be completed: another model requires the record being deleted. "
    "If possible, archive it instead."
)
CANCELLED_STAGE_ID = 5


# -- fixtures and helpers ----------------------------------------------------------------------------


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def app(clock: FrozenClock) -> EventSessions:
    return EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)


def session_event(app: EventSessions, *, seats_max: int = 0, name: str = EVENT, **kwargs) -> UUID:
    """An event with sessions, limited to ``seats_max`` seats per session when ``seats_max > 0``."""
    kwargs.setdefault("seats_limited", seats_max > 0)
    return app.create_event(name=name, use_sessions=True, seats_max=seats_max, **kwargs).id


def regular_event(app: EventSessions, *, begin: datetime = BEGIN, hours: int = 2, **kwargs) -> UUID:
    end = begin + timedelta(hours=hours)
    return app.create_event(name=EVENT, date_begin=begin, date_end=end, **kwargs).id


def add_session(app: EventSessions, event_id: UUID, begin: datetime = BEGIN, hours: float = 2) -> UUID:
    return app.add_session(event_id, date_begin=begin, date_end=begin + timedelta(hours=hours)).id


def register(
    app: EventSessions,
    event_id: UUID,
    session_id: UUID | None = None,
    state: str | None = None,
    name: str = "A",
) -> UUID:
    email = f"{name.lower()}@example.org"
    return app.register(event_id=event_id, session_id=session_id, name=name, email=email, state=state).id


def figures(app: EventSessions, session_id: UUID) -> dict[str, int]:
    """§3.1 seat figures of one session, as the write side holds them."""
    seats = app.get_session(session_id).seats
    return {
        "unconfirmed": seats.seats_unconfirmed,
        "reserved": seats.seats_reserved,
        "used": seats.seats_used,
        "available": seats.seats_available,
        "expected": seats.seats_expected,
    }


def ledger(unconfirmed=0, reserved=0, used=0, *, available: int, expected: int = 0) -> dict[str, int]:
    """Expected §3.1 figures, in the shape ``figures`` returns."""
    return {
        "unconfirmed": unconfirmed,
        "reserved": reserved,
        "used": used,
        "available": available,
        "expected": expected,
    }


def template_id(app: EventSessions, event_id: UUID, interval_type: str, unit: str | None = None) -> UUID:
    """The one template of the event with this type (and unit)."""
    ids = [
        sid
        for sid in app.get_event(event_id).scheduler_ids(interval_type)
        if unit is None or app.get_mail_scheduler(sid).interval_unit == unit
    ]
    assert len(ids) == 1, ids
    return ids[0]


def copy_of(app: EventSessions, event_id: UUID, owner_id: UUID, interval_type: str, unit: str | None = None):
    """The per-owner copy (session scheduler, or the event-level one) of a template."""
    return app.get_mail_schedule(copy_id(template_id(app, event_id, interval_type, unit), owner_id))


def recipients_of_sent_mails(app: EventSessions, schedule_id: UUID) -> list[list[str]]:
    """The names each recorded before/after-event sending went to, from the copy's event history."""
    return [
        sorted(r["name"] for r in e.recipients) for e in app.events.get(schedule_id) if type(e).__name__ == "MailSent"
    ]


def rules(*specs: tuple[str, str, int]) -> list[MailRule]:
    return [MailRule(t, u, n, f"{t}/{u}/{n}") for t, u, n in specs]


def weekly(**changes) -> WizardRequest:
    values = {
        "rrule_type": "weekly",
        "weekdays": ("mon", "sun"),
        "start": date(2022, 3, 20),
        "until": date(2022, 4, 4),
        "timeslots": (16.0,),
        "duration": 1.5,
    }
    return WizardRequest(**{**values, **changes})


# -- §2.2 / §6.1 creating events ---------------------------------------------------------------------


def test_explicit_use_sessions_overwrites_both_dates_with_now(app):
    event_id = app.create_event(name=EVENT, use_sessions=True, date_begin=BEGIN, date_end=BEGIN + timedelta(days=2)).id
    event = app.get_event(event_id)
    assert (event.use_sessions, event.date_begin, event.date_end) == (True, NOW, NOW)


def test_use_sessions_from_the_event_type_keeps_the_given_dates(app):
    type_id = app.create_event_type(name="Sessions", use_sessions=True).id
    event_id = regular_event(app, event_type_id=type_id, hours=24)
    event = app.get_event(event_id)
    assert (event.use_sessions, event.date_begin) == (True, BEGIN)
    assert event.date_end == BEGIN + timedelta(hours=24)


def test_use_sessions_from_the_event_type_still_requires_dates(app):
    type_id = app.create_event_type(name="Sessions", use_sessions=True).id
    with pytest.raises(InvalidInputError) as refused:
        app.create_event(name=EVENT, event_type_id=type_id)
    assert refused.value.field == "date_begin"


def test_event_type_supplies_the_defaults_of_a_new_event(app):
    type_id = app.create_event_type(
        name="T",
        use_sessions=True,
        has_seats_limitation=True,
        seats_max=7,
        auto_confirm=True,
        default_timezone="Europe/Paris",
        mail_schedulers=rules(("after_event", "days", 2)),
    ).id
    event = app.get_event(regular_event(app, event_type_id=type_id))
    assert (event.use_sessions, event.seats_limited, event.seats_max) == (True, True, 7)
    assert (event.auto_confirm, event.date_tz, event.event_type_id) == (True, "Europe/Paris", type_id)
    templates = [app.get_mail_scheduler(sid).rule for sid in event.scheduler_ids()]
    assert templates == rules(("after_event", "days", 2))


def test_event_type_without_seat_limitation_gives_seats_max_zero(app):
    type_id = app.create_event_type(name="T", has_seats_limitation=False, seats_max=7).id
    event = app.get_event(regular_event(app, event_type_id=type_id))
    assert (event.seats_limited, event.seats_max) == (False, 0)


def test_explicit_values_win_over_the_event_type(app):
    type_id = app.create_event_type(
        name="T",
        use_sessions=True,
        has_seats_limitation=True,
        seats_max=7,
        auto_confirm=True,
        default_timezone="Europe/Paris",
    ).id
    event_id = regular_event(
        app,
        event_type_id=type_id,
        use_sessions=False,
        seats_limited=False,
        seats_max=3,
        auto_confirm=False,
        date_tz="US/Pacific",
        mail_schedulers=rules(("before_event", "weeks", 1)),
    )
    event = app.get_event(event_id)
    assert (event.use_sessions, event.seats_limited, event.seats_max) == (False, False, 3)
    assert (event.auto_confirm, event.date_tz) == (False, "US/Pacific")
    templates = [app.get_mail_scheduler(sid).rule for sid in event.scheduler_ids()]
    assert templates == rules(("before_event", "weeks", 1))


def test_event_type_with_auto_confirm_confirms_new_registrations(app):
    type_id = app.create_event_type(name="T", use_sessions=True, auto_confirm=True).id
    event_id = app.create_event(name=EVENT, event_type_id=type_id, date_begin=BEGIN, date_end=BEGIN).id
    registration_id = register(app, event_id, add_session(app, event_id))
    assert app.get_registration(registration_id).state == "open"


def test_event_without_type_does_not_auto_confirm(app):
    event_id = session_event(app)
    assert app.get_event(event_id).auto_confirm is False
    registration_id = register(app, event_id, add_session(app, event_id))
    assert app.get_registration(registration_id).state == "draft"


def test_event_without_type_gets_the_three_default_mail_schedulers(app):
    event = app.get_event(session_event(app))
    templates = [app.get_mail_scheduler(sid).rule for sid in event.scheduler_ids()]
    assert templates == [
        MailRule("after_sub", "now", 0, "Registration"),
        MailRule("before_event", "hours", 1, "Reminder"),
        MailRule("before_event", "days", 3, "Reminder"),
    ]


def test_new_event_starts_in_stage_new(app):
    assert app.get_event(session_event(app)).stage_id == FIRST_STAGE_ID == 1


# -- §3.1 / §3.2 seat figures ------------------------------------------------------------------------


def test_session_seat_figures_count_only_that_session_by_state(app):
    event_id = session_event(app, seats_max=10)
    first, second = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    for state in ("draft", "open", "open", "done", "cancel"):
        register(app, event_id, first, state=state)
    register(app, event_id, second, state="open")
    assert figures(app, first) == {"unconfirmed": 1, "reserved": 2, "used": 1, "available": 7, "expected": 4}
    assert figures(app, second) == {"unconfirmed": 0, "reserved": 1, "used": 0, "available": 9, "expected": 1}


def test_seats_available_is_zero_when_seats_max_is_zero(app):
    event_id = session_event(app, seats_max=0)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    assert figures(app, session_id)["available"] == 0


def test_seats_available_ignores_seats_limited(app):
    event_id = session_event(app, seats_max=5, seats_limited=False)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    assert figures(app, session_id)["available"] == 4


def test_regular_event_counts_its_own_registrations(app):
    event_id = regular_event(app, seats_limited=True, seats_max=5)
    for state in ("draft", "open", "done", "cancel"):
        register(app, event_id, state=state)
    seats = app.get_event(event_id).seats
    assert (seats.seats_unconfirmed, seats.seats_reserved, seats.seats_used) == (1, 1, 1)
    assert (seats.seats_available, seats.seats_expected) == (3, 3)


def test_event_capacity_is_not_enforced_across_sessions_of_a_session_event(app):
    """C3/Q12: each session may fill up to seats_max; the event total may exceed it."""
    event_id = session_event(app, seats_max=1)
    sessions = [add_session(app, event_id, BEGIN + timedelta(days=d)) for d in range(3)]
    for session_id in sessions:
        register(app, event_id, session_id, state="open")
    assert sum(figures(app, s)["reserved"] for s in sessions) == 3


def test_seats_max_written_on_the_event_applies_to_every_session(app):
    event_id = session_event(app, seats_max=3)
    sessions = [add_session(app, event_id, BEGIN + timedelta(days=d)) for d in range(2)]
    app.update_event(event_id, {"seats_max": 8})
    assert [figures(app, s)["available"] for s in sessions] == [8, 8]


# -- C1 / C2 seat constraints and the registration state machine --------------------------------------


def test_lowering_seats_max_below_taken_seats_lists_every_short_session(app):
    event_id = session_event(app, seats_max=3)
    first, second = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    for _ in range(3):
        register(app, event_id, first, state="open")
    register(app, event_id, second, state="open")
    register(app, event_id, second, state="done")
    with pytest.raises(NotEnoughSeatsError) as refused:
        app.update_event(event_id, {"seats_max": 1})
    assert str(refused.value) == (
        'There are not enough seats available for:\n- "Test event": Missing 2 seats.\n'
        '- "Test event": Missing 1 seats.\n'
    )
    assert app.get_event(event_id).seats_max == 3
    assert [app.get_session(s).seats_max for s in (first, second)] == [3, 3]
    assert figures(app, first)["available"] == 0


def test_limiting_seats_on_an_overfull_session_is_refused_with_c1(app):
    event_id = session_event(app, seats_max=1, seats_limited=False)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    register(app, event_id, session_id, state="open")
    with pytest.raises(RuleViolationError) as refused:
        app.update_event(event_id, {"seats_limited": True})
    assert str(refused.value) == NOT_ENOUGH_SEATS + '- "Test event": Missing 1 seats.\n'
    assert app.get_event(event_id).seats_limited is False


def test_new_confirmed_registration_in_a_full_session_gets_c1(app):
    event_id = session_event(app, seats_max=1)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    with pytest.raises(NotEnoughSeatsError) as refused:
        register(app, event_id, session_id, state="open", name="B")
    assert str(refused.value) == NOT_ENOUGH_SEATS + '- "Test event": Missing 1 seats.\n'
    assert figures(app, session_id)["reserved"] == 1


def test_new_draft_in_a_full_session_gets_c2(app):
    event_id = session_event(app, seats_max=1)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    with pytest.raises(NoMoreSeatsError) as refused:
        register(app, event_id, session_id, name="B")
    assert str(refused.value) == NO_MORE_SEATS
    assert figures(app, session_id)["unconfirmed"] == 0


def test_new_draft_is_accepted_while_one_seat_is_free(app):
    event_id = session_event(app, seats_max=2)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    register(app, event_id, session_id, name="B")
    assert figures(app, session_id)["unconfirmed"] == 1


def test_drafts_take_no_seat_until_they_are_confirmed(app):
    event_id = session_event(app, seats_max=1)
    session_id = add_session(app, event_id)
    first, second = register(app, event_id, session_id), register(app, event_id, session_id, name="B")
    app.change_registration_state(first, OPEN)
    with pytest.raises(NotEnoughSeatsError):
        app.change_registration_state(second, OPEN)
    assert figures(app, session_id) == ledger(unconfirmed=1, reserved=1, available=0, expected=2)


def test_confirming_a_draft_beyond_capacity_gets_c1(app):
    event_id = session_event(app, seats_max=1)
    session_id = add_session(app, event_id)
    draft = register(app, event_id, session_id, name="B")
    register(app, event_id, session_id, state="open")
    with pytest.raises(RuleViolationError) as refused:
        app.change_registration_state(draft, OPEN)
    assert str(refused.value) == NOT_ENOUGH_SEATS + '- "Test event": Missing 1 seats.\n'
    assert app.get_registration(draft).state == "draft"


def test_new_draft_in_a_full_regular_event_is_accepted(app):
    """C2 is a session rule: a regular event only refuses seats taken beyond capacity (C1)."""
    event_id = regular_event(app, seats_limited=True, seats_max=1)
    register(app, event_id, state="open")
    draft = register(app, event_id, name="B")
    with pytest.raises(RuleViolationError) as refused:
        app.change_registration_state(draft, OPEN)
    assert str(refused.value) == NOT_ENOUGH_SEATS + '- "Test event": Missing 1 seats.\n'


def test_cancelling_frees_a_seat(app):
    event_id = session_event(app, seats_max=1)
    session_id = add_session(app, event_id)
    first = register(app, event_id, session_id, state="open")
    app.change_registration_state(first, CANCEL)
    assert figures(app, session_id) == ledger(available=1)
    register(app, event_id, session_id, state="open", name="B")
    assert figures(app, session_id)["reserved"] == 1


def test_uncancelling_into_a_full_session_gets_c1(app):
    event_id = session_event(app, seats_max=1)
    session_id = add_session(app, event_id)
    first = register(app, event_id, session_id, state="open")
    app.change_registration_state(first, CANCEL)
    register(app, event_id, session_id, state="open", name="B")
    with pytest.raises(RuleViolationError) as refused:
        app.change_registration_state(first, OPEN)
    assert str(refused.value) == NOT_ENOUGH_SEATS + '- "Test event": Missing 1 seats.\n'


def test_reset_to_draft_releases_the_seat_but_keeps_the_registration_expected(app):
    event_id = session_event(app, seats_max=3)
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id, state="open")
    app.change_registration_state(registration_id, DRAFT)
    assert app.get_registration(registration_id).state == "draft"
    assert figures(app, session_id) == ledger(unconfirmed=1, available=3, expected=1)


def test_attending_moves_the_seat_from_reserved_to_used(app):
    event_id = session_event(app, seats_max=1)
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id, state="open")
    app.change_registration_state(registration_id, DONE)
    assert figures(app, session_id) == ledger(used=1, available=0, expected=1)


def test_registration_created_as_done_gets_date_closed_at_creation(app):
    event_id = session_event(app)
    registration_id = register(app, event_id, add_session(app, event_id), state="done")
    assert app.get_registration(registration_id).date_closed == NOW


def test_date_closed_is_set_the_first_time_done_and_never_changed(app, clock):
    event_id = session_event(app)
    registration_id = register(app, event_id, add_session(app, event_id))
    assert app.get_registration(registration_id).date_closed is None
    clock.advance(timedelta(hours=1))
    app.change_registration_state(registration_id, DONE)
    clock.advance(timedelta(hours=1))
    app.change_registration_state(registration_id, DRAFT)
    app.change_registration_state(registration_id, DONE)
    assert app.get_registration(registration_id).date_closed == NOW + timedelta(hours=1)


# -- C4 / C4b dates ------------------------------------------------------------------------------------


def test_session_with_equal_dates_is_refused(app):
    event_id = session_event(app)
    with pytest.raises(DatesOutOfOrderError) as refused:
        app.add_session(event_id, date_begin=BEGIN, date_end=BEGIN)
    assert str(refused.value) == CLOSING_BEFORE_BEGINNING


def test_session_date_change_to_end_before_begin_is_refused(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    with pytest.raises(InvalidInputError) as refused:
        app.update_session(session_id, {"date_end": BEGIN - timedelta(minutes=1)})
    assert str(refused.value) == CLOSING_BEFORE_BEGINNING
    assert app.get_session(session_id).date_end == BEGIN + timedelta(hours=2)


def test_event_without_sessions_accepts_equal_dates(app):
    event = app.get_event(regular_event(app, hours=0))
    assert event.date_begin == event.date_end == BEGIN


def test_event_without_sessions_refuses_end_before_begin(app):
    with pytest.raises(InvalidInputError) as refused:
        app.create_event(name=EVENT, date_begin=BEGIN, date_end=BEGIN - timedelta(seconds=1))
    assert str(refused.value) == CLOSING_BEFORE_BEGINNING


def test_event_date_change_to_end_before_begin_is_refused_but_equal_is_accepted(app):
    event_id = regular_event(app)
    with pytest.raises(InvalidInputError) as refused:
        app.update_event(event_id, {"date_end": BEGIN - timedelta(hours=1)})
    assert str(refused.value) == CLOSING_BEFORE_BEGINNING
    app.update_event(event_id, {"date_end": BEGIN})
    assert app.get_event(event_id).date_end == BEGIN


# -- C6 / §6.2 toggling use_sessions ---------------------------------------------------------------


def test_disabling_sessions_is_refused_even_with_only_a_cancelled_registration(app):
    event_id = session_event(app)
    registration_id = register(app, event_id, add_session(app, event_id))
    app.change_registration_state(registration_id, CANCEL)
    with pytest.raises(SessionsToggleRefusedError) as refused:
        app.update_event(event_id, {"use_sessions": False})
    assert str(refused.value) == CANNOT_TOGGLE
    assert app.get_event(event_id).use_sessions is True


def test_enabling_sessions_is_refused_once_a_registration_exists(app):
    event_id = regular_event(app)
    register(app, event_id)
    with pytest.raises(RuleViolationError) as refused:
        app.update_event(event_id, {"use_sessions": True})
    assert str(refused.value) == CANNOT_TOGGLE


def test_writing_the_current_use_sessions_value_is_not_a_toggle(app):
    event_id = session_event(app)
    register(app, event_id, add_session(app, event_id))
    app.update_event(event_id, {"use_sessions": True})
    assert app.get_event(event_id).use_sessions is True


def test_disabling_sessions_deletes_every_session_archived_included_and_their_mail_copies(app):
    event_id = session_event(app)
    active, archived = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    app.update_session(archived, {"active": False})
    app.update_event(event_id, {"use_sessions": False})
    for session_id in (active, archived):
        with pytest.raises(NotFoundError):
            app.get_session(session_id)
        templates = app.get_event(event_id).scheduler_ids()
        assert [app.get_mail_schedule(copy_id(t, session_id)) for t in templates] == [None] * 3
    assert app.get_event(event_id).session_ids == []


def test_enabling_sessions_keeps_the_event_dates(app):
    event_id = regular_event(app)
    app.update_event(event_id, {"use_sessions": True})
    event = app.get_event(event_id)
    assert (event.use_sessions, event.date_begin, event.date_end) == (True, BEGIN, BEGIN + timedelta(hours=2))


def test_event_level_copy_date_is_empty_in_session_mode_and_core_otherwise(app):
    event_id = regular_event(app)
    reminder = lambda: copy_of(app, event_id, event_id, "before_event", "hours").scheduled_date  # noqa: E731
    assert reminder() == BEGIN - timedelta(hours=1)
    app.update_event(event_id, {"use_sessions": True})
    assert reminder() is None
    app.update_event(event_id, {"use_sessions": False})
    assert reminder() == BEGIN - timedelta(hours=1)


# -- C7 / §6.7 deleting a session -------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "open", "done", "cancel"])
def test_deleting_a_session_with_a_registration_in_any_state_is_refused(app, state):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id, state="open" if state == "cancel" else state)
    if state == "cancel":
        app.change_registration_state(registration_id, CANCEL)
    with pytest.raises(SessionInUseError) as refused:
        app.delete_session(session_id)
    assert str(refused.value) == SESSION_IN_USE
    assert app.get_session(session_id).active is True


def test_deleting_a_session_without_registrations_removes_it_and_its_mail_copies(app):
    event_id = session_event(app)
    session_id, kept = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    templates = app.get_event(event_id).scheduler_ids()
    app.delete_session(session_id)
    with pytest.raises(NotFoundError):
        app.get_session(session_id)
    assert [app.get_mail_schedule(copy_id(t, session_id)) for t in templates] == [None] * 3
    assert all(app.get_mail_schedule(copy_id(t, kept)) is not None for t in templates)
    assert app.get_event(event_id).session_ids == [kept]


def test_session_left_by_its_only_registration_can_be_deleted(app):
    event_id = session_event(app)
    source, target = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    app.move_registration(register(app, event_id, source), target)
    app.delete_session(source)
    assert app.get_event(event_id).session_ids == [target]


# -- Q1 / Q2 registrations and their session ---------------------------------------------------------


def test_registration_on_a_session_event_requires_a_session(app):
    event_id = session_event(app)
    add_session(app, event_id)
    with pytest.raises(InvalidInputError) as refused:
        register(app, event_id)
    assert refused.value.field == "session_id"


def test_registration_with_a_session_of_another_event_is_refused(app):
    event_id, other_id = session_event(app), session_event(app, name="Other")
    foreign_session = add_session(app, other_id)
    with pytest.raises(InvalidInputError) as refused:
        register(app, event_id, foreign_session)
    assert refused.value.field == "session_id"
    assert figures(app, foreign_session)["expected"] == 0


def test_moving_a_registration_moves_its_seat(app):
    event_id = session_event(app, seats_max=2)
    source, target = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    registration_id = register(app, event_id, source, state="open")
    app.move_registration(registration_id, target)
    assert app.get_registration(registration_id).session_id == target
    assert (figures(app, source)["reserved"], figures(app, target)["reserved"]) == (0, 1)
    assert (figures(app, source)["available"], figures(app, target)["available"]) == (2, 1)
    version = app.get_registration(registration_id).version
    app.move_registration(registration_id, target)  # to the session it is in: nothing to record
    assert app.get_registration(registration_id).version == version
    assert figures(app, target)["reserved"] == 1


def test_moving_a_draft_into_a_full_session_gets_c2(app):
    event_id = session_event(app, seats_max=1)
    source, target = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    register(app, event_id, target, state="open")
    draft = register(app, event_id, source, name="B")
    with pytest.raises(RuleViolationError) as refused:
        app.move_registration(draft, target)
    assert str(refused.value) == NO_MORE_SEATS
    assert app.get_registration(draft).session_id == source


def test_moving_a_confirmed_registration_into_a_full_session_gets_c1(app):
    event_id = session_event(app, seats_max=1)
    source, target = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    register(app, event_id, target, state="open")
    confirmed = register(app, event_id, source, state="open", name="B")
    with pytest.raises(NotEnoughSeatsError) as refused:
        app.move_registration(confirmed, target)
    assert str(refused.value) == NOT_ENOUGH_SEATS + '- "Test event": Missing 1 seats.\n'
    assert figures(app, source)["reserved"] == 1


def test_moving_a_registration_to_a_session_of_another_event_is_refused(app):
    event_id, other_id = session_event(app), session_event(app, name="Other")
    registration_id = register(app, event_id, add_session(app, event_id))
    with pytest.raises(InvalidInputError) as refused:
        app.move_registration(registration_id, add_session(app, other_id))
    assert refused.value.field == "session_id"


# -- §6.5 session_update ---------------------------------------------------------------------------


@pytest.fixture
def four_sessions(app):
    """Sessions on days 0, 1, 1 (same start) and 2; returns (event_id, [ids in that order])."""
    event_id = session_event(app)
    offsets = (0, 1, 1, 2)
    return event_id, [add_session(app, event_id, BEGIN + timedelta(days=d)) for d in offsets]


def active_flags(app, session_ids) -> list[bool]:
    return [app.get_session(s).active for s in session_ids]


def test_session_update_this_archives_only_that_session(app, four_sessions):
    _, sessions = four_sessions
    app.update_session(sessions[1], {"active": False}, "this")
    assert active_flags(app, sessions) == [True, False, True, True]


def test_session_update_subsequent_reaches_only_strictly_later_sessions(app, four_sessions):
    _, sessions = four_sessions
    app.update_session(sessions[1], {"active": False}, "subsequent")
    assert active_flags(app, sessions) == [True, False, True, False]


def test_session_update_subsequent_uses_the_date_before_the_write(app, four_sessions):
    _, sessions = four_sessions
    moved_begin = BEGIN + timedelta(days=5)
    changes = {"active": False, "date_begin": moved_begin, "date_end": moved_begin + timedelta(hours=2)}
    app.update_session(sessions[0], changes, "subsequent")
    assert active_flags(app, sessions) == [False, False, False, False]
    assert app.get_session(sessions[0]).date_begin == moved_begin


def test_session_update_all_unarchives_archived_siblings(app, four_sessions):
    _, sessions = four_sessions
    app.update_session(sessions[0], {"active": False}, "all")
    assert active_flags(app, sessions) == [False] * 4
    app.update_session(sessions[3], {"active": True}, "all")
    assert active_flags(app, sessions) == [True] * 4


def test_session_update_propagates_only_active(app, four_sessions):
    _, sessions = four_sessions
    app.update_session(sessions[0], {"active": False, "kanban_state": "blocked", "stage_id": 2}, "all")
    assert active_flags(app, sessions) == [False] * 4
    assert [app.get_session(s).kanban_state for s in sessions] == ["blocked", "normal", "normal", "normal"]
    assert [app.get_session(s).stage_id for s in sessions] == [2, 1, 1, 1]


def test_session_update_never_propagates_dates(app, four_sessions):
    _, sessions = four_sessions
    before = [(app.get_session(s).date_begin, app.get_session(s).date_end) for s in sessions[1:]]
    new_begin = BEGIN + timedelta(hours=1)
    changes = {"date_begin": new_begin, "date_end": new_begin + timedelta(hours=3)}
    app.update_session(sessions[0], changes, "all")
    assert [(app.get_session(s).date_begin, app.get_session(s).date_end) for s in sessions[1:]] == before
    assert app.get_session(sessions[0]).date_begin == new_begin


def test_session_update_propagates_active_but_not_dates_in_the_same_write(app, four_sessions):
    _, sessions = four_sessions
    new_begin = BEGIN + timedelta(hours=1)
    changes = {"active": False, "date_begin": new_begin, "date_end": new_begin + timedelta(hours=1)}
    app.update_session(sessions[0], changes, "all")
    assert active_flags(app, sessions) == [False] * 4
    assert app.get_session(sessions[3]).date_begin == BEGIN + timedelta(days=2)


# -- §6.9 stages and end of life ---------------------------------------------------------------------


def test_mark_done_moves_the_session_to_ended_and_keeps_its_kanban_state(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    app.update_session(session_id, {"kanban_state": "blocked"})
    app.mark_session_done(session_id)
    session = app.get_session(session_id)
    assert (session.stage_id, session.kanban_state) == (ENDED_STAGE_ID, "blocked")
    assert ENDED_STAGE_ID == 4


def test_auto_end_moves_a_session_ended_strictly_before_the_instant(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    end = BEGIN + timedelta(hours=2)
    assert app.end_session_if_finished(session_id, end) is False
    assert app.get_session(session_id).stage_id == FIRST_STAGE_ID
    assert app.end_session_if_finished(session_id, end + timedelta(seconds=1)) is True
    assert app.get_session(session_id).stage_id == ENDED_STAGE_ID


def test_auto_end_leaves_a_cancelled_session_alone(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    app.update_session(session_id, {"stage_id": CANCELLED_STAGE_ID})
    assert app.end_session_if_finished(session_id, BEGIN + timedelta(days=30)) is False
    assert app.get_session(session_id).stage_id == CANCELLED_STAGE_ID


def test_auto_end_never_ends_a_session_event_without_sessions(app):
    event_id = session_event(app)
    assert app.end_event_if_finished(event_id, NOW + timedelta(days=365)) is False
    assert app.get_event(event_id).stage_id == FIRST_STAGE_ID


def test_auto_end_of_a_session_event_uses_its_latest_session_end(app):
    event_id = session_event(app)
    add_session(app, event_id)
    last_end = BEGIN + timedelta(days=3, hours=2)
    add_session(app, event_id, BEGIN + timedelta(days=3))
    assert app.end_event_if_finished(event_id, BEGIN + timedelta(days=1)) is False
    assert app.end_event_if_finished(event_id, last_end + timedelta(seconds=1)) is True
    assert app.get_event(event_id).stage_id == ENDED_STAGE_ID


def test_auto_end_of_a_regular_event_uses_its_own_end(app):
    event_id = regular_event(app)
    assert app.end_event_if_finished(event_id, BEGIN + timedelta(hours=2)) is False
    assert app.end_event_if_finished(event_id, BEGIN + timedelta(hours=3)) is True


# -- §7.1 / §7.2 session copies and their scheduled dates -----------------------------------------------


def test_new_session_gets_one_copy_per_template_with_its_dates(app, clock):
    event_id = session_event(app)
    clock.advance(timedelta(hours=5))  # the session is created later than its event
    session_id = add_session(app, event_id)
    assert copy_of(app, event_id, session_id, "after_sub").scheduled_date == NOW + timedelta(hours=5)
    hours_before = copy_of(app, event_id, session_id, "before_event", "hours")
    days_before = copy_of(app, event_id, session_id, "before_event", "days")
    assert hours_before.scheduled_date == BEGIN - timedelta(hours=1)
    assert days_before.scheduled_date == BEGIN - timedelta(days=3)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (("after_sub", "hours", 2), NOW + timedelta(hours=2)),
        (("after_sub", "now", 5), NOW),
        (("before_event", "weeks", 2), datetime(2027, 3, 17, 9, tzinfo=UTC)),
        (("before_event", "months", 1), datetime(2027, 2, 28, 9, tzinfo=UTC)),
        (("after_event", "days", 1), datetime(2027, 4, 1, 11, tzinfo=UTC)),
        (("after_event", "months", 2), datetime(2027, 5, 31, 11, tzinfo=UTC)),
    ],
)
def test_session_copy_scheduled_date_follows_the_interval_table(app, rule, expected):
    event_id = session_event(app, mail_schedulers=rules(rule))
    session_id = add_session(app, event_id, datetime(2027, 3, 31, 9, tzinfo=UTC))
    assert copy_of(app, event_id, session_id, rule[0]).scheduled_date == expected


def test_event_level_copy_of_a_session_event_is_never_due(app):
    event_id = session_event(app)
    add_session(app, event_id)
    reminder = copy_of(app, event_id, event_id, "before_event", "hours")
    assert reminder.scheduled_date is None
    assert app.send_scheduled_mail(reminder.id, at=BEGIN + timedelta(minutes=30)).sent is False
    assert app.get_mail_schedule(reminder.id).mail_done is False


def test_new_template_gets_a_copy_for_every_existing_session(app):
    event_id = session_event(app, mail_schedulers=[])
    sessions = [add_session(app, event_id, BEGIN + timedelta(days=d)) for d in range(2)]
    app.add_mail_scheduler(event_id, MailRule("after_event", "hours", 3, "Thanks"))
    dates = [copy_of(app, event_id, s, "after_event").scheduled_date for s in sessions]
    assert dates == [BEGIN + timedelta(days=d, hours=5) for d in range(2)]


def test_session_date_change_recomputes_before_and_after_copies_but_not_after_sub(app, clock):
    schedulers = rules(("after_sub", "hours", 1), ("before_event", "days", 1), ("after_event", "hours", 4))
    event_id = session_event(app, mail_schedulers=schedulers)
    session_id = add_session(app, event_id)
    clock.advance(timedelta(days=1))
    moved = BEGIN + timedelta(days=7)
    app.update_session(session_id, {"date_begin": moved, "date_end": moved + timedelta(hours=2)})
    assert copy_of(app, event_id, session_id, "after_sub").scheduled_date == NOW + timedelta(hours=1)
    assert copy_of(app, event_id, session_id, "before_event").scheduled_date == moved - timedelta(days=1)
    assert copy_of(app, event_id, session_id, "after_event").scheduled_date == moved + timedelta(hours=6)


def test_sent_copy_stays_sent_after_the_session_is_rescheduled(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    reminder = copy_of(app, event_id, session_id, "before_event", "hours")
    assert app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(minutes=30)).sent is True
    moved = BEGIN + timedelta(days=7)
    app.update_session(session_id, {"date_begin": moved, "date_end": moved + timedelta(hours=2)})
    rescheduled = app.get_mail_schedule(reminder.id)
    assert (rescheduled.scheduled_date, rescheduled.mail_done) == (moved - timedelta(hours=1), True)
    assert app.send_scheduled_mail(reminder.id, at=moved - timedelta(minutes=30)).sent is False
    assert len(recipients_of_sent_mails(app, reminder.id)) == 1


def test_template_change_recomputes_every_session_copy(app):
    event_id = session_event(app)
    sessions = [add_session(app, event_id, BEGIN + timedelta(days=d)) for d in range(2)]
    scheduler_id = template_id(app, event_id, "before_event", "hours")
    app.update_mail_scheduler(scheduler_id, {"interval_nbr": 5})
    copies = [app.get_mail_schedule(copy_id(scheduler_id, s)) for s in sessions]
    assert [c.scheduled_date for c in copies] == [BEGIN + timedelta(days=d, hours=-5) for d in range(2)]
    assert [c.interval_nbr for c in copies] == [5, 5]


def test_template_change_does_not_reset_a_sent_copy(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    scheduler_id = template_id(app, event_id, "before_event", "hours")
    app.send_scheduled_mail(copy_id(scheduler_id, session_id), at=BEGIN - timedelta(minutes=30))
    app.update_mail_scheduler(scheduler_id, {"interval_nbr": 2})
    copy = app.get_mail_schedule(copy_id(scheduler_id, session_id))
    assert (copy.scheduled_date, copy.mail_done) == (BEGIN - timedelta(hours=2), True)


def test_template_interval_number_change_recomputes_attendee_dates(app, clock):
    """Q14: the per-attendee date follows any interval change, the number included."""
    event_id = session_event(app, mail_schedulers=rules(("after_sub", "hours", 2)))
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id, state="open")
    clock.advance(timedelta(hours=1))
    scheduler_id = template_id(app, event_id, "after_sub")
    app.update_mail_scheduler(scheduler_id, {"interval_nbr": 5})
    copy = app.get_mail_schedule(copy_id(scheduler_id, session_id))
    assert copy.attendee(registration_id).scheduled_date == NOW + timedelta(hours=5)
    assert copy.scheduled_date == NOW + timedelta(hours=5)  # session created at NOW


def test_template_delete_removes_every_copy(app):
    event_id = session_event(app)
    sessions = [add_session(app, event_id, BEGIN + timedelta(days=d)) for d in range(2)]
    scheduler_id = template_id(app, event_id, "before_event", "days")
    app.remove_mail_scheduler(scheduler_id)
    assert [app.get_mail_schedule(copy_id(scheduler_id, o)) for o in (event_id, *sessions)] == [None] * 3
    assert scheduler_id not in app.get_event(event_id).scheduler_ids()
    with pytest.raises(NotFoundError):
        app.get_mail_scheduler(scheduler_id)


# -- §7.4 after_sub ----------------------------------------------------------------------------------


def test_confirmation_queues_the_attendee_at_registration_creation_plus_interval(app, clock):
    event_id = session_event(app, mail_schedulers=rules(("after_sub", "hours", 2)))
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id)
    copy = copy_of(app, event_id, session_id, "after_sub")
    assert copy.attendees == {}  # a draft is not mailed
    clock.advance(timedelta(hours=1))
    app.change_registration_state(registration_id, OPEN)
    copy = app.get_mail_schedule(copy.id)
    assert copy.attendee(registration_id).scheduled_date == NOW + timedelta(hours=2)


def test_after_sub_attendee_mail_waits_for_its_date(app):
    event_id = session_event(app, mail_schedulers=rules(("after_sub", "hours", 2)))
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id, state="open")
    copy_id_ = copy_of(app, event_id, session_id, "after_sub").id
    assert app.send_attendee_mail(copy_id_, registration_id, at=NOW + timedelta(hours=1)).sent is False
    assert app.send_attendee_mail(copy_id_, registration_id, at=NOW + timedelta(hours=2)).sent is True


def test_after_sub_mail_is_sent_once_per_attendee(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id, state="open")
    copy = copy_of(app, event_id, session_id, "after_sub")
    assert app.send_attendee_mail(copy.id, registration_id).sent is True
    assert app.send_attendee_mail(copy.id, registration_id).sent is False
    copy = app.get_mail_schedule(copy.id)
    assert (copy.mail_count_done, copy.mail_done) == (1, True)
    assert copy.attendee(registration_id).sent is True


def test_after_sub_mail_is_not_sent_to_a_cancelled_registration(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    registration_id = register(app, event_id, session_id, state="open")
    app.change_registration_state(registration_id, CANCEL)
    copy = copy_of(app, event_id, session_id, "after_sub")
    assert app.send_attendee_mail(copy.id, registration_id).sent is False
    assert app.get_mail_schedule(copy.id).mail_count_done == 0


def test_after_sub_mail_done_once_every_taken_seat_was_mailed(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    first = register(app, event_id, session_id, state="open")
    second = register(app, event_id, session_id, state="done", name="B")
    copy = copy_of(app, event_id, session_id, "after_sub")

    def sent() -> tuple[int, bool]:
        current = app.get_mail_schedule(copy.id)
        return current.mail_count_done, current.mail_done

    app.send_attendee_mail(copy.id, first)
    assert sent() == (1, False)
    app.send_attendee_mail(copy.id, second)
    assert sent() == (2, True)


def test_a_new_confirmation_reopens_a_done_after_sub_copy(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    copy = copy_of(app, event_id, session_id, "after_sub")
    app.send_attendee_mail(copy.id, register(app, event_id, session_id, state="open"))
    assert app.get_mail_schedule(copy.id).mail_done is True
    register(app, event_id, session_id, state="open", name="B")
    assert app.get_mail_schedule(copy.id).mail_done is False


def test_after_sub_is_strictly_per_session(app):
    """Q5: an attendee is queued on its own session's copy only."""
    event_id = session_event(app)
    first, second = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    registration_id = register(app, event_id, first, state="open")
    assert str(registration_id) in copy_of(app, event_id, first, "after_sub").attendees
    assert copy_of(app, event_id, second, "after_sub").attendees == {}
    other_copy = copy_of(app, event_id, second, "after_sub")
    assert app.send_attendee_mail(other_copy.id, registration_id).sent is False


def test_moving_a_confirmed_registration_moves_its_pending_after_sub_mail(app):
    event_id = session_event(app, mail_schedulers=rules(("after_sub", "hours", 2)))
    source, target = add_session(app, event_id), add_session(app, event_id, BEGIN + timedelta(days=1))
    registration_id = register(app, event_id, source, state="open")
    app.move_registration(registration_id, target)
    assert copy_of(app, event_id, source, "after_sub").attendees == {}
    assert str(registration_id) in copy_of(app, event_id, target, "after_sub").attendees


def test_registration_of_a_regular_event_gets_the_event_level_after_sub_mail(app):
    event_id = regular_event(app)
    registration_id = register(app, event_id, state="open")
    copy = copy_of(app, event_id, event_id, "after_sub")
    assert app.send_attendee_mail(copy.id, registration_id).sent is True
    assert app.get_mail_schedule(copy.id).mail_count_done == 1


def test_regular_event_level_copy_follows_the_event_dates(app):
    event_id = regular_event(app)
    moved = BEGIN + timedelta(days=4)
    app.update_event(event_id, {"date_begin": moved, "date_end": moved + timedelta(hours=1)})
    reminder = copy_of(app, event_id, event_id, "before_event", "days")
    assert reminder.scheduled_date == moved - timedelta(days=3)


# -- §7.4 before_event / after_event ---------------------------------------------------------------


def test_before_event_mail_goes_to_every_non_cancelled_registration_and_counts_taken_seats(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    for name, state in (("Draft", "draft"), ("Open", "open"), ("Done", "done"), ("Gone", "open")):
        registration_id = register(app, event_id, session_id, state=state, name=name)
    app.change_registration_state(registration_id, CANCEL)
    reminder = copy_of(app, event_id, session_id, "before_event", "hours")
    assert app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(minutes=30)).sent is True
    assert recipients_of_sent_mails(app, reminder.id) == [["Done", "Draft", "Open"]]
    sent = app.get_mail_schedule(reminder.id)
    assert (sent.mail_done, sent.mail_count_done) == (True, 2)


def test_before_event_mail_is_not_sent_before_its_date(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    reminder = copy_of(app, event_id, session_id, "before_event", "hours")
    assert app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(hours=1, seconds=1)).sent is False
    assert app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(hours=1)).sent is True


def test_before_event_mail_is_never_sent_twice(app):
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    reminder = copy_of(app, event_id, session_id, "before_event", "hours")
    app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(minutes=30))
    assert app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(minutes=10)).sent is False
    assert len(recipients_of_sent_mails(app, reminder.id)) == 1


def test_before_event_mail_of_an_ended_session_is_never_sent(app):
    """§7.4 step 2 / Q6: missed because the session ended; stays not sent."""
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    reminder = copy_of(app, event_id, session_id, "before_event", "hours")
    assert app.send_scheduled_mail(reminder.id, at=BEGIN + timedelta(hours=2)).sent is False
    assert app.send_scheduled_mail(reminder.id, at=BEGIN + timedelta(days=3)).sent is False
    missed = app.get_mail_schedule(reminder.id)
    assert (missed.mail_done, missed.mail_count_done) == (False, 0)


def test_archived_session_mails_keep_running(app):
    """§6.6: nothing filters on the session's active flag."""
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    app.update_session(session_id, {"active": False})
    reminder = copy_of(app, event_id, session_id, "before_event", "hours")
    assert app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(minutes=30)).sent is True


def test_after_event_mail_is_sent_after_the_session_end(app):
    event_id = session_event(app, mail_schedulers=rules(("after_event", "hours", 1)))
    session_id = add_session(app, event_id)
    register(app, event_id, session_id, state="open")
    copy = copy_of(app, event_id, session_id, "after_event")
    assert app.send_scheduled_mail(copy.id, at=BEGIN + timedelta(hours=2, minutes=59)).sent is False
    assert app.send_scheduled_mail(copy.id, at=BEGIN + timedelta(days=10)).sent is True
    assert app.get_mail_schedule(copy.id).mail_count_done == 1


def test_mail_state_is_computed_from_the_session_copy(app):
    """Q15: after_sub running; sent once done; scheduled while it has a date."""
    event_id = session_event(app)
    session_id = add_session(app, event_id)
    reminder = copy_of(app, event_id, session_id, "before_event", "hours")
    assert copy_of(app, event_id, session_id, "after_sub").mail_state == "running"
    assert reminder.mail_state == "scheduled"
    app.send_scheduled_mail(reminder.id, at=BEGIN - timedelta(minutes=30))
    assert app.get_mail_schedule(reminder.id).mail_state == "sent"
    assert copy_of(app, event_id, event_id, "before_event", "hours").mail_state == "running"


# -- §2.5 / §8.1 timeslots --------------------------------------------------------------------------


def test_timeslot_catalogue_is_seeded_with_13_slots_from_10_to_22(app):
    slots = app.timeslots().ordered()
    assert [(time, name) for _, time, name in slots] == [(float(h), f"{h}:00") for h in range(10, 23)]


def test_adding_2330_stores_23_5(app):
    slot_id = app.add_timeslot(parse_timeslot("23:30")).id
    assert (slot_id, 23.5, "23:30") in app.timeslots().ordered()
    assert app.timeslots().ordered()[-1][1] == 23.5


def test_duplicate_timeslot_is_refused(app):
    app.add_timeslot(23.5)
    with pytest.raises(RuleViolationError) as refused:
        app.add_timeslot(23.5)
    assert str(refused.value) == "The timeslot has to be unique"
    with pytest.raises(RuleViolationError):
        app.add_timeslot(16.0)  # a seeded one
    assert len(app.timeslots().ordered()) == 14


def test_timeslot_out_of_range_is_refused_but_24_is_accepted(app):
    with pytest.raises(InvalidInputError) as refused:
        app.add_timeslot(24.5)
    assert str(refused.value) == "Time has to be between 0:00 and 23:59"
    app.add_timeslot(24.0)


# -- §8 the wizard through the application ------------------------------------------------------------


def test_wizard_creates_sessions_in_the_event_timezone_across_dst(app):
    event_id = session_event(app, date_tz="Europe/Brussels")
    created = app.generate_sessions(event_id, weekly())
    begins = [app.get_session(s.id).date_begin for s in created]
    assert begins == [
        datetime(2022, 3, 20, 15, tzinfo=UTC),
        datetime(2022, 3, 21, 15, tzinfo=UTC),
        datetime(2022, 3, 27, 14, tzinfo=UTC),
        datetime(2022, 3, 28, 14, tzinfo=UTC),
        datetime(2022, 4, 3, 14, tzinfo=UTC),
        datetime(2022, 4, 4, 14, tzinfo=UTC),
    ]
    durations = {app.get_session(s.id).date_end - app.get_session(s.id).date_begin for s in created}
    assert durations == {timedelta(hours=1, minutes=30)}
    assert app.get_event(event_id).session_ids == [s.id for s in created]


def test_wizard_weekly_interval_counts_weeks_from_sunday(app):
    event_id = session_event(app, date_tz="Europe/Brussels")
    request = weekly(interval=2, start=date(2022, 1, 2), until=date(2022, 1, 31))
    days = [s.date_begin.date() for s in app.generate_sessions(event_id, request)]
    assert days == [date(2022, 1, d) for d in (2, 3, 16, 17, 30, 31)]


@pytest.mark.parametrize("day", [date(2022, 3, 27), date(2022, 10, 30)], ids=["gap", "ambiguous"])
def test_wizard_uses_standard_time_for_dst_gap_and_ambiguous_wall_times(app, day):
    event_id = session_event(app, date_tz="Europe/Brussels")
    request = weekly(weekdays=("sun",), start=day, until=day, timeslots=(2.5,))
    created = app.generate_sessions(event_id, request)
    assert [s.date_begin for s in created] == [datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)]


def test_wizard_monthly_by_date_counts_from_the_first_of_the_start_month(app):
    """Q10, replicated: the 15th of the start month is generated although start is the 20th."""
    event_id = session_event(app)
    request = WizardRequest(
        rrule_type="monthly",
        month_by="date",
        day=15,
        start=date(2022, 3, 20),
        until=date(2022, 5, 31),
        timeslots=(16.0,),
        duration=1.5,
    )
    days = [s.date_begin.date() for s in app.generate_sessions(event_id, request)]
    assert days == [date(2022, 3, 15), date(2022, 4, 15), date(2022, 5, 15)]


def test_wizard_creates_mail_copies_for_each_generated_session(app, clock):
    event_id = session_event(app, date_tz="Europe/Brussels")
    clock.advance(timedelta(minutes=7))
    for generated in app.generate_sessions(event_id, weekly()):
        assert copy_of(app, event_id, generated.id, "after_sub").scheduled_date == NOW + timedelta(minutes=7)
        reminder = copy_of(app, event_id, generated.id, "before_event", "days")
        assert reminder.scheduled_date == generated.date_begin - timedelta(days=3)


def test_wizard_run_twice_duplicates_the_sessions(app):
    event_id = session_event(app)
    app.generate_sessions(event_id, weekly())
    app.generate_sessions(event_id, weekly())
    assert len(app.get_event(event_id).session_ids) == 12


def test_wizard_defaults_start_the_utc_day_after_the_end_with_the_latest_session_duration(app):
    event_id = session_event(app, date_tz="Europe/Brussels")
    add_session(app, event_id, datetime(2017, 5, 25, 20, tzinfo=UTC), hours=50)  # latest end: 05-27 22:00 UTC
    add_session(app, event_id, datetime(2017, 5, 26, 20, tzinfo=UTC), hours=1.25)  # latest active start
    archived = add_session(app, event_id, datetime(2017, 6, 1, 9, tzinfo=UTC), hours=0.5)
    app.update_session(archived, {"active": False})
    assert app.wizard_defaults(event_id) == (date(2017, 5, 28), 1.25)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration": 0}, "duration", "Duration is required."),
        ({"interval": 0}, "interval", "The interval cannot be negative."),
        ({"weekdays": ()}, "weekdays", "You have to choose at least one day in the week"),
    ],
)
def test_wizard_refuses_invalid_input_and_creates_nothing(app, changes, field, message):
    event_id = session_event(app)
    with pytest.raises(InvalidInputError) as refused:
        app.generate_sessions(event_id, weekly(**changes))
    assert (refused.value.field, str(refused.value)) == (field, message)
    assert app.get_event(event_id).session_ids == []
