"""Client JWTs (CDS Hooks 2.0 security): what is refused with 401, what is accepted, and how
the JWK Sets are found, cached and refreshed. Keys are made by the tests (conftest.Keys)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import replace

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cds_hooks.common.settings import Settings
from cds_hooks.common.trust import TrustedIssuer
from cds_hooks.service.app import create_app
from cds_hooks.service.auth import AuthError, Verifier
from cds_hooks.store.replay import MemoryReplayGuard
from tests.conftest import BASE, ISSUER, SignedClient, hook_fixture, jwks

SIGN = "/cds-services/moldx-order-sign"
AUD = BASE + SIGN


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, payload: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"


def claims(**changes) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUD, "iat": now, "exp": now + 300, "jti": "j-" + str(now),
            **changes}


def hs256_with_public_key(keys) -> str:
    """The algorithm-confusion attack: HMAC keyed with the (public) verification key."""
    public = keys.rsa.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    head = unsigned({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims())
    signature = hmac.new(public, head.encode(), hashlib.sha256).digest()
    return f"{head}.{b64(signature)}"


def tampered(keys) -> str:
    header, _, signature = keys.sign(AUD).split(".")
    return f"{header}.{b64(json.dumps(claims(aud=AUD, jti='other')).encode())}.{signature}"


def now() -> int:
    return int(time.time())


# case -> (what the 401 says, how to make the token)
BAD_TOKENS = {
    "expired": ("expired", lambda k: k.sign(AUD, iat=now() - 900, exp=now() - 120)),
    "wrong aud": (f"aud must be {AUD}",
                  lambda k: k.sign(BASE + "/cds-services/moldx-order-select")),
    "aud of another host": (f"aud must be {AUD}",
                            lambda k: k.sign("https://cds.example.org" + SIGN)),
    "unknown kid": ("unknown kid", lambda k: k.sign(AUD, headers={"kid": "nobody"})),
    "no kid": ("no kid", lambda k: jwt.encode(claims(), k.ec, algorithm="ES384",
                                              headers={"typ": "JWT"})),
    "alg none": ("'none' is not accepted",
                 lambda k: unsigned({"alg": "none", "typ": "JWT", "kid": "ec-1"}, claims())
                 + "."),
    "HS256 signed with the public key": ("'HS256' is not accepted", hs256_with_public_key),
    "untrusted jku": ("jku", lambda k: k.sign(AUD, headers={"jku": "https://evil.example/j"})),
    "untrusted issuer": ("not trusted", lambda k: k.sign(AUD, iss="https://evil.example")),
    "missing jti": ('"jti"', lambda k: k.sign(AUD, drop=("jti",))),
    "missing exp": ('"exp"', lambda k: k.sign(AUD, drop=("exp",))),
    "missing iat": ('"iat"', lambda k: k.sign(AUD, drop=("iat",))),
    "iat in the future": ("not yet valid",
                          lambda k: k.sign(AUD, iat=now() + 600, exp=now() + 900)),
    "bad signature": ("Signature verification failed", tampered),
    "signed by another key": ("Signature verification failed",
                              lambda k: k.sign(AUD, key=ec.generate_private_key(ec.SECP384R1()))),
    "kid of a key of another type": ("Elliptic", lambda k: k.sign(AUD, headers={"kid": "rsa-1"})),
    "wrong typ": ("typ must be JWT", lambda k: k.sign(AUD, headers={"typ": "at+jwt"})),
    "not a JWT": ("not a JWT", lambda k: "not-a-jwt"),
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_bad_tokens_are_refused_with_401(client, keys, case):
    reason, make = BAD_TOKENS[case]
    response = client.post(SIGN, json=hook_fixture("missing-zcode"),
                           headers={"Authorization": f"Bearer {make(keys)}"})
    assert response.status_code == 401, response.json
    assert reason in response.json["issue"][0]["diagnostics"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json["resourceType"] == "OperationOutcome"


def test_no_authorization_header_is_401(client):
    response = client.post(SIGN, json=hook_fixture("missing-zcode"), sign=False)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_a_basic_scheme_is_401(client):
    response = client.post(SIGN, json=hook_fixture("missing-zcode"),
                           headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401


def test_a_replayed_token_is_refused(client, keys):
    headers = {"Authorization": f"Bearer {keys.sign(AUD)}"}
    first = client.post(SIGN, json=hook_fixture("missing-zcode"), headers=headers)
    again = client.post(SIGN, json=hook_fixture("missing-zcode"), headers=headers)
    assert (first.status_code, again.status_code) == (200, 401)
    assert "replayed" in again.json["issue"][0]["diagnostics"]


def test_a_replay_is_refused_by_another_worker_sharing_the_store(app, settings, knowledge,
                                                                 keys):
    """gunicorn runs several processes; the store is where they share the token ids."""
    other = create_app(settings, knowledge)
    other.test_client_class = SignedClient
    headers = {"Authorization": f"Bearer {keys.sign(AUD)}"}
    body = hook_fixture("missing-zcode")
    assert app.test_client().post(SIGN, json=body, headers=headers).status_code == 200
    assert other.test_client().post(SIGN, json=body, headers=headers).status_code == 401


@pytest.mark.parametrize("alg", ["ES384", "RS384", "PS256", "RS512"])
def test_asymmetric_tokens_are_accepted(client, keys, alg):
    response = client.post(SIGN, json=hook_fixture("missing-zcode"),
                           headers={"Authorization": f"Bearer {keys.sign(AUD, alg=alg)}"})
    assert response.status_code == 200


def test_aud_is_the_public_base_url_behind_a_proxy(settings, knowledge, keys):
    app = create_app(replace(settings, public_base_url="https://cds.example.org"), knowledge)
    app.test_client_class = SignedClient
    client = app.test_client()
    public = keys.sign("https://cds.example.org" + SIGN)
    internal = keys.sign(AUD)
    body = hook_fixture("missing-zcode")
    assert client.post(SIGN, json=body,
                       headers={"Authorization": f"Bearer {public}"}).status_code == 200
    assert client.post(SIGN, json=body,
                       headers={"Authorization": f"Bearer {internal}"}).status_code == 401


def test_feedback_needs_a_token_and_discovery_does_not(client):
    assert client.post(SIGN + "/feedback", json={"feedback": []}, sign=False).status_code == 401
    assert client.get("/cds-services", sign=False).status_code == 200


def test_auth_off_needs_no_token_and_is_announced(settings, knowledge):
    off = replace(settings, auth=False)
    assert any("AUTHENTICATION IS OFF" in w for w in off.startup_warnings())
    response = create_app(off, knowledge).test_client().post(
        SIGN, json=hook_fixture("missing-zcode"))
    assert response.status_code == 200


def test_auth_is_on_unless_turned_off_explicitly():
    assert Settings.from_env({}).auth is True
    assert Settings.from_env({"MOLDX_CDS_AUTH": "off"}).auth is False
    with pytest.raises(ValueError):
        Settings.from_env({"MOLDX_CDS_AUTH": "maybe"})


def test_demo_settings_warn_about_their_test_only_issuers():
    warnings = Settings.from_env({}).startup_warnings()
    assert any("https://sandbox.cds-hooks.org" in w for w in warnings)


def test_the_sandbox_jku_is_honoured_from_its_pinned_key_set():
    """The sandbox's jku host is unreachable: its allow-listed jku is answered by the pinned
    file, without any fetch (the autouse FHIR mock would fail one)."""
    [sandbox] = [i for i in Settings().issuers if i.iss == "https://sandbox.cds-hooks.org"]
    assert "https://sandbox.cds-hooks.org/.well-known/jwks.json" in sandbox.jku
    verifier = Verifier((sandbox,), MemoryReplayGuard())
    keys = verifier._keys(sandbox, "https://sandbox.cds-hooks.org/.well-known/jwks.json")
    assert keys.get("44823f3d-0b01-4a6c-a80e-b9d3e8a7226f")["crv"] == "P-384"


# -- JWK Sets fetched by URL ------------------------------------------------------------------

JWKS_URL = "https://issuer.test/.well-known/jwks.json"
OTHER_JKU = "https://issuer.test/keys/v2.json"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def url_verifier(clock=None) -> Verifier:
    issuer = TrustedIssuer(ISSUER, jwks_url=JWKS_URL, jku=frozenset({OTHER_JKU}))
    return Verifier((issuer,), MemoryReplayGuard(), clock=clock or Clock())


def test_a_jwks_url_is_fetched_once_and_cached(keys, fhir_server):
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", keys.ec.public_key())))
    verifier = url_verifier()
    for _ in range(3):
        verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    assert len(fhir_server.calls) == 1


def test_an_allow_listed_jku_is_fetched(keys, fhir_server):
    fhir_server.get(OTHER_JKU, json=jwks(("ec-1", keys.ec.public_key())))
    url_verifier().verify(f"Bearer {keys.sign(AUD, headers={'jku': OTHER_JKU})}", AUD)
    assert [c.request.url for c in fhir_server.calls] == [OTHER_JKU]


def test_an_unknown_kid_refreshes_the_key_set_but_not_more_than_every_30_s(keys, fhir_server):
    rotated = ec.generate_private_key(ec.SECP384R1())
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", keys.ec.public_key())))
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", keys.ec.public_key()),
                                        ("ec-2", rotated.public_key())))
    clock = Clock()
    verifier = url_verifier(clock)
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    new_key_token = keys.sign(AUD, key=rotated, headers={"kid": "ec-2"})
    with pytest.raises(AuthError, match="unknown kid"):
        verifier.verify(f"Bearer {new_key_token}", AUD)  # too soon to fetch again
    clock.now += 31
    verifier.verify(f"Bearer {keys.sign(AUD, key=rotated, headers={'kid': 'ec-2'})}", AUD)
    assert len(fhir_server.calls) == 2


def test_a_kid_that_names_another_key_after_a_reload_verifies_with_that_key(keys, fhir_server):
    """Key objects are kept between calls: a reloaded key set must replace them."""
    replaced = ec.generate_private_key(ec.SECP384R1())
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", keys.ec.public_key())))
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", replaced.public_key())))
    clock = Clock()
    verifier = url_verifier(clock)
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    clock.now += 301  # the key set is read again once it is 300 s old
    verifier.verify(f"Bearer {keys.sign(AUD, key=replaced)}", AUD)
    with pytest.raises(AuthError, match="Signature verification failed"):
        verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", "!!!.e30.", "e30.!!!.", "W10.e30.",
                                   "e30.W10.", "bm90IGpzb24.e30."])
def test_a_token_that_is_not_a_compact_jws_of_two_json_objects_is_not_a_jwt(token):
    verifier = Verifier((), MemoryReplayGuard())
    with pytest.raises(AuthError, match="not a JWT"):
        verifier.verify(f"Bearer {token}", AUD)


def test_an_unreachable_jwks_url_is_a_401_not_a_500(keys, fhir_server):
    fhir_server.get(JWKS_URL, body=requests.exceptions.ConnectionError("down"))
    with pytest.raises(AuthError, match="could not be fetched"):
        url_verifier().verify(f"Bearer {keys.sign(AUD)}", AUD)


def test_production_issuers_come_from_a_file_and_the_demo_key_is_then_refused(
        tmp_path, keys, knowledge):
    from cds_hooks.client.keys import demo_token

    (tmp_path / "issuers.json").write_text(json.dumps({"issuers": [
        {"iss": ISSUER, "jwks_file": str(keys.jwks_file)},
        {"iss": "https://other.test", "jwks_url": JWKS_URL, "jku": [OTHER_JKU]}]}))
    settings = Settings.from_env({
        "MOLDX_CDS_TRUSTED_ISSUERS": str(tmp_path / "issuers.json"),
        "MOLDX_CDS_STORE_URL": f"sqlite:///{tmp_path / 'store.sqlite'}",
        "MOLDX_CDS_SPOOL_DIR": str(tmp_path / "spool"),
        "MOLDX_CDS_PUBLIC_BASE_URL": BASE})
    assert [i.iss for i in settings.issuers] == [ISSUER, "https://other.test"]
    assert settings.startup_warnings() == []
    app = create_app(settings, knowledge)
    app.test_client_class = SignedClient
    client = app.test_client()
    body = hook_fixture("missing-zcode")
    assert client.post(SIGN, json=body).status_code == 200
    demo = client.post(SIGN, json=body, headers={"Authorization": f"Bearer {demo_token(AUD)}"})
    assert demo.status_code == 401


def test_known_keys_keep_serving_while_the_issuer_is_down(keys, fhir_server):
    fhir_server.get(JWKS_URL, json=jwks(("ec-1", keys.ec.public_key())))
    fhir_server.get(JWKS_URL, body=requests.exceptions.ConnectionError("down"))
    clock = Clock()
    verifier = url_verifier(clock)
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    clock.now += 301  # the key set is due for a reload, which fails
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)
    verifier.verify(f"Bearer {keys.sign(AUD)}", AUD)  # and is not tried again at once
    assert len(fhir_server.calls) == 2
