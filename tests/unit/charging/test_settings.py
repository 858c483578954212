"""CH-17 and the OCPI tokens come from ``infra.settings``: the only reader of the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.charging.application import ChargingSessions
from infra.settings import Settings
from tests.unit.charging.conftest import IN_MEMORY


def test_CH17_the_policy_flags_reach_the_charging_application_from_the_settings() -> None:
    settings = Settings(CHARGING_STALE_UPDATES="apply", CHARGING_FINAL_STATUSES="open")

    app = ChargingSessions(env={**IN_MEMORY, **settings.application_env()})

    assert (app.policy.ignore_stale_updates, app.policy.final_statuses_are_terminal) == (False, False)
    assert ChargingSessions(env={**IN_MEMORY, **Settings().application_env()}).policy.ignore_stale_updates


def test_ocpi_tokens_are_token_country_party_triples() -> None:
    settings = Settings(SESSIONSTREAM_OCPI_TOKENS="abc:NL:STK, with:colon:BE:BEC")

    assert settings.ocpi_parties() == {"abc": ("NL", "STK"), "with:colon": ("BE", "BEC")}


@pytest.mark.parametrize("value", ["abc:NL", "abc:NLD:STK", ":NL:STK", "abc:NL:STKX"])
def test_malformed_ocpi_tokens_stop_the_service_at_start(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(SESSIONSTREAM_OCPI_TOKENS=value)


def test_an_unknown_policy_value_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(CHARGING_STALE_UPDATES="sometimes")
