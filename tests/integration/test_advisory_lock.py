"""``advisory_lock``, the lock a relay scope's and the sealer's worker each hold while they run: one
holder at a time, keepalives on both sides, and a check that fails once its connection is gone."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from infra.container import Endpoints
from infra.postgres import advisory_lock

NAMESPACE = "sessionstream.test"


def test_a_second_holder_waits_and_takes_the_lock_once_the_first_lets_go(endpoints: Endpoints) -> None:
    name = uuid.uuid4().hex
    stopping = threading.Event()
    waited: list[bool] = []
    with advisory_lock(endpoints.database_url, NAMESPACE, name, stopping) as first:
        assert first is not None
        stopping.set()  # gives up as soon as the first try fails
        with advisory_lock(endpoints.database_url, NAMESPACE, name, stopping, lambda: waited.append(True)) as other:
            assert other is None and waited == [True]
    stopping.clear()
    with advisory_lock(endpoints.database_url, NAMESPACE, name, stopping) as again:
        assert again is not None  # released with its connection


def test_the_server_side_keepalives_are_set(endpoints: Endpoints) -> None:
    with advisory_lock(endpoints.database_url, NAMESPACE, uuid.uuid4().hex, threading.Event()) as lock:
        assert lock is not None
        row = lock.conn.execute("SHOW tcp_keepalives_idle").fetchone()
        assert row is not None and row[0] in ("5", "5s")  # '0'/'7200' when the socket is not TCP


def test_check_fails_once_the_connection_and_the_lock_with_it_are_gone(endpoints: Endpoints) -> None:
    with advisory_lock(endpoints.database_url, NAMESPACE, uuid.uuid4().hex, threading.Event()) as lock:
        assert lock is not None
        lock.check_every_s = 0.05
        lock.check()
        assert not lock.due()
        time.sleep(0.06)
        assert lock.due()
        with psycopg.connect(endpoints.database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (lock.conn.info.backend_pid,))
        with pytest.raises(psycopg.OperationalError):
            lock.check()
