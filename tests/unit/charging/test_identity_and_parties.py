"""The aggregate id (CH-1) and the party rules (R-2, CH-18)."""

from __future__ import annotations

from uuid import uuid5

import pytest

from domain.charging.errors import ForeignPartyError
from domain.charging.identity import (
    SESSION_ID_NAMESPACE,
    Party,
    check_party_may_push,
    party_may_see,
    session_aggregate_id,
)
from domain.shared.errors import NotFoundError

CPO = Party("NL", "STK")
EMSP = Party("NL", "TST")


def test_CH1_the_aggregate_id_is_a_uuid5_of_the_lower_cased_identity() -> None:
    assert session_aggregate_id("NL", "StK", "Ab-101") == uuid5(SESSION_ID_NAMESPACE, '["nl","stk","ab-101"]')


def test_CH1_identities_that_would_join_alike_get_different_ids() -> None:
    assert session_aggregate_id("a", "b/c", "d") != session_aggregate_id("a/b", "c", "d")


def test_R2_a_party_may_push_under_its_own_identity_in_any_case() -> None:
    check_party_may_push(CPO, "nl", "stk")


@pytest.mark.parametrize(("country_code", "party_id"), [("NL", "TST"), ("BE", "STK")])
def test_R2_a_party_pushing_under_another_identity_is_answered_unknown_session(
    country_code: str, party_id: str
) -> None:
    with pytest.raises(ForeignPartyError) as caught:
        check_party_may_push(CPO, country_code, party_id)

    assert isinstance(caught.value, NotFoundError)  # HTTP 404, which hides the other party's sessions
    assert caught.value.message == "Unknown session"


def test_CH18_a_party_sees_the_sessions_it_owns_or_whose_token_it_issued() -> None:
    assert party_may_see(CPO, owner=Party("nl", "stk"), token_owner=EMSP)
    assert party_may_see(EMSP, owner=CPO, token_owner=Party("NL", "tst"))
    assert not party_may_see(Party("BE", "BEC"), owner=CPO, token_owner=EMSP)
