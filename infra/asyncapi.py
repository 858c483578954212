"""The published schemas: an AsyncAPI 3.0 document of every topic the service reads or writes.

Built from ``producers.catalogue`` alone (its ``TOPICS``, ``MESSAGES`` and ``DECODERS``), so a new
context's topics appear as soon as it is in the catalogue.  Each payload's JSON Schema (draft
2020-12) is generated from its pydantic model; headers are described per kind of topic: what the relay
puts on domain messages and notifications, what the consumers put on dead letters, what the sealer
puts on checkpoints.  ``GET /asyncapi.json`` serves the document; ``sessionstream schemas export DIR``
writes it with one JSON Schema file per message (``messages/<context>.<Message>.json``).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from producers import catalogue
from producers.topics import TopicSpec

ASYNCAPI_VERSION = "3.0.0"
DESCRIPTION = (
    "Every topic sessionstream reads or writes. Topic names are logical: an instance puts its"
    " SESSIONSTREAM_TOPIC_PREFIX before each. Values are JSON of the versioned pydantic models; within vN a"
    " change is additive only."
)
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING = "0.5.0"


def _strings(names: dict[str, str], required: bool = True, more: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {n: {"type": "string", "description": d} for n, d in names.items()},
        "required": list(names) if required else [],
        "additionalProperties": more,
    }


RELAY_HEADERS = {
    "ce_specversion": "CloudEvents version, 1.0",
    "ce_id": "the message's id: uuid5 of aggregate id and version (a notification's own id)",
    "ce_type": "the message type",
    "ce_source": "sessionstream/<context>",
    "ce_subject": "the aggregate id",
    "ce_time": "when the event occurred (ISO 8601)",
    "schema_version": "the message's schema version",
    "aggregate_id": "the aggregate the event belongs to",
    "aggregate_version": "the aggregate's version after the event",
    "notification_id": "the event's position in the global log",
    "correlation_id": "what groups related messages (the key)",
}
REPLAY_HEADERS = {**RELAY_HEADERS, "ce_replay": "true: replayed by `sessionstream audit replay`"}
DEAD_LETTER_HEADERS = {
    "dlt.origin.topic": "the topic the record was read from",
    "dlt.origin.partition": "its partition",
    "dlt.origin.offset": "its offset",
    "dlt.exception.class": "why it could not be processed: the error's class",
    "dlt.exception.message": "and its message",
}
CHECKPOINT_HEADERS = {k: RELAY_HEADERS[k] for k in ("ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time",
                                                     "schema_version")} | {"ce_subject": "the log's name"}  # fmt: skip
OUTCOME_HEADERS = {"ce_type": "the outcome's type", "message_id": "the request's message_id"}


@dataclass(frozen=True)
class Channel:
    topic: str
    spec: TopicSpec
    models: tuple[type[BaseModel], ...]  # empty: raw bytes (dead letters)
    headers: dict[str, Any]
    sends: bool
    receives: bool


def models_of(annotation: Any) -> tuple[type[BaseModel], ...]:
    """The pydantic models in a model, a union of them, or an ``Annotated`` union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (annotation,)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return models_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return tuple(m for arg in typing.get_args(annotation) for m in models_of(arg))
    return ()


def _declared(spec: TopicSpec) -> tuple[type[BaseModel], ...]:
    annotation = spec.messages or catalogue.MESSAGES.get(spec.name)
    if annotation is None and spec.name in catalogue.DECODERS:
        annotation = typing.get_type_hints(catalogue.DECODERS[spec.name]).get("return")
    return models_of(annotation)


def channels() -> list[Channel]:
    found = []
    for spec in catalogue.TOPICS:
        domain = spec.name in catalogue.DECODERS
        if spec.name.endswith(".DLT"):
            found.append(Channel(spec.name, spec, (), _strings(DEAD_LETTER_HEADERS), True, False))
        elif spec.name.startswith("inbound.") and spec.name.endswith(".outcomes"):
            found.append(
                Channel(spec.name, spec, _declared(spec), _strings(OUTCOME_HEADERS, required=False), True, False)
            )
        elif spec.name.startswith("inbound."):
            found.append(Channel(spec.name, spec, _declared(spec), _strings({}, required=False), False, True))
        elif spec.messages is not None and spec.name.startswith("audit."):
            found.append(Channel(spec.name, spec, _declared(spec), _strings(CHECKPOINT_HEADERS), True, False))
        else:  # domain topics and notifications: the relay publishes them
            found.append(Channel(spec.name, spec, _declared(spec), _strings(RELAY_HEADERS), True, domain))
    return found


def message_key(model: type[BaseModel]) -> str:
    """``<context>.<Model>`` (``eventsessions.SessionScheduled``), or the shared module's name."""
    parts = model.__module__.split(".")
    return f"{parts[1] if len(parts) > 1 else parts[0]}.{model.__name__}"


def payload_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The message's JSON Schema: self-contained (nested models under ``$defs``), draft 2020-12."""
    return {"$schema": DRAFT, "$id": f"urn:sessionstream:schema:{message_key(model)}", **model.model_json_schema()}


DEAD_LETTER = "shared.DeadLetter"


def _messages() -> Iterator[tuple[str, type[BaseModel]]]:
    seen: set[str] = set()
    for channel in channels():
        for model in channel.models:
            key = message_key(model)
            if key not in seen:
                seen.add(key)
                yield key, model


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document (see the module docstring)."""
    messages: dict[str, Any] = {}
    for key, model in _messages():
        messages[key] = {
            "name": model.__name__, "title": key, "contentType": "application/json",
            "summary": (model.__doc__ or "").strip().split("\n\n")[0] or key,
            "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": payload_schema(model)},
        }  # fmt: skip
    messages[DEAD_LETTER] = {
        "name": "DeadLetter", "title": DEAD_LETTER, "contentType": "application/octet-stream",
        "summary": "A record that could not be processed: the original key, value and headers, plus where from"
                   " and why.",
        "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": {"$schema": DRAFT, "description": "the original value"}},
    }  # fmt: skip
    out_channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    every_domain: dict[str, Any] = {}
    for channel in channels():
        keys = [message_key(m) for m in channel.models] or [DEAD_LETTER]
        own = {}
        for key in keys:
            name = key.split(".", 1)[1]
            own[name] = {"$ref": f"#/components/messages/{key}"}
            if channel.spec.name in catalogue.DECODERS:
                every_domain[name] = own[name]
        out_channels[channel.topic] = {
            "address": channel.topic, "title": channel.topic,
            "description": f"{channel.spec.carries}; key: {channel.spec.key}.",
            "messages": own, "bindings": {"kafka": {"topic": channel.topic, "bindingVersion": KAFKA_BINDING}},
        }  # fmt: skip
        refs = [{"$ref": f"#/channels/{channel.topic}/messages/{name}"} for name in own]
        for action, on in (("send", channel.sends), ("receive", channel.receives)):
            if on:
                operations[f"{action}.{channel.topic}"] = {
                    "action": action, "channel": {"$ref": f"#/channels/{channel.topic}"}, "messages": refs,
                }  # fmt: skip
        for key in keys:  # a message travels on one kind of topic, so it has one set of headers
            messages[key]["headers"] = channel.headers
    out_channels["audit.replay"] = {
        "address": None, "title": "the auditor's replay topic",
        "description": "`sessionstream audit replay --topic NAME`: the domain messages in log order, with the "
                       "domain topics' headers plus `ce_replay: true`.",
        "messages": every_domain,
    }  # fmt: skip
    operations["send.audit.replay"] = {
        "action": "send", "channel": {"$ref": "#/channels/audit.replay"},
        "messages": [{"$ref": f"#/channels/audit.replay/messages/{n}"} for n in every_domain],
    }  # fmt: skip
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": "sessionstream", "version": "1", "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "channels": out_channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def headers_schema(topic: str) -> dict[str, Any]:
    """The headers a record on ``topic`` (logical name) carries."""
    for channel in channels():
        if channel.topic == topic:
            return channel.headers
    raise KeyError(topic)


def message_schemas() -> dict[str, dict[str, Any]]:
    """One JSON Schema per message, by ``message_key``."""
    return {key: payload_schema(model) for key, model in _messages()}


def export(directory: Path) -> list[Path]:
    """Writes ``asyncapi.json`` and ``messages/<key>.json``; returns the files written."""
    (directory / "messages").mkdir(parents=True, exist_ok=True)
    written = [directory / "asyncapi.json"]
    written[0].write_text(json.dumps(document(), indent=2, sort_keys=True) + "\n")
    for key, schema in message_schemas().items():
        path = directory / "messages" / f"{key}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
