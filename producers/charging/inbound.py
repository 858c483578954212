"""``inbound.ocpi-sessions.v1``: OCPI session pushes from operators that publish instead of calling HTTP,
and their outcomes.

A request is ``{message_id, method: "PUT" | "PATCH", country_code, party_id, session_id, body}`` (plus
an optional ``ocpi_version``, ``2.2.1`` by default, naming the version the body follows).  Only this
envelope is checked here: a value that is no JSON object of this shape is dead-lettered.  The ``body``
is then read by the same OCPI rules as the HTTP receiver (a schema error there is a ``rejected``
outcome with OCPI status 2001, as HTTP answers it in the envelope).  Requests should be keyed by the
session's identity text (``topics``), so one session's requests keep their order.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Identity = Field(min_length=1, max_length=36)


class OcpiSessionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: UUID
    method: Literal["PUT", "PATCH"]
    country_code: str = Identity
    party_id: str = Identity
    session_id: str = Identity
    body: dict[str, Any]
    ocpi_version: Literal["2.2.1", "2.3.0"] = "2.2.1"


def parse_request(value: bytes | None) -> OcpiSessionRequest:
    """One record's value as a request; ``ValueError``/``ValidationError`` (dead letter) if it is none.
    Numbers are decoded as ``Decimal`` so the body's figures stay exact."""
    if value is None:
        raise ValueError("the record has no value")
    return OcpiSessionRequest.model_validate(json.loads(value, parse_float=Decimal))


class OcpiSessionOutcome(BaseModel):
    """One per request (``api/conventions.md``), plus what the HTTP receiver would have answered:
    ``ocpi_status_code`` (1000 or 2001), ``http_status`` (201 created, 200, 404 unknown session) and,
    when accepted, ``result`` (``applied``, ``unchanged``, ``ignored_as_stale``)."""

    message_id: UUID
    status: Literal["accepted", "rejected"]
    code: str | None = None
    detail: str | None = None
    aggregate_id: UUID | None = None
    version: int | None = None
    ocpi_status_code: int
    http_status: int
    result: str | None = None
