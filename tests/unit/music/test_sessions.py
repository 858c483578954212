"""Session commands through ``MusicSessions``: A.1 defaults and validations, unique paths (MU-1, MU-2)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.music.errors import MusicInvalidInputError, PathTakenError, SessionNotFoundError
from domain.music.session import Session
from domain.shared.errors import IdReusedError, InvalidInputError
from tests.unit.music.builders import WEEKLY_THURSDAY, new_session


def refusal(call, *args, **kwargs) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as refused:
        call(*args, **kwargs)
    return refused.value


def test_A1_a_new_session_gets_the_spec_defaults(app):
    session_id = app.create_session(name="Monday trad", path="monday-trad").id

    view = app.session_view(session_id)

    assert (view.timezone, view.recurrence, view.session_type) == ("UTC", None, "regular")
    assert (view.active_buffer_minutes_before, view.active_buffer_minutes_after) == (60, 60)
    assert (view.auto_create_instances, view.auto_create_hours_ahead) == (False, 24)


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"active_buffer_minutes_before": -1}, "active_buffer_minutes_before", "buffer.invalid"),
        ({"active_buffer_minutes_after": -5}, "active_buffer_minutes_after", "buffer.invalid"),
        ({"auto_create_hours_ahead": 0}, "auto_create_hours_ahead", "auto_create_hours_ahead.out_of_range"),
        ({"auto_create_hours_ahead": 169}, "auto_create_hours_ahead", "auto_create_hours_ahead.out_of_range"),
        ({"timezone": "Mars/Olympus"}, "timezone", "session.timezone.invalid"),
        ({"session_type": "festival"}, "session_type", "session.session_type.invalid"),
        ({"recurrence": {"type": "daily"}}, "recurrence", "recurrence.unknown_type"),
        ({"initiation_date": date(2025, 2, 1), "termination_date": date(2025, 1, 1)}, "termination_date",
         "session.lifetime.invalid"),
        ({"location_name": "x" * 256}, "location_name", "session.text.too_long"),
    ],
)  # fmt: skip
def test_A1_1_invalid_session_values_are_refused_with_their_code(app, values, field, code):
    error = refusal(app.create_session, name="Trad", path="trad", **values)

    assert (error.field, error.code) == (field, code)
    assert isinstance(error, MusicInvalidInputError)


def test_A9_9_a_horizon_of_zero_is_refused_on_update_too_not_coerced(app):
    session_id = new_session(app)

    error = refusal(app.update_session, session_id, {"auto_create_hours_ahead": 0})

    assert error.code == "auto_create_hours_ahead.out_of_range"
    assert app.session_view(session_id).auto_create_hours_ahead == 24


def test_A2_1_an_interval_above_one_needs_an_anchor_from_the_session(app):
    every_other = {**WEEKLY_THURSDAY, "interval": 2}

    assert refusal(app.create_session, name="T", path="t", recurrence=every_other).code == "recurrence.anchor.required"
    assert app.create_session(name="T", path="t", recurrence=every_other, initiation_date=date(2025, 1, 2)).created


def test_A2_1_removing_the_initiation_date_an_interval_relies_on_is_refused(app):
    session_id = new_session(app, recurrence={**WEEKLY_THURSDAY, "interval": 2}, initiation_date=date(2025, 1, 2))

    error = refusal(app.update_session, session_id, {"initiation_date": None})

    assert error.code == "recurrence.anchor.required"


def test_MU2_a_path_already_used_is_refused_whatever_its_case_and_slashes(app):
    new_session(app, path="dublin-trad")

    with pytest.raises(PathTakenError) as refused:
        app.create_session(name="Other", path="/Dublin-Trad/")

    assert refused.value.code == "session.path.taken"
    assert refused.value.message == "The path '/Dublin-Trad/' is already used by another session."


def test_MU2_a_path_change_releases_the_old_path_for_another_session(app):
    first = new_session(app, path="old-path")

    app.update_session(first, {"path": "new-path"})
    second = new_session(app, path="old-path")

    assert app.find_session_by_path("new-path") == first
    assert app.find_session_by_path("OLD-PATH") == second


def test_MU2_a_path_change_to_a_taken_path_changes_nothing(app):
    first = new_session(app, path="first")
    new_session(app, path="second")

    with pytest.raises(PathTakenError):
        app.update_session(first, {"path": "second", "name": "Renamed"})

    assert (app.session_view(first).path, app.session_view(first).name) == ("first", "The Cobblestone")


def test_MU1_changing_only_the_case_of_the_path_keeps_it(app):
    session_id = new_session(app, path="trad")

    app.update_session(session_id, {"path": "Trad"})

    assert app.session_view(session_id).path == "Trad"
    assert app.find_session_by_path("trad") == session_id


def test_a_create_repeated_with_its_id_and_values_answers_the_first(app):
    session_id = uuid4()
    first = app.create_session(id=session_id, name="Trad", path="trad")

    again = app.create_session(id=session_id, name="Trad", path="trad")

    assert (again.id, again.version, again.created) == (first.id, first.version, False)
    with pytest.raises(IdReusedError):
        app.create_session(id=session_id, name="Other", path="trad")


def test_MU6_a_patch_with_an_unknown_field_is_refused(app):
    session_id = new_session(app)

    assert refusal(app.update_session, session_id, {"colour": "red"}).code == "session.field.unknown"


def test_MU10_the_recurrence_is_stored_as_given(app):
    recurrence = {"type": "weekly", "daysOfWeek": [4, 2], "startTime": "21:00", "endTime": "23:30"}
    session_id = new_session(app, recurrence=recurrence)

    assert app.session_view(session_id).recurrence == recurrence


def test_A2_an_empty_string_recurrence_is_stored_as_none(app):
    session_id = new_session(app, recurrence="")

    assert app.session_view(session_id).recurrence is None


def test_an_update_records_only_the_groups_that_changed(app):
    session_id = new_session(app)

    app.update_session(session_id, {"active_buffer_minutes_before": 15, "name": "The Cobblestone"})

    events = list(app.repository.event_store.get(session_id))
    assert [type(e).__name__ for e in events[1:]] == ["BuffersChanged"]
    assert isinstance(app.repository.get(session_id), Session)


def test_A3_occurrences_expand_the_stored_recurrence(app):
    session_id = new_session(app)

    found = app.occurrences(session_id, date(2025, 6, 1), date(2025, 6, 14))

    assert [o.date for o in found] == [date(2025, 6, 5), date(2025, 6, 12)]


def test_an_unknown_session_is_session_not_found(app):
    with pytest.raises(SessionNotFoundError) as missing:
        app.session_view(uuid4())

    assert (missing.value.code, missing.value.message) == ("session.not_found", "Session not found")
