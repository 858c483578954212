"""Session commands (A.1, A.2): create, update (PATCH), and the write-side queries of one session."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.music.commands.base import MusicApplicationBase
from domain.music.errors import PathTakenError, check_text, invalid
from domain.music.patterns import is_empty_recurrence, parse_recurrence
from domain.music.schedule import Occurrence
from domain.music.session import DETAIL_FIELDS, Session, iso
from domain.music.session_path import SessionPath, normalise_path, path_index_id
from domain.shared.application import Outcome, fingerprint
from domain.shared.errors import InvalidInputError
from domain.shared.timezones import check_timezone

SESSION_TYPES = ("regular", "class")
TEXT_LIMIT = 255
TEXT_FIELDS = (
    "location_name", "location_street", "location_website", "location_phone", "city", "state", "country",
)  # fmt: skip
#: A.1 defaults, in the order of ``POST /music/sessions``.
DEFAULTS: dict[str, Any] = {
    "timezone": "UTC", "recurrence": None, "session_type": "regular", "initiation_date": None,
    "termination_date": None, **dict.fromkeys(TEXT_FIELDS), "active_buffer_minutes_before": 60,
    "active_buffer_minutes_after": 60, "auto_create_instances": False, "auto_create_hours_ahead": 24,
}  # fmt: skip
FIELDS = ("name", "path", *DEFAULTS)


@dataclass(frozen=True)
class SessionView:
    """One session as the write side knows it (``GET /music/sessions/{id}`` is served by a read model)."""

    id: UUID
    version: int
    name: str
    path: str
    timezone: str
    recurrence: Any
    session_type: str
    initiation_date: date | None
    termination_date: date | None
    location_name: str | None
    location_street: str | None
    location_website: str | None
    location_phone: str | None
    city: str | None
    state: str | None
    country: str | None
    active_buffer_minutes_before: int
    active_buffer_minutes_after: int
    auto_create_instances: bool
    auto_create_hours_ahead: int
    active_instance_ids: tuple[UUID, ...]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_date(value: object) -> bool:
    return value is None or (isinstance(value, date) and not isinstance(value, datetime))


def check_session_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every A.1 validation on a complete set of session values; returns them cleaned for storage
    (dates as ISO strings, the recurrence as a detached JSON copy, "" recurrence as None)."""
    name, path = values["name"], values["path"]
    if not isinstance(name, str) or not name.strip():
        raise invalid("name", "name is required.", "session.name.required")
    if not isinstance(path, str) or not normalise_path(path):
        raise invalid("path", "path is required.", "session.path.required")
    for field in ("name", "path", *TEXT_FIELDS):
        if values[field] is not None and not isinstance(values[field], str):
            raise invalid(field, f"{field} must be text.", "session.text.invalid")
        check_text(field, values[field], TEXT_LIMIT, code="session.text.too_long")
    try:
        check_timezone(values["timezone"], field="timezone")
    except InvalidInputError as error:
        raise invalid("timezone", error.message, "session.timezone.invalid") from None
    if values["session_type"] not in SESSION_TYPES:
        raise invalid("session_type", "session_type must be regular or class.", "session.session_type.invalid")
    initiation, termination = values["initiation_date"], values["termination_date"]
    for field in ("initiation_date", "termination_date"):
        if not _is_date(values[field]):
            raise invalid(field, f"{field} must be a date.", "session.date.invalid")
    if initiation is not None and termination is not None and termination < initiation:
        raise invalid(
            "termination_date", "termination_date cannot be before initiation_date.", "session.lifetime.invalid"
        )
    for field in ("active_buffer_minutes_before", "active_buffer_minutes_after"):
        if not _is_int(values[field]) or values[field] < 0:
            raise invalid(field, f"{field} must be an integer >= 0.", "buffer.invalid")
    if not isinstance(values["auto_create_instances"], bool):
        raise invalid(
            "auto_create_instances", "auto_create_instances must be true or false.", "session.auto_create.invalid"
        )
    hours = values["auto_create_hours_ahead"]
    if not _is_int(hours) or not 1 <= hours <= 168:
        raise invalid(
            "auto_create_hours_ahead", "auto_create_hours_ahead must be an integer from 1 to 168.",
            "auto_create_hours_ahead.out_of_range",
        )  # fmt: skip
    recurrence = None if is_empty_recurrence(values["recurrence"]) else values["recurrence"]
    parse_recurrence(recurrence, initiation)
    cleaned = dict(values)
    cleaned.update(
        name=name.strip(), path=path.strip(), initiation_date=iso(initiation), termination_date=iso(termination),
        recurrence=json.loads(json.dumps(recurrence)) if recurrence is not None else None,
    )  # fmt: skip
    return cleaned


def current_values(session: Session) -> dict[str, Any]:
    values = {field: getattr(session, field) for field in FIELDS}
    values.update(initiation_date=session.initiation, termination_date=session.termination)
    return values


class SessionCommands(MusicApplicationBase):
    def create_session(
        self,
        *,
        name: str,
        path: str,
        timezone: str = "UTC",
        recurrence: Any = None,
        session_type: str = "regular",
        initiation_date: date | None = None,
        termination_date: date | None = None,
        location_name: str | None = None,
        location_street: str | None = None,
        location_website: str | None = None,
        location_phone: str | None = None,
        city: str | None = None,
        state: str | None = None,
        country: str | None = None,
        active_buffer_minutes_before: int = 60,
        active_buffer_minutes_after: int = 60,
        auto_create_instances: bool = False,
        auto_create_hours_ahead: int = 24,
        id: UUID | None = None,  # noqa: A002 - the client-chosen id of the API
    ) -> Outcome:
        """``POST /music/sessions`` with A.1's defaults; the path is claimed in the same save (MU-2)."""
        given = dict(locals())
        values = check_session_values({field: given[field] for field in FIELDS})
        digest = fingerprint(values)

        def create(new_id: UUID) -> Outcome:
            index = self._claim_path(values["path"], new_id)
            registry = self.registry()
            session = Session(id=new_id, created_at=self.clock.now(), fingerprint=digest, **values)
            registry.register(new_id)
            self.save(session, index, registry)
            return Outcome(session.id, session.version, created=True)

        return self.create_once(id, Session, "session", digest, create)

    def update_session(self, session_id: UUID, changes: Mapping[str, Any]) -> Outcome:
        """``PATCH /music/sessions/{id}``: the given fields change, all of them or none.  A change of zone,
        buffers or lifetime re-evaluates the active window at once (A.5)."""
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise invalid(unknown[0], f"Unknown session field: {unknown[0]}.", "session.field.unknown")

        def attempt() -> Outcome:
            session = self.get_session(session_id)
            values = check_session_values({**current_values(session), **changes})
            touched: list[Any] = [session]
            if normalise_path(values["path"]) != normalise_path(session.path):
                touched += [self._claim_path(values["path"], session.id), self._release_path(session)]
            session.change_path(values["path"])
            session.change_details({field: values[field] for field in DETAIL_FIELDS})
            session.change_timezone(values["timezone"])
            session.change_recurrence(values["recurrence"])
            session.change_lifetime(values["initiation_date"], values["termination_date"])
            session.change_buffers(values["active_buffer_minutes_before"], values["active_buffer_minutes_after"])
            session.configure_auto_create(values["auto_create_instances"], values["auto_create_hours_ahead"])
            now = self.clock.now()
            touched += self.evaluate_activity(session, self.activity_candidates(session, now), now)
            self.save(*touched)
            return Outcome(session.id, session.version)

        return self.retrying(attempt)

    def _claim_path(self, path: str, session_id: UUID) -> SessionPath:
        """MU-2: the index aggregate of the path, new or reclaimed; taken by another session -> 409."""
        try:
            index: Aggregate = self.repository.get(path_index_id(path))
        except AggregateNotFoundError:
            return SessionPath.for_path(path, session_id)
        assert isinstance(index, SessionPath)
        if not index.is_free_for(session_id):
            raise PathTakenError(path.strip())
        if index.session_id != session_id:
            index.reclaim(session_id)
        return index

    def _release_path(self, session: Session) -> SessionPath:
        index: Aggregate = self.repository.get(path_index_id(session.path))
        assert isinstance(index, SessionPath)
        index.release(session.id)
        return index

    # -- queries -----------------------------------------------------------------------------------------

    def session_view(self, session_id: UUID) -> SessionView:
        session = self.get_session(session_id)
        values = current_values(session)
        return SessionView(
            id=session.id, version=session.version, **values,
            active_instance_ids=tuple(UUID(k) for k in session.active_instances),
        )  # fmt: skip

    def find_session_by_path(self, path: str) -> UUID | None:
        """The session holding ``path`` (normalised, MU-1), or None."""
        try:
            index: Aggregate = self.repository.get(path_index_id(path))
        except AggregateNotFoundError:
            return None
        assert isinstance(index, SessionPath)
        return index.session_id

    def occurrences(self, session_id: UUID, start: date, end: date) -> list[Occurrence]:
        """``GET /music/sessions/{id}/occurrences``: the recurrence expanded over ``start..end`` (A.3)."""
        return self.get_session(session_id).schedule().expand(start, end)
