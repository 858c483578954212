"""The classroom API over HTTP (``api/classroom.md``): codes and statuses of every rule family, the
read models behind the GETs, and the route order of ``/live-sessions/upcoming``."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.e2e.classroom_helpers import LESSON_AT, iso, minute, new_room, ok, problem, wait_until_served


@pytest.fixture(scope="module", autouse=True)
def served(base_url):
    import httpx

    from tests.support.service import WRITE_TOKEN

    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {WRITE_TOKEN}"}, timeout=20) as client:
        wait_until_served(client)


def test_a_scheduled_lesson_shows_its_reminders_and_the_password_to_its_teacher_and_members(http, reader):
    room = new_room(http)
    created = room.schedule(reminders=[30, 60], meeting_url="https://meet.example/x", meeting_password="s3cret")
    sid = created["id"]
    params = {"min_version": created["version"], "actor_id": room.teacher}
    view = ok(reader.get(f"/live-sessions/{sid}", params=params))
    assert view["status"] == "scheduled" and view["scheduled_at"] == iso(LESSON_AT)
    assert view["meeting_password"] == "s3cret" and view["meeting_url"] == "https://meet.example/x"
    assert view["reminders"] == [
        {"minutes": 30, "due_at": minute(-30), "sent_at": None},
        {"minutes": 60, "due_at": minute(-60), "sent_at": None},
    ]
    assert (
        ok(reader.get(f"/live-sessions/{sid}", params={"actor_id": room.students[0]}))["meeting_password"] == "s3cret"
    )
    assert ok(reader.get(f"/live-sessions/{sid}"))["meeting_password"] is None
    problem(reader.get(f"/live-sessions/{sid}", params={"actor_id": str(uuid4())}), 404, "live_session.not_found")
    problem(reader.get(f"/live-sessions/{uuid4()}", params={"min_version": 1}), 404, "live_session.not_found")


def test_B3_1_only_the_classrooms_teacher_schedules_its_sessions(http):
    room = new_room(http)
    refused = problem(
        http.post(
            f"/classrooms/{room.id}/live-sessions",
            json={"actor_id": room.students[0], "title": "x", "scheduled_at": iso(LESSON_AT)},
        ),
        403,
        "live_session.teacher_required",
    )
    assert refused["detail"] == "Only teachers can create sessions. Apply to become a teacher first."
    assert refused["error"] == refused["detail"]
    problem(
        http.post(
            f"/classrooms/{uuid4()}/live-sessions",
            json={"actor_id": room.teacher, "title": "x", "scheduled_at": iso(LESSON_AT)},
        ),
        404,
        "classroom.not_found",
    )


def test_B1_field_rules_answer_422_with_their_codes_and_duplicates_409(http):
    room = new_room(http, students=0)
    base = {"actor_id": room.teacher, "title": "x", "scheduled_at": iso(LESSON_AT)}
    url = f"/classrooms/{room.id}/live-sessions"
    assert (
        problem(http.post(url, json={**base, "duration_minutes": 0}), 422, "live_session.duration.invalid")["field"]
        == "duration_minutes"
    )
    problem(http.post(url, json={**base, "reminders": [0]}), 422, "reminder.minutes.invalid")
    problem(http.post(url, json={**base, "reminders": [30, 30]}), 409, "reminder.duplicate")
    problem(http.post(url, json={**base, "status": "live"}), 422, "live_session.status.read_only")
    problem(http.post(url, json={**base, "session_type": "webinar"}), 422, "live_session.session_type.invalid")
    problem(http.post(url, json={**base, "timezone": "Mars/Olympus"}), 422, "validation.invalid")
    problem(http.post(url, json={**base, "title": "t" * 201}), 422, "live_session.title.too_long")
    problem(http.post(url, json={**base, "scheduled_at": "tomorrow"}), 422, "validation.invalid")
    sid = room.schedule(reminders=[30])["id"]
    problem(
        http.post(f"/live-sessions/{sid}/reminders", json={"actor_id": room.teacher, "minutes": 30}),
        409,
        "reminder.duplicate",
    )
    problem(
        http.post(f"/live-sessions/{sid}/reminders", json={"actor_id": room.teacher, "minutes": 0}),
        422,
        "reminder.minutes.invalid",
    )
    added = ok(http.post(f"/live-sessions/{sid}/reminders", json={"actor_id": room.teacher, "minutes": 1440}), 201)
    assert added["version"] == 3


def test_CL24_a_repeated_create_with_the_same_id_is_idempotent_and_another_body_is_409(http):
    room = new_room(http, students=0)
    chosen = str(uuid4())
    first = room.schedule(id=chosen)
    again = http.post(
        f"/classrooms/{room.id}/live-sessions",
        json={"id": chosen, "actor_id": room.teacher, "title": "Modal verbs", "scheduled_at": iso(LESSON_AT)},
    )
    assert ok(again) == first
    problem(
        http.post(
            f"/classrooms/{room.id}/live-sessions",
            json={"id": chosen, "actor_id": room.teacher, "title": "Other", "scheduled_at": iso(LESSON_AT)},
        ),
        409,
        "conflict.id_reused",
    )
    classroom = str(uuid4())
    body = {"id": classroom, "name": "C", "teacher_id": room.teacher}
    assert ok(http.post("/classrooms", json=body), 201)["id"] == classroom
    assert ok(http.post("/classrooms", json=body), 200)["id"] == classroom


def test_B2_the_state_machine_over_http_with_owner_only_transitions(http):
    room = new_room(http)
    sid = room.schedule()["id"]
    a = room.students[0]
    assert problem(room.act(sid, "start", a), 403, "live_session.owner_only")["detail"] == (
        "Only the teacher can manage this session."
    )
    problem(room.act(sid, "start", str(uuid4())), 404, "live_session.not_found")
    refused = problem(room.act(sid, "end", room.teacher), 409, "session.invalid_transition")
    assert (refused["from"], refused["to"]) == ("scheduled", "completed")
    assert (
        problem(room.act(sid, "join", a, minute(1)), 409, "attendance.session_not_live")["detail"]
        == "The session is not live."
    )
    started = ok(room.act(sid, "start", room.teacher, minute(0)))
    assert started["status"] == "live" and started["id"] == sid
    again = problem(room.act(sid, "start", room.teacher), 409, "session.invalid_transition")
    assert (again["from"], again["to"]) == ("live", "live")
    problem(room.act(sid, "cancel", room.teacher), 409, "session.invalid_transition")
    ended = ok(room.act(sid, "end", room.teacher, minute(60)))
    assert ended["status"] == "completed"
    problem(room.act(sid, "start", room.teacher), 409, "session.invalid_transition")
    other = room.schedule()["id"]
    assert ok(room.act(other, "cancel", room.teacher))["status"] == "cancelled"
    problem(room.act(other, "join", a), 409, "attendance.session_not_live")


def test_B4_attendance_over_http_join_leave_rejoin_absent_and_excused(http, reader):
    room = new_room(http, students=4)
    a, b, c, d = room.students
    sid = room.schedule()["id"]
    ok(http.post(f"/live-sessions/{sid}/register", json={"actor_id": d}))
    ok(room.act(sid, "start", room.teacher, minute(0)))
    ok(room.act(sid, "join", a, minute(1)))
    ok(room.act(sid, "join", a, minute(2)))  # B.4.4: a second join while connected changes nothing
    ok(room.act(sid, "leave", a, minute(11)))
    ok(room.act(sid, "leave", a, minute(12)))  # B.4.8: nothing open
    ok(room.act(sid, "join", a, minute(20)))
    ok(room.act(sid, "join", b, minute(5)))
    ok(http.post(f"/live-sessions/{sid}/attendance/{c}", json={"actor_id": room.teacher, "status": "excused"}))
    ended = ok(room.act(sid, "end", room.teacher, minute(50)))
    problem(http.post(f"/live-sessions/{sid}/attendance/{a}", json={"actor_id": room.teacher, "status": "excused"}),
            409, "attendance.already_attended")  # fmt: skip
    problem(http.post(f"/live-sessions/{sid}/attendance/{c}", json={"actor_id": room.teacher, "status": "absent"}),
            422, "attendance.status.invalid")  # fmt: skip
    excused_d = ok(http.post(f"/live-sessions/{sid}/attendance/{d}", json={"actor_id": room.teacher}))
    assert excused_d["version"] > ended["version"]  # B.4.13: after completion too

    room.settled()
    report = ok(reader.get(f"/live-sessions/{sid}/attendance",
                           params={"actor_id": room.teacher, "min_version": excused_d["version"]}))  # fmt: skip
    rows = {r["student_id"]: r for r in report["attendance"]}
    assert rows[a] == {"student_id": a, "status": "attended", "joined_at": minute(1), "left_at": minute(50),
                       "duration_minutes": 40, "connected": False}  # fmt: skip
    assert (rows[b]["status"], rows[b]["duration_minutes"], rows[b]["left_at"]) == ("attended", 45, minute(50))
    assert rows[c]["status"] == "excused" and rows[d]["status"] == "excused"
    assert [r["student_id"] for r in report["attendance"]] == sorted(rows)
    assert (report["total_enrolled"], report["total_attended"], report["session_title"]) == (4, 2, "Modal verbs")
    assert report["totals"] == {"enrolled": 4, "attended": 2, "absent": 0, "excused": 2, "registered": 0}
    denied = problem(
        reader.get(f"/live-sessions/{sid}/attendance", params={"actor_id": a}), 403, "attendance.teacher_only"
    )
    assert denied["detail"] == "Only the teacher can view attendance" == denied["error"]
    problem(
        reader.get(f"/live-sessions/{sid}/attendance", params={"actor_id": str(uuid4())}), 404, "live_session.not_found"
    )


def test_B4_10_completion_marks_the_active_members_without_a_record_absent(http, reader):
    room = new_room(http, students=2)
    a, b = room.students
    sid = room.schedule()["id"]
    ok(room.act(sid, "start", room.teacher, minute(0)))
    ok(room.act(sid, "join", a, minute(0)))
    ended = ok(room.act(sid, "end", room.teacher, minute(30)))
    report = ok(reader.get(f"/live-sessions/{sid}/attendance", params={"min_version": ended["version"]}))
    rows = {r["student_id"]: r for r in report["attendance"]}
    assert rows[b] == {"student_id": b, "status": "absent", "joined_at": None, "left_at": None,
                       "duration_minutes": 0, "connected": False}  # fmt: skip
    assert rows[a]["duration_minutes"] == 30 and report["status"] == "completed"


def test_CL17_before_completion_active_members_without_a_record_have_no_status(http, reader):
    room = new_room(http, students=2)
    created = room.schedule()
    room.settled()
    report = ok(reader.get(f"/live-sessions/{created['id']}/attendance", params={"min_version": created["version"]}))
    assert [r["status"] for r in report["attendance"]] == [None, None]
    assert (report["total_enrolled"], report["total_attended"]) == (2, 0)


def test_B2_7_patch_reschedules_only_while_scheduled_and_refuses_status_and_unknown_fields(http, reader):
    room = new_room(http)
    sid = room.schedule(reminders=[30])["id"]
    later = minute(60)
    changes = {"actor_id": room.teacher, "scheduled_at": later, "title": "Modal verbs II", "reminders": [30, 60]}
    patched = ok(http.patch(f"/live-sessions/{sid}", json=changes))
    view = ok(reader.get(f"/live-sessions/{sid}", params={"min_version": patched["version"]}))
    assert view["scheduled_at"] == later and view["title"] == "Modal verbs II"
    assert [(r["minutes"], r["due_at"]) for r in view["reminders"]] == [(30, minute(30)), (60, minute(0))]
    problem(http.patch(f"/live-sessions/{sid}", json={"actor_id": room.teacher, "status": "live"}), 422,
            "live_session.status.read_only")  # fmt: skip
    problem(http.patch(f"/live-sessions/{sid}", json={"actor_id": room.teacher, "colour": "red"}), 422,
            "live_session.field.unknown")  # fmt: skip
    problem(http.patch(f"/live-sessions/{sid}", json={"actor_id": room.students[0], "title": "x"}), 403,
            "live_session.owner_only")  # fmt: skip
    ok(room.act(sid, "start", room.teacher))
    moved = problem(http.patch(f"/live-sessions/{sid}", json={"actor_id": room.teacher, "scheduled_at": minute(90)}),
                    409, "session.invalid_transition")  # fmt: skip
    assert (moved["from"], moved["to"]) == ("live", "scheduled")


def test_CL13_a_reminder_is_removed_while_unsent_and_an_unknown_one_is_404(http, reader):
    room = new_room(http, students=0)
    sid = room.schedule(reminders=[30, 60])["id"]
    problem(
        http.delete(f"/live-sessions/{sid}/reminders/15", params={"actor_id": room.teacher}), 404, "reminder.not_found"
    )
    problem(http.delete(f"/live-sessions/{sid}/reminders/30"), 422, "validation.invalid")
    removed = ok(http.delete(f"/live-sessions/{sid}/reminders/30", params={"actor_id": room.teacher}))
    view = ok(reader.get(f"/live-sessions/{sid}", params={"min_version": removed["version"]}))
    assert [r["minutes"] for r in view["reminders"]] == [60]


def test_CL14_memberships_over_http_a_removed_student_no_longer_sees_the_session(http, reader):
    room = new_room(http, students=2)
    a, b = room.students
    sid = room.schedule(meeting_password="pw")["id"]
    assert ok(reader.get(f"/live-sessions/{sid}", params={"actor_id": a}))["meeting_password"] == "pw"
    paused = ok(http.patch(f"/classrooms/{room.id}/members/{a}", json={"status": "paused"}))
    problem(reader.get(f"/live-sessions/{sid}", params={"actor_id": a}), 404, "live_session.not_found")
    ok(http.delete(f"/classrooms/{room.id}/members/{b}"))
    problem(http.post(f"/classrooms/{room.id}/members", json={"student_id": str(uuid4()), "status": "paused"}), 422,
            "classroom.member.status_invalid")  # fmt: skip
    problem(http.patch(f"/classrooms/{room.id}/members/{uuid4()}", json={"status": "active"}), 404,
            "classroom.member.not_found")  # fmt: skip
    classroom = ok(reader.get(f"/classrooms/{room.id}", params={"min_version": paused["version"] + 1}))
    assert {m["student_id"]: m["status"] for m in classroom["members"]} == {a: "paused", b: "removed"}
    problem(reader.get(f"/classrooms/{uuid4()}"), 404, "classroom.not_found")


def test_B6_1_upcoming_lists_the_actors_scheduled_sessions_soonest_first_at_most_ten(http, reader):
    room = new_room(http, students=1)
    student = room.students[0]
    other = new_room(http, students=0)
    made = [room.schedule(title=f"s{i}", scheduled_at=minute(10 * (i % 6)))["id"] for i in range(12)]
    foreign = other.schedule(scheduled_at=minute(0))
    started = ok(room.act(made[0], "start", room.teacher))
    ok(reader.get(f"/live-sessions/{made[0]}", params={"min_version": started["version"]}))
    for sid in made[1:]:
        ok(reader.get(f"/live-sessions/{sid}", params={"min_version": 1}))
    ok(reader.get(f"/live-sessions/{foreign['id']}", params={"min_version": 1}))
    room.settled()
    at = minute(0)
    for actor in (room.teacher, student):
        listed = ok(reader.get("/live-sessions/upcoming", params={"actor_id": actor, "at": at}))
        expected = sorted(((minute(10 * (i % 6)), sid) for i, sid in enumerate(made) if i != 0))[:10]
        assert [(s["scheduled_at"], s["id"]) for s in listed] == expected
        assert all(s["meeting_password"] is None for s in listed)
    later = ok(reader.get("/live-sessions/upcoming", params={"actor_id": student, "at": minute(50)}))
    assert [s["scheduled_at"] for s in later] == [minute(50), minute(50)]  # inclusive
    assert ok(reader.get("/live-sessions/upcoming", params={"actor_id": str(uuid4())})) == []
    problem(reader.get("/live-sessions/upcoming"), 422, "validation.invalid")


def test_a_read_token_may_read_but_not_command(reader):
    problem(reader.post("/classrooms", json={"name": "x", "teacher_id": str(uuid4())}), 403, "auth.forbidden")
