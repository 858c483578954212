"""The music application: recurring sessions, their dated instances and tune logs, and the clock jobs.

Commands live in ``commands/`` by topic (sessions, instances, tunes, jobs) and are mixed in here.
Every command loads what it needs, lets the aggregates decide, and saves everything it touched in one
``save()``, retried from fresh state when a concurrent writer wins the version race.
"""

from __future__ import annotations

from domain.music.commands.instances import InstanceCommands, InstanceView
from domain.music.commands.jobs import (
    ActiveWindowResult,
    ActivityChanges,
    AutoCreateResult,
    ClockJobs,
    SessionAutoCreated,
    SessionError,
    TickResult,
)
from domain.music.commands.sessions import SessionCommands, SessionView
from domain.music.commands.tunes import AddedTune, ReplacedLog, TuneCommands
from domain.music.instance import SessionInstance
from domain.music.session import Session
from domain.music.session_registry import SessionRegistry
from domain.shared.application import Outcome

__all__ = [
    "ActiveWindowResult",
    "ActivityChanges",
    "AddedTune",
    "AutoCreateResult",
    "InstanceView",
    "MusicSessions",
    "Outcome",
    "ReplacedLog",
    "SessionAutoCreated",
    "SessionError",
    "SessionView",
    "TickResult",
]


class MusicSessions(SessionCommands, InstanceCommands, TuneCommands, ClockJobs):
    """Sessions, instances and tune logs in the shared event store (``context = "music"``)."""

    context = "music"
    snapshotting_intervals = {Session: 100, SessionInstance: 100, SessionRegistry: 100}
