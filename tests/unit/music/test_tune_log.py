"""The tune log (A.6, A.9.7, A.9.8, MU-30..MU-37): every operation, its boundaries and exact messages.

Logs are written as sets: ``[["A", "B"], ["C"]]`` is a set of A and B, then a one-tune set of C.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.music.errors import TuneMoveRefusedError, TuneNotFoundError
from domain.music.tunelog import After, Before, TuneSpec, parse_setting_override
from domain.shared.errors import IdReusedError, InvalidInputError
from tests.unit.music.builders import new_session, utc


@pytest.fixture
def instance(app) -> UUID:
    return app.create_instance(new_session(app), date=date(2025, 6, 12), start_time="21:00", end_time="23:30").id


def build(app, instance: UUID, sets: list[list[str]]) -> dict[str, UUID]:
    """Appends the sets tune by tune; returns name -> entry id."""
    ids = {}
    for members in sets:
        for index, name in enumerate(members):
            ids[name] = app.add_tune(instance, name=name, continues_set=index > 0).entry_id
    return ids


def sets_of(app, instance: UUID) -> list[list[str]]:
    sets: list[list[str]] = []
    for entry in app.tune_log(instance):
        if entry.set_index == len(sets):
            sets.append([])
        sets[entry.set_index].append(entry.name)
    return sets


def numbers(app, instance: UUID) -> list[int]:
    return [entry.order_number for entry in app.tune_log(instance)]


def event_names(app, instance: UUID) -> list[str]:
    return [type(e).__name__ for e in app.repository.event_store.get(instance)]


def refused_move(call, *args) -> TuneMoveRefusedError:
    with pytest.raises(TuneMoveRefusedError) as refused:
        call(*args)
    return refused.value


# -- add ----------------------------------------------------------------------------------------------------------


def test_A6_1_appending_numbers_in_steps_of_1000(app, instance):
    build(app, instance, [["A", "B"], ["C"]])

    assert numbers(app, instance) == [1000, 2000, 3000]
    assert sets_of(app, instance) == [["A", "B"], ["C"]]


def test_A6_the_first_entry_never_continues_a_set(app, instance):
    app.add_tune(instance, name="A", continues_set=True)

    assert app.tune_log(instance)[0].continues_set is False


def test_A6_2_an_insert_after_an_entry_takes_the_midpoint_and_leaves_neighbours_alone(app, instance):
    ids = build(app, instance, [["A", "B"]])

    app.add_tune(instance, name="X", position=After(ids["A"]), continues_set=False)

    assert numbers(app, instance) == [1000, 1500, 2000]
    assert sets_of(app, instance) == [["A"], ["X", "B"]]  # B still continues: now X's set


def test_A6_3_an_insert_before_the_first_entry_becomes_the_first_set_start(app, instance):
    ids = build(app, instance, [["A", "B"]])

    app.add_tune(instance, name="X", position=Before(ids["A"]), continues_set=True)

    log = app.tune_log(instance)
    assert [(e.name, e.order_number, e.continues_set) for e in log] == [
        ("X", 500, False), ("A", 1000, False), ("B", 2000, True),
    ]  # fmt: skip


def test_A6_2_an_insert_before_an_entry_continues_the_set_before_it(app, instance):
    ids = build(app, instance, [["A"], ["B"]])

    app.add_tune(instance, name="X", position=Before(ids["B"]), continues_set=True)

    assert sets_of(app, instance) == [["A", "X"], ["B"]]


def test_A6_5_twenty_midpoint_inserts_at_one_place_renumber_when_the_gap_is_exhausted(app, instance):
    ids = build(app, instance, [["A", "B"]])

    for n in range(1, 21):
        app.add_tune(instance, name=f"X{n}", position=After(ids["A"]), continues_set=True)

    names = [e.name for e in app.tune_log(instance)]
    assert names == ["A", *[f"X{n}" for n in range(20, 0, -1)], "B"]
    assert all(a < b for a, b in zip(numbers(app, instance), numbers(app, instance)[1:], strict=False))
    assert (
        event_names(app, instance).count("TuneLogRenumbered") == 2
    )  # a 1000 gap halves out after 9 inserts: twice in 20


def test_A6_5_the_renumbering_event_numbers_the_log_in_steps_of_1000(app, instance):
    ids = build(app, instance, [["A", "B"]])
    for n in range(10):
        app.add_tune(instance, name=f"X{n}", position=After(ids["A"]))

    renumbered = [e for e in app.repository.event_store.get(instance) if type(e).__name__ == "TuneLogRenumbered"]

    assert sorted(renumbered[0].mapping.values()) == [1000 * k for k in range(1, 12)]


def test_A6_a_single_add_without_tune_id_or_name_is_refused(app, instance):
    with pytest.raises(InvalidInputError) as refused:
        app.add_tune(instance, name="   ")

    assert refused.value.code == "tune.identity_required"


def test_A6_names_are_trimmed_and_smart_quotes_made_plain(app, instance):
    app.add_tune(instance, name="  \u2018Tis the \u201cHumours\u201d of Ennis\u2019 ")

    assert app.tune_log(instance)[0].name == "'Tis the \"Humours\" of Ennis'"


def test_A6_a_tune_id_without_name_keeps_the_name_null_and_with_a_name_keeps_the_alias(app, instance):
    app.add_tune(instance, tune_id=1)
    app.add_tune(instance, tune_id=2, name="Banshee")

    assert [(e.tune_id, e.name) for e in app.tune_log(instance)] == [(1, None), (2, "Banshee")]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"name": "x" * 256}, "tune.name.too_long"),
        ({"name": "A", "key_override": "A" * 21}, "tune.key_override.too_long"),
        ({"tune_id": 0}, "tune.tune_id.invalid"),
        ({"name": "A", "setting_override": "12"}, "tune.setting_override.invalid"),
    ],
)
def test_MU4_MU35_bad_entry_values_are_refused(app, instance, values, code):
    with pytest.raises(InvalidInputError) as refused:
        app.add_tune(instance, **values)

    assert refused.value.code == code


def test_A6_an_unknown_reference_is_tune_not_found(app, instance):
    with pytest.raises(TuneNotFoundError) as missing:
        app.add_tune(instance, name="X", position=After(uuid4()))

    assert (missing.value.message, missing.value.code) == ("Tune not found", "tune.not_found")


def test_A6_a_position_that_is_not_end_after_or_before_is_invalid_parameters(app, instance):
    with pytest.raises(InvalidInputError) as refused:
        app.add_tune(instance, name="X", position="start")  # type: ignore[arg-type]

    assert refused.value.message == "Invalid parameters"


def test_MU37_a_repeated_add_with_its_entry_id_answers_the_first(app, instance):
    entry_id = uuid4()
    first = app.add_tune(instance, name="A", entry_id=entry_id)

    again = app.add_tune(instance, name="A", entry_id=entry_id)

    assert (again.created, again.version, again.entry_id) == (False, first.version, entry_id)
    assert len(app.tune_log(instance)) == 1
    with pytest.raises(IdReusedError):
        app.add_tune(instance, name="B", entry_id=entry_id)


# -- remove -------------------------------------------------------------------------------------------------------


def test_A6_4_removing_a_set_start_passes_the_start_to_the_next_entry_across_any_gap(app, instance):
    ids = build(app, instance, [["A"], ["B", "C"]])

    app.remove_tune(instance, ids["B"])

    assert sets_of(app, instance) == [["A"], ["C"]]
    assert event_names(app, instance)[-2:] == ["TuneRemoved", "TuneSetStartChanged"]


def test_A9_7_the_start_passes_on_when_the_numbers_are_far_apart(app, instance):
    ids = build(app, instance, [["A", "B"], ["C"]])
    app.remove_tune(instance, ids["A"])

    assert [(e.name, e.order_number, e.continues_set) for e in app.tune_log(instance)] == [
        ("B", 2000, False), ("C", 3000, False),
    ]  # fmt: skip


def test_A6_4_removing_an_entry_inside_a_set_does_not_renumber(app, instance):
    ids = build(app, instance, [["A", "B", "C"]])

    app.remove_tune(instance, ids["B"])

    assert numbers(app, instance) == [1000, 3000]
    assert sets_of(app, instance) == [["A", "C"]]


def test_A6_4_removing_a_one_tune_set_keeps_the_next_set_as_it_is(app, instance):
    ids = build(app, instance, [["A"], ["B"], ["C", "D"]])

    app.remove_tune(instance, ids["B"])

    assert sets_of(app, instance) == [["A"], ["C", "D"]]


def test_MU32_removing_an_entry_twice_changes_nothing_the_second_time(app, instance):
    ids = build(app, instance, [["A", "B"]])
    app.remove_tune(instance, ids["A"])
    version = app.instance_view(instance).version

    outcome = app.remove_tune(instance, ids["A"])

    assert outcome.version == version


def test_MU32_removing_an_entry_never_seen_is_tune_not_found(app, instance):
    with pytest.raises(TuneNotFoundError):
        app.remove_tune(instance, uuid4())


# -- move a tune -------------------------------------------------------------------------------------------------


def test_A6_6_the_first_tune_cannot_move_left(app, instance):
    ids = build(app, instance, [["A", "B"]])

    error = refused_move(app.move_tune, instance, ids["A"], "left")

    assert (error.message, error.code) == ("Cannot move first tune left", "tune.move.first_tune_left")


def test_A9_8_a_set_start_cannot_move_left_over_a_one_tune_set(app, instance):
    ids = build(app, instance, [["A"], ["B"], ["C"]])

    error = refused_move(app.move_tune, instance, ids["B"], "left")

    assert error.message == "Cannot move tune left across set boundary"
    assert sets_of(app, instance) == [["A"], ["B"], ["C"]]


def test_A9_8_moving_left_onto_the_set_start_swaps_continues_set(app, instance):
    ids = build(app, instance, [["A"], ["B", "C"]])

    app.move_tune(instance, ids["C"], "left")

    assert [(e.name, e.order_number, e.continues_set) for e in app.tune_log(instance)] == [
        ("A", 1000, False), ("C", 2000, False), ("B", 3000, True),
    ]  # fmt: skip


def test_A6_6_moving_left_inside_a_set_keeps_the_flags(app, instance):
    ids = build(app, instance, [["A", "B", "C"]])

    app.move_tune(instance, ids["C"], "left")

    assert sets_of(app, instance) == [["A", "C", "B"]]
    assert [e.continues_set for e in app.tune_log(instance)] == [False, True, True]


def test_A6_6_the_last_tune_cannot_move_right(app, instance):
    ids = build(app, instance, [["A", "B"]])

    error = refused_move(app.move_tune, instance, ids["B"], "right")

    assert (error.message, error.code) == ("Cannot move last tune right", "tune.move.last_tune_right")


def test_A6_6_a_set_end_cannot_move_right_into_the_next_set(app, instance):
    ids = build(app, instance, [["A", "B"], ["C"]])

    error = refused_move(app.move_tune, instance, ids["B"], "right")

    assert (error.message, error.code) == ("Cannot move tune right across set boundary", "tune.move.right_across_set")


def test_A6_6_a_one_tune_set_cannot_move_right(app, instance):
    ids = build(app, instance, [["A"], ["B"]])

    assert (
        refused_move(app.move_tune, instance, ids["A"], "right").message == "Cannot move tune right across set boundary"
    )


def test_A6_6_moving_the_set_start_right_swaps_continues_set(app, instance):
    ids = build(app, instance, [["A", "B"]])

    app.move_tune(instance, ids["A"], "right")

    assert [(e.name, e.continues_set) for e in app.tune_log(instance)] == [("B", False), ("A", True)]


def test_A6_6_a_direction_other_than_left_or_right_is_invalid_parameters(app, instance):
    ids = build(app, instance, [["A", "B"]])

    with pytest.raises(InvalidInputError) as refused:
        app.move_tune(instance, ids["A"], "up")

    assert (refused.value.message, refused.value.code) == ("Invalid parameters", "tune.invalid_parameters")


def test_A6_6_moving_an_unknown_or_removed_tune_is_tune_not_found(app, instance):
    ids = build(app, instance, [["A", "B"]])
    app.remove_tune(instance, ids["B"])

    with pytest.raises(TuneNotFoundError):
        app.move_tune(instance, ids["B"], "left")


# -- move a set --------------------------------------------------------------------------------------------------


def test_A6_7_the_first_set_cannot_move_up(app, instance):
    ids = build(app, instance, [["A", "B"], ["C"]])

    error = refused_move(app.move_set, instance, ids["B"], "up")

    assert (error.message, error.code) == ("Cannot move first set up", "set.move.first_set_up")


def test_A6_7_the_last_set_cannot_move_down(app, instance):
    ids = build(app, instance, [["A"], ["B", "C"]])

    error = refused_move(app.move_set, instance, ids["C"], "down")

    assert (error.message, error.code) == ("Cannot move last set down", "set.move.last_set_down")


def test_A6_7_a_single_set_can_move_neither_way(app, instance):
    ids = build(app, instance, [["A"]])

    assert refused_move(app.move_set, instance, ids["A"], "up").message == "Cannot move first set up"
    assert refused_move(app.move_set, instance, ids["A"], "down").message == "Cannot move last set down"


def test_A6_7_moving_a_one_tune_set_up_swaps_it_with_the_set_before_and_renumbers(app, instance):
    ids = build(app, instance, [["A"], ["B", "C"], ["D"]])

    app.move_set(instance, ids["D"], "up")

    assert sets_of(app, instance) == [["A"], ["D"], ["B", "C"]]
    assert numbers(app, instance) == [1000, 2000, 3000, 4000]
    assert event_names(app, instance)[-1] == "SetMoved"


def test_A6_7_moving_the_first_set_down_keeps_every_set_start(app, instance):
    ids = build(app, instance, [["A", "B"], ["C"]])

    app.move_set(instance, ids["A"], "down")

    assert [(e.name, e.continues_set, e.set_index) for e in app.tune_log(instance)] == [
        ("C", False, 0), ("A", False, 1), ("B", True, 1),
    ]  # fmt: skip


def test_A6_7_a_direction_other_than_up_or_down_is_invalid_parameters(app, instance):
    ids = build(app, instance, [["A"], ["B"]])

    with pytest.raises(InvalidInputError) as refused:
        app.move_set(instance, ids["A"], "left")

    assert refused.value.message == "Invalid parameters"


# -- bulk replace, details, the view ------------------------------------------------------------------------------


def test_A6_8_bulk_replace_makes_the_log_exactly_the_given_sets(app, instance):
    build(app, instance, [["A", "B"]])

    outcome = app.replace_tunes(instance, [[TuneSpec(name="C"), TuneSpec(tune_id=7)], [], [TuneSpec()]])

    assert [(e.name, e.tune_id, e.order_number, e.continues_set, e.set_index) for e in app.tune_log(instance)] == [
        ("C", None, 1000, False, 0), (None, 7, 2000, True, 0), ("Unknown tune", None, 3000, False, 1),
    ]  # fmt: skip
    assert outcome.modifications == 3  # two positions differ, one more entry


def test_A6_details_update_changes_only_the_given_fields(app, instance):
    ids = build(app, instance, [["A"]])

    app.update_tune(instance, ids["A"], {"key_override": " Amixolydian ", "setting_override": 12345})
    app.update_tune(instance, ids["A"], {"tune_id": 27, "played_timestamp": utc(2025, 6, 13, 2, 15)})

    (entry,) = app.tune_log(instance)
    assert (entry.name, entry.key_override, entry.setting_override) == ("A", "Amixolydian", 12345)
    assert (entry.tune_id, entry.played_timestamp) == (27, utc(2025, 6, 13, 2, 15))


def test_MU34_a_blank_key_override_becomes_null(app, instance):
    entry_id = app.add_tune(instance, name="A", key_override="D").entry_id

    app.update_tune(instance, entry_id, {"key_override": "  "})

    assert app.tune_log(instance)[0].key_override is None


def test_A6_a_details_update_cannot_leave_an_entry_without_identity(app, instance):
    ids = build(app, instance, [["A"]])

    with pytest.raises(InvalidInputError) as refused:
        app.update_tune(instance, ids["A"], {"name": ""})

    assert refused.value.code == "tune.identity_required"


def test_A6_a_details_update_of_an_entry_not_in_the_instance_has_the_spec_message(app, instance):
    with pytest.raises(TuneNotFoundError) as missing:
        app.update_tune(instance, uuid4(), {"name": "A"})

    assert missing.value.message == "Tune not found in this session instance"


@pytest.mark.parametrize(("raw", "parsed"), [("", None), ("null", None), (None, None), ("42", 42), (7, 7)])
def test_A6_setting_override_accepts_integers_and_empty_values(raw, parsed):
    assert parse_setting_override(raw) == parsed


@pytest.mark.parametrize("raw", ["abc", "1.5", True, 2.0])
def test_A6_setting_override_that_is_no_integer_is_refused_with_the_spec_message(raw):
    with pytest.raises(InvalidInputError) as refused:
        parse_setting_override(raw)

    assert (refused.value.message, refused.value.code) == (
        "Invalid setting_override value",
        "tune.setting_override.invalid",
    )


def test_MU33_set_index_counts_sets_from_zero(app, instance):
    build(app, instance, [["A", "B"], ["C"], ["D", "E", "F"]])

    assert [e.set_index for e in app.tune_log(instance)] == [0, 0, 1, 2, 2, 2]


# -- offline phones (MU-30, MU-31) --------------------------------------------------------------------------------


def test_MU30_a_late_add_after_an_entry_lands_next_to_it_despite_adds_elsewhere(app, instance):
    ids = build(app, instance, [["A", "B"]])
    # Meanwhile, online: a tune added at the end and one before B.
    app.add_tune(instance, name="Z")
    app.add_tune(instance, name="Y", position=Before(ids["B"]), continues_set=True)

    # The phone's queue, written when the log was [A B]: "X after A, same set".
    app.add_tune(instance, name="X", position=After(ids["A"]), continues_set=True)

    assert sets_of(app, instance) == [["A", "X", "Y", "B"], ["Z"]]


def test_MU30_a_replayed_queue_that_refers_to_its_own_new_entries_keeps_its_order(app, instance):
    ids = build(app, instance, [["A"], ["B"]])
    x, y = uuid4(), uuid4()
    app.add_tune(instance, name="Online", position=After(ids["A"]), continues_set=True)

    app.add_tune(instance, name="X", position=After(ids["A"]), continues_set=True, entry_id=x)
    app.add_tune(instance, name="Y", position=After(x), continues_set=True, entry_id=y)
    app.add_tune(instance, name="X", position=After(ids["A"]), continues_set=True, entry_id=x)  # replayed twice

    assert sets_of(app, instance) == [["A", "X", "Y", "Online"], ["B"]]


def test_MU31_after_a_removed_entry_lands_where_it_was(app, instance):
    ids = build(app, instance, [["A", "B", "C"]])
    app.remove_tune(instance, ids["B"])

    app.add_tune(instance, name="X", position=After(ids["B"]), continues_set=True)

    assert sets_of(app, instance) == [["A", "X", "C"]]


def test_MU31_before_a_removed_entry_lands_at_the_same_place(app, instance):
    ids = build(app, instance, [["A", "B", "C"]])
    app.remove_tune(instance, ids["B"])

    app.add_tune(instance, name="X", position=Before(ids["B"]), continues_set=True)

    assert sets_of(app, instance) == [["A", "X", "C"]]


def test_MU31_a_chain_of_removed_entries_resolves_to_the_nearest_earlier_live_one(app, instance):
    ids = build(app, instance, [["A", "B", "C", "D"]])
    app.remove_tune(instance, ids["C"])
    app.remove_tune(instance, ids["B"])

    app.add_tune(instance, name="X", position=After(ids["C"]), continues_set=True)

    assert sets_of(app, instance) == [["A", "X", "D"]]


def test_MU31_after_a_removed_first_entry_lands_at_the_head(app, instance):
    ids = build(app, instance, [["A", "B"]])
    app.remove_tune(instance, ids["A"])

    app.add_tune(instance, name="X", position=After(ids["A"]), continues_set=True)

    assert [(e.name, e.continues_set) for e in app.tune_log(instance)] == [("X", False), ("B", False)]


def test_MU31_a_removed_entry_keeps_its_place_through_renumbering_and_set_moves(app, instance):
    ids = build(app, instance, [["A", "B", "C"], ["D"]])
    app.remove_tune(instance, ids["B"])
    app.move_set(instance, ids["D"], "up")

    app.add_tune(instance, name="X", position=After(ids["B"]), continues_set=True)

    assert sets_of(app, instance) == [["D"], ["A", "X", "C"]]


def test_MU31_an_entry_dropped_by_a_bulk_replace_resolves_to_the_end(app, instance):
    ids = build(app, instance, [["A", "B"]])
    app.replace_tunes(instance, [[TuneSpec(name="C")], [TuneSpec(name="D")]])

    app.add_tune(instance, name="X", position=Before(ids["A"]), continues_set=True)

    assert sets_of(app, instance) == [["C"], ["D", "X"]]
