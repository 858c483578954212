"""Schemathesis over the whole OpenAPI document, against the running service.

Schemathesis's own runner (its command line, in a child process) sends generated valid and invalid
requests to every operation with a write token, in all its phases (examples, coverage, fuzzing,
stateful along the document's links), under every built-in check: no 5xx, every status, header and
body as the document says, invalid data refused, valid data not refused for its shape.
``positive_data_acceptance`` also expects 422 for schema-valid data, because some rules cannot be written
in a schema (an end before its start, an unknown time zone, a session required because the event uses
sessions: ``api/conventions.md``).  It runs twice: the examples, coverage and fuzzing phases with path
ids pointing at real aggregates made first (so requests reach the commands instead of stopping at 404),
then the stateful phase alone, which follows the document's links from what it creates itself.

A ``min_version`` that was never written is answered 503 ``read_model.behind`` at once, as the
conventions say; those are counted apart, every other 5xx fails the test.

The fuzzer writes at random (timeslots into the one catalogue, mail schedulers that come due), so it
runs against a service and a database of its own, stopped afterwards.

The number of examples per operation is small in ``make test`` and large in ``make fuzz``
(``--fuzz-examples``).  The figures (requests, statuses, failures) are printed; every worker of the
service must still be up at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.service import Service
from tests.e2e.conftest import serve
from tests.support.service import WRITE_TOKEN, every_worker_up

CHILD_TIMEOUT_S = 3600


def _created(http: httpx.Client, path: str, body: dict[str, Any]) -> str:
    answer = http.post(path, json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def known_ids(http: httpx.Client) -> dict[str, str]:
    """One aggregate of each kind, for the operations that act on one."""
    event = _created(http, "/events", {"name": "Fuzzed", "date_tz": "Europe/Brussels", "use_sessions": True,
                                       "seats_limited": True, "seats_max": 1000})  # fmt: skip
    session = _created(http, f"/events/{event}/sessions",
                       {"date_begin": "2031-05-26T18:00:00Z", "date_end": "2031-05-26T20:00:00Z"})  # fmt: skip
    return {
        "event_id": event,
        "session_id": session,
        "registration_id": _created(
            http, "/registrations", {"event_id": event, "session_id": session, "name": "Ada", "email": "a@example.org"}
        ),
        "scheduler_id": _created(http, f"/events/{event}/mail-schedulers",
                                 {"interval_nbr": 1, "interval_unit": "days", "interval_type": "before_event",
                                  "template": "Reminder"}),
        "event_type_id": _created(http, "/event-types", {"name": "Fuzzed type"}),
        "slot_id": _created(http, "/timeslots", {"time": "07:15"}),
    }  # fmt: skip


def config(ids: dict[str, str], examples: int) -> str:
    parameters = "\n".join(f'"path.{name}" = "{value}"' for name, value in ids.items())
    return f"""
[generation]
max-examples = {examples}
database = "none"

[checks]
# A GET with min_version may wait 10 s by the conventions (wait_ms at most 10,000), then answer.
max_response_time = 12.0

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "503"]

[checks.not_a_server_error]
# 503 is counted from the recorded answers instead: only "read_model.behind" may be one (see below).
expected-statuses = ["2xx", "3xx", "4xx", "503"]

[parameters]
{parameters}
"""


def run_schemathesis(
    base_url: str, folder: Path, examples: int, ids: dict[str, str], phases: str
) -> tuple[int, str, list[Any]]:
    """One run of schemathesis's command line over ``phases``; its exit code, output and recorded answers."""
    folder.mkdir()
    (folder / "schemathesis.toml").write_text(config(ids, examples))
    har = folder / "requests.har"
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(folder / "schemathesis.toml"),
        "run", f"{base_url}/openapi.json", "--checks", "all", "--header", f"Authorization: Bearer {WRITE_TOKEN}",
        "--phases", phases, "--request-timeout", "60", "--report", "har", "--report-har-path", str(har),
        "--no-color", "--max-failures", "50",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False)
    answers = [entry["response"] for entry in json.loads(har.read_text())["log"]["entries"]]
    (folder / "output.txt").write_text(done.stdout + done.stderr)  # the whole report, for a failing run
    return done.returncode, done.stdout + done.stderr, answers


def problem_code(response: dict[str, Any]) -> str | None:
    try:
        return str(json.loads(response["content"]["text"])["code"])
    except (KeyError, TypeError, ValueError):
        return None


@pytest.fixture(scope="module")
def fuzzed(container_factory) -> Iterator[tuple[Service, str]]:
    service = Service.assemble(container_factory())
    service.start()
    with serve(service) as base_url:
        yield service, base_url
    service.stop()


def test_every_operation_answers_as_documented_never_with_a_server_error_and_every_worker_survives(
    fuzzed, tmp_path, request
):
    service, base_url = fuzzed
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {WRITE_TOKEN}"}, timeout=20) as http:
        ids = known_ids(http)
    examples = int(request.config.getoption("--fuzz-examples"))
    runs = [
        run_schemathesis(base_url, tmp_path / "fuzzing", examples, ids, "examples,coverage,fuzzing"),
        run_schemathesis(base_url, tmp_path / "stateful", examples, {}, "stateful"),
    ]
    output = "\n".join(out for _, out, _ in runs)
    answers = [answer for _, _, recorded in runs for answer in recorded]
    statuses = Counter(answer["status"] for answer in answers)
    # A GET with a min_version that was never written answers 503 read_model.behind, as the conventions
    # say (the version may yet be written); every other 5xx is a server error.
    behind = [a for a in answers if a["status"] == 503 and problem_code(a) == "read_model.behind"]
    server_errors = sum(n for status, n in statuses.items() if status >= 500) - len(behind)
    summary = [line for line in output.splitlines() if " generated, " in line or line.startswith("  ❌")]
    print(f"\nfuzz: {len(answers)} requests, {server_errors} server errors ({len(behind)} 503 read_model.behind), "
          f"statuses {dict(sorted(statuses.items()))}; "
          f"{' '.join(summary).strip()}")  # fmt: skip
    assert server_errors == 0, output[-8000:]
    for code, out, _ in runs:
        assert code == 0, out[-8000:]
    assert every_worker_up(service.readiness()), service.readiness()
