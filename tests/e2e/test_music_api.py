"""The music API over HTTP (``api/music.md``): codes and the spec's messages word for word, the
reads of each resource, the tune log's commands and their refusals, and the dashboards."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from tests.support.waiting import wait_for

CHICAGO = "America/Chicago"
SUNDAY_EVENING = {"type": "weekly", "daysOfWeek": [7], "startTime": "19:00", "endTime": "22:00"}


def new_session(http, **values) -> dict:
    body = {"name": "The Cobblestone", "path": f"cobblestone-{uuid.uuid4().hex[:8]}", "timezone": CHICAGO,
            "recurrence": SUNDAY_EVENING, **values}  # fmt: skip
    answer = http.post("/music/sessions", json=body)
    assert answer.status_code == 201, answer.text
    return {**body, **answer.json()}


def new_instance(http, session_id, **values) -> str:
    body = {"date": "2025-11-02", "start_time": "19:00", "end_time": "22:00", **values}
    answer = http.post(f"/music/sessions/{session_id}/instances", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def add(http, instance_id, **body) -> dict:
    answer = http.post(f"/music/instances/{instance_id}/tunes", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def tunes(http, instance_id) -> list[dict]:
    answer = http.get(f"/music/instances/{instance_id}/tunes")
    assert answer.status_code == 200, answer.text
    return answer.json()


def assert_problem(answer, status: int, code: str, detail: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == code
    if detail is not None:
        assert body["detail"].startswith(detail), body["detail"]
    return body


# -- sessions ---------------------------------------------------------------------------------------


def test_a_session_is_created_read_and_found_by_its_path_normalised(http):
    session = new_session(http, location_name="The Cobblestone")

    shown = http.get(f"/music/sessions/{session['id']}").json()
    found = http.get("/music/sessions", params={"path": f"/{session['path'].upper()}/"}).json()

    assert shown["timezone"] == CHICAGO and shown["recurrence"] == SUNDAY_EVENING
    assert (shown["active_buffer_minutes_before"], shown["auto_create_hours_ahead"]) == (60, 24)
    assert shown["session_type"] == "regular" and shown["auto_create_instances"] is False
    assert [s["id"] for s in found] == [session["id"]]
    assert http.get("/music/sessions", params={"path": "no-such-path"}).json() == []


def test_a_create_repeated_with_its_id_answers_the_first_and_another_body_is_a_409(http):
    body = {"id": str(uuid.uuid4()), "name": "Repeat", "path": f"repeat-{uuid.uuid4().hex[:8]}"}
    first = http.post("/music/sessions", json=body)
    again = http.post("/music/sessions", json=body)
    other = http.post("/music/sessions", json={**body, "name": "Another"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert_problem(other, 409, "conflict.id_reused")


def test_a_path_used_by_another_session_is_refused(http):
    session = new_session(http)
    answer = http.post("/music/sessions", json={"name": "Copy", "path": session["path"].upper()})
    assert_problem(answer, 409, "session.path.taken", f"The path '{session['path'].upper()}' is already used")


@pytest.mark.parametrize(("values", "code", "field"), [
    ({"active_buffer_minutes_before": -1}, "buffer.invalid", "active_buffer_minutes_before"),
    ({"auto_create_hours_ahead": 0}, "auto_create_hours_ahead.out_of_range", "auto_create_hours_ahead"),
    ({"auto_create_hours_ahead": 169}, "auto_create_hours_ahead.out_of_range", "auto_create_hours_ahead"),
    ({"timezone": "Mars/Olympus"}, "session.timezone.invalid", "timezone"),
    ({"recurrence": {"type": "weekly", "daysOfWeek": [0]}}, "recurrence.days_of_week.invalid", "recurrence"),
    ({"recurrence": {"type": "daily"}}, "recurrence.unknown_type", "recurrence"),
    ({"recurrence": {"type": "weekly", "daysOfWeek": [4], "interval": 2}}, "recurrence.anchor.required", "recurrence"),
    ({"recurrence": {"type": "weekly", "daysOfWeek": [4], "startTime": "7:00", "endTime": "9:00"}},
     "recurrence.time.invalid", "recurrence"),
])  # fmt: skip
def test_session_values_are_refused_with_the_spec_codes(http, values, code, field):
    answer = http.post("/music/sessions", json={"name": "Bad", "path": f"bad-{uuid.uuid4().hex[:8]}", **values})
    assert assert_problem(answer, 422, code)["field"] == field


def test_a_patch_changes_only_what_it_names_and_refuses_unknown_fields(http):
    session = new_session(http)

    changed = http.patch(f"/music/sessions/{session['id']}", json={"active_buffer_minutes_before": 15,
                                                                   "initiation_date": "2025-01-05"})  # fmt: skip
    unknown = http.patch(f"/music/sessions/{session['id']}", json={"colour": "green"})

    assert changed.status_code == 200 and changed.json()["version"] > session["version"]
    shown = http.get(f"/music/sessions/{session['id']}", params={"min_version": changed.json()["version"]}).json()
    assert (shown["active_buffer_minutes_before"], shown["initiation_date"]) == (15, "2025-01-05")
    assert shown["active_buffer_minutes_after"] == 60
    assert_problem(unknown, 422, "session.field.unknown")


def test_an_unknown_session_is_a_404_with_the_spec_message(http):
    answer = http.get(f"/music/sessions/{uuid.uuid4()}")
    assert_problem(answer, 404, "session.not_found", "Session not found")


def test_occurrences_keep_local_time_across_the_dst_switch(http):
    session = new_session(http)

    answer = http.get(f"/music/sessions/{session['id']}/occurrences", params={"from": "2025-10-26", "to": "2025-11-02"})

    assert answer.json() == [
        {"date": "2025-10-26", "start_time": "19:00", "end_time": "22:00",
         "start": "2025-10-27T00:00:00Z", "end": "2025-10-27T03:00:00Z"},
        {"date": "2025-11-02", "start_time": "19:00", "end_time": "22:00",
         "start": "2025-11-03T01:00:00Z", "end": "2025-11-03T04:00:00Z"},
    ]  # fmt: skip


def test_occurrences_need_an_ordered_range(http):
    session = new_session(http)
    url = f"/music/sessions/{session['id']}/occurrences"
    assert_problem(http.get(url, params={"from": "2025-11-02"}), 422, "range.required")
    assert_problem(http.get(url, params={"from": "2025-11-02", "to": "2025-11-01"}), 422, "range.invalid")


# -- instances --------------------------------------------------------------------------------------


def test_a_manual_instance_needs_a_date_with_the_spec_message(http):
    session = new_session(http)
    answer = http.post(f"/music/sessions/{session['id']}/instances", json={"start_time": "19:00"})
    assert_problem(answer, 422, "instance.date.required", "Please enter a session date")


def test_an_instance_of_an_unknown_session_is_a_404(http):
    answer = http.post(f"/music/sessions/{uuid.uuid4()}/instances", json={"date": "2025-11-02"})
    assert_problem(answer, 404, "session.not_found", "Session not found")


def test_an_instance_is_read_with_its_utc_window_and_is_active(http):
    session = new_session(http)
    instance_id = new_instance(http, session["id"], start_time="21:00", end_time="01:00")

    shown = http.get(f"/music/instances/{instance_id}").json()

    assert shown["session_id"] == session["id"] and shown["date"] == "2025-11-02"
    assert (shown["start"], shown["end"]) == ("2025-11-03T03:00:00Z", "2025-11-03T07:00:00Z")  # cross-midnight
    assert shown["is_active"] is False and shown["is_cancelled"] is False and shown["auto_created"] is False
    assert_problem(
        http.get(f"/music/instances/{uuid.uuid4()}"), 404, "instance.not_found", "Session instance not found"
    )


def test_the_session_lists_its_instances_by_date_from_the_read_model(http):
    session = new_session(http)
    later = new_instance(http, session["id"], date="2025-11-09")
    earlier = new_instance(http, session["id"], date="2025-11-02")
    new_instance(http, session["id"], date="2025-12-07")

    listed = wait_for(lambda: (r := http.get(f"/music/sessions/{session['id']}/instances",
                                             params={"from": "2025-11-01", "to": "2025-11-30"}).json())
                      and len(r) == 2 and r)  # fmt: skip

    assert [i["id"] for i in listed] == [earlier, later]


def test_a_tick_inside_the_window_makes_the_instance_active_and_cancelling_ends_it(http, container):
    session = new_session(http)
    instance_id = new_instance(http, session["id"])  # 2025-11-02 19:00-22:00 CST = 01:00Z-04:00Z on the 3rd

    container.music.tick(datetime(2025, 11, 3, 0, 0, tzinfo=timezone.utc))  # at +60 s the window (-60 min) is open

    assert http.get(f"/music/instances/{instance_id}").json()["is_active"] is True
    assert [i["id"] for i in http.get(f"/music/sessions/{session['id']}/active").json()] == [instance_id]
    cancelled = http.patch(f"/music/instances/{instance_id}", json={"is_cancelled": True})
    assert cancelled.status_code == 200
    assert http.get(f"/music/instances/{instance_id}").json()["is_active"] is False
    assert http.get(f"/music/sessions/{session['id']}/active").json() == []


def test_an_instance_patch_refuses_unknown_fields_and_bad_times(http):
    session = new_session(http)
    instance_id = new_instance(http, session["id"])
    assert_problem(http.patch(f"/music/instances/{instance_id}", json={"colour": 1}), 422, "instance.field.unknown")
    assert_problem(
        http.patch(f"/music/instances/{instance_id}", json={"start_time": "7pm"}), 422, "instance.time.invalid"
    )


def test_a_read_token_may_not_create(reader):
    answer = reader.post("/music/sessions", json={"name": "No", "path": "no"})
    assert_problem(answer, 403, "auth.forbidden")


# -- the tune log -----------------------------------------------------------------------------------


@pytest.fixture
def logged(http) -> tuple[str, list[str]]:
    """An instance whose log has two sets: [Kesh, Out on the Ocean] [Banish Misfortune]."""
    session = new_session(http)
    instance_id = new_instance(http, session["id"])
    ids = [
        add(http, instance_id, name="The Kesh")["entry_id"],
        add(http, instance_id, name="Out on the Ocean", continues_set=True)["entry_id"],
        add(http, instance_id, tune_id=55, name="Banish Misfortune")["entry_id"],
    ]
    return instance_id, ids


def test_the_log_lists_entries_in_order_with_their_set_index(http, logged):
    instance_id, ids = logged
    log = tunes(http, instance_id)
    assert [(e["id"], e["order_number"], e["continues_set"], e["set_index"]) for e in log] == [
        (ids[0], 1000, False, 0),
        (ids[1], 2000, True, 0),
        (ids[2], 3000, False, 1),
    ]
    assert log[2]["tune_id"] == 55 and log[2]["key_override"] is None and log[2]["played_timestamp"] is None


def test_an_add_after_an_entry_takes_the_midpoint(http, logged):
    instance_id, ids = logged
    added = add(http, instance_id, position={"after": ids[0]}, name="The Silver Spear", continues_set=True)
    log = tunes(http, instance_id)
    assert [e["id"] for e in log] == [ids[0], added["entry_id"], ids[1], ids[2]]
    assert log[1]["order_number"] == 1500 and added["version"] == 5


@pytest.mark.parametrize(("index", "direction", "code", "message"), [
    (0, "left", "tune.move.first_tune_left", "Cannot move first tune left"),
    (2, "left", "tune.move.left_across_set", "Cannot move tune left across set boundary"),
    (2, "right", "tune.move.last_tune_right", "Cannot move last tune right"),
    (1, "right", "tune.move.right_across_set", "Cannot move tune right across set boundary"),
])  # fmt: skip
def test_moves_across_a_boundary_are_refused_with_the_spec_messages(http, logged, index, direction, code, message):
    instance_id, ids = logged
    answer = http.post(f"/music/instances/{instance_id}/tunes/{ids[index]}/move", json={"direction": direction})
    assert assert_problem(answer, 409, code)["detail"] == message


def test_moving_the_second_tune_left_swaps_the_set_start(http, logged):
    instance_id, ids = logged
    answer = http.post(f"/music/instances/{instance_id}/tunes/{ids[1]}/move", json={"direction": "left"})
    assert answer.status_code == 200
    log = tunes(http, instance_id)
    assert [(e["id"], e["continues_set"]) for e in log] == [(ids[1], False), (ids[0], True), (ids[2], False)]


@pytest.mark.parametrize(("index", "direction", "code", "message"), [
    (0, "up", "set.move.first_set_up", "Cannot move first set up"),
    (2, "down", "set.move.last_set_down", "Cannot move last set down"),
])  # fmt: skip
def test_set_moves_past_the_ends_are_refused(http, logged, index, direction, code, message):
    instance_id, ids = logged
    answer = http.post(f"/music/instances/{instance_id}/sets/{ids[index]}/move", json={"direction": direction})
    assert assert_problem(answer, 409, code)["detail"] == message


def test_a_set_moves_up_and_the_log_is_renumbered(http, logged):
    instance_id, ids = logged
    assert http.post(f"/music/instances/{instance_id}/sets/{ids[2]}/move", json={"direction": "up"}).status_code == 200
    log = tunes(http, instance_id)
    assert [(e["id"], e["order_number"], e["set_index"]) for e in log] == [
        (ids[2], 1000, 0),
        (ids[0], 2000, 1),
        (ids[1], 3000, 1),
    ]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("tunes/{entry}/move", {"direction": "up"}),
        ("sets/{entry}/move", {"direction": "left"}),
        ("tunes/{entry}/move", {}),
    ],
)
def test_a_direction_outside_the_allowed_is_invalid_parameters(http, logged, path, body):
    instance_id, ids = logged
    answer = http.post(f"/music/instances/{instance_id}/" + path.format(entry=ids[0]), json=body)
    assert_problem(answer, 422, "tune.invalid_parameters", "Invalid parameters")


def test_an_unknown_entry_is_tune_not_found(http, logged):
    instance_id, _ = logged
    unknown = uuid.uuid4()
    assert_problem(http.post(f"/music/instances/{instance_id}/tunes/{unknown}/move", json={"direction": "left"}),
                   404, "tune.not_found", "Tune not found")  # fmt: skip
    assert_problem(http.delete(f"/music/instances/{instance_id}/tunes/{unknown}"), 404, "tune.not_found")
    after_unknown = {"position": {"after": str(unknown)}, "name": "x"}
    assert_problem(http.post(f"/music/instances/{instance_id}/tunes", json=after_unknown),
                   404, "tune.not_found", "Tune not found")  # fmt: skip
    answer = http.patch(f"/music/instances/{instance_id}/tunes/{unknown}", json={"name": "x"})
    assert assert_problem(answer, 404, "tune.not_found")["detail"] == "Tune not found in this session instance"


def test_a_bad_position_is_invalid_parameters(http, logged):
    instance_id, _ = logged
    answer = http.post(f"/music/instances/{instance_id}/tunes", json={"position": "start", "name": "x"})
    assert_problem(answer, 422, "tune.invalid_parameters", "Invalid parameters")


def test_a_tune_needs_a_tune_id_or_a_name(http, logged):
    instance_id, _ = logged
    answer = http.post(f"/music/instances/{instance_id}/tunes", json={"name": "   "})
    assert_problem(answer, 422, "tune.identity_required")


def test_details_update_reads_setting_override_as_the_source_did(http, logged):
    instance_id, ids = logged
    url = f"/music/instances/{instance_id}/tunes/{ids[0]}"

    bad = http.patch(url, json={"setting_override": "abc"})
    good = http.patch(url, json={"setting_override": "12345", "key_override": " Amixolydian "})
    blanked = http.patch(url, json={"name": "  "})  # the entry would keep neither a tune_id nor a name
    too_long = http.patch(url, json={"key_override": "A" * 21})

    assert assert_problem(bad, 422, "tune.setting_override.invalid")["detail"] == "Invalid setting_override value"
    assert good.status_code == 200
    entry = tunes(http, instance_id)[0]
    assert (entry["setting_override"], entry["key_override"], entry["name"]) == (12345, "Amixolydian", "The Kesh")
    assert_problem(blanked, 422, "tune.identity_required")
    assert_problem(too_long, 422, "tune.key_override.too_long")
    assert_problem(http.patch(url, json={"colour": "x"}), 422, "tune.field.unknown")


def test_removing_a_set_start_passes_the_start_to_the_next_tune_and_a_repeat_is_harmless(http, logged):
    instance_id, ids = logged
    first = http.delete(f"/music/instances/{instance_id}/tunes/{ids[0]}")
    again = http.delete(f"/music/instances/{instance_id}/tunes/{ids[0]}")
    assert first.status_code == again.status_code == 200
    assert again.json()["version"] == first.json()["version"]
    log = tunes(http, instance_id)
    assert [(e["id"], e["continues_set"]) for e in log] == [(ids[1], False), (ids[2], False)]


def test_bulk_replace_numbers_the_sets_and_names_unknown_tunes(http, logged):
    instance_id, _ = logged
    answer = http.put(f"/music/instances/{instance_id}/tunes", json={"sets": [
        [{"tune_id": 1, "name": "The Kesh"}, {"name": "Out on the Ocean"}], [{}],
    ]})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == f"Session saved successfully ({answer.json()['modifications']} modifications)"
    log = tunes(http, instance_id)
    assert [(e["order_number"], e["continues_set"], e["name"], e["set_index"]) for e in log] == [
        (1000, False, "The Kesh", 0),
        (2000, True, "Out on the Ocean", 0),
        (3000, False, "Unknown tune", 1),
    ]


def test_an_add_with_a_client_entry_id_is_idempotent(http, logged):
    instance_id, _ = logged
    entry_id = str(uuid.uuid4())
    first = http.post(f"/music/instances/{instance_id}/tunes", json={"entry_id": entry_id, "name": "Cooley's"})
    again = http.post(f"/music/instances/{instance_id}/tunes", json={"entry_id": entry_id, "name": "Cooley's"})
    other = http.post(f"/music/instances/{instance_id}/tunes", json={"entry_id": entry_id, "name": "Drowsy Maggie"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and first.json()["entry_id"] == entry_id
    assert_problem(other, 409, "conflict.id_reused")


def test_the_tune_log_of_an_unknown_instance_is_a_404(http):
    assert_problem(
        http.get(f"/music/instances/{uuid.uuid4()}/tunes"), 404, "instance.not_found", "Session instance not found"
    )


# -- the popular-tunes dashboard ----------------------------------------------------------------------


def test_popular_tunes_count_plays_across_instances_in_the_range(http):
    session = new_session(http)
    first = new_instance(http, session["id"], date="2025-10-26")
    second = new_instance(http, session["id"], date="2025-11-02")
    cancelled = new_instance(http, session["id"], date="2025-11-09")
    for instance_id in (first, second, cancelled):
        add(http, instance_id, tune_id=55, name="Banish Misfortune")
    add(http, first, name="the kesh")
    add(http, second, name="The Kesh")
    add(http, second, name="Out on the Ocean")
    http.patch(f"/music/instances/{cancelled}", json={"is_cancelled": True})
    url = f"/music/sessions/{session['id']}/tunes/popular"

    popular = wait_for(lambda: (r := http.get(url).json()) and r[0]["plays"] == 2 and len(r) == 3 and r)
    ranged = wait_for(lambda: (r := http.get(url, params={"from": "2025-11-01", "to": "2025-11-30"}).json())
                      and len(r) == 3 and r)  # fmt: skip

    assert [(t["tune_id"], t["name"], t["plays"], t["last_played"]) for t in popular] == [
        (55, "Banish Misfortune", 2, "2025-11-02"),
        (None, "The Kesh", 2, "2025-11-02"),
        (None, "Out on the Ocean", 1, "2025-11-02"),
    ]
    assert [t["plays"] for t in ranged] == [1, 1, 1]
    assert_problem(http.get(f"/music/sessions/{uuid.uuid4()}/tunes/popular"), 404, "session.not_found")
