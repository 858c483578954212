"""``NotifyWaiter``: woken by a NOTIFY, it lets a burst of commits settle and swallows their
notifications, so its owner reads the log once per burst; nothing sent after that is lost."""

from __future__ import annotations

import time
import uuid

import psycopg
from psycopg import sql

from infra.container import Endpoints
from infra.postgres import NotifyWaiter


def _notify(conn: psycopg.Connection, channel: str, times: int) -> None:
    for _ in range(times):  # autocommit: one transaction, one notification each
        conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(channel)))


def _timed(waiter: NotifyWaiter, timeout: float) -> float:
    started = time.monotonic()
    waiter(timeout)
    return time.monotonic() - started


def test_a_burst_wakes_once_and_a_later_commit_wakes_again(endpoints: Endpoints) -> None:
    channel = f"waiter_{uuid.uuid4().hex[:8]}"
    waiter = NotifyWaiter(endpoints.database_url, channel, settle=0.02)
    try:
        with psycopg.connect(endpoints.database_url, autocommit=True) as other:
            assert _timed(waiter, 0.2) >= 0.19  # nothing sent: waits out its timeout
            _notify(other, channel, 5)
            assert _timed(waiter, 5.0) < 1.0  # woken (after settling)
            assert _timed(waiter, 0.2) >= 0.19  # the burst was swallowed: no second wake-up for it
            _notify(other, channel, 1)
            assert _timed(waiter, 5.0) < 1.0  # a later commit is never missed
    finally:
        waiter.close()
