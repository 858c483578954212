"""OCPI's enumerations and versions for charging sessions (the same lists in 2.2.1 and 2.3.0 unless said)."""

from __future__ import annotations

from enum import StrEnum


class OcpiVersion(StrEnum):
    V2_2_1 = "2.2.1"
    V2_3_0 = "2.3.0"


class SessionStatus(StrEnum):
    """R-17: the reservation value is ``RESERVATION``; ``RESERVED`` is not a status."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class AuthMethod(StrEnum):
    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class TokenType(StrEnum):
    """2.2.1's closed list; 2.3.0 adds ``EMAID`` and accepts unknown values (D18)."""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"
    EMAID = "EMAID"


#: D18: the token types 2.2.1 knows; in 2.3.0 the type is an open enum.
TOKEN_TYPES_2_2_1 = frozenset({"AD_HOC_USER", "APP_USER", "OTHER", "RFID"})


class CdrDimensionType(StrEnum):
    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


class ProfileType(StrEnum):
    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class ChargingPreferencesResponse(StrEnum):
    ACCEPTED = "ACCEPTED"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED"
    NOT_POSSIBLE = "NOT_POSSIBLE"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED"


#: COMPLETED and INVALID are final (R-7, CH-14).
FINAL_STATUSES = frozenset({SessionStatus.COMPLETED, SessionStatus.INVALID})
