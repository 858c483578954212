"""The HTTP API of the rest of event sessions: catalogues, the wizard, mail schedulers, due notifications,
attendance and the calendar file."""

from __future__ import annotations

import uuid

import httpx

from tests.support.http import assert_problem
from tests.support.waiting import wait_for


def _event(http: httpx.Client, **overrides) -> dict:
    body = {"name": "Wizard event", "date_tz": "Europe/Brussels", "use_sessions": True, **overrides}
    answer = http.post("/events", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_timeslots_are_seeded_created_from_text_and_unique(http, reader):
    names = [t["name"] for t in reader.get("/timeslots").json()]
    assert names[:3] == ["10:00", "11:00", "12:00"] and "22:00" in names
    made = http.post("/timeslots", json={"time": "23:30"})
    assert made.status_code == 201 and made.json()["time"] == 23.5 and made.json()["name"] == "23:30"
    duplicate = assert_problem(http.post("/timeslots", json={"time": "23:30"}), 409)
    assert duplicate["detail"] == "The timeslot has to be unique"
    malformed = assert_problem(http.post("/timeslots", json={"time": "25:30"}), 422)
    assert malformed["detail"].startswith("The timeslot has to be defined in HH:MM format")
    assert malformed["field"] == "time"
    out_of_range = assert_problem(http.post("/timeslots", json={"time": 24.5}), 422)
    assert out_of_range["detail"].startswith("Time has to be between 0:00 and 23:59")
    assert http.delete(f"/timeslots/{made.json()['id']}").status_code == 204
    assert "23:30" not in [t["name"] for t in reader.get("/timeslots").json()]


def test_an_event_type_gives_its_defaults_and_explicit_values_win(http):
    kind = http.post(
        "/event-types",
        json={
            "name": "Training",
            "use_sessions": True,
            "has_seats_limitation": True,
            "seats_max": 12,
            "auto_confirm": True,
            "default_timezone": "Europe/Paris",
            "mail_schedulers": [
                {"interval_type": "after_event", "interval_unit": "days", "interval_nbr": 2, "template": "Thanks"}
            ],
        },
    )
    assert kind.status_code == 201, kind.text
    typed = http.post(
        "/events",
        json={
            "name": "Typed",
            "event_type_id": kind.json()["id"],
            "seats_max": 5,
            "date_begin": "2030-01-01 09:00:00",
            "date_end": "2030-01-02 09:00:00",
        },
    )
    assert typed.status_code == 201, typed.text
    answer = http.get(
        f"/events/{typed.json()['id']}", params={"min_version": typed.json()["version"], "wait_ms": 10000}
    )
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert (
        shown["use_sessions"],
        shown["seats_limited"],
        shown["seats_max"],
        shown["auto_confirm"],
        shown["date_tz"],
    ) == (True, True, 5, True, "Europe/Paris")
    templates = wait_for(lambda: http.get(f"/events/{typed.json()['id']}/mail-schedulers").json())
    assert [(t["interval_type"], t["template"], t["scheduled_date"]) for t in templates] == [
        ("after_event", "Thanks", None)
    ]
    problem = assert_problem(
        http.post("/events", json={"name": "x", "event_type_id": str(uuid.uuid4()), "use_sessions": True}), 422
    )
    assert problem["field"] == "event_type_id"


def test_the_wizard_makes_weekly_sessions_in_the_event_zone_across_a_dst_change(http):
    event = _event(http)
    answer = http.post(
        f"/events/{event['id']}/sessions/generate",
        json={
            "rrule_type": "weekly",
            "interval": 2,
            "weekdays": ["mon", "sun"],
            "start": "2022-03-20",
            "until": "2022-04-04",
            "timeslots": ["16:00"],
            "duration": 1.5,
        },
    )
    assert answer.status_code == 201, answer.text
    sessions = answer.json()["sessions"]
    # Weeks start on Sunday: 03-20, 03-21, then two weeks later 04-03, 04-04; Brussels moves to CEST on 03-27.
    assert [(s["date_begin"], s["date_end"]) for s in sessions] == [
        ("2022-03-20T15:00:00Z", "2022-03-20T16:30:00Z"),
        ("2022-03-21T15:00:00Z", "2022-03-21T16:30:00Z"),
        ("2022-04-03T14:00:00Z", "2022-04-03T15:30:00Z"),
        ("2022-04-04T14:00:00Z", "2022-04-04T15:30:00Z"),
    ]
    listed = wait_for(lambda: (r := http.get(f"/events/{event['id']}/sessions").json()) and len(r) == 4 and r)
    assert [s["id"] for s in listed] == [s["id"] for s in sessions]
    # Defaults: start = the UTC date of the event's end + 1 day, duration = the latest session's.
    again = http.post(
        f"/events/{event['id']}/sessions/generate",
        json={
            "rrule_type": "monthly",
            "month_by": "day",
            "byday": -1,
            "weekday": "fri",
            "until": "2022-06-30",
            "timeslots": ["09:30"],
        },
    )
    assert again.status_code == 201, again.text
    assert [s["date_begin"] for s in again.json()["sessions"]] == [
        "2022-04-29T07:30:00Z",
        "2022-05-27T07:30:00Z",
        "2022-06-24T07:30:00Z",
    ]
    assert again.json()["sessions"][0]["date_end"] == "2022-04-29T09:00:00Z"


def test_the_wizard_refuses_bad_input_with_the_spec_messages(http):
    event = _event(http)
    weekly = {"rrule_type": "weekly", "until": "2030-01-31", "start": "2030-01-01", "timeslots": ["10:00"]}

    def detail(body: dict) -> str:
        return assert_problem(http.post(f"/events/{event['id']}/sessions/generate", json=body), 422)["detail"]

    # Messages are matched by prefix: the problem's detail names the field after them.
    assert detail({**weekly, "duration": 1}).startswith("You have to choose at least one day in the week")
    assert detail({**weekly, "weekdays": ["mon"]}).startswith("Duration is required.")
    assert detail({**weekly, "weekdays": ["mon"], "duration": 1, "interval": 0}).startswith(
        "The interval cannot be negative."
    )
    assert wait_for(lambda: http.get(f"/events/{event['id']}").status_code == 200)
    assert http.get(f"/events/{event['id']}/sessions").json() == []


def test_mail_schedulers_copy_to_sessions_and_become_due_notifications(http, reader):
    event = _event(
        http,
        seats_limited=True,
        seats_max=5,
        auto_confirm=True,
        mail_schedulers=[
            {"interval_type": "before_event", "interval_unit": "hours", "interval_nbr": 2, "template": "Reminder"}
        ],
    )
    session = http.post(
        f"/events/{event['id']}/sessions",
        json={"date_begin": "2031-03-31T10:00:00Z", "date_end": "2031-03-31T12:00:00Z"},
    ).json()
    added = http.post(
        f"/events/{event['id']}/mail-schedulers",
        json={
            "interval_type": "before_event",
            "interval_unit": "months",
            "interval_nbr": 1,
            "template": "Save the date",
        },
    )
    assert added.status_code == 201, added.text
    person = http.post(
        "/registrations",
        json={"event_id": event["id"], "session_id": session["id"], "name": "Ada", "email": "ada@example.org"},
    ).json()
    copies = wait_for(
        lambda: (r := reader.get(f"/sessions/{session['id']}/mail-schedulers").json()) and len(r) == 2 and r
    )
    # Mar 31 - 1 month clamps to Feb 28 (§7.1).
    assert [(c["template"], c["scheduled_date"], c["mail_state"]) for c in copies] == [
        ("Save the date", "2031-02-28T10:00:00Z", "scheduled"),
        ("Reminder", "2031-03-31T08:00:00Z", "scheduled"),
    ]
    # Recipients come from the registrations read model, which may trail the mail one by a moment.
    wait_for(lambda: reader.get(f"/registrations/{person['id']}").status_code == 200)
    due = reader.get("/notifications/due", params={"at": "2031-03-01T00:00:00Z"}).json()
    mine = [d for d in due if d.get("event_id") == event["id"]]  # other contexts have no event_id
    assert [(d["template"], d["due_at"], d["subject_id"]) for d in mine] == [
        ("Save the date", "2031-02-28T10:00:00Z", session["id"])
    ]
    assert [r["email"] for r in mine[0]["recipients"]] == ["ada@example.org"]
    # Editing the template moves every copy at once; "sent" would stay sent.
    http.patch(f"/mail-schedulers/{added.json()['id']}", json={"interval_unit": "weeks"}).raise_for_status()
    moved = wait_for(
        lambda: [
            c
            for c in reader.get(f"/sessions/{session['id']}/mail-schedulers").json()
            if c["template"] == "Save the date" and c["scheduled_date"] == "2031-03-24T10:00:00Z"
        ]
    )
    assert moved[0]["interval_unit"] == "weeks"
    assert http.delete(f"/mail-schedulers/{added.json()['id']}").status_code == 204
    wait_for(lambda: len(reader.get(f"/sessions/{session['id']}/mail-schedulers").json()) == 1)
    attendance = reader.get(f"/sessions/{session['id']}/attendees").json()
    assert attendance["counts"] == {"draft": 0, "open": 1, "done": 0, "cancel": 0}
    assert attendance["attendees"]["open"][0]["id"] == person["id"]


def test_a_session_downloads_as_an_icalendar_file_in_utc(http):
    event = _event(http, name="Ical, event")
    session = http.post(
        f"/events/{event['id']}/sessions", json={"date_begin": "2017-05-26 20:00:00", "date_end": "2017-05-26 22:00:00"}
    ).json()
    answer = wait_for(lambda: (r := http.get(f"/sessions/{session['id']}/ics")).status_code == 200 and r)
    assert answer.headers["content-type"] == "application/octet-stream"
    assert "Ical%2C%20event.ics" in answer.headers["content-disposition"]
    body = answer.text
    assert body.startswith("BEGIN:VCALENDAR")
    assert "DTSTART:20170526T200000Z" in body and "DTEND:20170526T220000Z" in body
    assert "SUMMARY:Ical\\, event" in body


def test_the_time_filters_take_a_boolean_and_say_so_in_odoo_words(http):
    event = _event(http)
    wait_for(lambda: http.get(f"/events/{event['id']}").status_code == 200)
    assert http.get(f"/events/{event['id']}/sessions", params={"is_finished": "false"}).json() == []
    problem = assert_problem(http.get(f"/events/{event['id']}/sessions", params={"is_ongoing": "maybe"}), 422)
    assert problem["detail"].startswith("Value should be True or False (not maybe)")
    assert problem["field"] == "is_ongoing"
