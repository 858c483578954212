"""Read model ``charging_sessions``: every charging session as stored (the latest full object), for the
dashboard list ``GET /charging/sessions`` and the OCPI sender list ``GET /ocpi/cpo/{version}/sessions``.

One row per session holds its document without the periods (``domain.charging.documents``) and the
columns the lists filter and order on; the periods are rows of their own, so a PATCH that appends one
inserts one row instead of rewriting a growing list.  A PUT (``SessionReplaced``) replaces them all.

Orders: the dashboard shows the newest ``last_updated`` first; the sender list pages in the order the
sessions were first stored (``first_seen_at``, the ``SessionCreated`` instant, then the aggregate id),
so a new session only changes the last page (spec §7.1).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.charging.documents import from_document
from domain.charging.rendering import render_session
from producers.charging import messages as v1
from producers.charging import topics
from projections.base import Row, fold
from projections.migrations import Migration

COLUMNS = (
    "aggregate_id", "session_key", "country_code", "party_id", "session_id", "owner_country", "owner_party",
    "token_country", "token_party", "location_key", "status", "last_updated", "first_seen_at", "version",
    "period_count", "document", "preferences", "preferences_response",
)  # fmt: skip


class ChargingSessionsProjection:
    name = "charging_sessions"
    topics = (topics.SESSIONS,)
    tables = ("charging_sessions", "charging_session_periods")
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS charging_sessions (
        aggregate_id uuid PRIMARY KEY,
        session_key text NOT NULL,
        country_code text NOT NULL,
        party_id text NOT NULL,
        session_id text NOT NULL,
        owner_country text NOT NULL,
        owner_party text NOT NULL,
        token_country text NOT NULL,
        token_party text NOT NULL,
        location_key text NOT NULL,
        status text NOT NULL,
        last_updated timestamptz NOT NULL,
        first_seen_at timestamptz NOT NULL,
        version integer NOT NULL,
        period_count integer NOT NULL,
        document jsonb NOT NULL,
        preferences jsonb,
        preferences_response text
    );
    CREATE INDEX IF NOT EXISTS charging_sessions_updated_idx ON charging_sessions (last_updated DESC, aggregate_id);
    CREATE INDEX IF NOT EXISTS charging_sessions_first_seen_idx ON charging_sessions (first_seen_at, aggregate_id);
    CREATE INDEX IF NOT EXISTS charging_sessions_owner_idx ON charging_sessions (owner_country, owner_party);
    CREATE INDEX IF NOT EXISTS charging_sessions_token_idx ON charging_sessions (token_country, token_party);
    CREATE INDEX IF NOT EXISTS charging_sessions_id_idx ON charging_sessions (lower(session_id));
    CREATE TABLE IF NOT EXISTS charging_session_periods (
        aggregate_id uuid NOT NULL,
        position integer NOT NULL,
        period jsonb NOT NULL,
        PRIMARY KEY (aggregate_id, position)
    );
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        periods = _PeriodChanges()
        fold(
            cur, "charging_sessions", "aggregate_id", COLUMNS, messages, lambda m: m.aggregate_id,
            lambda row, m: _apply(_load(row), m, periods),
        )  # fmt: skip
        periods.write(cur)


@dataclass
class _PeriodChanges:
    """The period rows a batch replaces (a PUT) or adds (a PATCH), in message order."""

    def __post_init__(self) -> None:
        self.cleared: set[UUID] = set()
        self.rows: dict[tuple[UUID, int], dict[str, Any]] = {}

    def replace(self, aggregate_id: UUID, periods: list[dict[str, Any]]) -> None:
        self.cleared.add(aggregate_id)
        self.rows = {k: v for k, v in self.rows.items() if k[0] != aggregate_id}
        self.add(aggregate_id, 0, periods)

    def add(self, aggregate_id: UUID, first: int, periods: list[dict[str, Any]]) -> None:
        for offset, period in enumerate(periods):
            self.rows[(aggregate_id, first + offset)] = period

    def write(self, cur: Cursor[Any]) -> None:
        if self.cleared:
            cur.execute("DELETE FROM charging_session_periods WHERE aggregate_id = ANY(%s)", (list(self.cleared),))
        if self.rows:
            cur.executemany(
                "INSERT INTO charging_session_periods (aggregate_id, position, period) VALUES (%s, %s, %s)"
                " ON CONFLICT (aggregate_id, position) DO UPDATE SET period = EXCLUDED.period",
                [(aid, position, Jsonb(period)) for (aid, position), period in self.rows.items()],
            )


def _load(row: Row | None) -> Row | None:
    """A row as ``fold`` read it (jsonb decoded to dicts) or as a previous message left it."""
    if row is None:
        return None
    row = dict(row)
    for name in ("document", "preferences"):
        if isinstance(row[name], Jsonb):
            row[name] = row[name].obj
    return row


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _columns_of(document: dict[str, Any]) -> dict[str, Any]:
    token = document["cdr_token"]
    return {
        "location_key": document["location_id"].lower(),
        "status": document["status"],
        "last_updated": _instant(document["last_updated"]),
        "token_country": token["country_code"].lower(),
        "token_party": token["party_id"].lower(),
    }


def _apply(row: Row | None, m: Any, periods: _PeriodChanges) -> Row | None:
    if isinstance(m, (v1.SessionCreated, v1.SessionReplaced)):
        document = {name: value for name, value in m.session.items() if name != "charging_periods"}
        new = m.session.get("charging_periods", [])
        periods.replace(m.aggregate_id, new)
        first_seen = row["first_seen_at"] if row is not None else m.occurred_at
        return {
            "aggregate_id": m.aggregate_id, "session_key": m.session_key,
            "country_code": document["country_code"], "party_id": document["party_id"],
            "session_id": document["id"], "owner_country": document["country_code"].lower(),
            "owner_party": document["party_id"].lower(), "first_seen_at": first_seen, "version": m.version,
            "period_count": len(new), "document": Jsonb(document),
            "preferences": Jsonb(row["preferences"]) if row and row["preferences"] is not None else None,
            "preferences_response": row["preferences_response"] if row else None, **_columns_of(document),
        }  # fmt: skip
    if row is None:
        return None
    document = dict(row["document"])
    row = dict(row, version=m.version)
    match m:
        case v1.SessionFieldsPatched():
            for name, value in m.changes.items():
                if value is None:
                    document.pop(name, None)
                else:
                    document[name] = value
        case v1.SessionPeriodsAppended():
            periods.add(m.aggregate_id, m.period_count - len(m.charging_periods), m.charging_periods)
            row["period_count"] = m.period_count
        case v1.SessionStatusChanged():
            document["status"] = m.to_status
        case v1.SessionPreferencesSet():
            row.update(preferences=m.preferences, preferences_response=m.response)
    preferences = row["preferences"]
    row.update(
        document=Jsonb(document), preferences=Jsonb(preferences) if preferences is not None else None,
        **_columns_of(document),
    )  # fmt: skip
    return row


# -- queries ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of sessions in stored form (``rendering.render_session`` serves them per version)."""

    total: int
    sessions: list[dict[str, Any]]


def _decoded(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _stored_sessions(cur: Cursor[Any], rows: list[tuple[UUID, str]]) -> list[dict[str, Any]]:
    """``(aggregate_id, document text)`` rows -> whole sessions in stored form, periods included."""
    ids = [aggregate_id for aggregate_id, _ in rows]
    periods: dict[UUID, list[Any]] = {aggregate_id: [] for aggregate_id in ids}
    if ids:
        cur.execute(
            "SELECT aggregate_id, period::text FROM charging_session_periods WHERE aggregate_id = ANY(%s)"
            " ORDER BY aggregate_id, position",
            (ids,),
        )
        for aggregate_id, text in cur.fetchall():
            periods[aggregate_id].append(_decoded(text))
    return [from_document({**_decoded(text), "charging_periods": periods[aggregate_id]}) for aggregate_id, text in rows]


def list_sessions(
    cur: Cursor[Any],
    *,
    status: str | None = None,
    country_code: str | None = None,
    party_id: str | None = None,
    location_id: str | None = None,
    updated_from: datetime | None = None,
    updated_to: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """The dashboard list: newest ``last_updated`` first; identity filters compare case-insensitively,
    ``updated_from`` is inclusive and ``updated_to`` exclusive."""
    where = (
        " WHERE (%(st)s::text IS NULL OR status = %(st)s) AND (%(cc)s::text IS NULL OR owner_country = %(cc)s)"
        " AND (%(pid)s::text IS NULL OR owner_party = %(pid)s) AND (%(loc)s::text IS NULL OR location_key = %(loc)s)"
        " AND (%(uf)s::timestamptz IS NULL OR last_updated >= %(uf)s)"
        " AND (%(ut)s::timestamptz IS NULL OR last_updated < %(ut)s)"
    )
    params = {
        "st": status, "cc": _lower(country_code), "pid": _lower(party_id), "loc": _lower(location_id),
        "uf": updated_from, "ut": updated_to, "o": offset, "l": limit,
    }  # fmt: skip
    cur.execute("SELECT count(*) FROM charging_sessions" + where, params)
    total = cur.fetchone()[0]  # type: ignore[index]
    cur.execute(
        "SELECT aggregate_id, document::text FROM charging_sessions" + where
        + " ORDER BY last_updated DESC, aggregate_id LIMIT %(l)s OFFSET %(o)s",
        params,
    )  # fmt: skip
    return Page(total, _stored_sessions(cur, cur.fetchall()))


def sender_page(
    cur: Cursor[Any],
    viewer: tuple[str, str],
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page:
    """The OCPI sender list for one party (CH-18: what it owns or whose token it issued): R-14's window on
    ``last_updated``, in the order the sessions were first stored; ``total`` counts only what it may see."""
    where = (
        " WHERE ((owner_country = %(c)s AND owner_party = %(p)s) OR (token_country = %(c)s AND token_party = %(p)s))"
        " AND (%(df)s::timestamptz IS NULL OR last_updated >= %(df)s)"
        " AND (%(dt)s::timestamptz IS NULL OR last_updated < %(dt)s)"
    )
    params = {
        "c": viewer[0].lower(), "p": viewer[1].lower(), "df": date_from, "dt": date_to, "o": offset, "l": limit,
    }  # fmt: skip
    cur.execute("SELECT count(*) FROM charging_sessions" + where, params)
    total = cur.fetchone()[0]  # type: ignore[index]
    cur.execute(
        "SELECT aggregate_id, document::text FROM charging_sessions" + where
        + " ORDER BY first_seen_at, aggregate_id LIMIT %(l)s OFFSET %(o)s",
        params,
    )  # fmt: skip
    return Page(total, _stored_sessions(cur, cur.fetchall()))


def visible_identity(cur: Cursor[Any], viewer: tuple[str, str], session_id: str) -> tuple[str, str, str] | None:
    """The identity of the session ``session_id`` that ``viewer`` may see (CH-18), for the sender's
    charging preferences (whose URL names the session by its id alone): a session the viewer owns
    first, else the one most recently updated among those whose token it issued (CH-25)."""
    cur.execute(
        "SELECT country_code, party_id, session_id FROM charging_sessions WHERE lower(session_id) = %(s)s"
        " AND ((owner_country = %(c)s AND owner_party = %(p)s) OR (token_country = %(c)s AND token_party = %(p)s))"
        " ORDER BY (owner_country = %(c)s AND owner_party = %(p)s) DESC, last_updated DESC, aggregate_id LIMIT 1",
        {"s": session_id.lower(), "c": viewer[0].lower(), "p": viewer[1].lower()},
    )
    row = cur.fetchone()
    return (row[0], row[1], row[2]) if row else None


def render_page(page: Page, version: str) -> list[dict[str, Any]]:
    return [render_session(stored, version) for stored in page.sessions]


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None
