"""Wire shapes shared by the HTTP commands and ``inbound.tunelog.v1`` (the same commands, two doors).

A position is ``"end"``, ``{"after": entry_id}`` or ``{"before": entry_id}`` (A.6 AddTune); anything
else is the spec's "Invalid parameters".  A bulk-replace entry is ``{tune_id?, name?}``.  Raw values
(``tune_id``, ``setting_override``, dates) are handed to the domain as given where the domain's own
check gives the spec's code and message.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.music.errors import INVALID_PARAMETERS, invalid
from domain.music.patterns import parse_date
from domain.music.tunelog import After, Before, TunePosition, TuneSpec


def parse_position(value: object) -> TunePosition:
    """``"end"`` | ``{"after": id}`` | ``{"before": id}`` -> the domain's position; else "Invalid parameters"."""
    if value is None or value == "end":
        return "end"
    if isinstance(value, dict) and len(value) == 1:
        ((side, entry),) = value.items()
        if side in ("after", "before"):
            try:
                entry_id = entry if isinstance(entry, UUID) else UUID(str(entry))
            except ValueError:
                raise invalid("position", INVALID_PARAMETERS, "tune.invalid_parameters") from None
            return After(entry_id) if side == "after" else Before(entry_id)
    raise invalid("position", INVALID_PARAMETERS, "tune.invalid_parameters")


def as_date(value: object) -> object:
    """A ``YYYY-MM-DD`` string as a ``date``; anything else as given, for the domain to refuse with its
    own code (``session.date.invalid``, ``instance.date.required``, ...)."""
    if isinstance(value, str):
        parsed = parse_date(value)
        return parsed if parsed is not None else value
    return value


class TuneSpecIn(BaseModel):
    """One tune of a bulk replace (A.6.8): an entry without either becomes "Unknown tune"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tune_id: Any = Field(default=None, json_schema_extra={"type": "integer"}, description="thesession.org tune id")
    name: str | None = None

    def to_domain(self) -> TuneSpec:
        return TuneSpec(tune_id=self.tune_id, name=self.name)


def tune_sets(sets: list[list[TuneSpecIn]]) -> list[list[TuneSpec]]:
    return [[spec.to_domain() for spec in members] for members in sets]
