"""The stored session -> a wire object of OCPI 2.2.1 or 2.3.0 (one stored session, served per version).

Numbers come out as ``Decimal`` (encode them as JSON numbers), date-times as OCPI text (D19, CH-2).
Absent optional fields and an empty ``charging_periods`` are left out (CH-9); unknown fields that
came in are written back, never over a known field (CH-6).  Across versions: CH-7 (Price), CH-8
(token type).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.charging.datetimes import format_datetime
from domain.charging.values import extra_values
from domain.charging.vocabulary import TOKEN_TYPES_2_2_1, OcpiVersion, TokenType

Stored = Mapping[str, Any]

_SESSION_ORDER = (
    "country_code", "party_id", "id", "start_date_time", "end_date_time", "kwh", "cdr_token", "auth_method",
    "authorization_reference", "location_id", "evse_uid", "connector_id", "meter_id", "currency",
    "charging_periods", "total_cost", "status", "last_updated",
)  # fmt: skip


def _wire(value: Any) -> Any:
    return format_datetime(value) if isinstance(value, datetime) else value


def _finish(known: dict[str, Any], stored: Stored) -> dict[str, Any]:
    """``known`` followed by the unknown fields kept in ``stored`` (CH-6: a known field wins)."""
    for name, value in extra_values(stored.get("extra")).items():
        known.setdefault(name, value)
    return known


def _plain(stored: Stored, order: Sequence[str]) -> dict[str, Any]:
    return _finish({name: _wire(stored[name]) for name in order if name in stored}, stored)


def render_cdr_token(stored: Stored, version: OcpiVersion) -> dict[str, Any]:
    rendered = _plain(stored, ("country_code", "party_id", "uid", "type", "contract_id"))
    if version is OcpiVersion.V2_2_1 and stored["type"] not in TOKEN_TYPES_2_2_1:
        rendered["type"] = TokenType.OTHER.value  # CH-8: 2.2.1 has no EMAID nor open values
    return rendered


def render_period(stored: Stored) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "start_date_time": format_datetime(stored["start_date_time"]),
        "dimensions": [_plain(dimension, ("type", "volume")) for dimension in stored["dimensions"]],
    }
    if "tariff_id" in stored:
        rendered["tariff_id"] = stored["tariff_id"]
    return _finish(rendered, stored)


def render_price(stored: Stored, version: OcpiVersion) -> dict[str, Any]:
    """D16 per version; CH-7 when the Price came in the other version."""
    before_taxes: Decimal = stored["before_taxes"]
    taxes = stored.get("taxes")
    incl_vat = stored.get("incl_vat")
    if version is OcpiVersion.V2_2_1:
        rendered: dict[str, Any] = {"excl_vat": before_taxes}
        if incl_vat is None and taxes is not None:
            incl_vat = before_taxes + sum((tax["amount"] for tax in taxes), Decimal(0))
        if incl_vat is not None:
            rendered["incl_vat"] = incl_vat
        return _finish(rendered, stored)
    rendered = {"before_taxes": before_taxes}
    if taxes is not None:
        rendered["taxes"] = [_plain(tax, ("name", "account_number", "percentage", "amount")) for tax in taxes]
    elif incl_vat is not None:
        rendered["taxes"] = [{"name": "VAT", "amount": incl_vat - before_taxes}]
    return _finish(rendered, stored)


def render_session(
    stored: Stored, version: OcpiVersion | str, charging_periods: Sequence[Stored] | None = None
) -> dict[str, Any]:
    """The Session object of ``version`` for a stored session (its periods from ``charging_periods``
    when given, else from ``stored``)."""
    version = OcpiVersion(version)
    periods = stored.get("charging_periods", ()) if charging_periods is None else charging_periods
    rendered: dict[str, Any] = {}
    for name in _SESSION_ORDER:
        if name == "charging_periods":
            if periods:
                rendered[name] = [render_period(period) for period in periods]
        elif name == "cdr_token":
            rendered[name] = render_cdr_token(stored[name], version)
        elif name == "total_cost":
            if name in stored:
                rendered[name] = render_price(stored[name], version)
        elif name in stored:
            rendered[name] = _wire(stored[name])
    return _finish(rendered, stored)


def render_charging_preferences(stored: Stored) -> dict[str, Any]:
    return _plain(stored, ("profile_type", "departure_time", "energy_need", "discharge_allowed"))
