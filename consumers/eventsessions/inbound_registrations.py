"""``inbound.registrations.v1`` -> registration commands, one outcome per message (``consumers.inbound``).

Every command is safe to replay in order: a register uses the id derived from the message id (or the
one the request names), and a state change to the current state records nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from consumers.inbound import INBOUND_MESSAGES as INBOUND_MESSAGES  # re-exported for the container
from consumers.inbound import InboundHandler, InboundRoute
from domain.eventsessions.application import EventSessions, Outcome
from domain.eventsessions.seats import RegistrationState
from producers.eventsessions.inbound import RegistrationRequest
from producers.eventsessions.topics import INBOUND_REGISTRATIONS

REGISTRATION_ID_NAMESPACE = UUID("0c7d3b8e-52a4-4f61-a1f7-3d1f4b8e9a20")
STATE_OF_ACTION = {
    "confirm": RegistrationState.OPEN,
    "attend": RegistrationState.DONE,
    "cancel": RegistrationState.CANCEL,
    "reset": RegistrationState.DRAFT,
}


def registration_command(app: EventSessions) -> Any:
    """``request -> command`` for ``inbound.registrations.v1``."""

    def command(r: RegistrationRequest) -> Outcome:
        if r.action == "register":
            assert r.event_id is not None and r.name is not None and r.email is not None  # the schema's
            return app.register(
                id=r.registration_id or uuid5(REGISTRATION_ID_NAMESPACE, str(r.message_id)),
                event_id=r.event_id, session_id=r.session_id, name=r.name, email=r.email,
                phone=r.phone, state=r.state,
            )  # fmt: skip
        assert r.registration_id is not None
        if r.action == "move":
            assert r.session_id is not None
            return app.move_registration(r.registration_id, r.session_id)
        return app.change_registration_state(r.registration_id, STATE_OF_ACTION[r.action])

    return command


class InboundRegistrations(InboundHandler[RegistrationRequest]):
    def __init__(self, app: EventSessions, producer: Any, topic_prefix: str = "") -> None:
        route = InboundRoute(
            name="registrations", topic=INBOUND_REGISTRATIONS, request=RegistrationRequest,
            command=registration_command(app), subject=lambda r: r.registration_id,
            outcome_type="RegistrationRequestOutcome",
        )  # fmt: skip
        super().__init__(route, producer, topic_prefix)
