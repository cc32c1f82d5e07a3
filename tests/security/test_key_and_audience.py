"""A token is good at this service only: `aud` naming other services too is refused. A key
taken out of a client's JWK Set stops working within a bound, even when the set cannot be
read any more (an attacker holding a stolen key could make the issuer's server unreachable)."""

from __future__ import annotations

import pytest
import requests

from cds_hooks.common.trust import TrustedIssuer
from cds_hooks.service.auth import JWKS_LIFESPAN, JWKS_MAX_STALE, AuthError, Verifier
from cds_hooks.store.replay import MemoryReplayGuard
from tests.conftest import BASE, ISSUER, hook_fixture, jwks

SIGN = "/cds-services/moldx-order-sign"
AUD = BASE + SIGN
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_aud_array_naming_another_service_too_is_a_401(client, keys):
    body = {"hook": "order-sign"}
    for aud in ([AUD, "https://other-service.example.org/cds-services/x"],
                ["https://other-service.example.org/cds-services/x", AUD]):
        token = keys.sign(aud)
        response = client.post(SIGN, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, aud
        assert "aud" in response.get_json()["issue"][0]["diagnostics"]


def test_an_aud_of_this_url_alone_is_accepted(client, keys):
    for aud in (AUD, [AUD]):
        token = keys.sign(aud)
        response = client.post(SIGN, json=hook_fixture("missing-zcode"),
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, aud


def test_a_key_removed_from_the_jwk_set_stops_working_after_the_lifespan(keys, fhir_server):
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", keys.ec.public_key())))
    fhir_server.get(JWKS_URL, json=jwks())  # the client took its key out
    clock = Clock()
    verifier = Verifier((TrustedIssuer(ISSUER, jwks_url=JWKS_URL),), MemoryReplayGuard(),
                        clock=clock)
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    clock.now += JWKS_LIFESPAN + 1
    with pytest.raises(AuthError):
        verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)


def test_known_keys_stop_serving_once_the_set_could_not_be_read_for_the_bound(keys,
                                                                             fhir_server):
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", keys.ec.public_key())))
    fhir_server.get(JWKS_URL, body=requests.exceptions.ConnectionError("down"))
    clock = Clock()
    verifier = Verifier((TrustedIssuer(ISSUER, jwks_url=JWKS_URL),), MemoryReplayGuard(),
                        clock=clock)
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    clock.now += JWKS_LIFESPAN + 1  # due, and the reload fails: the known keys still serve
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    clock.now += JWKS_MAX_STALE - JWKS_LIFESPAN  # not confirmed for longer than the bound
    with pytest.raises(AuthError, match="could not be fetched"):
        verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
