"""Instance commands (A.1, MU-12, MU-13): manual create, PATCH, delete, and addressing by date."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.music.errors import InstanceNotFoundError, SessionNotFoundError
from domain.shared.errors import InvalidInputError
from tests.unit.music.builders import NOW, new_session

DAY = date(2025, 6, 12)


def test_MU12_a_manual_instance_needs_a_date(app):
    session_id = new_session(app)

    with pytest.raises(InvalidInputError) as refused:
        app.create_instance(session_id, date=None)

    assert (refused.value.message, refused.value.code) == ("Please enter a session date", "instance.date.required")


def test_MU12_instance_times_are_hh_mm(app):
    session_id = new_session(app)

    with pytest.raises(InvalidInputError) as refused:
        app.create_instance(session_id, date=DAY, start_time="9:00")

    assert refused.value.code == "instance.time.invalid"


def test_A1_an_instance_of_an_unknown_session_is_session_not_found(app):
    with pytest.raises(SessionNotFoundError):
        app.create_instance(uuid4(), date=DAY)


def test_A1_any_number_of_manual_instances_may_share_a_date_and_the_date_resolves_to_the_lowest_id(app):
    session_id = new_session(app)
    ids = [app.create_instance(session_id, date=DAY, id=UUID(int=n)).id for n in (7, 3, 9)]

    assert app.instance_on(session_id, DAY) == UUID(int=3)
    assert sorted(app.get_session(session_id).instances_on(DAY)) == sorted(ids)


def test_MU12_a_location_override_equal_to_the_session_location_is_not_kept(app):
    session_id = new_session(app, location_name="The Cobblestone, Smithfield")

    same = app.create_instance(session_id, date=DAY, location_override="The Cobblestone, Smithfield").id
    other = app.create_instance(session_id, date=DAY, location_override="  Hughes's  ").id

    assert app.instance_view(same).location_override is None
    assert app.instance_view(other).location_override == "Hughes's"


def test_A1_rescheduling_moves_the_instance_in_the_session_calendar(app):
    session_id = new_session(app)
    instance_id = app.create_instance(session_id, date=DAY).id

    app.update_instance(instance_id, {"date": date(2025, 6, 19), "start_time": "20:00", "end_time": "23:00"})

    view = app.instance_view(instance_id)
    assert (view.date, view.start_time, view.end_time) == (date(2025, 6, 19), "20:00", "23:00")
    assert app.instance_on(session_id, DAY) is None
    assert app.instance_on(session_id, date(2025, 6, 19)) == instance_id


def test_MU13_marking_the_log_complete_records_the_instant_and_does_not_lock_editing(app):
    session_id = new_session(app)
    instance_id = app.create_instance(session_id, date=DAY).id

    app.update_instance(instance_id, {"log_complete": True})
    app.add_tune(instance_id, name="The Maid Behind the Bar")

    assert app.instance_view(instance_id).log_complete_date == NOW
    assert len(app.tune_log(instance_id)) == 1


def test_A1_a_deleted_instance_is_not_found_and_frees_its_date(app):
    session_id = new_session(app)
    instance_id = app.create_instance(session_id, date=DAY).id

    app.delete_instance(instance_id)

    with pytest.raises(InstanceNotFoundError) as missing:
        app.instance_view(instance_id)
    assert missing.value.message == "Session instance not found"
    assert app.get_session(session_id).occupied_dates() == set()


def test_MU6_an_instance_patch_with_an_unknown_field_is_refused(app):
    session_id = new_session(app)
    instance_id = app.create_instance(session_id, date=DAY).id

    with pytest.raises(InvalidInputError) as refused:
        app.update_instance(instance_id, {"is_active": True})

    assert refused.value.code == "instance.field.unknown"
