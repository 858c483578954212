"""The benchmark's targets and its two tables (figures with their targets, then sizes and durations)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console()

TARGETS = {
    "relay_events_per_s": (">=", 20_000.0),
    "projection_events_per_s": (">=", 20_000.0),
    "lag_p99_ms": ("<", 100.0),
    "seal_events_per_s": (">=", 50_000.0),  # issue 12
    "seal_lag_p99_ms": ("<", 100.0),
    "ocpi_patch_per_s": (">=", 500.0),  # issue 9
    "ocpi_patch_latency_ratio_1000_vs_10": ("<", 1.5),
    "presence_webhooks_per_s": (">=", 1_000.0),  # issue 10
    "music_rrule_reference_vs_ours": ("<", 2.0),  # issue 11: within 2x of bare dateutil
}
SPEEDUP_TARGET = 10.0  # projection catch-up vs the stock runner


ROWS: list[tuple[str, str]] = [  # key, unit
    ("commands_per_s_1t", "/s"),
    ("commands_per_s_4t", "/s"),
    ("commands_per_s_4t_same_session", "/s"),
    ("raw_save_per_s", "/s"),
    ("relay_events_per_s", "/s"),
    ("raw_producer_per_s", "/s"),
    ("projection_events_per_s", "/s"),
    ("projection_events_per_s_after_first_batch", "/s"),
    ("stock_runner_events_per_s", "/s"),
    ("projection_speedup_vs_stock", "x"),
    ("lag_p50_ms", "ms"),
    ("lag_p90_ms", "ms"),
    ("lag_p99_ms", "ms"),
    ("lag_max_ms", "ms"),
    ("lag_commit_to_published_p50_ms", "ms"),
    ("lag_commit_to_published_p99_ms", "ms"),
    ("lag_published_to_visible_p50_ms", "ms"),
    ("lag_published_to_visible_p99_ms", "ms"),
    ("seal_events_per_s", "/s"),
    ("seal_lag_p99_ms", "ms"),
    ("rebuild_events_per_s_min", "/s"),
    ("ocpi_patch_per_s", "/s"),
    ("http_get_livez_per_s", "/s"),
    ("ocpi_patch_ms_p50_at_10", "ms"),
    ("ocpi_patch_ms_p50_at_1000", "ms"),
    ("ocpi_patch_latency_ratio_1000_vs_10", "x"),
    ("presence_webhooks_per_s", "/s"),
    ("room_finished_to_report_ms", "ms"),
    ("music_occurrences_per_s", "/s"),
    ("music_occurrences_per_s_rrule_reference", "/s"),
    ("music_rrule_reference_vs_ours", "x"),
    ("tunelog_commands_per_s", "/s"),
]
DETAILS = (
    "commands_1t",
    "commands_4t",
    "store_events",
    "fill_seconds",
    "relay_batch_size",
    "relay_processes",
    "relay_published",
    "relay_startup_seconds",
    "relay_seconds",
    "message_value_bytes_mean",
    "session_messages",
    "projection_rows",
    "projection_version_sum",
    "projection_seconds",
    "projection_startup_seconds",
    "projection_apply_seconds",
    "projection_batches",
    "stock_runner_events",
    "stock_runner_seconds",
    "lag_commands",
    "lag_commands_per_s",
    "lag_issue_behind_schedule_p99_ms",
    "lag_relay_batches",
    "lag_projection_batches",
    "lag_projection_batch_mean",
    "lag_polls",
    "total_seconds",
)


def print_results(results: dict[str, float], notes: list[str]) -> None:
    targets = dict(TARGETS, projection_speedup_vs_stock=(">=", SPEEDUP_TARGET))
    table = Table(title="sessionstream benchmark" + (" (quick)" if results.get("quick") else ""))
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("", justify="center")
    for key, unit in ROWS:
        if key not in results:
            continue
        value = results[key]
        shown = f"{value:,.1f} {unit}" if unit in ("ms", "x") else f"{value:,.0f} {unit}"
        target, verdict = "", ""
        if key in targets:
            op, limit = targets[key]
            ok = value >= limit if op == ">=" else value < limit
            target = f"{op} {limit:,.0f}"
            verdict = "[green]ok[/green]" if ok else "[red]missed[/red]"
        table.add_row(key, shown, target, verdict)
    console.print(table)
    details = Table(title="sizes and durations", show_header=False)
    for key in DETAILS:
        if key in results:
            v = results[key]
            details.add_row(
                key,
                f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.2f}",
            )
    console.print(details)
    listed = {key for key, _ in ROWS} | set(DETAILS)
    others = Table(title="every other figure", show_header=False)
    for key in sorted(set(results) - listed):
        others.add_row(key, f"{results[key]:,.3f}")
    console.print(others)
    for note in notes:
        console.print(f"note: {note}")
