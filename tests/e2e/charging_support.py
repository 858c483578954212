"""Helpers of the charging e2e tests: OCPI clients per party, unique session ids, example bodies."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.unit.charging.examples import SESSION_JUST_STARTED_2_2_1, load

#: The test service's OCPI tokens (``tests.conftest.OCPI_TOKENS``) by party.
TOKENS = {
    ("NL", "STK"): "cpo-nl-stk",
    ("BE", "BEC"): "cpo-be-bec",
    ("DE", "ABC"): "cpo-de-abc",
    ("US", "AAA"): "cpo-us-aaa",
    ("NL", "TST"): "emsp-nl-tst",
    ("FR", "PAG"): "cpo-fr-pag",
    ("IT", "AAA"): "cpo-it-aaa",
    ("IT", "BBB"): "cpo-it-bbb",
    ("IT", "TOK"): "emsp-it-tok",
    ("PT", "DMO"): "cpo-pt-dmo",
}


def token_header(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


def ocpi_client(base_url: str, party: tuple[str, str] = ("NL", "STK"), **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": token_header(TOKENS[party])}, timeout=20, **kwargs)


def unique_id(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def session(**fields: Any) -> dict[str, Any]:
    """The spec's "just starting" 2.2.1 session (NL/STK, PENDING) with a fresh id and ``fields`` replaced
    (a field given as ``None`` is left out)."""
    body = copy.deepcopy(load(SESSION_JUST_STARTED_2_2_1))
    body["id"] = unique_id()
    for name, value in fields.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def dumps(body: Any) -> str:
    """JSON text of a body whose numbers may be ``Decimal`` (written exactly)."""
    return json.dumps(body, default=_exact)


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() or value.as_tuple().exponent < 0 else int(value)
    raise TypeError(type(value).__name__)


def receiver_path(body: dict[str, Any], version: str = "2.2.1") -> str:
    return f"/ocpi/emsp/{version}/sessions/{body['country_code']}/{body['party_id']}/{body['id']}"


def put(client: httpx.Client, body: dict[str, Any], version: str = "2.2.1", **kwargs: Any) -> httpx.Response:
    return client.put(
        receiver_path(body, version), content=dumps(body), headers={"Content-Type": "application/json"}, **kwargs
    )


def patch(
    client: httpx.Client, session_body: dict[str, Any], changes: dict[str, Any], version: str = "2.2.1"
) -> httpx.Response:
    return client.patch(
        receiver_path(session_body, version), content=dumps(changes), headers={"Content-Type": "application/json"}
    )


def get(client: httpx.Client, body: dict[str, Any], version: str = "2.2.1") -> httpx.Response:
    return client.get(receiver_path(body, version))


def decoded(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)
