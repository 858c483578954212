"""A migration added to a live database: a column on a read-model table that already holds rows.

It is applied once (a second run applies nothing), recorded in ``schema_migrations``, the rows keep
their values, and ``verify`` (a rebuild from the event store into a scratch schema, every migration
applied from the start) still finds the live read model equal to the rebuild.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from infra.container import prepare_schema
from infra.rebuild import rebuild, verify
from projections.base import component
from projections.catalogue import LIVE_SCHEMA
from projections.eventsessions.registrations import RegistrationsProjection
from projections.migrations import Migration, migrate, pending
from tests.support.database import read_rows

BEGIN = datetime(2027, 7, 1, 9, tzinfo=timezone.utc)
ADD_NOTE = Migration("0002_add_note", "ALTER TABLE registrations ADD COLUMN note text NOT NULL DEFAULT ''")


class RegistrationsWithNote(RegistrationsProjection):
    """The shipped read model, and the next release's: one more migration at the end."""

    migrations = (*RegistrationsProjection.migrations, ADD_NOTE)


def _migrate(container, projection) -> list[str]:
    with container.pool.connection() as conn, conn.transaction():
        return migrate(conn.cursor(), LIVE_SCHEMA, [component(projection)])


def test_a_column_added_to_a_live_read_model_is_migrated_once_recorded_and_verified(container_factory):
    container = container_factory()
    app = container.app
    app.timeslots()  # the event store's tables
    prepare_schema(container.pool)
    event = app.create_event(name="Migrated", use_sessions=True)
    session = app.add_session(event.id, date_begin=BEGIN, date_end=BEGIN + timedelta(hours=1))
    for name in ("Ada", "Bo"):
        app.register(event_id=event.id, session_id=session.id, name=name, email=f"{name}@example.org")
    rebuild(app, container.pool, RegistrationsProjection())
    before = read_rows(container, "SELECT id, name, state, version FROM readmodels.registrations ORDER BY name")
    assert [r[1] for r in before] == ["Ada", "Bo"]
    newer = RegistrationsWithNote()
    with container.pool.connection() as conn, conn.cursor() as cur:
        assert pending(cur, LIVE_SCHEMA, [component(newer)]) == ["projection:registrations:0002_add_note"]

    assert _migrate(container, newer) == ["projection:registrations:0002_add_note"]
    assert _migrate(container, newer) == []

    assert read_rows(container, "SELECT id, name, state, version FROM readmodels.registrations ORDER BY name") == before
    assert read_rows(container, "SELECT note FROM readmodels.registrations") == [("",), ("",)]
    recorded = read_rows(
        container,
        "SELECT migration FROM readmodels.schema_migrations WHERE component = 'projection:registrations'"
        " ORDER BY migration",
    )
    assert recorded == [("0001_create",), ("0002_add_note",)]
    with container.pool.connection() as conn, conn.cursor() as cur:
        assert pending(cur, LIVE_SCHEMA, [component(newer)]) == []
    assert verify(app, container.pool, newer, settle_seconds=0) == []
