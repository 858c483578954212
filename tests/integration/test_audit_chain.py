"""The tamper-evident log: sealing follows the log, and ``audit verify`` catches every rewrite."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import psycopg
from eventsourcing import persistence as es

from infra.audit.chain import TABLE as CHAIN_TABLE
from infra.audit.chain import ChainStore
from infra.audit.sealer import log_name, sealer_for
from infra.audit.sealer_run import SealerWorker
from infra.bench.support import fill_store
from producers.audit import seal
from producers.relay import Row
from tests.integration import auditing
from tests.integration.auditing import (
    START,
    history,
    position_of,
    run_cli,
    seal_everything,
    sql,
    verified,
)
from tests.support.waiting import wait_for

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def test_an_untouched_store_is_verified_intact_after_concurrent_writers(fresh_container):
    container = fresh_container
    worker = SealerWorker(container)
    worker.start()
    app = container.app
    event = app.create_event(name="Busy", use_sessions=True, seats_limited=True, seats_max=10_000)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    stop_at = time.monotonic() + 2.0

    def write(t: int) -> None:  # four writers on one session: version conflicts, retries, rolled-back ids
        n = 0
        while time.monotonic() < stop_at:
            app.register(event_id=event.id, session_id=session.id, name=f"w{t}.{n}", email=f"w{t}.{n}@example.org")
            n += 1

    writers = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    last = app.recorder.max_notification_id()
    wait_for(lambda: worker.sealer is not None and worker.sealer.head.position >= last, timeout=20)
    worker.stop()
    worker.join(10)
    assert worker.error is None
    stored = sql(container, "SELECT count(*) FROM EVENTS")[0][0]

    report = verified(container)

    assert report.intact, report.summary()
    assert report.events == stored and report.head == last
    assert report.summary() == f"{stored} events verified, chain intact up to position {last}"
    assert report.checkpoints >= 1


def test_sealing_waits_for_a_writer_that_may_still_fill_a_gap(fresh_container):
    container = fresh_container
    history(container, registrations=1)
    sealer = seal_everything(container)
    events = container.event_store.recorder.events_table_name
    copy = (
        f"INSERT INTO {events} (originator_id, originator_version, topic, state) SELECT gen_random_uuid(), 1,"
        f" topic, state FROM {events} ORDER BY notification_id LIMIT 1"
    )
    url = container.endpoints.database_url
    # Two inserts behind the application's back (without its table lock): the first draws its id and
    # stays open, the second commits a higher id: a gap below the horizon that may still fill.
    with psycopg.connect(url) as late, psycopg.connect(url, autocommit=True) as other:
        late.execute(copy)
        other.execute(copy)
        reader = threading.Thread(target=sealer.seal_once)
        reader.start()
        reader.join(0.5)
        assert reader.is_alive(), "the sealer passed over an id that could still be committed"
        late.commit()
    reader.join(10)
    while sealer.seal_once():
        pass

    assert sealer.head.position == container.app.recorder.max_notification_id()
    assert sealer.head.events == sql(container, "SELECT count(*) FROM EVENTS")[0][0]
    assert verified(container, with_checkpoints=False).intact


def test_an_event_whose_bytes_changed_is_caught(fresh_container):
    container = fresh_container
    _, _, registrations = history(container)
    seal_everything(container)
    position = position_of(container, registrations[2], 1)
    sql(container, "UPDATE EVENTS SET state = convert_to(replace(convert_from(state, 'UTF8'),"
                   " 'a2@example.org', 'x2@example.org'), 'UTF8')"
                   " WHERE notification_id = %s", position)  # fmt: skip

    report = verified(container)

    assert not report.intact
    assert report.finding.position == position
    assert "differs from what was sealed" in report.finding.what


def test_a_deleted_event_is_caught(fresh_container):
    container = fresh_container
    _, _, registrations = history(container)
    seal_everything(container)
    position = position_of(container, registrations[4], 1)
    sql(container, "DELETE FROM EVENTS WHERE notification_id = %s", position)

    report = verified(container)

    assert report.finding is not None and report.finding.position == position
    assert "missing from the store" in report.finding.what


def test_an_event_inserted_by_sql_behind_the_applications_back_is_caught(fresh_container):
    container = fresh_container
    event_id, session_id, _ = history(container, registrations=2)
    # Ids are used up and never committed (a rolled-back insert does the same): a hole in the log.
    sql(container, "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'),"
                   " nextval(pg_get_serial_sequence(%s, 'notification_id')) + 3)",
        *[container.event_store.recorder.events_table_name] * 2)  # fmt: skip
    container.app.register(event_id=event_id, session_id=session_id, name="after", email="after@example.org")
    seal_everything(container)
    hole = sql(container, "SELECT s.i FROM generate_series(1, (SELECT max(notification_id) FROM EVENTS)) s(i)"
                          " WHERE NOT EXISTS (SELECT 1 FROM EVENTS WHERE notification_id = s.i)"
                          " LIMIT 1")[0][0]  # fmt: skip
    sql(container, "INSERT INTO EVENTS (originator_id, originator_version, topic, state, notification_id)"
                   " SELECT gen_random_uuid(), 1, topic, state, %s FROM EVENTS WHERE originator_id = %s"
                   " AND originator_version = 1", hole, session_id)  # fmt: skip

    report = verified(container)

    assert report.finding is not None and report.finding.position == hole
    assert "never sealed" in report.finding.what


def test_a_rewrite_of_the_events_and_of_the_chain_table_is_caught_by_the_checkpoints_on_kafka(fresh_container):
    container = fresh_container
    _, _, registrations = history(container)
    seal_everything(container)
    position = position_of(container, registrations[1], 1)
    sql(container, "UPDATE EVENTS SET state = convert_to(replace(convert_from(state, 'UTF8'),"
                   " 'a1@example.org', 'x1@example.org'), 'UTF8')"
                   " WHERE notification_id = %s", position)  # fmt: skip
    # The forger recomputes every link from the changed event on and writes them over the sealed ones.
    previous = bytes(sql(container, "SELECT hash FROM public.audit_chain WHERE position < %s"
                                    " ORDER BY position DESC LIMIT 1", position)[0][0])  # fmt: skip
    rows = [Row(*r[:4], bytes(r[4])) for r in sql(
        container, "SELECT notification_id, originator_id, originator_version, topic, state FROM EVENTS"
                   " WHERE notification_id >= %s ORDER BY notification_id", position)]  # fmt: skip
    for at, digest in seal(previous, rows):
        sql(container, "UPDATE public.audit_chain SET hash = %s WHERE position = %s", digest, at)
    assert verified(container, with_checkpoints=False).intact  # the database alone cannot tell

    report = verified(container)

    assert report.finding is not None and report.finding.position >= position
    assert "checkpoint published on Kafka" in report.finding.what


def test_a_restarted_sealer_continues_the_chain_from_its_head(fresh_container):
    container = fresh_container
    history(container, registrations=2)
    seal_everything(container)
    history(container, registrations=2)

    seal_everything(container)  # a new sealer: it starts from the sealed head

    head = ChainStore(container.pool).head()
    assert head.position == container.app.recorder.max_notification_id()
    assert verified(container).intact


def test_audit_verify_exits_0_when_intact_and_1_with_the_first_position_that_no_longer_matches(fresh_container):
    container = fresh_container
    _, _, registrations = history(container, registrations=2)
    seal_everything(container)
    events = sql(container, "SELECT count(*), max(notification_id) FROM EVENTS")[0]

    intact = run_cli(container, "audit", "verify")
    position = position_of(container, registrations[0], 1)
    sql(container, "DELETE FROM EVENTS WHERE notification_id = %s", position)
    broken = run_cli(container, "audit", "verify")

    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == f"{events[0]} events verified, chain intact up to position {events[1]}"
    assert broken.returncode == 1
    assert broken.stdout.startswith(f"chain broken at position {position}: ")


class Capture:
    """A relay ``Sender`` that keeps what it is given (and when, by the sealer's clock)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, bytes, dict]] = []

    def send(self, topic, *, key, value, headers):
        self.sent.append((self.clock(), key, json.loads(value)))
        return self

    def get(self, timeout=None):
        pass

    def flush(self, timeout=None):
        pass


def test_a_checkpoint_is_published_for_every_thousandth_event_sealed(fresh_container):
    container = fresh_container
    fill_store(container.app, 2600)
    capture = Capture(time.monotonic)
    sealer = sealer_for(container, capture, batch_size=5000)

    seal_everything(container, sealer)

    events = [c["events"] for _, _, c in capture.sent]
    assert events[:2] == [1000, 2000] and events[-1] == sealer.head.events
    assert all(key == log_name(container.event_store).encode() for _, key, _ in capture.sent)
    assert capture.sent[-1][2]["hash"] == sealer.head.hash.hex()


def test_a_quiet_log_publishes_its_head_within_ten_seconds(fresh_container):
    container = fresh_container
    history(container, registrations=2)
    clock = [0.0]
    capture = Capture(lambda: clock[0])
    waits = []

    def wait_for_new(_timeout: float) -> None:  # each idle wait lets 6 s pass; the third one stops
        waits.append(clock[0])
        clock[0] += 6
        if len(waits) == 3:
            sealer.stop()

    sealer = sealer_for(container, capture, now=lambda: clock[0], wait_for_new=wait_for_new)
    sealer.run()
    sealer.writers.close()

    assert [at for at, _, _ in capture.sent] == [12.0]  # 10 s after the start, at the next tick
    assert capture.sent[0][2]["position"] == sealer.head.position


def test_a_checkpoint_kafka_did_not_acknowledge_is_sent_again(fresh_container):
    container = fresh_container
    history(container, registrations=1)

    class FailsOnce(Capture):
        def get(self, timeout=None):
            if len(self.sent) == 1:
                raise RuntimeError("not acknowledged")

    capture = FailsOnce(time.monotonic)
    sealer = sealer_for(container, capture)
    while sealer.seal_once():
        pass

    sealer.publish_head()  # sent, not acknowledged: kept
    assert sealer.published == 0
    sealer.publish_head()  # sent again
    sealer.writers.close()

    assert [c["position"] for _, _, c in capture.sent] == [sealer.head.position] * 2
    assert sealer.published == sealer.head.position


def test_a_sealer_that_loses_postgresql_retries_in_place_and_seals_on_from_the_stored_head(fresh_container):
    container = fresh_container
    history(container, registrations=4)
    worker = SealerWorker(container, wait=lambda state: 0.2)
    worker.start()
    first = container.app.recorder.max_notification_id()
    wait_for(lambda: worker.sealer is not None and worker.sealer.head.position >= first, timeout=20)
    sealer = worker.sealer
    before = sql(container, f"SELECT position, hash FROM {CHAIN_TABLE} ORDER BY position")
    # The last links lost, as a crash loses links committed without waiting for the WAL flush, and every
    # connection to this test's database cut (the lock's, NOTIFY's, the pools'): the server went away.
    sql(container, f"DELETE FROM {CHAIN_TABLE} WHERE position > %s", first - 3)
    sql(container, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE datname = current_database() AND pid <> pg_backend_pid()")  # fmt: skip
    wait_for(lambda: _tried(lambda: history(container, registrations=2)), timeout=20)  # our pools meet it too
    last = container.app.recorder.max_notification_id()
    wait_for(lambda: ChainStore(container.pool).head().position >= last, timeout=30)
    worker.stop()
    worker.join(10)

    assert worker.error is None and worker.sealer is sealer  # waited out in place, never restarted
    assert worker.condition.last_error is not None and worker.condition.state == "running"
    after = sql(container, f"SELECT position, hash FROM {CHAIN_TABLE} ORDER BY position")
    assert after[: len(before)] == before  # the lost links sealed again, identically
    report = verified(container)
    assert report.intact, report.summary()
    assert report.head == last and report.events == sql(container, "SELECT count(*) FROM EVENTS")[0][0]


def _tried(write: Callable[[], object]) -> bool:
    try:
        write()
    except (psycopg.OperationalError, es.OperationalError):
        return False
    return True
