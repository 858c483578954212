"""The core ``event.stage`` records (spec §2.3) and the kanban labels that read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    id: int
    name: str
    sequence: int
    pipe_end: bool
    legend_normal: str = "In Progress"
    legend_blocked: str = "Blocked"
    legend_done: str = "Ready for Next Stage"


STAGES: dict[int, Stage] = {
    stage.id: stage
    for stage in (
        Stage(1, "New", 1, False),
        Stage(2, "Booked", 2, False),
        Stage(3, "Announced", 3, False),
        Stage(4, "Ended", 5, True),
        Stage(5, "Cancelled", 6, True),
    )
}
FIRST_STAGE_ID = min(STAGES.values(), key=lambda s: (s.sequence, s.name)).id
ENDED_STAGE_ID = min((s for s in STAGES.values() if s.pipe_end), key=lambda s: s.sequence).id
KANBAN_STATES = ("normal", "done", "blocked")


def kanban_state_label(stage_id: int, kanban_state: str) -> str:
    stage = STAGES[stage_id]
    return {
        "normal": stage.legend_normal,
        "blocked": stage.legend_blocked,
        "done": stage.legend_done,
    }[kanban_state]
