"""The example objects of the charging spec, as JSON text, per OCPI version.

Sources: the two Session examples of the OCPI 2.2.1 Sessions module ("just starting", "a short finished
session"), the Price examples of the spec (2.2.1 and 2.3.0), the 2.3.0 PATCH examples
(``session_patch_example_charging_period``, ``session_patch_example_total_cost``), and the fixture of
the Python library's own tests.  The 2.3.0 Sessions text repeats the 2.2.1 Session examples word for
word, whose ``total_cost`` (``excl_vat``) is no 2.3.0 Price; the 2.3.0 fixtures are those sessions with
the 2.3.0 Price of the spec's example (D16), plus one with an ``EMAID`` token (D18) and the library's
extra 2.3.0 fields (D20).

``load`` decodes as the wire layer must: numbers as ``Decimal`` (no float rounding).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def load(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


# -- OCPI 2.2.1 -------------------------------------------------------------------------------------------

SESSION_JUST_STARTED_2_2_1 = """{
  "country_code": "NL",
  "party_id": "STK",
  "id": "101",
  "start_date_time": "2020-03-09T10:17:09Z",
  "kwh": 0.0,
  "cdr_token": {
    "country_code": "NL",
    "party_id": "TST",
    "uid": "123abc",
    "type": "RFID",
    "contract_id": "NL-TST-C12345678-S"
  },
  "auth_method": "WHITELIST",
  "location_id": "LOC1",
  "evse_uid": "3256",
  "connector_id": "1",
  "currency": "EUR",
  "total_cost": {
    "excl_vat": 2.5
  },
  "status": "PENDING",
  "last_updated": "2020-03-09T10:17:09Z"
}"""

SESSION_SHORT_FINISHED_2_2_1 = """{
  "country_code": "BE",
  "party_id": "BEC",
  "id": "101",
  "start_date_time": "2015-06-29T22:39:09Z",
  "end_date_time": "2015-06-29T23:50:16Z",
  "kwh": 41.12,
  "cdr_token": {
    "country_code": "NL",
    "party_id": "TST",
    "uid": "123abc",
    "type": "RFID",
    "contract_id": "NL-TST-C12345678-S"
  },
  "auth_method": "WHITELIST",
  "location_id": "LOC1",
  "evse_uid": "3256",
  "connector_id": "1",
  "currency": "EUR",
  "charging_periods": [
    {
      "start_date_time": "2015-06-29T22:39:09Z",
      "dimensions": [
        {"type": "ENERGY", "volume": 120},
        {"type": "MAX_CURRENT", "volume": 30}
      ]
    },
    {
      "start_date_time": "2015-06-29T22:40:54Z",
      "dimensions": [
        {"type": "ENERGY", "volume": 41000},
        {"type": "MIN_CURRENT", "volume": 34}
      ]
    },
    {
      "start_date_time": "2015-06-29T23:07:09Z",
      "dimensions": [
        {"type": "PARKING_TIME", "volume": 0.718}
      ],
      "tariff_id": "12"
    }
  ],
  "total_cost": {
    "excl_vat": 8.50,
    "incl_vat": 9.35
  },
  "status": "COMPLETED",
  "last_updated": "2015-06-29T23:50:17Z"
}"""

PRICE_2_2_1 = """{"excl_vat": 8.50, "incl_vat": 9.35}"""

#: The library's test fixture: date-times with a space and an offset, explicit nulls (D1, D2, D19).
LIBRARY_FIXTURE_2_2_1 = """{
  "country_code": "us",
  "party_id": "AAA",
  "id": "0a7c55c4-3a4e-4b0e-9a43-4cb5b6a3c1f2",
  "start_date_time": "2022-01-02 00:00:00+00:00",
  "end_date_time": "2022-01-02 00:05:00+00:00",
  "kwh": 100,
  "cdr_token": {
    "country_code": "us",
    "party_id": "AAA",
    "uid": "123",
    "type": "RFID",
    "contract_id": "123"
  },
  "auth_method": "AUTH_REQUEST",
  "authorization_reference": null,
  "location_id": "loc1",
  "evse_uid": "evse1",
  "connector_id": "1",
  "meter_id": null,
  "currency": "MYR",
  "charging_periods": [
    {
      "start_date_time": "2022-01-02 00:00:00+00:00",
      "dimensions": [{"type": "POWER", "volume": 10}],
      "tariff_id": null
    }
  ],
  "total_cost": {"excl_vat": 10.0, "incl_vat": 10.25},
  "status": "ACTIVE",
  "last_updated": "2022-01-02 00:00:00+00:00"
}"""

#: How the library fixture is served back: date-times normalised, null optional fields left out (CH-9).
LIBRARY_FIXTURE_2_2_1_RENDERED = """{
  "country_code": "us",
  "party_id": "AAA",
  "id": "0a7c55c4-3a4e-4b0e-9a43-4cb5b6a3c1f2",
  "start_date_time": "2022-01-02T00:00:00Z",
  "end_date_time": "2022-01-02T00:05:00Z",
  "kwh": 100,
  "cdr_token": {"country_code": "us", "party_id": "AAA", "uid": "123", "type": "RFID", "contract_id": "123"},
  "auth_method": "AUTH_REQUEST",
  "location_id": "loc1",
  "evse_uid": "evse1",
  "connector_id": "1",
  "currency": "MYR",
  "charging_periods": [
    {"start_date_time": "2022-01-02T00:00:00Z", "dimensions": [{"type": "POWER", "volume": 10}]}
  ],
  "total_cost": {"excl_vat": 10.0, "incl_vat": 10.25},
  "status": "ACTIVE",
  "last_updated": "2022-01-02T00:00:00Z"
}"""


# -- OCPI 2.3.0 -------------------------------------------------------------------------------------------

SESSION_JUST_STARTED_2_3_0 = SESSION_JUST_STARTED_2_2_1.replace('"excl_vat": 2.5', '"before_taxes": 2.5')

SESSION_SHORT_FINISHED_2_3_0 = SESSION_SHORT_FINISHED_2_2_1.replace(
    '"excl_vat": 8.50,\n    "incl_vat": 9.35',
    '"before_taxes": 8.50,\n    "taxes": [{"name": "VAT", "amount": 0.85}]',
)

PRICE_2_3_0 = """{"before_taxes": 8.50, "taxes": [{"name": "VAT", "amount": 0.85}]}"""

#: Plug & Charge (EMAID, D18) and the library's extra 2.3.0 fields (D20), with a full TaxAmount.
SESSION_EMAID_WITH_EXTENSIONS_2_3_0 = """{
  "country_code": "DE",
  "party_id": "ABC",
  "id": "pnc-0001",
  "start_date_time": "2024-05-01T08:00:00.25Z",
  "kwh": 12.3456,
  "cdr_token": {
    "country_code": "DE",
    "party_id": "XYZ",
    "uid": "DEXYZC123456781",
    "type": "EMAID",
    "contract_id": "DE-XYZ-C12345678-1"
  },
  "auth_method": "AUTH_REQUEST",
  "authorization_reference": "REF121212",
  "location_id": "LOC7",
  "evse_uid": "DE*ABC*E1234*1",
  "connector_id": "2",
  "meter_id": "meter-Ω-7",
  "currency": "EUR",
  "charging_periods": [
    {
      "start_date_time": "2024-05-01T08:00:00.25Z",
      "dimensions": [
        {"type": "ENERGY_IMPORT", "volume": 12.3456},
        {"type": "STATE_OF_CHARGE", "volume": 80}
      ],
      "tariff_id": "T-1"
    }
  ],
  "total_cost": {
    "before_taxes": 4.20,
    "taxes": [{"name": "MwSt", "account_number": "DE123", "percentage": 19, "amount": 0.798}]
  },
  "status": "ACTIVE",
  "last_updated": "2024-05-01T08:15:00.123Z",
  "soc_start": 20.5,
  "soc_end": 80,
  "odometer": 12345
}"""

PATCH_CHARGING_PERIOD_2_3_0 = """{
  "kwh": 15.00,
  "charging_periods": [{
    "start_date_time": "2019-06-23T08:16:02Z",
    "dimensions": [{
      "type": "ENERGY",
      "volume": 2200
    }]
  }],
  "total_cost": {
    "before_taxes": 0.80,
    "taxes": [{
      "name": "VAT",
      "amount": 0.08
    }]
  },
  "last_updated": "2019-06-23T08:16:02Z"
}"""

PATCH_TOTAL_COST_2_3_0 = """{
  "total_cost": {
    "before_taxes": 0.60,
    "taxes": [{
      "name": "VAT",
      "amount": 0.06
    }]
  },
  "last_updated": "2019-06-23T08:11:00Z"
}"""

#: Whole sessions that must come back unchanged from a PUT then a GET in their own version.
ROUND_TRIP_SESSIONS = {
    "2.2.1 just started": ("2.2.1", SESSION_JUST_STARTED_2_2_1),
    "2.2.1 short finished": ("2.2.1", SESSION_SHORT_FINISHED_2_2_1),
    "2.3.0 just started": ("2.3.0", SESSION_JUST_STARTED_2_3_0),
    "2.3.0 short finished": ("2.3.0", SESSION_SHORT_FINISHED_2_3_0),
    "2.3.0 EMAID with extensions": ("2.3.0", SESSION_EMAID_WITH_EXTENSIONS_2_3_0),
}

ROUND_TRIP_PRICES = {"2.2.1": PRICE_2_2_1, "2.3.0": PRICE_2_3_0}
