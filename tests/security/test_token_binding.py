"""Token binding: a client token is good for this service's URL, for one call, for at most
five minutes, whatever a caller puts in its headers or claims. Over real HTTP to `serve`."""

from __future__ import annotations

import time

import pytest

from tests.conftest import hook_fixture

from .harness import SIGN, serve


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("tokens")) as running:
        yield running


def refused(response) -> str:
    """The 401's diagnostics, after checking it is a 401 whose header is plain ASCII."""
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers["WWW-Authenticate"].isascii()
    assert response.headers["WWW-Authenticate"].isprintable()
    return response.json()["issue"][0]["diagnostics"]


def test_a_fresh_token_of_the_trusted_client_is_accepted(service):
    assert service.post(hook_fixture("missing-zcode")).status_code == 200


def test_a_token_living_longer_than_five_minutes_is_refused(service):
    now = int(time.time())
    token = service.token(iat=now, exp=now + 3600)
    assert "longer than 300 s" in refused(service.post(hook_fixture("missing-zcode"),
                                                        token=token))


def test_a_host_header_naming_another_site_does_not_change_the_audience(service):
    """A token minted for another service (a phishing site the EHR was pointed at) is not good
    here because the caller says Host: that site."""
    token = service.token(aud="http://cds.evil.test" + SIGN)
    response = service.post(hook_fixture("missing-zcode"), token=token,
                            headers={"Host": "cds.evil.test"})
    assert f"aud must be {service.base}{SIGN}" in refused(response)


def test_the_401_names_the_audience_expected(service):
    token = service.token(aud=service.base + "/cds-services/moldx-order-select")
    assert f"aud must be {service.base}{SIGN}" in refused(
        service.post(hook_fixture("missing-zcode"), token=token))


def test_a_jti_longer_than_255_characters_is_refused_and_255_is_not(service):
    assert "longer than 255" in refused(service.post(hook_fixture("missing-zcode"),
                                                     token=service.token(jti="j" * 256)))
    assert service.post(hook_fixture("missing-zcode"),
                        token=service.token(jti="j" * 255)).status_code == 200


def test_a_jti_of_255_characters_is_not_accepted_twice(service):
    token = service.token(jti="r" * 255)
    assert service.post(hook_fixture("missing-zcode"), token=token).status_code == 200
    assert "replayed" in refused(service.post(hook_fixture("missing-zcode"), token=token))


# Every Latin-1 code point that is not printable ASCII, and a few beyond (a line separator, a
# lone surrogate, an emoji): each once in each member; and the quotes that would end a header's
# quoted string in the issuer and the kid (a jti may hold them: it is printable ASCII).
ODD = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0x100)]] + ["\u2028", "\ud800",
                                                                     "\U0001F600"]
QUOTES = ['"', "\\"]


@pytest.mark.parametrize("member", ["iss", "kid", "jti"])
def test_any_character_in_iss_kid_or_jti_gives_a_401_never_a_500(service, member):
    body = hook_fixture("all-correct")
    answers = {}
    for char in ODD + (QUOTES if member != "jti" else []):
        value = f"x{char}y"
        token = service.token(header={"kid": value}) if member == "kid" \
            else service.token(**{member: value})
        response = service.post(body, token=token)
        answers[ascii(char)] = response.status_code
        if response.status_code == 401:
            refused(response)
    assert set(answers.values()) == {401}, {c: s for c, s in answers.items() if s != 401}
