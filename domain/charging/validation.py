"""Wire objects of OCPI 2.2.1 or 2.3.0 -> the typed values commands take (for HTTP and the inbound topic).

Input is decoded JSON (decode numbers with ``parse_float=Decimal`` to keep them exact; floats are
accepted too).  Every schema error raises an ``InvalidSessionInputError`` (OCPI 2001) naming the field
(D11, D17); a missing field says ``Missing required field: <path>``.  Optional keys may be left out
(D1, D2).  Unknown fields are never refused: they are kept (D20, D24, CH-6).  The versions differ only
in the Price (D16) and the token type (D18).
"""

from __future__ import annotations

from typing import Any

from domain.charging.errors import InvalidSessionInputError, MissingFieldError
from domain.charging.fields import (
    Reader,
    boolean,
    cistring,
    currency,
    date_time,
    enum_value,
    extra_fields,
    json_list,
    json_object,
    number,
    path_of,
    string,
)
from domain.charging.values import (
    IDENTITY_FIELDS,
    PATCHABLE_FIELDS,
    CdrDimension,
    CdrToken,
    ChargingPeriod,
    ChargingPreferences,
    Price,
    SessionObject,
    SessionPatch,
    TaxAmount,
)
from domain.charging.vocabulary import (
    TOKEN_TYPES_2_2_1,
    AuthMethod,
    CdrDimensionType,
    OcpiVersion,
    ProfileType,
    SessionStatus,
)

Fields = dict[str, tuple[Reader, bool]]  # name -> (reader, required)


def _read_fields(obj: dict[str, Any], fields: Fields, path: str) -> dict[str, Any]:
    """The known fields present in ``obj``, read; a missing or null required one is refused."""
    values: dict[str, Any] = {}
    for name, (read, required) in fields.items():
        value = obj.get(name)
        if value is None:
            if required:
                raise MissingFieldError(path_of(path, name))
            continue
        values[name] = read(value, path_of(path, name))
    return values


def _ci(length: int, *, non_empty: bool = False) -> Reader:
    return lambda value, path: cistring(value, path, length, non_empty=non_empty)


def _enum(kind: Any) -> Reader:
    return lambda value, path: enum_value(value, path, kind)


def _list_of(read: Reader, *, at_least: int = 0) -> Reader:
    def read_list(value: Any, path: str) -> tuple[Any, ...]:
        items = json_list(value, path, at_least=at_least)
        return tuple(read(item, f"{path}[{index}]") for index, item in enumerate(items))

    return read_list


# -- the classes inside a Session ----------------------------------------------------------------------


def read_token_type(version: OcpiVersion) -> Reader:
    """D18: 2.2.1 knows four token types; in 2.3.0 the type is an open enum (``EMAID`` and others)."""

    def read(value: Any, path: str) -> str:
        if version is OcpiVersion.V2_2_1:
            text = cistring(value, path, 255)
            if text not in TOKEN_TYPES_2_2_1:
                raise InvalidSessionInputError(path, "must be one of " + ", ".join(sorted(TOKEN_TYPES_2_2_1)))
            return text
        return cistring(value, path, 255, non_empty=True)

    return read


def read_cdr_token(version: OcpiVersion) -> Reader:
    fields: Fields = {
        "country_code": (_ci(2), True),
        "party_id": (_ci(3), True),
        "uid": (_ci(36), True),
        "type": (read_token_type(version), True),
        "contract_id": (_ci(36), True),
    }

    def read(value: Any, path: str) -> CdrToken:
        obj = json_object(value, path)
        return CdrToken(**_read_fields(obj, fields, path), extra=extra_fields(obj, fields, path))

    return read


_DIMENSION_FIELDS: Fields = {"type": (_enum(CdrDimensionType), True), "volume": (number, True)}


def read_dimension(value: Any, path: str) -> CdrDimension:
    obj = json_object(value, path)
    return CdrDimension(**_read_fields(obj, _DIMENSION_FIELDS, path), extra=extra_fields(obj, _DIMENSION_FIELDS, path))


_PERIOD_FIELDS: Fields = {
    "start_date_time": (date_time, True),
    "dimensions": (_list_of(read_dimension, at_least=1), True),  # at least one dimension
    "tariff_id": (_ci(36), False),
}


def read_charging_period(value: Any, path: str) -> ChargingPeriod:
    obj = json_object(value, path)
    return ChargingPeriod(**_read_fields(obj, _PERIOD_FIELDS, path), extra=extra_fields(obj, _PERIOD_FIELDS, path))


_TAX_FIELDS: Fields = {
    "name": (string, True),
    "account_number": (string, False),
    "percentage": (number, False),
    "amount": (number, True),
}


def read_tax_amount(value: Any, path: str) -> TaxAmount:
    obj = json_object(value, path)
    return TaxAmount(**_read_fields(obj, _TAX_FIELDS, path), extra=extra_fields(obj, _TAX_FIELDS, path))


_PRICE_FIELDS: dict[OcpiVersion, Fields] = {
    OcpiVersion.V2_2_1: {"excl_vat": (number, True), "incl_vat": (number, False)},
    OcpiVersion.V2_3_0: {"before_taxes": (number, True), "taxes": (_list_of(read_tax_amount), False)},
}


def read_price(version: OcpiVersion) -> Reader:
    """D16, D17: each version's Price, validated; ``excl_vat`` is stored as ``before_taxes`` (CH-7)."""
    fields = _PRICE_FIELDS[version]

    def read(value: Any, path: str) -> Price:
        obj = json_object(value, path)
        values = _read_fields(obj, fields, path)
        if "excl_vat" in values:
            values["before_taxes"] = values.pop("excl_vat")
        return Price(**values, extra=extra_fields(obj, fields, path))

    return read


# -- the Session, a PATCH, the charging preferences -----------------------------------------------------


def session_fields(version: OcpiVersion) -> Fields:
    """The Session's fields in the spec's order, with their readers (CH-4, CH-5 for the strings)."""
    return {
        "country_code": (_ci(2, non_empty=True), True),
        "party_id": (_ci(3, non_empty=True), True),
        "id": (_ci(36, non_empty=True), True),
        "start_date_time": (date_time, True),
        "end_date_time": (date_time, False),
        "kwh": (number, True),
        "cdr_token": (read_cdr_token(version), True),
        "auth_method": (_enum(AuthMethod), True),
        "authorization_reference": (_ci(36), False),
        "location_id": (_ci(36), True),
        "evse_uid": (_ci(36), True),
        "connector_id": (_ci(36), True),
        "meter_id": (lambda value, path: string(value, path, 255), False),
        "currency": (currency, True),
        "charging_periods": (_list_of(read_charging_period), False),
        "total_cost": (read_price(version), False),
        "status": (_enum(SessionStatus), True),  # RESERVED is refused
        "last_updated": (date_time, True),
    }


_FIELDS = {version: session_fields(version) for version in OcpiVersion}


def validate_session(body: Any, version: OcpiVersion | str) -> SessionObject:
    """A whole Session (a PUT body, R-3): every required field, each of its version's type."""
    fields = _FIELDS[OcpiVersion(version)]
    obj = json_object(body, "")
    return SessionObject(**_read_fields(obj, fields, ""), extra=extra_fields(obj, fields, ""))


def validate_session_patch(body: Any, version: OcpiVersion | str) -> SessionPatch:
    """A PATCH body: ``last_updated`` required (R-4, D7); nested objects whole (R-5); CH-10 for nulls."""
    fields = _FIELDS[OcpiVersion(version)]
    obj = json_object(body, "")
    if obj.get("last_updated") is None:
        raise MissingFieldError("last_updated")
    present = {name: spec for name, spec in fields.items() if name in obj}
    optional = {name: (read, False) for name, (read, _) in present.items()}
    for name, (_, required) in present.items():
        if required and obj[name] is None:
            raise MissingFieldError(name)
    values = _read_fields(obj, optional, "")
    changes = {name: values.get(name) for name in PATCHABLE_FIELDS if name in present}
    return SessionPatch(
        last_updated=values["last_updated"],
        changes=changes,
        charging_periods=values.get("charging_periods", ()),  # R-6, CH-10: null or [] appends nothing
        identity={name: values[name] for name in IDENTITY_FIELDS if name in values},
        extra=extra_fields(obj, fields, ""),
    )


_PREFERENCE_FIELDS: Fields = {
    "profile_type": (_enum(ProfileType), True),
    "departure_time": (date_time, False),
    "energy_need": (number, False),
    "discharge_allowed": (boolean, False),
}


def validate_charging_preferences(body: Any, version: OcpiVersion | str) -> ChargingPreferences:
    """A ChargingPreferences body; ``discharge_allowed`` defaults to false (R-16)."""
    OcpiVersion(version)
    obj = json_object(body, "")
    return ChargingPreferences(
        **_read_fields(obj, _PREFERENCE_FIELDS, ""), extra=extra_fields(obj, _PREFERENCE_FIELDS, "")
    )
