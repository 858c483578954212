"""D19, CH-2: OCPI DateTime read leniently, kept in UTC with its fraction, written with Z."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from domain.charging.datetimes import format_datetime, parse_datetime

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),  # no designator: UTC
        ("2015-06-29T20:39:09.2Z", datetime(2015, 6, 29, 20, 39, 9, 200000, tzinfo=UTC)),
        ("2015-06-29T20:39:01.123", datetime(2015, 6, 29, 20, 39, 1, 123000, tzinfo=UTC)),
        ("2015-06-29T22:39:09+02:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29 20:39:09+00:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09.123456789Z", datetime(2015, 6, 29, 20, 39, 9, 123456, tzinfo=UTC)),
    ],
)
def test_D19_accepted_forms_are_normalised_to_utc_keeping_fractions(text: str, instant: datetime) -> None:
    parsed = parse_datetime(text)

    assert parsed == instant
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text",
    ["2015-06-29", "20150629T203909Z", "2015-06-29T20:39Z", "2015-06-29T25:00:00Z",
     "2015-06-29T20:39:09+24:00",
     "2015-06-29T20:39:09 Europe/Paris", "0001-01-01T00:30:00+01:00", " 2015-06-29T20:39:09Z"],
)  # fmt: skip
def test_D19_other_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC), "2015-06-29T20:39:09Z"),
        (datetime(2015, 6, 29, 20, 39, 9, 200000, tzinfo=UTC), "2015-06-29T20:39:09.2Z"),
        (datetime(2015, 6, 29, 20, 39, 9, 123456, tzinfo=UTC), "2015-06-29T20:39:09.123456Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
    ],
)
def test_D19_instants_are_written_in_utc_with_z_and_their_fraction(instant: datetime, text: str) -> None:
    assert format_datetime(instant) == text
