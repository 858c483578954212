"""CH-26: a location's energy per bucket: each period's ENERGY spread over its duration (until the next
period, the last one until the session's end), and the sessions active in each bucket."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from projections.charging.location_energy import BUCKETS, SessionSpan, energy_buckets, period_energy

HOUR, DAY = BUCKETS["hour"], BUCKETS["day"]


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2025, 1, day, hour, minute, tzinfo=timezone.utc)


def kwh(buckets: list) -> list[Decimal]:  # type: ignore[type-arg]
    return [b.kwh for b in buckets]


def test_CH26_a_period_is_spread_evenly_until_the_next_period_starts() -> None:
    span = SessionSpan(at(10), at(12), [(at(10, 30), Decimal(6)), (at(11, 30), Decimal(0))])

    buckets = energy_buckets([span], at(10), at(12), HOUR)

    assert kwh(buckets) == [Decimal(3), Decimal(3)]


def test_CH26_the_last_period_lasts_until_the_session_ends() -> None:
    span = SessionSpan(at(9), at(11, 30), [(at(9), Decimal(5)), (at(10), Decimal(3))])

    buckets = energy_buckets([span], at(9), at(13), HOUR)

    assert kwh(buckets) == [Decimal(5), Decimal(2), Decimal(1), Decimal(0)]
    assert [b.sessions for b in buckets] == [1, 1, 1, 0]


def test_CH26_a_period_without_duration_counts_in_its_starting_bucket() -> None:
    span = SessionSpan(at(10, 15), at(10, 15), [(at(10, 15), Decimal("1.5"))])

    buckets = energy_buckets([span], at(10), at(11), HOUR)

    assert kwh(buckets) == [Decimal("1.5")]
    assert buckets[0].sessions == 1


def test_CH26_sessions_active_in_a_bucket_are_those_whose_span_overlaps_it() -> None:
    spans = [
        SessionSpan(at(10), at(11), [(at(10), Decimal(1))]),
        SessionSpan(at(10, 30), at(12, 30), [(at(10, 30), Decimal(4))]),
    ]

    buckets = energy_buckets(spans, at(10), at(13), HOUR)

    assert [b.sessions for b in buckets] == [2, 1, 1]
    assert sum(kwh(buckets)) == Decimal(5)


def test_CH26_day_buckets_are_utc_days_from_the_start_of_froms_day() -> None:
    span = SessionSpan(at(22), at(2, day=2), [(at(22), Decimal(4))])

    buckets = energy_buckets([span], at(12), at(12, day=2), DAY)

    assert [b.start for b in buckets] == [at(0), at(0, day=2)]
    assert kwh(buckets) == [Decimal(2), Decimal(2)]


def test_CH26_energy_outside_the_window_is_left_out() -> None:
    span = SessionSpan(at(8), at(12), [(at(8), Decimal(4))])

    buckets = energy_buckets([span], at(10), at(11), HOUR)

    assert kwh(buckets) == [Decimal(1)]


def test_CH26_a_periods_energy_is_the_sum_of_its_ENERGY_dimensions_only() -> None:
    period = {"dimensions": [{"type": "ENERGY", "volume": 1.25}, {"type": "MAX_CURRENT", "volume": 30},
                             {"type": "ENERGY", "volume": 2}]}  # fmt: skip

    assert period_energy(period) == Decimal("3.25")
    assert period_energy({"dimensions": [{"type": "PARKING_TIME", "volume": 0.7}]}) == 0


def test_CH26_buckets_cover_from_the_bucket_of_from_up_to_to() -> None:
    buckets = energy_buckets([], at(10, 20), at(12, 10), HOUR)

    assert [b.start for b in buckets] == [at(10), at(11), at(12)]
    assert buckets[-1].end - buckets[-1].start == timedelta(hours=1)
