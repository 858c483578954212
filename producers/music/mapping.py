"""Music domain events -> Kafka messages: the one place that knows both sides.

``MAPPING.routes`` names every stored event class of the music aggregates and its topic:
``Session`` and the index aggregates (``SessionPath``, ``SessionRegistry``) go to
``music.sessions.v1`` keyed by the session they concern (the registry's ``Started`` by the registry's
own id); ``SessionInstance`` (its tune log included) goes to ``music.instances.v1`` keyed by the
instance.  Every event carries what its message needs, so the mapping needs no lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from domain.music.instance import SessionInstance
from domain.music.session import Session
from domain.music.session_path import SessionPath
from domain.music.session_registry import SessionRegistry
from producers.music import messages as v1
from producers.music import topics
from producers.registry import Outgoing, UnmappedEventError, leaf_event_classes

CONTEXT = "music"
Builder = Callable[[Any, dict[str, Any]], v1.Message]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _optional_utc(value: datetime | None) -> datetime | None:
    return _utc(value) if value is not None else None


def _common(event: Any) -> dict[str, Any]:
    return {
        "aggregate_id": event.originator_id,
        "version": event.originator_version,
        "occurred_at": _utc(event.timestamp),
    }


_LOCATION = ("location_name", "location_street", "location_website", "location_phone", "city", "state", "country")


def _values(event: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(event, name) for name in names}


_SESSION: dict[type, Builder] = {
    Session.Created: lambda e, c: v1.SessionCreated(
        **c,
        **_values(
            e,
            (
                "name",
                "path",
                "timezone",
                "recurrence",
                "session_type",
                "initiation_date",
                "termination_date",
                *_LOCATION,
                "active_buffer_minutes_before",
                "active_buffer_minutes_after",
                "auto_create_instances",
                "auto_create_hours_ahead",
            ),
        ),
        created_at=_utc(e.created_at),
    ),
    Session.DetailsChanged: lambda e, c: v1.SessionDetailsChanged(
        **c, **_values(e, ("name", "session_type", *_LOCATION))
    ),
    Session.PathChanged: lambda e, c: v1.SessionPathChanged(**c, path=e.path, previous_path=e.previous_path),
    Session.TimezoneChanged: lambda e, c: v1.SessionTimezoneChanged(**c, timezone=e.timezone),
    Session.RecurrenceChanged: lambda e, c: v1.SessionRecurrenceChanged(**c, recurrence=e.recurrence),
    Session.LifetimeChanged: lambda e, c: v1.SessionLifetimeChanged(
        **c, initiation_date=e.initiation_date, termination_date=e.termination_date
    ),
    Session.BuffersChanged: lambda e, c: v1.SessionBuffersChanged(
        **c, active_buffer_minutes_before=e.before, active_buffer_minutes_after=e.after
    ),
    Session.AutoCreateConfigured: lambda e, c: v1.SessionAutoCreateConfigured(
        **c, auto_create_instances=e.enabled, auto_create_hours_ahead=e.hours_ahead
    ),
    Session.InstanceListed: lambda e, c: v1.SessionInstanceListed(**c, instance_id=e.instance_id, date=e.date),
    Session.InstanceUnlisted: lambda e, c: v1.SessionInstanceUnlisted(**c, instance_id=e.instance_id, date=e.date),
    Session.ActiveInstancesChanged: lambda e, c: v1.SessionActiveInstancesChanged(
        **c, active_instance_ids=list(e.active_instance_ids)
    ),
    SessionPath.Claimed: lambda e, c: v1.SessionPathClaimed(**c, path=e.path, session_id=e.session_id),
    SessionPath.Reclaimed: lambda e, c: v1.SessionPathReclaimed(**c, session_id=e.session_id),
    SessionPath.Released: lambda e, c: v1.SessionPathReleased(**c, session_id=e.session_id),
    SessionRegistry.Started: lambda e, c: v1.SessionRegistryStarted(**c),
    SessionRegistry.SessionRegistered: lambda e, c: v1.SessionRegistered(**c, session_id=e.session_id),
}

_INSTANCE: dict[type, Builder] = {
    SessionInstance.Created: lambda e, c: v1.InstanceCreated(
        **c,
        **_values(
            e,
            (
                "session_id",
                "date",
                "start_time",
                "end_time",
                "location_override",
                "comments",
                "created_by",
                "auto_created",
                "horizon_hours",
            ),
        ),
        created_at=_utc(e.created_at),
    ),
    SessionInstance.Rescheduled: lambda e, c: v1.InstanceRescheduled(
        **c, date=e.date, start_time=e.start_time, end_time=e.end_time
    ),
    SessionInstance.DetailsChanged: lambda e, c: v1.InstanceDetailsChanged(
        **c, location_override=e.location_override, comments=e.comments
    ),
    SessionInstance.Cancelled: lambda e, c: v1.InstanceCancelled(**c, at=_utc(e.at)),
    SessionInstance.Uncancelled: lambda e, c: v1.InstanceUncancelled(**c, at=_utc(e.at)),
    SessionInstance.Activated: lambda e, c: v1.InstanceActivated(**c, at=_utc(e.at)),
    SessionInstance.Deactivated: lambda e, c: v1.InstanceDeactivated(**c, at=_utc(e.at)),
    # v2's ``completed_at`` is the v1 message's ``at``; ``tune_count`` is not published (contract v1).
    SessionInstance.LogMarkedComplete: lambda e, c: v1.InstanceLogMarkedComplete(**c, at=_utc(e.completed_at)),
    SessionInstance.LogReopened: lambda e, c: v1.InstanceLogReopened(**c, at=_utc(e.at)),
    SessionInstance.Deleted: lambda e, c: v1.InstanceDeleted(**c, at=_utc(e.at)),
    SessionInstance.TuneAdded: lambda e, c: v1.TuneAdded(
        **c,
        **_values(
            e, ("entry_id", "order_number", "continues_set", "tune_id", "name", "key_override", "setting_override")
        ),
        played_timestamp=_optional_utc(e.played_timestamp),
        inserted_at=_utc(e.inserted_at),
    ),
    SessionInstance.TuneRemoved: lambda e, c: v1.TuneRemoved(**c, entry_id=e.entry_id),
    SessionInstance.TuneSetStartChanged: lambda e, c: v1.TuneSetStartChanged(
        **c, entry_id=e.entry_id, continues_set=e.continues_set
    ),
    SessionInstance.TuneMoved: lambda e, c: v1.TuneMoved(
        **c,
        **_values(
            e,
            (
                "entry_id",
                "direction",
                "order_number",
                "continues_set",
                "other_entry_id",
                "other_order_number",
                "other_continues_set",
            ),
        ),
    ),
    SessionInstance.SetMoved: lambda e, c: v1.SetMoved(
        **c, entry_id=e.entry_id, direction=e.direction, mapping={UUID(k): n for k, n in e.mapping.items()}
    ),
    SessionInstance.TuneLogRenumbered: lambda e, c: v1.TuneLogRenumbered(
        **c, mapping={UUID(k): n for k, n in e.mapping.items()}
    ),
    SessionInstance.TuneLogReplaced: lambda e, c: v1.TuneLogReplaced(
        **c, entries=[v1.ReplacedEntry.model_validate(item) for item in e.entries], at=_utc(e.at)
    ),
    SessionInstance.TuneDetailsUpdated: lambda e, c: v1.TuneDetailsUpdated(
        **c,
        **_values(e, ("entry_id", "tune_id", "name", "key_override", "setting_override")),
        played_timestamp=_optional_utc(e.played_timestamp),
    ),
}


def _session_key(event: Any) -> UUID:
    """The session an event of ``music.sessions.v1`` concerns: a session's own id, the session an index
    event names, or (the registry's ``Started``) the registry's id."""
    session_id: UUID | None = getattr(event, "session_id", None)
    return session_id or event.originator_id


def to_message(event: Any) -> Outgoing:
    """The message of one stored music event (``UnmappedEventError`` for any other class)."""
    kind = type(event)
    if kind in _INSTANCE:
        message = _INSTANCE[kind](event, _common(event))
        return Outgoing(topics.INSTANCES, event.originator_id, message, message.type, CONTEXT)  # type: ignore[attr-defined]
    if kind in _SESSION:
        message = _SESSION[kind](event, _common(event))
        return Outgoing(topics.SESSIONS, _session_key(event), message, message.type, CONTEXT)  # type: ignore[attr-defined]
    raise UnmappedEventError(kind)


#: Every stored event class of the music aggregates -> its topic.
ROUTES: dict[type, str] = {
    **dict.fromkeys(leaf_event_classes([Session, SessionPath, SessionRegistry]), topics.SESSIONS),
    **dict.fromkeys(leaf_event_classes([SessionInstance]), topics.INSTANCES),
}
assert set(ROUTES) == set(_SESSION) | set(_INSTANCE), "every stored music event class needs a message builder"


class MusicMapping:
    """The music ``ContextMapping`` (see ``producers.registry``)."""

    context = CONTEXT
    routes = ROUTES

    def bind(self, repository: Any, **_options: Any) -> Callable[[Any], list[Outgoing]]:
        # Every message is built from its own event: nothing to remember or look up.
        return lambda event: [to_message(event)]


MAPPING = MusicMapping()
