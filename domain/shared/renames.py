"""Renamed aggregates keep their history.

eventsourcing stores each event with its class's topic (``module:Aggregate.Event``) and the
aggregate's own topic inside its first event, and resolves those topics to classes when it reads
them back.  Renaming or moving an aggregate class would leave the events stored before unreadable,
so the old topics are registered for the new class (``eventsourcing.utils.register_topic``), and
remembered here, so whatever selects stored events by topic (the relay's scopes) finds both.
"""

from __future__ import annotations

from eventsourcing.utils import get_topic, register_topic

#: The current ``module:Aggregate`` topic -> the topics the aggregate was stored under before.
_FORMER: dict[str, list[str]] = {}


def renamed_aggregate(aggregate: type, former: str) -> None:
    """``aggregate`` was stored as ``former`` (``module:OldName``): its events load under either topic."""
    register_topic(former, aggregate)
    for value in vars(aggregate).values():
        if isinstance(value, type) and value.__qualname__.startswith(f"{aggregate.__qualname__}."):
            nested = value.__qualname__[len(aggregate.__qualname__) + 1 :]
            register_topic(f"{former}.{nested}", value)
    formers = _FORMER.setdefault(get_topic(aggregate), [])
    if former not in formers:
        formers.append(former)


def former_topics(aggregate: type) -> tuple[str, ...]:
    """Every ``module:Name`` topic ``aggregate`` was stored under before its current one."""
    return tuple(_FORMER.get(get_topic(aggregate), ()))
