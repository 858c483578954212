"""The classroom demo runs against the session's service and ends with the report it promises."""

from __future__ import annotations

from infra.cli.demo_classroom import run
from tests.support.service import WRITE_TOKEN


def test_the_classroom_demo_ends_with_one_absent_and_one_excused_student(base_url, container):
    report = run(base_url, WRITE_TOKEN, container.endpoints, container.settings.topic_prefix)
    statuses = sorted(r["status"] for r in report["attendance"])
    assert statuses == ["absent", "attended", "attended", "excused"]
    minutes = sorted(r["duration_minutes"] for r in report["attendance"] if r["status"] == "attended")
    assert minutes == [48, 50]  # Ada 0-50; Ben 2-20 and 25-55 (the room finishing closes his segment)
    assert (report["status"], report["total_enrolled"], report["total_attended"]) == ("completed", 4, 2)
