"""The state an auditor sees: an aggregate in the field names of its resource's HTTP view.

Each context lists its views in ``infra/api/<context>/audit_views.py`` (``VIEWS``: aggregate class ->
view function); ``VIEWS`` below gathers them, one line per context.  A view gets the aggregate as of
a version, ``related`` (any other aggregate as of the same instant, for the fields a resource joins
from others, such as a registration's session dates) and that instant (for the fields the HTTP view
computes from "now").  An aggregate without a view shows its own attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from infra.api.eventsessions import audit_views as eventsessions_views
from infra.audit.history import jsonable

Related = Callable[[UUID], Any]
StateView = Callable[[Any, Related, datetime], Mapping[str, Any]]

#: Aggregate class -> its view, for every context (a new context adds its ``VIEWS`` here).
VIEWS: dict[type, StateView] = {**eventsessions_views.VIEWS}


def own_attributes(aggregate: Any) -> dict[str, Any]:
    """An aggregate without a view: its id, version and public attributes."""
    values = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    return jsonable({"id": aggregate.id, "version": aggregate.version, **values})


def state_of(aggregate: Any, related: Related, as_of: datetime) -> dict[str, Any]:
    for kind in type(aggregate).__mro__:
        view = VIEWS.get(kind)
        if view is not None:
            return jsonable(dict(view(aggregate, related, as_of)))
    return own_attributes(aggregate)
