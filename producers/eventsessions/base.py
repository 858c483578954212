"""What every event-sessions message carries besides the shared fields."""

from __future__ import annotations

from uuid import UUID

from pydantic import ConfigDict

from producers.messages import SCHEMA_VERSION as SCHEMA_VERSION
from producers.messages import Message as DomainMessage


class Message(DomainMessage):
    """``event_id`` is Odoo's ``event_id``: the parent event the aggregate belongs to (also the Kafka key,
    so a parent's sessions, registrations and mail stay in one partition, in order)."""

    # Enums (``RegistrationState``) validate their values and keep them as plain strings.
    model_config = ConfigDict(use_enum_values=True)

    event_id: UUID
