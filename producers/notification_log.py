"""Reading the notification log for the relay: one scope's rows after a position, decoded fast.

``NotificationLog`` reads a scope's notifications after a position up to the log's highest id, in
one statement (one snapshot), and returns that horizon with them.  ``EventDecoder`` is
``app.mapper.to_domain_event`` with the generic overhead taken out.  ``message_id`` derives a domain
message's id from its aggregate and version, so a resent event keeps its id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from hashlib import sha1
from typing import Any, NamedTuple, cast
from uuid import UUID, SafeUUID

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, UUIDAsHex, find_id_convertor
from eventsourcing.utils import resolve_topic
from psycopg import sql
from psycopg.rows import tuple_row

#: Namespace of the message ids: the same event always gets the same id, resent or not.
MESSAGE_ID_NAMESPACE = UUID("6b1f0c52-8d0e-4a53-9d0c-5f3c0f4a2f11")
#: Stored ids a decoder keeps decoded (a UUID and its hex: some 200 bytes each).
UUIDS_CACHED = 4096


@dataclass(frozen=True)
class Scope:
    """The part of the log one relay publishes: events whose event-store topic starts with one of
    ``prefixes`` and, when ``others`` is set, every event whose topic starts with none of ``others``."""

    name: str
    prefixes: tuple[str, ...]
    others: tuple[str, ...] | None = None


class Row(NamedTuple):
    """A notification as the relay reads it (the attributes eventsourcing's mapper uses)."""

    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


class NotificationLog:
    """Reads a scope's notifications after a position, up to the log's highest id (one statement,
    one snapshot); returns them with that horizon."""

    def __init__(self, recorder: Any, scope: Scope | None) -> None:
        self.datastore = recorder.datastore
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        params: dict[str, Any] = {}
        where: sql.Composable
        if scope is None:
            where = sql.SQL("true")
        else:
            where = sql.SQL("topic ^@ ANY(%(prefixes)s)")
            params["prefixes"] = list(scope.prefixes)
            if scope.others is not None:
                where = sql.SQL("({} OR NOT topic ^@ ANY(%(others)s))").format(where)
                params["others"] = list(scope.others)
        self.params = params
        self.statement = sql.SQL(
            "SELECT h.horizon, e.notification_id, e.originator_id, e.originator_version, e.topic, e.state"
            " FROM (SELECT max(notification_id) AS horizon FROM {table}) h LEFT JOIN LATERAL ("
            "  SELECT notification_id, originator_id, originator_version, topic, state FROM {table}"
            "  WHERE notification_id > %(start)s AND notification_id <= h.horizon AND {where}"
            "  ORDER BY notification_id LIMIT %(limit)s) e ON true"
        ).format(table=table, where=where)

    def read(self, start: int, limit: int) -> tuple[list[Row], int]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as cur:
            cur.execute(self.statement, {**self.params, "start": start, "limit": limit}, prepare=True)
            fetched = cur.fetchall()
        if not fetched or fetched[0][0] is None:
            return [], start  # an empty log
        horizon = fetched[0][0]
        if fetched[0][1] is None:
            return [], max(start, horizon)
        return [Row(r[1], r[2], r[3], r[4], bytes(r[5])) for r in fetched], horizon


class EventDecoder:
    """``app.mapper.to_domain_event`` for the relay: the same events, with less generic overhead
    (class, id converter and transcodings looked up once).  Mappers with a cipher, a compressor
    or another transcoder are used as they are."""

    def __init__(self, mapper: Any) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.fast = mapper.cipher is None and mapper.compressor is None and type(transcoder) is JSONTranscoder
        decoders = {name: t.decode for name, t in transcoder.names.items()}
        for name, t in transcoder.names.items():  # the stock transcodings, minus their checks
            if type(t) is UUIDAsHex:
                # The same few parents (events, sessions) come back in event after event: decoded once.
                decoders[name] = lru_cache(maxsize=UUIDS_CACHED)(_uuid_of_hex)
            elif type(t) is DatetimeAsISO:
                decoders[name] = datetime.fromisoformat
        self._decoders = decoders
        self._json = json.JSONDecoder(object_hook=self._object)
        self._classes: dict[tuple[str, type], tuple[type, Callable[[Any], Any], int]] = {}

    def _object(self, d: dict[str, Any]) -> Any:
        if len(d) == 2 and "_type_" in d and "_data_" in d:
            return self._decoders[d["_type_"]](d["_data_"])
        return d

    def class_of(self, row: Row) -> type:
        """The class of the event ``row`` holds (a renamed one by its current name), without decoding it."""
        known = self._classes.get((row.topic, type(row.originator_id)))
        return known[0] if known is not None else cast(type, resolve_topic(row.topic))

    def __call__(self, row: Row) -> Any:
        if not self.fast:
            return self.mapper.to_domain_event(row)
        key = (row.topic, type(row.originator_id))
        known = self._classes.get(key)
        if known is None:
            cls = resolve_topic(row.topic)
            convert_id = find_id_convertor(cls, cast(Hashable, key[1]))
            known = self._classes[key] = (cls, convert_id, getattr(cls, "class_version", 1))
        cls, convert_id, class_version = known
        text = row.state.decode("utf8")
        state, end = self._json.raw_decode(text)  # stored JSON has no surrounding whitespace
        if end != len(text):
            state = self._json.decode(text)  # let the full decoder say what is wrong
        state["originator_id"] = convert_id(row.originator_id)
        state["originator_version"] = row.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event: Any = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event


def _uuid_of_hex(data: str) -> UUID:
    """``UUID(data)`` for the 32 hex digits ``UUIDAsHex`` stores (``UUID.hex``), without
    ``UUID.__init__``'s parsing; anything else goes through ``UUID``."""
    if len(data) != 32:
        return UUID(data)
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int(data, 16))
    object.__setattr__(value, "is_safe", _UNKNOWN_SAFETY)
    return value


_UNKNOWN_SAFETY = SafeUUID.unknown


def message_id(aggregate_id: str, version: int) -> str:
    """``str(uuid5(MESSAGE_ID_NAMESPACE, f"{aggregate_id}:{version}"))``, computed directly."""
    digest = bytearray(sha1(_NAMESPACE_BYTES + f"{aggregate_id}:{version}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAMESPACE_BYTES = MESSAGE_ID_NAMESPACE.bytes
