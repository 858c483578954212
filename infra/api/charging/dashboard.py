"""Dashboard reads of the charging context (bearer tokens, RFC 9457 problems), from its read models.

- ``GET /charging/sessions``: the sessions as stored (the latest full object), newest ``last_updated``
  first, filtered by ``status``, ``country_code``, ``party_id``, ``location_id`` (case-insensitive),
  ``updated_from`` (inclusive) and ``updated_to`` (exclusive); a JSON array of OCPI Session objects in
  ``version`` (2.3.0 by default) with ``X-Total-Count``.
- ``GET /charging/locations/{location_id}/energy?from=&to=&bucket=hour|day``: kWh per UTC bucket and the
  sessions active in each (``projections.charging.location_energy``); ``to`` defaults to now, ``from``
  to 24 buckets before ``to``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AfterValidator

from domain.charging.documents import to_document
from domain.charging.rendering import render_session
from domain.charging.vocabulary import OcpiVersion, SessionStatus
from domain.shared.errors import InvalidInputError
from domain.shared.limits import INT8_MAX
from infra.api.auth import bearer
from infra.api.context import ContainerDep, read_now
from infra.api.instants import Instant, iso_z
from infra.api.problems import responses
from producers.fields import storable
from projections.charging.location_energy import BUCKETS, MAX_BUCKETS, energy_buckets, location_spans
from projections.charging.sessions import list_sessions

router = APIRouter(tags=["charging"], dependencies=[Depends(bearer)])
MAX_LIMIT = 500
#: Text bound into the read models' queries: a NUL (or a lone surrogate) is the caller's 422, not
#: PostgreSQL's error and our 500.
Storable = Annotated[str, AfterValidator(storable)]


@router.get("/charging/sessions", responses=responses(401, 422))
async def sessions(
    response: Response,
    container: ContainerDep,
    status: SessionStatus | None = None,
    country_code: Annotated[Storable | None, Query(max_length=2)] = None,
    party_id: Annotated[Storable | None, Query(max_length=3)] = None,
    location_id: Annotated[Storable | None, Query(max_length=36)] = None,
    updated_from: Instant | None = None,
    updated_to: Instant | None = None,
    offset: Annotated[int, Query(ge=0, le=INT8_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    version: OcpiVersion = OcpiVersion.V2_3_0,
) -> list[dict[str, Any]]:
    """Charging sessions as stored, newest ``last_updated`` first (``X-Total-Count``: all that match)."""
    page = await read_now(container, lambda cur: list_sessions(
        cur, status=status.value if status else None, country_code=country_code, party_id=party_id,
        location_id=location_id, updated_from=updated_from, updated_to=updated_to, offset=offset, limit=limit,
    ))  # fmt: skip
    response.headers["X-Total-Count"] = str(page.total)
    return [to_document(render_session(stored, version)) for stored in page.sessions]


@router.get("/charging/locations/{location_id}/energy", responses=responses(401, 422))
async def location_energy(
    location_id: Storable,
    container: ContainerDep,
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Instant | None = None,
    bucket: Literal["hour", "day"] = "hour",
) -> dict[str, Any]:
    """kWh charged at the location per bucket, and the number of sessions active in each."""
    size = BUCKETS[bucket]
    end = to or container.clock.now()
    start = from_ or end - 24 * size
    if start >= end:
        raise InvalidInputError("from", "'from' must be before 'to'.")
    if (end - start) / size > MAX_BUCKETS:
        raise InvalidInputError("to", f"At most {MAX_BUCKETS} buckets per request.")
    spans = await read_now(container, lambda cur: location_spans(cur, location_id, start, end))
    found = energy_buckets(spans, start, end, size)
    kwh = [round(float(b.kwh), 6) for b in found]
    return {
        "location_id": location_id, "bucket": bucket, "from": iso_z(start), "to": iso_z(end),
        "total_kwh": round(sum(kwh), 6),
        "buckets": [
            {"start": iso_z(b.start), "end": iso_z(b.end), "kwh": k, "sessions": b.sessions}
            for b, k in zip(found, kwh, strict=True)
        ],
    }  # fmt: skip
