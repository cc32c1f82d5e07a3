"""`moldx-cds keys new` and `keys serve`: the files a CDS client needs, and tokens signed with
them that the service's own verifier accepts."""

from __future__ import annotations

import json
import stat
import subprocess
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cds_hooks.cli.main import main
from cds_hooks.client.keys import ClientKey, KeyFileError, client_token, thumbprint
from cds_hooks.common.trust import load_issuers
from cds_hooks.service.auth import AuthError, Verifier
from cds_hooks.store.replay import MemoryReplayGuard
from tests.processes import CLI, command_env

ISS = "https://lis.example.org/cds-client"
AUD = "https://cds.example.org/cds-services/moldx-order-sign"


def _new(tmp_path, capsys, *more: str) -> tuple[int, str]:
    status = main(["keys", "new", "--issuer", ISS, "--out", str(tmp_path / "keys"), *more])
    return status, capsys.readouterr().out


def test_keys_new_writes_a_private_key_only_its_owner_reads_and_a_jwks(tmp_path, capsys):
    status, out = _new(tmp_path, capsys)

    assert status == 0
    pem = tmp_path / "keys" / "private-key-es384.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    [jwk] = json.loads((tmp_path / "keys" / "jwks.json").read_text())["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-384", "ES384", "sig")
    assert "d" not in jwk  # public half only
    assert jwk["kid"] == thumbprint(jwk) == ClientKey.load(pem).kid
    assert f"MOLDX_CDS_TRUSTED_ISSUERS={(tmp_path / 'keys' / 'trusted-issuers.json')}" in out


def test_the_service_verifier_accepts_tokens_of_a_new_key_through_the_written_files(
        tmp_path, capsys):
    _new(tmp_path, capsys, "--rsa")
    folder = tmp_path / "keys"
    verifier = Verifier(load_issuers(folder / "trusted-issuers.json"), MemoryReplayGuard())

    for name, alg in (("private-key-es384.pem", "ES384"), ("private-key-rs384.pem", "RS384")):
        token = client_token(ClientKey.load(folder / name), ISS, AUD)
        header, claims = jwt.get_unverified_header(token), verifier.verify(f"Bearer {token}",
                                                                            AUD)
        assert (header["alg"], header["typ"]) == (alg, "JWT")
        assert claims["iss"] == ISS and claims["aud"] == AUD
        assert claims["exp"] - claims["iat"] == 300
        assert uuid.UUID(claims["jti"])
    with pytest.raises(AuthError, match="aud must be"):
        verifier.verify(f"Bearer {client_token(ClientKey.load(folder / name), ISS, AUD)}",
                        AUD + "/feedback")


def test_keys_new_does_not_overwrite_without_force(tmp_path, capsys):
    assert _new(tmp_path, capsys)[0] == 0
    first = (tmp_path / "keys" / "private-key-es384.pem").read_bytes()
    status = main(["keys", "new", "--issuer", ISS, "--out", str(tmp_path / "keys")])
    assert status == 2 and "use --force" in capsys.readouterr().err
    assert (tmp_path / "keys" / "private-key-es384.pem").read_bytes() == first
    assert _new(tmp_path, capsys, "--force")[0] == 0
    assert (tmp_path / "keys" / "private-key-es384.pem").read_bytes() != first


def test_unusable_key_files_are_named(tmp_path):
    not_pem = tmp_path / "key.pem"
    not_pem.write_text("hello")
    with pytest.raises(KeyFileError, match="not an unencrypted PEM private key"):
        ClientKey.load(not_pem)
    p256 = tmp_path / "p256.pem"
    p256.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(KeyFileError, match="P-384"):
        ClientKey.load(p256)
    with pytest.raises(KeyFileError, match="cannot read"):
        ClientKey.load(tmp_path / "missing.pem")


def test_a_token_lives_five_minutes_at_most():
    with pytest.raises(ValueError, match="at most 300"):
        client_token(ClientKey.generate(), ISS, AUD, lifetime=301)


def test_keys_serve_publishes_the_jwks_for_an_issuer_trusted_by_url(tmp_path, capsys):
    _new(tmp_path, capsys)
    jwks = tmp_path / "keys" / "jwks.json"
    server = subprocess.Popen([*CLI, "keys", "serve", "--jwks", str(jwks), "--port", "0"],
                              stderr=subprocess.PIPE, text=True, env=command_env())
    try:
        line = server.stderr.readline()  # "moldx-cds: JWK Set at http://..."
        url = line.split(" at ", 1)[1].strip()
        assert requests.get(url, timeout=5).json() == json.loads(jwks.read_text())
        assert requests.get(url.replace("jwks.json", "other"), timeout=5).status_code == 404
        issuers = tmp_path / "by-url.json"
        status = main(["keys", "new", "--issuer", ISS, "--out", str(tmp_path / "other"),
                       "--jwks-url", url])
        assert status == 0
        entry = json.loads((tmp_path / "other" / "trusted-issuers.json").read_text())
        assert entry["issuers"][0] == {"iss": ISS, "jwks_url": url, "jku": [url]}
        issuers.write_text(json.dumps(entry))
        verifier = Verifier(load_issuers(issuers), MemoryReplayGuard())
        key = ClientKey.load(tmp_path / "keys" / "private-key-es384.pem")
        claims = verifier.verify(f"Bearer {client_token(key, ISS, AUD, jku=url)}", AUD)
        assert claims["iss"] == ISS
        port = url.split(":")[2].split("/")[0]  # taken: a clear error, no traceback
        assert main(["keys", "serve", "--jwks", str(jwks), "--port", port]) == 1
        assert "cannot listen on 127.0.0.1:" in capsys.readouterr().err
    finally:
        server.terminate()
        server.wait(timeout=10)
