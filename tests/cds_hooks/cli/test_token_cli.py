"""`moldx-cds token --key FILE --issuer ISS [--kid KID] --aud URL`: after the demo trust is
switched off (MOLDX_CDS_TRUSTED_ISSUERS names your own issuer), curl still works with a token
of the key `keys new` made (the installed command, in a folder of its own)."""

from __future__ import annotations

import jwt
import pytest
import requests

from tests.conftest import hook_fixture
from tests.processes import command_env, moldx_cds, running_service

ISS = "https://lis.example.org/cds-client"


@pytest.fixture(scope="module")
def own_trust(tmp_path_factory):
    """A key made by `keys new`, and the service trusting only it."""
    folder = tmp_path_factory.mktemp("token")
    made = moldx_cds("keys", "new", "--issuer", ISS, "--out", "keys", "--rsa", cwd=folder)
    assert made.returncode == 0, made.stderr
    env = command_env(MOLDX_CDS_TRUSTED_ISSUERS=str(folder / "keys" / "trusted-issuers.json"))
    with running_service(folder, env, workers=1) as service:
        yield {"folder": folder, "url": service.base + "/cds-services/moldx-order-sign"}


def token(own_trust, *args: str) -> str:
    result = moldx_cds("token", "--aud", own_trust["url"], *args, cwd=own_trust["folder"])
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def post(own_trust, bearer: str) -> requests.Response:
    return requests.post(own_trust["url"], json=hook_fixture("zcode-from-cpt"), timeout=10,
                         headers={"Authorization": f"Bearer {bearer}"})


@pytest.mark.parametrize("key", ["keys/private-key-es384.pem", "keys/private-key-rs384.pem"])
def test_a_token_of_your_own_key_is_accepted_once_the_demo_is_not_trusted(own_trust, key):
    signed = token(own_trust, "--key", key, "--issuer", ISS)
    header, claims = jwt.get_unverified_header(signed), jwt.decode(
        signed, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == (ISS, own_trust["url"])
    assert header["alg"] == ("ES384" if "es384" in key else "RS384")
    answer = post(own_trust, signed)
    assert answer.status_code == 200 and answer.json()["cards"]
    assert post(own_trust, token(own_trust)).status_code == 401  # the demo key: not trusted


def test_a_kid_given_is_the_kid_sent(own_trust):
    signed = token(own_trust, "--key", "keys/private-key-es384.pem", "--issuer", ISS,
                   "--kid", "not-in-the-jwks")
    assert jwt.get_unverified_header(signed)["kid"] == "not-in-the-jwks"
    assert post(own_trust, signed).status_code == 401  # the service knows no such key


@pytest.mark.parametrize(("args", "says"), [
    (["--key", "keys/private-key-es384.pem"], "--key needs --issuer"),
    (["--issuer", ISS], "--issuer and --kid go with --key"),
    (["--key", "keys/absent.pem", "--issuer", ISS], "cannot read the key keys/absent.pem"),
    (["--key", "keys/jwks.json", "--issuer", ISS], "is not an unencrypted PEM private key"),
])
def test_wrong_options_are_one_line(own_trust, args, says):
    result = moldx_cds("token", "--aud", own_trust["url"], *args, cwd=own_trust["folder"])
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert says in line
