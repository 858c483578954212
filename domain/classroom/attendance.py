"""One student's attendance of one live session: an immutable record, and the arithmetic of B.4.

The record keeps every presence *mark* it was given (the instant the platform observed a join or a
leave), ordered by instant; marks with the same instant stay in the order they arrived (CL-1).  The
summary (``joined_at``, ``left_at``, closed seconds, the open segment) is the replay of those marks
through B.4's state machine, clipped to the session's live window (CL-3):

- a join while disconnected opens a segment; a join while connected changes nothing (B.4.4);
- a leave while connected closes the segment; a leave while disconnected changes nothing (B.4.8);
- the window's end (the completion) closes an open segment (B.4.9) and ignores later marks.

Because the summary is a function of the ordered marks, a late or out-of-order webhook gives the same
result as in-order delivery: a leave that arrives before its join waits as a mark and closes the
segment once the join is placed before it.  A mark that arrives in order is applied in O(1); one that
lands before the last mark replays this student's marks (a handful), never the session's.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.persistence import Transcoding

ATTENDED, EXCUSED, ABSENT, REGISTERED = "attended", "excused", "absent", "registered"
SECOND = timedelta(seconds=1)

#: (instant, is_join)
Mark = tuple[datetime, bool]


@dataclass(frozen=True)
class Window:
    """The live window of a session: ``start`` once it went live, ``end`` once it completed."""

    start: datetime | None = None
    end: datetime | None = None

    def clip(self, at: datetime) -> datetime:
        if self.start is not None and at < self.start:
            return self.start
        return at

    def admits(self, at: datetime) -> bool:
        """A mark at ``at`` counts: it is before the completion (CL-3)."""
        return self.end is None or at < self.end


@dataclass(frozen=True)
class Attendance:
    """Flags set by commands (registered, excused, absent) and the summary of the marks.

    ``status`` follows B.4's precedence: a join makes the student ``attended`` whatever came before
    (B.4.5); otherwise ``excused`` beats ``absent``, which beats ``registered``; ``None`` means no
    record yet (a pending leave alone is not a record, CL-2).
    """

    student_id: str
    registered: bool = False
    excused: bool = False
    absent: bool = False
    marks: tuple[Mark, ...] = ()
    attended: bool = False
    joined_at: datetime | None = None
    left_at: datetime | None = None
    closed_seconds: int = 0
    open_since: datetime | None = None

    @property
    def status(self) -> str | None:
        if self.attended:
            return ATTENDED
        if self.excused:
            return EXCUSED
        if self.absent:
            return ABSENT
        return REGISTERED if self.registered else None

    @property
    def duration_minutes(self) -> int:
        """B.4.1: floor of the closed seconds over 60."""
        return self.closed_seconds // 60

    @property
    def connected(self) -> bool:
        return self.open_since is not None

    def has_mark(self, at: datetime, is_join: bool) -> bool:
        return (at, is_join) in self.marks

    def with_mark(self, at: datetime, is_join: bool, window: Window) -> Attendance:
        """The record after one more mark (CL-1): O(1) in order, a replay of this student's marks otherwise."""
        position = bisect_right(self.marks, at, key=lambda mark: mark[0])
        marks = (*self.marks[:position], (at, is_join), *self.marks[position:])
        if position == len(self.marks) and window.end is None:
            return replace(self, marks=marks, **step(self, at, is_join, window))
        return replace(self, marks=marks, **summarize(marks, window))

    def within(self, window: Window) -> Attendance:
        """The record replayed under ``window`` (the completion closes the open segment, B.4.9)."""
        return replace(self, **summarize(self.marks, window))

    def summary(self) -> dict[str, Any]:
        """What every attendance event carries, so a read model needs no replay."""
        return {
            "status": self.status, "joined_at": self.joined_at, "left_at": self.left_at,
            "duration_minutes": self.duration_minutes, "connected": self.connected,
        }  # fmt: skip


def step(record: Attendance, at: datetime, is_join: bool, window: Window) -> dict[str, Any]:
    """One in-order mark through B.4's state machine (the same body as ``summarize``'s loop)."""
    at = window.clip(at)
    if is_join:
        if record.open_since is not None:
            return {"attended": True}  # B.4.4: already connected
        return {"attended": True, "open_since": at, "joined_at": record.joined_at or at}  # B.4.6
    if record.open_since is None:
        return {}  # B.4.8: nothing open
    seconds = max(0, (at - record.open_since) // SECOND)
    return {"closed_seconds": record.closed_seconds + seconds, "left_at": at, "open_since": None}  # B.4.7


def summarize(marks: tuple[Mark, ...], window: Window) -> dict[str, Any]:
    """The summary of ``marks`` (ordered) under ``window``: the reference for ``step`` (CL-1, CL-3)."""
    state = Attendance(student_id="")
    for at, is_join in marks:
        if not window.admits(at):
            break  # CL-3: nothing at or after the completion counts
        state = replace(state, **step(state, at, is_join, window))
    if window.end is not None and state.open_since is not None:  # B.4.9
        state = replace(state, **step(state, window.end, False, window))
    return {
        "attended": state.attended, "joined_at": state.joined_at, "left_at": state.left_at,
        "closed_seconds": state.closed_seconds, "open_since": state.open_since,
    }  # fmt: skip


class AttendanceAsDict(Transcoding):
    """Lets a snapshot hold the records (their marks come back as tuples)."""

    type = Attendance
    name = "classroom_attendance"

    def encode(self, obj: Attendance) -> dict[str, Any]:
        return {
            "student_id": obj.student_id, "registered": obj.registered, "excused": obj.excused,
            "absent": obj.absent, "marks": [[at, is_join] for at, is_join in obj.marks],
            "attended": obj.attended, "joined_at": obj.joined_at, "left_at": obj.left_at,
            "closed_seconds": obj.closed_seconds, "open_since": obj.open_since,
        }  # fmt: skip

    def decode(self, data: dict[str, Any]) -> Attendance:
        marks = tuple((at, is_join) for at, is_join in data.pop("marks"))
        return Attendance(marks=marks, **data)
