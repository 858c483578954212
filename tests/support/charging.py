"""Charging scenarios for tests: an in-memory application, and one run of commands that records every
kind of event the context has (the mapping test checks each one has a published message)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from domain.charging.application import ChargingSessions
from domain.charging.validation import validate_charging_preferences, validate_session, validate_session_patch
from domain.shared.clock import FrozenClock

NOW = datetime(2020, 3, 9, 12, 0, tzinfo=timezone.utc)
IDENTITY = ("NL", "STK", "101")


def in_memory(clock: FrozenClock | None = None, **settings: str) -> ChargingSessions:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo", **settings}
    return ChargingSessions(env=env, clock=clock or FrozenClock(NOW))


def session_body(**fields: Any) -> dict[str, Any]:
    """The spec's "just starting" 2.2.1 session (PENDING, no periods) with ``fields`` replaced."""
    body: dict[str, Any] = {
        "country_code": "NL", "party_id": "STK", "id": "101",
        "start_date_time": "2020-03-09T10:17:09Z", "kwh": Decimal("0.0"),
        "cdr_token": {
            "country_code": "NL", "party_id": "TST", "uid": "123abc", "type": "RFID",
            "contract_id": "NL-TST-C12345678-S",
        },
        "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "3256", "connector_id": "1",
        "currency": "EUR", "total_cost": {"excl_vat": Decimal("2.5")}, "status": "PENDING",
        "last_updated": "2020-03-09T10:17:09Z",
    }  # fmt: skip
    return {**body, **fields}


def every_event(app: ChargingSessions) -> ChargingSessions:
    """Runs commands that record at least one event of every class of the ``ChargingSession`` aggregate."""
    app.put_session(*IDENTITY, validate_session(session_body(), "2.2.1"))  # Created
    later = session_body(kwh=1, last_updated="2020-03-09T10:18:00Z")
    app.put_session(*IDENTITY, validate_session(later, "2.2.1"))  # Replaced
    period = {"start_date_time": "2020-03-09T10:19:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}
    patch = {"kwh": 2, "status": "ACTIVE", "charging_periods": [period], "last_updated": "2020-03-09T10:19:00Z"}
    # One PATCH records FieldsPatched, PeriodsAppended and StatusChanged.
    app.patch_session(*IDENTITY, validate_session_patch(patch, "2.2.1"))
    older = {"kwh": 0, "last_updated": "2020-03-09T10:00:00Z"}
    app.patch_session(*IDENTITY, validate_session_patch(older, "2.2.1"))  # StaleUpdateIgnored
    preferences = validate_charging_preferences({"profile_type": "FAST"}, "2.2.1")
    app.set_charging_preferences(*IDENTITY, preferences)  # PreferencesSet (CH-16)
    return app
