"""inbound.presence.v1 over the real broker: out-of-order, duplicated, reused and malformed webhooks,
one outcome per message, dead letters, per-room order, and the attendance report equal to a rebuild."""

from __future__ import annotations

import json
import uuid

from infra.rebuild import verify
from producers import topics
from producers.classroom import topics as classroom_topics
from projections.catalogue import PROJECTIONS
from tests.integration.classroom_support import (
    TopicReader,
    as_record,
    members_settled,
    minute,
    new_lesson,
    outcomes_of,
    outcomes_reader,
    publish,
    report,
    webhook,
)
from tests.support.waiting import wait_for

CLASSROOM_READ_MODELS = ("classroom_memberships", "live_sessions", "classroom_attendance")


def test_out_of_order_duplicated_reused_and_malformed_webhooks_give_the_in_order_attendance(container):
    app = container.classroom
    lesson = new_lesson(app, students=4)
    a, b, c, d = lesson.students
    room = lesson.session_id
    outcomes = outcomes_reader(container)
    dlt = TopicReader(container, topics.dead_letter_topic(classroom_topics.INBOUND_PRESENCE))
    a_left_first = webhook("participant_left", room, minute(10), a)  # before its join (CL-1, CL-6)
    a_joined = webhook("participant_joined", room, minute(0), a)  # starts the session at minute 0 (B.2.4)
    b_joined = webhook("participant_joined", room, minute(1), b)
    b_left = webhook("participant_left", room, minute(31), b)
    b_rejoined = webhook("participant_joined", room, minute(40), b)
    outsider = webhook("participant_joined", room, minute(2), uuid.uuid4())
    reused = dict(b_left, at="2031-03-01T18:33:00Z")  # the id of b_left, another body
    finished = webhook("room_finished", room, minute(60))
    b_late_leave = webhook("participant_left", room, minute(50), b)  # after room_finished (CL-4)
    malformed = [
        (str(room).encode(), b'{"event": "participant_joined", not json'),
        (str(room).encode(), json.dumps(webhook("participant_waved", room, minute(3), c)).encode()),
        (str(room).encode(), json.dumps(webhook("participant_joined", room, minute(3))).encode()),
    ]
    publish(container, [
        as_record(a_left_first), as_record(a_joined), as_record(b_joined), as_record(b_joined), malformed[0],
        as_record(b_left), malformed[1], as_record(b_rejoined), as_record(outsider), malformed[2], as_record(reused),
        as_record(finished), as_record(b_late_leave),
    ])  # fmt: skip

    sent = [a_left_first, a_joined, b_joined, b_left, b_rejoined, outsider, finished, b_late_leave]
    got = outcomes_of(outcomes, {w["message_id"] for w in sent})
    by_id: dict[str, list[dict]] = {}
    for outcome in got:
        by_id.setdefault(outcome["message_id"], []).append(outcome)
    assert len(by_id[b_joined["message_id"]]) == 1  # the duplicate has the effect of one, and one outcome
    assert [o["status"] for o in by_id[b_left["message_id"]]] == ["accepted", "rejected"]
    assert by_id[b_left["message_id"]][1]["code"] == "inbound.message_id_reused"
    assert by_id[outsider["message_id"]] == [{
        "message_id": outsider["message_id"], "status": "rejected", "code": "live_session.not_found",
        "detail": f"Live session {room} not found.", "aggregate_id": str(room),
        "version": by_id[outsider["message_id"]][0]["version"],
    }]  # fmt: skip
    for w in (a_left_first, a_joined, b_joined, b_rejoined, finished, b_late_leave):
        [outcome] = by_id[w["message_id"]]
        assert (outcome["status"], outcome["aggregate_id"]) == ("accepted", str(room)), outcome

    def my_letters() -> list | None:
        mine = [r for r in dlt.read() if r.key == str(room).encode()]
        return mine if len(mine) >= 3 else None

    letters = wait_for(my_letters)
    assert sorted(r.value for r in letters) == sorted(v for _, v in malformed)
    headers = dict(letters[0].headers)
    assert (
        headers["dlt.origin.topic"]
        == topics.physical(classroom_topics.INBOUND_PRESENCE, container.settings.topic_prefix).encode()
    )
    assert headers["dlt.exception.class"] == b"ValidationError" and headers["origin"] == b"video-platform"

    last = by_id[b_late_leave["message_id"]][0]["version"]
    members_settled(container, lesson.classroom_id, 5)
    shown = report(container, room, last)
    rows = {r["student_id"]: r for r in shown["rows"]}
    assert (rows[a]["status"], rows[a]["joined_at"], rows[a]["left_at"], rows[a]["duration_minutes"]) == (
        "attended",
        minute(0),
        minute(10),
        10,
    )
    assert (rows[b]["status"], rows[b]["joined_at"], rows[b]["left_at"], rows[b]["duration_minutes"]) == (
        "attended",
        minute(1),
        minute(50),
        40,
    )  # 1-31 and 40-50: the late leave re-cut the closed segment
    assert rows[c]["status"] == rows[d]["status"] == "absent"
    assert (shown["status"], shown["total_enrolled"], shown["total_attended"]) == ("completed", 4, 2)
    decided = app.attendance_report(room, lesson.teacher).attendance  # the write side's own view
    assert [(r.student_id, r.status, r.joined_at, r.left_at, r.duration_minutes) for r in decided] == [
        (r["student_id"], r["status"], r["joined_at"], r["left_at"], r["duration_minutes"]) for r in shown["rows"]
    ]
    for name in CLASSROOM_READ_MODELS:
        assert verify(app, container.pool, PROJECTIONS[name], settle_seconds=10) == [], name


def test_each_rooms_webhooks_keep_their_order_when_rooms_interleave(container):
    app = container.classroom
    first, second = new_lesson(app, students=2), new_lesson(app, students=2)
    outcomes = outcomes_reader(container)
    items = []
    for n in range(0, 40, 10):
        for lesson in (first, second):
            for student in lesson.students:
                items += [webhook("participant_joined", lesson.session_id, minute(n), student),
                          webhook("participant_left", lesson.session_id, minute(n + 5), student)]  # fmt: skip
    publish(container, [as_record(w) for w in items])
    got = outcomes_of(outcomes, {w["message_id"] for w in items})
    assert all(o["status"] == "accepted" for o in got) and len(got) == len(items)
    for lesson in (first, second):
        versions = [o["version"] for o in got if o["aggregate_id"] == str(lesson.session_id)]
        shown = report(container, lesson.session_id, max(versions))
        assert [(r["status"], r["duration_minutes"], r["left_at"]) for r in shown["rows"]] == [
            ("attended", 20, minute(35))] * 2  # fmt: skip


def test_a_webhook_for_an_unknown_room_is_a_rejected_outcome_not_a_dead_letter(container):
    outcomes = outcomes_reader(container)
    room = uuid.uuid4()
    lost = webhook("participant_joined", room, minute(0), uuid.uuid4())
    publish(container, [as_record(lost)])
    [outcome] = outcomes_of(outcomes, {lost["message_id"]})
    assert (outcome["status"], outcome["code"], outcome["aggregate_id"]) == (
        "rejected",
        "live_session.not_found",
        str(room),
    )
