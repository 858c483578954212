"""HTTP routers of the event-sessions context (``ROUTERS``, in the order they are mounted)."""

from __future__ import annotations

from infra.api.eventsessions import catalogues, events, mail, registrations, sessions, wizard

ROUTERS = (events.router, sessions.router, wizard.router, registrations.router, mail.router, catalogues.router)
