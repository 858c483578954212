"""inbound.tunelog.v1: one outcome per message, dead letters, idempotent by message_id, ordered per
instance, and an offline phone's queue replayed after concurrent edits landing where it was meant."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from domain.music.tunelog import After
from producers import topics
from producers.music.topics import INBOUND_TUNELOG
from tests.integration.music_kafka import Outcomes, TopicReader, publish, request
from tests.support.waiting import wait_for


@pytest.fixture
def music(container):
    return container.music


@pytest.fixture
def instance(music):
    session = music.create_session(name="Inbound", path=f"inbound-{uuid.uuid4().hex[:8]}", timezone="America/Chicago")
    return music.create_instance(session.id, date=date(2025, 11, 2), start_time="19:00", end_time="22:00").id


def names(music, instance_id) -> list[tuple[str | None, bool]]:
    return [(e.name, e.continues_set) for e in music.tune_log(instance_id)]


def test_an_offline_queue_replayed_after_concurrent_edits_lands_where_the_musician_meant(container, music, instance):
    kesh = music.add_tune(instance, name="The Kesh").entry_id
    ocean = music.add_tune(instance, name="Out on the Ocean", continues_set=True).entry_id
    banish = music.add_tune(instance, name="Banish Misfortune").entry_id
    # The phone saw [Kesh, Ocean] [Banish] and went offline.  Meanwhile, over HTTP:
    music.add_tune(instance, position=After(kesh), name="The Maid Behind the Bar", continues_set=True)
    music.add_tune(instance, name="Sally Gardens")
    music.remove_tune(instance, banish)
    # The phone's queue, with the entry ids it chose offline:
    spear, cooleys = uuid.uuid4(), uuid.uuid4()
    queue = [
        request(instance, "add", entry_id=str(spear), position={"after": str(ocean)}, name="The Silver Spear",
                continues_set=True),
        request(instance, "move", entry_id=str(spear), direction="left"),
        request(instance, "add", position={"after": str(banish)}, name="Tarbolton", continues_set=True),
        request(instance, "add", entry_id=str(cooleys), name="Cooley's"),
        request(instance, "add", position={"after": str(cooleys)}, name="Drowsy Maggie", continues_set=True),
        request(instance, "update", entry_id=str(spear), key_override="D"),
    ]  # fmt: skip
    outcomes = Outcomes(container)

    publish(container, *queue)
    publish(container, *queue)  # the phone did not hear back and sent its whole queue again

    answered = outcomes.of(*queue)
    assert [o["status"] for o in answered] == ["accepted"] * len(queue)
    assert [o["message_id"] for o in answered] == [m["message_id"] for m in queue]  # one each, in order
    assert answered[0]["entry_id"] == str(spear) and answered[0]["aggregate_id"] == str(instance)
    assert names(music, instance) == [
        ("The Kesh", False), ("The Maid Behind the Bar", True), ("The Silver Spear", True),
        ("Out on the Ocean", True), ("Tarbolton", True),  # where Banish was: after Ocean (MU-31)
        ("Sally Gardens", False), ("Cooley's", False), ("Drowsy Maggie", True),
    ]  # fmt: skip
    assert music.tune_log(instance)[2].key_override == "D"


def test_a_malformed_message_is_dead_lettered_and_the_next_one_is_processed(container, music, instance):
    dead = TopicReader(container, topics.dead_letter_topic(INBOUND_TUNELOG))
    outcomes = Outcomes(container)
    not_json = b'{"action": "add", "not json'
    no_entry = request(instance, "remove")  # remove needs entry_id
    unknown_action = request(instance, "shuffle")
    good = request(instance, "add", name="The Kesh")

    publish(container, not_json, key=b"bad-1")
    publish(container, no_entry, unknown_action, key=b"bad-2")
    publish(container, good)

    assert outcomes.of(good)[0]["status"] == "accepted"
    letters = wait_for(lambda: (r := [x for x in dead.read() if x.key in (b"bad-1", b"bad-2")]) and len(r) == 3 and r)
    (unparsed,) = [x for x in letters if x.key == b"bad-1"]
    invalid = [x for x in letters if x.key == b"bad-2"]  # one key, one partition: in the order sent
    assert unparsed.value == not_json
    assert [json.loads(x.value)["message_id"] for x in invalid] == [
        no_entry["message_id"],
        unknown_action["message_id"],
    ]
    headers = dict(invalid[0].headers)
    assert headers["dlt.origin.topic"] == topics.physical(INBOUND_TUNELOG, container.settings.topic_prefix).encode()
    assert headers["dlt.exception.class"] == b"ValidationError"
    assert b"requires entry_id" in headers["dlt.exception.message"]
    assert int(headers["dlt.origin.offset"]) >= 0 and "dlt.origin.partition" in headers
    assert names(music, instance) == [("The Kesh", False)]


def test_a_reused_message_id_with_another_body_is_rejected_and_changes_nothing(container, music, instance):
    outcomes = Outcomes(container)
    first = request(instance, "add", name="The Kesh")
    reused = {**first, "name": "Out on the Ocean"}
    spacing = json.dumps(dict(reversed(list(first.items())))).encode()  # the same body, other key order

    publish(container, first)
    publish(container, reused)
    publish(container, spacing, key=str(instance).encode())
    marker = request(instance, "add", name="Marker")
    publish(container, marker)

    outcomes.of(marker)
    mine = [o for o in outcomes.reader.records if json.loads(o.value)["message_id"] == first["message_id"]]
    assert [json.loads(o.value)["status"] for o in mine] == ["accepted", "rejected"]
    assert json.loads(mine[1].value)["code"] == "inbound.message_id_reused"
    assert names(music, instance) == [("The Kesh", False), ("Marker", False)]


def test_a_refused_command_is_a_rejected_outcome_with_the_spec_message(container, music, instance):
    first = music.add_tune(instance, name="The Kesh").entry_id
    outcomes = Outcomes(container)
    left = request(instance, "move", entry_id=str(first), direction="left")
    sideways = request(instance, "move_set", entry_id=str(first), direction="sideways")
    elsewhere = request(uuid.uuid4(), "add", name="Nowhere")
    unknown = request(instance, "remove", entry_id=str(uuid.uuid4()))
    bad_setting = request(instance, "update", entry_id=str(first), setting_override="abc")

    publish(container, left, sideways, unknown, bad_setting)
    publish(container, elsewhere)

    by_id = {o["message_id"]: o for o in outcomes.of(left, sideways, elsewhere, unknown, bad_setting)}
    expected = {
        left["message_id"]: ("tune.move.first_tune_left", "Cannot move first tune left"),
        sideways["message_id"]: ("tune.invalid_parameters", "Invalid parameters"),
        elsewhere["message_id"]: ("instance.not_found", "Session instance not found"),
        unknown["message_id"]: ("tune.not_found", "Tune not found"),
        bad_setting["message_id"]: ("tune.setting_override.invalid", "Invalid setting_override value"),
    }
    assert {k: (o["status"], o["code"], o["detail"]) for k, o in by_id.items()} == {
        k: ("rejected", *v) for k, v in expected.items()
    }
    assert names(music, instance) == [("The Kesh", False)]


def test_a_bulk_replace_from_the_queue_sets_the_whole_log(container, music, instance):
    music.add_tune(instance, name="Gone")
    outcomes = Outcomes(container)
    replace = request(instance, "replace", sets=[[{"name": "The Kesh"}, {"tune_id": 55}], [{}]])

    publish(container, replace)

    assert outcomes.of(replace)[0]["status"] == "accepted"
    assert [(e.tune_id, e.name, e.set_index) for e in music.tune_log(instance)] == [
        (None, "The Kesh", 0),
        (55, None, 0),
        (None, "Unknown tune", 1),
    ]
