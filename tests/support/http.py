"""HTTP helpers for the e2e tests."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM = "application/problem+json"


def assert_problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    """``answer`` is an RFC 9457 problem document with ``status``; returns it."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = answer.json()
    assert {"type", "title", "status", "detail", "code"} <= set(problem)
    assert problem["status"] == status
    return problem
