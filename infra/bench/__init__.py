"""The benchmark: write side, relay, projection catch-up and end-to-end lag, on the local services.

Run it with ``python -m infra.bench [--json PATH] [--quick]`` or ``sessionstream bench``.

Modules, one per concern: ``support`` (sizes, a fresh database and topic prefix, filling the store),
``commands`` (1), ``relay`` (2), ``catch_up`` (3), ``lag`` (4), ``report`` (targets and the tables),
``run`` (the whole run and its command line).

Every run works in a fresh database (``bench_<hex>``, created on the configured or local PostgreSQL
server and dropped at the end) and under a fresh topic prefix (``bench_<hex>.``, whose topics are
deleted at the end), so runs disturb neither each other nor the tests nor a running service.

What it measures, in this order (each step's events stay in the store for the next ones):

1. ``commands_per_s_1t`` / ``_4t``: ``EventSessions.register`` (state ``open``) on a session of an
   event with unlimited seats; 4 threads each register on their own session of the same event (no
   version conflicts between them; ``commands_per_s_4t_same_session`` is the contended variant).
   ``raw_save_per_s``: ``app.save()`` of a trivial aggregate (one event per save), same database.
2. ``relay_events_per_s``: the store is filled to N events (registrations built by the domain model,
   saved 100 at a time), then the relay runs as ``sessionstream run`` runs it (one process per
   scope, ``infra.relays``) from position 0 until every scope's position reached the last
   notification; timed from the moment every process is ready (``relay_startup_seconds`` apart).
   ``raw_producer_per_s``: the project's producer config sending N messages of the relay's sizes
   (sample values, keys and headers built in advance) to a fresh topic, then ``flush()``.
3. ``projection_events_per_s``: the ``seat_availability`` consumer runner from offset 0 until it has
   applied every message of the sessions topic (consumer start-up and group join included).
   ``stock_runner_events_per_s``: eventsourcing's ``ProjectionRunner`` projecting the same session
   events from the event store into a similar table (one upsert and one tracking row per event, one
   transaction per event, as that runner works), timed over the first ``stock_events`` of them.
4. ``lag_p50_ms`` / ``lag_p99_ms``: the relay processes (woken by ``NotifyWaiter``) and the
   ``seat_availability`` runner in a thread; registrations at a steady rate over 50 sessions; a
   poller reads the sessions' read-model versions every few ms and notes when each command became
   visible.  The lag of a
   command is (first poll that shows it) - (``register`` returned).  The sessions scope's reports
   split it into commit -> published (acked and position saved) and published -> visible.
"""

from __future__ import annotations

from infra.bench.run import main, run

__all__ = ["main", "run"]
