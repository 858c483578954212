"""Messages of ``classroom.live-sessions.v1`` and ``classroom.classrooms.v1``.

Each message names its ``type``, the aggregate it comes from (the live session, or the classroom) and
that aggregate's ``version`` after the event.  Attendance messages carry the student's whole record
after the event (status, first join, latest leave, minutes, connected), so a read model never replays
presence marks.  Readers ignore unknown fields: adding a field is a compatible change.

The meeting password never travels: ``LiveSessionScheduled`` and ``LiveSessionDetailsChanged`` say
only whether the session has one (``has_meeting_password``).  The event store keeps it, and
``GET /live-sessions/{id}`` reads it from there for the teacher and the active members (CL-18).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from producers.classroom import topics
from producers.classroom.inbound import PresenceOutcome, PresenceWebhook
from producers.messages import SCHEMA_VERSION as SCHEMA_VERSION
from producers.messages import Message
from producers.topics import outcomes_topic

LiveStatus = Literal["scheduled", "live", "completed", "cancelled"]
AttendanceStatus = Literal["registered", "attended", "absent", "excused"]
MembershipStatus = Literal["pending", "active", "paused", "removed"]
SessionType = Literal["video", "audio", "in_person", "hybrid"]


class Material(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str | int | None
    content_id: str | int | None = None
    title: str | int | None = None


class ReminderDue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    minutes: int
    due_at: datetime


# -- classroom.live-sessions.v1: the session ---------------------------------------------------


class LiveSessionScheduled(Message):
    type: Literal["LiveSessionScheduled"] = "LiveSessionScheduled"
    classroom_id: UUID
    teacher_id: UUID
    title: str
    description: str
    scheduled_at: datetime
    duration_minutes: int
    timezone: str
    session_type: SessionType
    meeting_url: str | None
    meeting_id: str | None
    has_meeting_password: bool
    materials: list[Material]
    created_at: datetime
    status: LiveStatus = "scheduled"


class LiveSessionDetailsChanged(Message):
    """Only the fields named in ``changed`` changed (a value of null clears an optional field)."""

    type: Literal["LiveSessionDetailsChanged"] = "LiveSessionDetailsChanged"
    changed: list[str]
    title: str | None = None
    description: str | None = None
    duration_minutes: int | None = None
    timezone: str | None = None
    session_type: SessionType | None = None
    meeting_url: str | None = None
    meeting_id: str | None = None
    has_meeting_password: bool | None = None
    materials: list[Material] | None = None
    recording_url: str | None = None


class LiveSessionRescheduled(Message):
    """``reminders``: every reminder's new due time (a re-armed one also gets ``ReminderRearmed``)."""

    type: Literal["LiveSessionRescheduled"] = "LiveSessionRescheduled"
    scheduled_at: datetime
    previous_scheduled_at: datetime
    at: datetime
    reminders: list[ReminderDue]


class LiveSessionStarted(Message):
    type: Literal["LiveSessionStarted"] = "LiveSessionStarted"
    at: datetime
    by: UUID | None
    trigger: Literal["teacher", "participant_joined"]
    status: LiveStatus = "live"


class LiveSessionEnded(Message):
    """``at`` is the completion instant; ``by`` is null when the room finished (a webhook)."""

    type: Literal["LiveSessionEnded"] = "LiveSessionEnded"
    at: datetime
    by: UUID | None
    trigger: Literal["teacher", "room_finished"]
    status: LiveStatus = "completed"


class LiveSessionCancelled(Message):
    type: Literal["LiveSessionCancelled"] = "LiveSessionCancelled"
    at: datetime
    by: UUID
    status: LiveStatus = "cancelled"


# -- classroom.live-sessions.v1: attendance ----------------------------------------------------


class StudentRecordMessage(Message):
    """A student's record after the event: ``status`` null means no record yet (a leave that came
    before its join, CL-2)."""

    student_id: UUID
    at: datetime
    status: AttendanceStatus | None
    joined_at: datetime | None
    left_at: datetime | None
    duration_minutes: int
    connected: bool


class StudentJoined(StudentRecordMessage):
    type: Literal["StudentJoined"] = "StudentJoined"


class StudentLeft(StudentRecordMessage):
    """``closed_by_end``: the completion closed (or re-cut) the record, not a leave of the student."""

    type: Literal["StudentLeft"] = "StudentLeft"
    closed_by_end: bool


class StudentStatusMessage(Message):
    """Only the status changed; the record's times and minutes stay as they were."""

    student_id: UUID
    at: datetime
    status: AttendanceStatus


class StudentRegistered(StudentStatusMessage):
    type: Literal["StudentRegistered"] = "StudentRegistered"


class StudentMarkedAbsent(StudentStatusMessage):
    type: Literal["StudentMarkedAbsent"] = "StudentMarkedAbsent"


class StudentExcused(StudentStatusMessage):
    type: Literal["StudentExcused"] = "StudentExcused"
    by: UUID


# -- classroom.live-sessions.v1: reminders -----------------------------------------------------


class ReminderAdded(Message):
    type: Literal["ReminderAdded"] = "ReminderAdded"
    minutes: int
    due_at: datetime


class ReminderRemoved(Message):
    type: Literal["ReminderRemoved"] = "ReminderRemoved"
    minutes: int


class ReminderSent(Message):
    """The sending itself (its text and recipients) is the notification on ``notifications.outgoing.v1``."""

    type: Literal["ReminderSent"] = "ReminderSent"
    minutes: int
    due_at: datetime
    sent_at: datetime
    recipient_count: int


class ReminderRearmed(Message):
    type: Literal["ReminderRearmed"] = "ReminderRearmed"
    minutes: int
    due_at: datetime
    at: datetime


LiveSessionMessage = Annotated[
    LiveSessionScheduled | LiveSessionDetailsChanged | LiveSessionRescheduled | LiveSessionStarted
    | LiveSessionEnded | LiveSessionCancelled | StudentRegistered | StudentJoined | StudentLeft
    | StudentMarkedAbsent | StudentExcused | ReminderAdded | ReminderRemoved | ReminderSent | ReminderRearmed,
    Field(discriminator="type"),
]  # fmt: skip

# -- classroom.classrooms.v1 -------------------------------------------------------------------


class ClassroomCreated(Message):
    type: Literal["ClassroomCreated"] = "ClassroomCreated"
    name: str
    teacher_id: UUID
    created_at: datetime


class MembershipChanged(Message):
    """``from_status`` is null for a new member; ``removed`` keeps the member, inactive (CL-14)."""

    type: Literal["MembershipChanged"] = "MembershipChanged"
    student_id: UUID
    from_status: MembershipStatus | None
    status: MembershipStatus
    at: datetime


ClassroomMessage = Annotated[ClassroomCreated | MembershipChanged, Field(discriminator="type")]

LIVE_SESSION_MESSAGE: TypeAdapter[Any] = TypeAdapter(LiveSessionMessage)
CLASSROOM_MESSAGE: TypeAdapter[Any] = TypeAdapter(ClassroomMessage)


def decode_live_session(value: bytes) -> Any:
    """Parses and validates one ``classroom.live-sessions.v1`` value (pydantic's ValidationError if not one)."""
    return LIVE_SESSION_MESSAGE.validate_json(value)


def decode_classroom(value: bytes) -> Any:
    """Parses and validates one ``classroom.classrooms.v1`` value."""
    return CLASSROOM_MESSAGE.validate_json(value)


#: Every classroom domain topic -> its decoder (``producers.catalogue``).
DECODERS = {topics.LIVE_SESSIONS: decode_live_session, topics.CLASSROOMS: decode_classroom}


#: The messages of each classroom topic, for the published schemas (``producers.catalogue.MESSAGES``).
TOPIC_MESSAGES: dict[str, object] = {
    topics.LIVE_SESSIONS: LiveSessionMessage,
    topics.CLASSROOMS: ClassroomMessage,
    topics.INBOUND_PRESENCE: PresenceWebhook,
    outcomes_topic(topics.INBOUND_PRESENCE): PresenceOutcome,
}
