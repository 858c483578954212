"""Who a session is (R-1, CH-1) and which party may push or see it (R-2, CH-18)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.charging.errors import ForeignPartyError, IdentityMismatchError

#: CH-1: the namespace of the charging sessions' aggregate ids.
SESSION_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sessionstream:charging:session")


def session_key(country_code: str, party_id: str, session_id: str) -> str:
    """CH-1: the identity lower-cased (R-1) and written as a compact JSON array, ``["nl","stk","101"]``,
    so no choice of characters can make two identities share it (also the Kafka key, CH-24)."""
    return json.dumps([country_code.lower(), party_id.lower(), session_id.lower()], separators=(",", ":"))


def session_aggregate_id(country_code: str, party_id: str, session_id: str) -> UUID:
    """CH-1: ``uuid5(SESSION_ID_NAMESPACE, '["nl","tnm","101"]')`` (``session_key``)."""
    return uuid5(SESSION_ID_NAMESPACE, session_key(country_code, party_id, session_id))


def same_cistring(left: str, right: str) -> bool:
    """R-1: CiStrings are ASCII, so lower-casing both compares them case-insensitively."""
    return left.lower() == right.lower()


@dataclass(frozen=True)
class Party:
    """An OCPI party: the owner of a credentials token (a CPO pushing, an eMSP pulling)."""

    country_code: str
    party_id: str

    def is_party(self, country_code: str, party_id: str) -> bool:
        return same_cistring(self.country_code, country_code) and same_cistring(self.party_id, party_id)


def check_party_may_push(caller: Party, country_code: str, party_id: str) -> None:
    """R-2: a party pushes (and reads back) sessions under its own country code and party id only;
    any other identity is answered as unknown (HTTP 404), which hides other parties' sessions."""
    if not caller.is_party(country_code, party_id):
        raise ForeignPartyError()


def party_may_see(caller: Party, owner: Party, token_owner: Party) -> bool:
    """CH-18: the sender list shows a party the sessions it owns (CPO) or whose token it issued (eMSP)."""
    return caller.is_party(owner.country_code, owner.party_id) or caller.is_party(
        token_owner.country_code, token_owner.party_id
    )


def check_identity_matches(country_code: str, party_id: str, session_id: str, body: dict[str, str]) -> None:
    """R-2, D9: the identity fields a body carries must name the session of the URL (case-insensitively)."""
    for name, in_url in (("country_code", country_code), ("party_id", party_id), ("id", session_id)):
        in_body = body.get(name)
        if in_body is not None and not same_cistring(in_url, in_body):
            raise IdentityMismatchError(name, in_url, in_body)
