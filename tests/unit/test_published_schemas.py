"""The published schemas: the AsyncAPI document's shape, and changes to a vN message stay additive."""

from __future__ import annotations

import enum
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import pytest
from pydantic import BaseModel

from infra.asyncapi import channels, document, export, message_schemas
from infra.schema_compat import incompatibilities
from producers import catalogue

PUBLISHED = Path(__file__).resolve().parent.parent / "schemas" / "published"
NAME = re.compile(r"^[a-zA-Z0-9.\-_]+$")


def published() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((PUBLISHED / "messages").glob("*.json"))}


def test_every_change_to_the_published_messages_since_the_committed_copy_is_additive():
    """On an additive change, refresh the copy: ``sessionstream schemas export tests/schemas/published``."""
    assert incompatibilities(published(), message_schemas()) == []


def test_the_asyncapi_document_names_every_topic_of_the_catalogue_with_its_operations():
    doc = document()

    assert doc["asyncapi"] == "3.0.0"
    assert {t.name for t in catalogue.TOPICS} <= set(doc["channels"])
    for name, channel in doc["channels"].items():
        assert NAME.match(name) and channel["messages"], name
    for operation in doc["operations"].values():
        assert operation["action"] in ("send", "receive")
    assert doc["operations"]["send.eventsessions.sessions.v1"]["messages"]
    assert doc["operations"]["receive.inbound.registrations.v1"]["messages"]
    assert "send.audit.checkpoints.v1" in doc["operations"]


def test_every_reference_in_the_asyncapi_document_resolves():
    doc = document()
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str) and not node.get("$ref").startswith("#/$defs"):
                refs.append(node["$ref"])
            for key, value in node.items():
                if key != "schema":  # payload schemas hold their own $defs
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    for ref in refs:
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
    assert len(refs) > 50


def test_the_export_writes_the_document_and_one_schema_file_per_message(tmp_path):
    written = export(tmp_path)

    assert json.loads((tmp_path / "asyncapi.json").read_text()) == json.loads(json.dumps(document()))
    assert {p.stem for p in (tmp_path / "messages").glob("*.json")} == set(message_schemas())
    assert len(written) == len(message_schemas()) + 1


def test_every_domain_topic_has_its_messages_and_headers():
    for channel in channels():
        if channel.topic in catalogue.DECODERS:
            assert channel.models and "ce_type" in channel.headers["required"], channel.topic


# -- the compatibility check itself -----------------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class V1(BaseModel):
    id: UUID
    count: int
    colour: Literal["red", "blue"]
    at: datetime | None


def schemas(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    return {"x.Message": model.model_json_schema()}


def check(new: type[BaseModel]) -> list[str]:
    return incompatibilities(schemas(V1), schemas(new))


def test_an_added_optional_field_is_additive():
    class V2(V1):
        note: str | None = None

    assert check(V2) == []


def test_a_literal_that_becomes_an_enum_of_the_same_values_is_the_same_type():
    class V2(BaseModel):
        id: UUID
        count: int
        colour: Colour
        at: datetime | None

    assert check(V2) == []


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {"id": (UUID, ...), "colour": (Literal["red", "blue"], ...), "at": (datetime | None, ...)},
            "count: field removed",
        ),
        (
            {
                "id": (UUID, ...),
                "count": (str, ...),
                "colour": (Literal["red", "blue"], ...),
                "at": (datetime | None, ...),
            },
            "count: type changed",
        ),
        (
            {
                "id": (UUID, ...),
                "count": (int, ...),
                "colour": (Literal["red", "blue"], ...),
                "at": (datetime | None, ...),
                "owner": (str, ...),
            },
            "owner: new required field",
        ),
        (
            {"id": (UUID, ...), "count": (int, ...), "colour": (Literal["red"], ...), "at": (datetime | None, ...)},
            "colour: ",
        ),
    ],
    ids=["removed field", "changed type", "new required field", "removed value"],
)
def test_a_change_that_is_not_additive_is_caught(fields, problem):
    from pydantic import create_model

    found = check(create_model("V2", **fields))

    assert any(problem in p for p in found), found
