"""Instance commands (A.1, A.5): manual create, PATCH, delete, and the write-side view of one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.music.commands.base import MusicApplicationBase
from domain.music.errors import DATE_REQUIRED, check_text, invalid
from domain.music.instance import SessionInstance
from domain.music.patterns import parse_time
from domain.music.session import Session
from domain.shared.application import Outcome, fingerprint

INSTANCE_FIELDS = ("date", "start_time", "end_time", "location_override", "comments", "is_cancelled", "log_complete")
COMMENTS_LIMIT = 10_000


@dataclass(frozen=True)
class InstanceView:
    """One instance as the write side knows it, with ``is_active`` (``GET /music/instances/{id}``)."""

    id: UUID
    version: int
    session_id: UUID
    date: date
    start_time: str | None
    end_time: str | None
    location_override: str | None
    comments: str | None
    is_cancelled: bool
    is_active: bool
    log_complete_date: datetime | None
    created_by: str | None
    auto_created: bool


def check_time(field: str, value: object) -> str | None:
    """MU-12: an instance time is ``HH:MM`` (the pattern format) or None."""
    if value is None:
        return None
    if parse_time(value) is None:
        raise invalid(field, f"{field} must be HH:MM, 24-hour (e.g. 19:00).", "instance.time.invalid")
    assert isinstance(value, str)
    return value


def check_date(value: object) -> date:
    if value is None:
        raise invalid("date", DATE_REQUIRED, "instance.date.required")
    if not isinstance(value, date) or isinstance(value, datetime):
        raise invalid("date", "date must be a calendar date.", "instance.date.invalid")
    return value


def location_override_for(session: Session, location_override: str | None) -> str | None:
    """A.1: kept only when it differs from the session's location name (blank means none)."""
    check_text("location_override", location_override, 255, code="instance.text.too_long")
    cleaned = location_override.strip() if location_override else None
    return None if not cleaned or cleaned == session.location_name else cleaned


class InstanceCommands(MusicApplicationBase):
    def create_instance(
        self,
        session_id: UUID,
        *,
        date: date | None,
        start_time: str | None = None,
        end_time: str | None = None,
        location_override: str | None = None,
        comments: str | None = None,
        created_by: str | None = None,
        id: UUID | None = None,  # noqa: A002 - the client-chosen id of the API
    ) -> Outcome:
        """``POST /music/sessions/{id}/instances``: any number per date (A.1); active at once if inside
        its window (MU-21)."""
        day = check_date(date)
        start, end = check_time("start_time", start_time), check_time("end_time", end_time)
        check_text("comments", comments, COMMENTS_LIMIT, code="instance.text.too_long")
        digest = fingerprint({
            "session_id": session_id, "date": day, "start_time": start, "end_time": end,
            "location_override": location_override, "comments": comments, "created_by": created_by,
        })  # fmt: skip

        def create(new_id: UUID) -> Outcome:
            session = self.get_session(session_id)
            now = self.clock.now()
            instance = SessionInstance(
                id=new_id, session_id=session.id, date=day.isoformat(), start_time=start, end_time=end,
                location_override=location_override_for(session, location_override), comments=comments,
                created_by=created_by, auto_created=False, horizon_hours=None, created_at=now, fingerprint=digest,
            )  # fmt: skip
            session.list_instance(instance.id, day)
            self.evaluate_activity(session, [instance], now)
            self.save(instance, session)
            return Outcome(instance.id, instance.version, created=True)

        return self.create_once(id, SessionInstance, "session instance", digest, create)

    def update_instance(self, instance_id: UUID, changes: Mapping[str, Any]) -> Outcome:
        """``PATCH /music/instances/{id}``.  Time, date and cancellation changes re-evaluate the active
        window at once; cancelling an active instance deactivates it (A.5, A.9.4)."""
        unknown = sorted(set(changes) - set(INSTANCE_FIELDS))
        if unknown:
            raise invalid(unknown[0], f"Unknown instance field: {unknown[0]}.", "instance.field.unknown")
        if "date" in changes:
            check_date(changes["date"])
        for field in ("start_time", "end_time"):
            if field in changes:
                check_time(field, changes[field])
        for field in ("is_cancelled", "log_complete"):
            if field in changes and not isinstance(changes[field], bool):
                raise invalid(field, f"{field} must be true or false.", "instance.flag.invalid")
        check_text("comments", changes.get("comments"), COMMENTS_LIMIT, code="instance.text.too_long")

        def attempt() -> Outcome:
            instance = self.get_instance(instance_id)
            session = self.get_session(instance.session_id)
            now = self.clock.now()
            day = changes.get("date", date.fromisoformat(instance.date))
            instance.reschedule(
                day.isoformat(),
                changes.get("start_time", instance.start_time),
                changes.get("end_time", instance.end_time),
            )
            session.list_instance(instance.id, day)
            instance.change_details(
                location_override_for(session, changes["location_override"])
                if "location_override" in changes
                else instance.location_override,
                changes.get("comments", instance.comments),
            )
            if "is_cancelled" in changes:
                instance.set_cancelled(changes["is_cancelled"], now)
            if "log_complete" in changes:
                instance.set_log_complete(changes["log_complete"], now)
            self.evaluate_activity(session, [instance], now)
            self.save(instance, session)
            return Outcome(instance.id, instance.version)

        return self.retrying(attempt)

    def delete_instance(self, instance_id: UUID) -> Outcome:
        """Deletes the instance and frees its date: auto-create may make it again (A.4)."""

        def attempt() -> Outcome:
            instance = self.get_instance(instance_id)
            session = self.get_session(instance.session_id)
            now = self.clock.now()
            instance.set_active(False, now)
            instance.delete(now)
            session.unlist_instance(instance.id)
            self.save(instance, session)
            return Outcome(instance.id, instance.version)

        return self.retrying(attempt)

    # -- queries -----------------------------------------------------------------------------------------

    def instance_view(self, instance_id: UUID) -> InstanceView:
        instance = self.get_instance(instance_id)
        return InstanceView(
            id=instance.id, version=instance.version, session_id=instance.session_id,
            date=date.fromisoformat(instance.date), start_time=instance.start_time, end_time=instance.end_time,
            location_override=instance.location_override, comments=instance.comments,
            is_cancelled=instance.is_cancelled, is_active=instance.is_active,
            log_complete_date=instance.log_complete_date, created_by=instance.created_by,
            auto_created=instance.auto_created,
        )  # fmt: skip

    def instance_on(self, session_id: UUID, day: date) -> UUID | None:
        """A.1 DECISION: an instance addressed by date is the one with the lowest id on that date."""
        found = self.get_session(session_id).instances_on(day)
        return found[0] if found else None

    def active_instance_ids(self, session_id: UUID) -> list[UUID]:
        """The instances of the session whose ``is_active`` is set (as of the last evaluation)."""
        return [UUID(key) for key in self.get_session(session_id).active_instances]
