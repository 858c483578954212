"""What a live session's fields may hold (B.1), checked before any event is recorded.

Every free-text field has a length limit and refuses NUL (the store cannot hold it); minute counts are
bounded so that ``scheduled_at - minutes`` stays a representable instant (CL-22).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.classroom.errors import invalid, invalid_reminder_minutes
from domain.shared.timezones import check_timezone

SESSION_TYPES = ("video", "audio", "in_person", "hybrid")
TITLE_MAX = 200
#: One year: the largest duration or reminder lead accepted (CL-22).
MAX_MINUTES = 525_600
TEXT_LIMITS = {
    "description": 10_000, "meeting_url": 2_000, "meeting_id": 200, "meeting_password": 200,
    "recording_url": 2_000,
}  # fmt: skip
MATERIAL_KEYS = ("type", "content_id", "title")
#: Fields a PATCH may change besides ``scheduled_at`` and ``reminders`` (B.1.7: never ``status``).
EDITABLE = ("title", "duration_minutes", "timezone", "session_type", "materials", *TEXT_LIMITS)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_text(field: str, value: Any, limit: int) -> None:
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be text.", f"live_session.{field}.invalid")
    if "\x00" in value:
        raise invalid(field, f"{field} cannot contain a NUL character.", f"live_session.{field}.invalid")
    if len(value) > limit:
        raise invalid(field, f"{field} is longer than {limit} characters.", f"live_session.{field}.too_long")


def check_title(title: Any) -> str:
    """B.1.7: required, at most 200 characters."""
    if isinstance(title, str) and not title.strip():
        raise invalid("title", "title is required.", "live_session.title.required")
    check_text("title", title, TITLE_MAX)
    return str(title)


def check_duration(duration_minutes: Any) -> int:
    """B.1.1: a whole number of minutes, at least 1."""
    if not _is_int(duration_minutes) or not 1 <= duration_minutes <= MAX_MINUTES:
        raise invalid("duration_minutes", f"duration_minutes must be a whole number from 1 to {MAX_MINUTES}.",
                      "live_session.duration.invalid")  # fmt: skip
    return int(duration_minutes)


def check_session_type(session_type: Any) -> str:
    if session_type not in SESSION_TYPES:
        raise invalid("session_type", f"session_type must be one of: {', '.join(SESSION_TYPES)}.",
                      "live_session.session_type.invalid")  # fmt: skip
    return str(session_type)


def check_materials(materials: Any) -> list[dict[str, Any]]:
    """``[{type, content_id, title}]``: each item a mapping of those keys with scalar values."""
    message = "materials must be a list of {type, content_id, title}."
    if not isinstance(materials, list):
        raise invalid("materials", message, "live_session.materials.invalid")
    checked = []
    for item in materials:
        if not isinstance(item, Mapping) or set(item) - set(MATERIAL_KEYS) or "type" not in item:
            raise invalid("materials", message, "live_session.materials.invalid")
        for value in item.values():
            if (value is not None and not isinstance(value, str | int)) or isinstance(value, bool):
                raise invalid("materials", message, "live_session.materials.invalid")
            if isinstance(value, str):
                check_text("materials", value, TITLE_MAX)
        checked.append({key: item.get(key) for key in MATERIAL_KEYS})
    return checked


def check_reminder_minutes(minutes: Any) -> int:
    """B.1.2: at least 1 minute (CL-22: at most a year)."""
    if not _is_int(minutes) or not 1 <= minutes <= MAX_MINUTES:
        raise invalid_reminder_minutes(minutes)
    return int(minutes)


def check_reminder_list(minutes: Iterable[Any]) -> list[int]:
    """B.1.2 for each; B.1.3 (duplicates) is the aggregate's, which raises ``reminder.duplicate``."""
    if isinstance(minutes, str | bytes) or not isinstance(minutes, Iterable):
        raise invalid("reminders", "reminders must be a list of minutes.", "reminder.minutes.invalid")
    return [check_reminder_minutes(m) for m in minutes]


def check_detail(field: str, value: Any) -> Any:
    """One editable field's value, checked (CL-22)."""
    if field == "title":
        return check_title(value)
    if field == "duration_minutes":
        return check_duration(value)
    if field == "session_type":
        return check_session_type(value)
    if field == "timezone":
        return check_timezone(value, field="timezone")
    if field == "materials":
        return check_materials(value)
    if field == "description" and value is None:
        return ""
    if value is None:
        return None  # the optional meeting and recording fields may be cleared
    check_text(field, value, TEXT_LIMITS[field])
    return value
