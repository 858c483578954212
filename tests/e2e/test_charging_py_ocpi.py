"""Interoperability: a CPO using the most used Python OCPI library (``extrawest-ocpi``, ``py_ocpi``) pushes
a session to us with that library's own push function, unchanged, discovering our receiver through
``/ocpi/2.2.1/details``.

The library pins pydantic 1.10 and FastAPI 0.101, which cannot live beside this project's pydantic 2,
so it is installed (from PyPI, once) into a virtual environment of its own under ``.sessionstream/``
and its push runs there as a subprocess (``py_ocpi_cpo.py``).  A failed install fails the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.settings import PROJECT_ROOT, get_settings
from tests.e2e.charging_support import dumps, get, ocpi_client, session

pytestmark = pytest.mark.e2e

LIBRARY = "extrawest-ocpi==2025.7.16"
VENV = PROJECT_ROOT / ".sessionstream" / "py-ocpi-venv"
CPO = Path(__file__).with_name("py_ocpi_cpo.py")


@pytest.fixture(scope="session")
def py_ocpi_python() -> Path:
    python = VENV / "bin" / "python"
    # A fresh machine has no such venv yet: running a missing interpreter raises instead of failing.
    if (
        not python.exists()
        or subprocess.run([str(python), "-c", "import py_ocpi"], capture_output=True).returncode != 0
    ):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        installed = subprocess.run([str(python), "-m", "pip", "install", "-q", LIBRARY], capture_output=True, text=True)
        assert installed.returncode == 0, f"could not install {LIBRARY}: {installed.stderr[-2000:]}"
    return python


def push_with_py_ocpi(python: Path, base_url: str, token: str, stored: dict[str, Any], party: tuple[str, str]) -> Any:
    env = get_settings().child_env(COUNTRY_CODE=party[0], PARTY_ID=party[1], ENVIRONMENT="production")
    done = subprocess.run(
        [str(python), str(CPO), f"{base_url}/ocpi/2.2.1/details", token, dumps(stored)],
        capture_output=True, text=True, env=env, cwd=CPO.parent, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_py_ocpi_cpo_pushes_a_session_with_the_librarys_own_push_function(
    base_url: str, py_ocpi_python: Path
) -> None:
    stored = session(
        status="ACTIVE", charging_periods=[{"start_date_time": "2020-03-09T10:17:09Z",
                                            "dimensions": [{"type": "ENERGY", "volume": 1.5}]}],
    )  # fmt: skip

    result = push_with_py_ocpi(py_ocpi_python, base_url, "cpo-nl-stk", stored, ("NL", "STK"))

    (answer,) = result["receiver_responses"]
    assert (answer["status_code"], answer["response"]["status_code"]) == (201, 1000), answer
    with ocpi_client(base_url) as client:
        served = get(client, stored).json()["data"]
    assert served["id"] == stored["id"].lower()  # the library lower-cases CiStrings; R-1 finds it all the same
    assert (served["kwh"], served["status"], len(served["charging_periods"])) == (0.0, "ACTIVE", 1)
    assert "end_date_time" not in served  # the library sends nulls: D1 treats them as absent


def test_a_py_ocpi_push_under_another_partys_identity_is_refused(base_url: str, py_ocpi_python: Path) -> None:
    stored = session()

    result = push_with_py_ocpi(py_ocpi_python, base_url, "cpo-be-bec", stored, ("NL", "STK"))

    (answer,) = result["receiver_responses"]
    assert (answer["status_code"], answer["response"]["status_code"]) == (404, 2001)
