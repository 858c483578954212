"""The session as commands take it: version-neutral, typed values (``datetime`` in UTC, ``Decimal``).

``validation`` builds these from a wire object of either OCPI version; ``to_stored()`` turns them into
the JSON-friendly form that events and the aggregate keep (CH-21):

- date-times stay ``datetime`` and numbers ``Decimal`` (eventsourcing's stock transcodings store them);
- the Price is kept version-neutral: ``before_taxes`` (2.2.1's ``excl_vat``), ``incl_vat`` (2.2.1 only)
  and ``taxes`` (2.3.0 only), each only when given (CH-7);
- absent optional fields are left out; unknown fields are kept as one JSON text under ``extra``
  (CH-6), so no client-chosen key can reach the event store's transcoder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.charging.vocabulary import AuthMethod, CdrDimensionType, ProfileType, SessionStatus

#: Unknown fields of one object: name -> JSON value, as received.
Extra = Mapping[str, Any]


def extra_text(extra: Extra) -> str:
    """CH-6: unknown fields as one canonical JSON text (numbers written as JSON numbers)."""
    return json.dumps(dict(extra), sort_keys=True, separators=(",", ":"), allow_nan=False, default=_json_number)


def extra_values(text: str | None) -> dict[str, Any]:
    """The unknown fields kept by ``extra_text`` (numbers as ``Decimal``, as the wire parser gives them)."""
    return json.loads(text, parse_float=Decimal) if text else {}


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.as_tuple().exponent  # an int: only NaN and infinities have a letter here
        return (
            int(value)
            if value == value.to_integral_value() and isinstance(exponent, int) and exponent >= 0
            else float(value)
        )
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _with_extra(stored: dict[str, Any], extra: Extra) -> dict[str, Any]:
    if extra:
        stored["extra"] = extra_text(extra)
    return stored


def _optional(stored: dict[str, Any], **values: Any) -> dict[str, Any]:
    stored.update({name: value for name, value in values.items() if value is not None})
    return stored


@dataclass(frozen=True)
class CdrToken:
    country_code: str
    party_id: str
    uid: str
    type: str  # TokenType; any string in 2.3.0 (D18)
    contract_id: str
    extra: Extra = field(default_factory=dict)

    def to_stored(self) -> dict[str, Any]:
        stored = {
            "country_code": self.country_code,
            "party_id": self.party_id,
            "uid": self.uid,
            "type": self.type,
            "contract_id": self.contract_id,
        }
        return _with_extra(stored, self.extra)


@dataclass(frozen=True)
class CdrDimension:
    type: CdrDimensionType
    volume: Decimal
    extra: Extra = field(default_factory=dict)

    def to_stored(self) -> dict[str, Any]:
        return _with_extra({"type": str(self.type), "volume": self.volume}, self.extra)


@dataclass(frozen=True)
class ChargingPeriod:
    start_date_time: datetime
    dimensions: tuple[CdrDimension, ...]  # at least one
    tariff_id: str | None = None
    extra: Extra = field(default_factory=dict)

    def to_stored(self) -> dict[str, Any]:
        stored = {
            "start_date_time": self.start_date_time,
            "dimensions": [dimension.to_stored() for dimension in self.dimensions],
        }
        return _with_extra(_optional(stored, tariff_id=self.tariff_id), self.extra)


@dataclass(frozen=True)
class TaxAmount:
    """2.3.0 only."""

    name: str
    amount: Decimal
    account_number: str | None = None
    percentage: Decimal | None = None
    extra: Extra = field(default_factory=dict)

    def to_stored(self) -> dict[str, Any]:
        stored = _optional({"name": self.name}, account_number=self.account_number, percentage=self.percentage)
        stored["amount"] = self.amount
        return _with_extra(stored, self.extra)


@dataclass(frozen=True)
class Price:
    """Version-neutral (CH-7): ``before_taxes`` is 2.2.1's ``excl_vat``; ``incl_vat`` comes from 2.2.1,
    ``taxes`` from 2.3.0 (``None``: not given; ``()``: given empty)."""

    before_taxes: Decimal
    incl_vat: Decimal | None = None
    taxes: tuple[TaxAmount, ...] | None = None
    extra: Extra = field(default_factory=dict)

    def to_stored(self) -> dict[str, Any]:
        stored = _optional({"before_taxes": self.before_taxes}, incl_vat=self.incl_vat)
        if self.taxes is not None:
            stored["taxes"] = [tax.to_stored() for tax in self.taxes]
        return _with_extra(stored, self.extra)


@dataclass(frozen=True)
class SessionObject:
    """A whole Session object (what a PUT carries), in either version."""

    country_code: str
    party_id: str
    id: str
    start_date_time: datetime
    kwh: Decimal
    cdr_token: CdrToken
    auth_method: AuthMethod
    location_id: str
    evse_uid: str
    connector_id: str
    currency: str
    status: SessionStatus
    last_updated: datetime
    end_date_time: datetime | None = None
    authorization_reference: str | None = None
    meter_id: str | None = None
    charging_periods: tuple[ChargingPeriod, ...] = ()
    total_cost: Price | None = None  # absent means unknown, not free
    extra: Extra = field(default_factory=dict)

    def to_stored(self) -> dict[str, Any]:
        """The stored form, ``charging_periods`` included (as a list, possibly empty)."""
        stored: dict[str, Any] = {
            "country_code": self.country_code,
            "party_id": self.party_id,
            "id": self.id,
            "start_date_time": self.start_date_time,
            "kwh": self.kwh,
            "cdr_token": self.cdr_token.to_stored(),
            "auth_method": str(self.auth_method),
            "location_id": self.location_id,
            "evse_uid": self.evse_uid,
            "connector_id": self.connector_id,
            "currency": self.currency,
            "status": str(self.status),
            "last_updated": self.last_updated,
        }
        _optional(
            stored,
            end_date_time=self.end_date_time,
            authorization_reference=self.authorization_reference,
            meter_id=self.meter_id,
            total_cost=self.total_cost.to_stored() if self.total_cost else None,
        )
        stored["charging_periods"] = [period.to_stored() for period in self.charging_periods]
        return _with_extra(stored, self.extra)


#: The top-level fields a PATCH may change (besides ``charging_periods`` and ``last_updated``).
PATCHABLE_FIELDS = (
    "start_date_time", "end_date_time", "kwh", "cdr_token", "auth_method", "authorization_reference",
    "location_id", "evse_uid", "connector_id", "meter_id", "currency", "total_cost", "status",
)  # fmt: skip
#: R-1: the identity fields; a PATCH may repeat them but never change them (CH-11).
IDENTITY_FIELDS = ("country_code", "party_id", "id")


@dataclass(frozen=True)
class SessionPatch:
    """What a PATCH carries (R-4..R-6): only the fields that were sent.

    ``changes`` maps a name of ``PATCHABLE_FIELDS`` to its new typed value, ``None`` clearing an
    optional field (CH-10); ``charging_periods`` are to be appended (R-6); ``identity`` holds the
    identity fields as the body repeated them; ``extra`` the unknown fields (``None`` removes one).
    """

    last_updated: datetime
    changes: Mapping[str, Any] = field(default_factory=dict)
    charging_periods: tuple[ChargingPeriod, ...] = ()
    identity: Mapping[str, str] = field(default_factory=dict)
    extra: Extra = field(default_factory=dict)

    def stored_changes(self) -> dict[str, Any]:
        """``changes`` in stored form (``None`` kept: it clears the field)."""
        return {name: _stored(value) for name, value in self.changes.items()}


def _stored(value: Any) -> Any:
    if value is None or isinstance(value, (datetime, Decimal)):
        return value
    if isinstance(value, (CdrToken, Price)):
        return value.to_stored()
    return str(value)  # the enums and strings


@dataclass(frozen=True)
class ChargingPreferences:
    profile_type: ProfileType
    departure_time: datetime | None = None
    energy_need: Decimal | None = None
    discharge_allowed: bool = False
    extra: Extra = field(default_factory=dict)

    def to_stored(self) -> dict[str, Any]:
        stored = _optional(
            {"profile_type": str(self.profile_type)},
            departure_time=self.departure_time,
            energy_need=self.energy_need,
        )
        stored["discharge_allowed"] = self.discharge_allowed
        return _with_extra(stored, self.extra)
