"""The whole benchmark run, in a fresh database and topic prefix, and its command line."""

from __future__ import annotations

import argparse
import json
import logging
import math
import secrets
import sys
import time
from pathlib import Path

from infra.bench import audit, charging, classroom, music
from infra.bench.catch_up import catch_up, stock_runner_rate
from infra.bench.commands import commands_rate, raw_save_rate
from infra.bench.lag import issuer, lag_run
from infra.bench.relay import raw_producer_rate, relay_rate, sample_messages, topic_size
from infra.bench.report import console, print_results
from infra.bench.support import (
    Sizes,
    create_database,
    delete_topics,
    drop_database,
    fill_store,
    settle_store,
)
from infra.container import Container, Endpoints, resolve_endpoints
from infra.postgres import events_table
from infra.settings import get_settings
from producers import topics
from producers.eventsessions import topics as es_topics

log = logging.getLogger(__name__)

DESCRIPTION = (
    "The benchmark: write side, relay, projection catch-up, end-to-end lag, audit, and the charging, "
    "classroom and music figures, on the local services."
)


def run(json_path: Path | None = None, quick: bool = False, large: bool = False) -> dict[str, float]:
    sizes = Sizes.quick() if quick else Sizes.large() if large else Sizes.full()
    run_started = time.perf_counter()
    base = get_settings()
    endpoints = resolve_endpoints(base)
    tag = secrets.token_hex(4)
    dbname = f"bench_{tag}"
    prefix = f"bench_{tag}."
    # The configured settings (batch sizes, partitions, ...) with the run's own topic prefix.
    settings = base.model_copy(update={"topic_prefix": prefix})
    database_url = create_database(endpoints.database_url, dbname)
    container = Container(settings, Endpoints(database_url, endpoints.kafka_bootstrap))
    results: dict[str, float] = {"quick": float(quick), "large": float(large)}
    notes: list[str] = [f"database {dbname}, topic prefix {prefix!r} (both removed at the end)"]
    phase = "prepare"
    try:
        with console.status("preparing") as status:
            container.prepare()
            app = container.app

            phase = "commands"
            status.update("1/8 commands: 1 thread")
            rate, count = commands_rate(app, 1, sizes.command_seconds, same_session=False)
            results["commands_per_s_1t"], results["commands_1t"] = rate, count
            status.update("1/8 commands: 4 threads, one session each")
            rate, count = commands_rate(app, 4, sizes.command_seconds, same_session=False)
            results["commands_per_s_4t"], results["commands_4t"] = rate, count
            status.update("1/8 commands: 4 threads, one shared session")
            rate, _ = commands_rate(app, 4, sizes.same_session_seconds, same_session=True)
            results["commands_per_s_4t_same_session"] = rate
            status.update("1/8 raw save")
            results["raw_save_per_s"], _ = raw_save_rate(database_url, sizes.raw_save_seconds)
            notes.append(
                "commands_per_s_4t: 4 threads, each registering on its own session of one event "
                "(commands_per_s_4t_same_session: all 4 on one session, so they conflict and retry)"
            )

            phase = "relay"
            status.update(f"2/8 filling the event store to {sizes.store_events} events")
            t = time.perf_counter()
            results["store_events"] = fill_store(app, sizes.store_events)
            settle_store(database_url, events_table(app))
            results["fill_seconds"] = time.perf_counter() - t
            status.update("2/8 relay from position 0")
            relayed = relay_rate(container, int(results["store_events"]), timeout=600)
            results["relay_batch_size"] = settings.relay_batch_size
            results["relay_processes"] = relayed["processes"]
            results["relay_startup_seconds"] = relayed["startup_seconds"]
            results["relay_seconds"] = relayed["seconds"]
            results["relay_events_per_s"] = relayed["rate"]
            results["relay_published"] = relayed["published"]
            sessions_topic = topics.physical(es_topics.SESSIONS, prefix)
            results["session_messages"] = session_messages = topic_size(endpoints.kafka_bootstrap, sessions_topic)

            status.update("2/8 raw producer")
            samples = sample_messages(app, 4000)
            results["message_value_bytes_mean"] = sum(len(s.value) for s in samples) / len(samples)
            results["raw_producer_per_s"] = raw_producer_rate(
                endpoints.kafka_bootstrap,
                prefix,
                settings.topic_partitions,
                samples,
                int(results["relay_published"]),
            )

            phase = "projection"
            status.update(f"3/8 seat_availability catch-up over {session_messages} messages")
            caught = catch_up(container, session_messages, timeout=600)
            results["projection_events_per_s"] = caught["rate"]
            results["projection_seconds"] = caught["seconds"]
            results["projection_events_per_s_after_first_batch"] = caught["steady_rate"]
            results["projection_startup_seconds"] = caught["startup_seconds"]
            results["projection_apply_seconds"] = caught["apply_seconds"]
            results["projection_batches"] = caught["batches"]
            with container.pool.connection() as conn:  # every message applied once: versions add up
                row = conn.execute(
                    "SELECT count(*), coalesce(sum(version), 0) FROM readmodels.session_seats"
                ).fetchone()
            assert row is not None
            results["projection_rows"], results["projection_version_sum"] = (
                int(row[0]),
                int(row[1]),
            )
            if row[1] != session_messages:
                notes.append(f"[red]seat_availability versions add up to {row[1]}, not {session_messages}[/red]")
            status.update(f"3/8 stock ProjectionRunner over {sizes.stock_events} session events")
            stock = stock_runner_rate(
                app,
                database_url,
                min(sizes.stock_events, session_messages),
                timeout=600,
            )
            results["stock_runner_events_per_s"] = stock["rate"]
            results["stock_runner_events"] = stock["events"]
            results["stock_runner_seconds"] = stock["seconds"]
            results["projection_speedup_vs_stock"] = results["projection_events_per_s"] / stock["rate"]
            notes.append(
                f"relay: notifications per second from position 0 ({results['relay_processes']:.0f} processes, "
                f"batch {results['relay_batch_size']:.0f}, process start-up not timed); raw producer: the same "
                "number of messages with the relay's own keys, values and headers, built in advance"
            )
            notes.append(
                "catch-up: from starting the runner (consumer start and group join included) to the batch that "
                "applied the last message; stock: eventsourcing ProjectionRunner, one upsert + tracking row per "
                f"transaction, over the first {stock['events']:.0f} session events, runner start included"
            )

            phase = "lag"
            status.update(f"4/8 lag: {sizes.lag_rate:.0f} registrations/s for {sizes.lag_seconds:.0f} s")
            results.update(lag_run(container, sizes))
            notes.append(
                "lag: the relay runs in its processes (one per scope), the runner and a read-model poller (every "
                "~2 ms) are threads of this process; the "
                f"registrations come from {sizes.lag_issuers} separate processes ({sizes.lag_sessions} sessions "
                "over 5 events); lag = first poll showing the session's version - register() returned"
            )

            phase = "audit"
            status.update("5/8 audit: sealing, rebuilds, and what sealing costs the relay and the lag")
            stored = int(container.event_store.recorder.max_notification_id() or 0)
            consumed = topic_size(endpoints.kafka_bootstrap, sessions_topic)  # the lag phase read all of it
            results.update(
                audit.audit_figures(
                    container,
                    relay_run=lambda: relay_rate(container, stored, timeout=600),
                    catch_up_run=lambda: catch_up(
                        container, topic_size(endpoints.kafka_bootstrap, sessions_topic) - consumed, timeout=600
                    ),
                    lag_run=lambda: lag_run(container, sizes),
                )
            )
            notes.extend(audit.verdicts(results))
    except BaseException:
        console.print(f"[red]benchmark failed during {phase}[/red]")
        raise
    finally:
        container.close()
        try:
            drop_database(endpoints.database_url, dbname)
        except Exception:
            log.exception("could not drop the benchmark database", extra={"database": dbname})
        try:
            delete_topics(endpoints.kafka_bootstrap, prefix)
        except Exception:
            log.exception("could not delete the benchmark topics", extra={"prefix": prefix})
    # The other contexts' figures, each on a database and topic prefix of its own (see their modules).
    with console.status("6/8 charging: OCPI PATCHes against sessionstream run"):
        results.update(charging.measure(base, seconds=2.0 if quick else 5.0, latency_patches=100 if quick else 300))
    with console.status("7/8 classroom: a lesson's presence webhooks, end to end"):
        results.update(classroom.measure(base, students=1000 if quick else 5000))
    with console.status("8/8 music: recurrence expansion and tune-log commands"):
        results.update(music.measure(base, quick=quick))
    results["music_rrule_reference_vs_ours"] = (
        results["music_occurrences_per_s_rrule_reference"] / results["music_occurrences_per_s"]
    )
    results["total_seconds"] = time.perf_counter() - run_started
    print_results(results, notes)
    if json_path is not None:
        finite = {k: (v if math.isfinite(v) else None) for k, v in results.items()}
        json_path.write_text(json.dumps(finite, indent=2, sort_keys=True) + "\n")
        console.print(f"results written to {json_path}")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.bench", description=DESCRIPTION)
    parser.add_argument(
        "--json",
        dest="json_path",
        type=Path,
        default=None,
        help="write the results to PATH",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--large", action="store_true", help="a 1,000,000-event store (the rebuild figures' size)")
    parser.add_argument("--issuer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.issuer:
        issuer(sys.stdin, sys.stdout)
        return
    logging.getLogger("kafka").setLevel(logging.ERROR)
    run(args.json_path, args.quick, args.large)
