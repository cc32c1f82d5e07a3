"""The OpenAPI document against the service: schemathesis generates calls from it (valid and
invalid ones) and checks that every answer is one the document describes. Authentication is
off here so that the generated calls reach the validation and the logic behind it; the 401
answers are covered by test_auth."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.cds_hooks.test_service import SIGN

_FOLDER = Path(tempfile.mkdtemp(prefix="moldx-openapi-"))
schema = schemathesis.openapi.from_wsgi(
    "/openapi.json", create_app(Settings(auth=False, store_url=f"sqlite:///{_FOLDER}/store.sqlite",
                                         spool_dir=_FOLDER / "spool")))


@schema.parametrize()
@settings(max_examples=40, suppress_health_check=list(HealthCheck), deadline=None)
def test_the_service_does_what_its_openapi_document_says(case):
    case.call_and_validate()


def test_a_wrong_method_is_a_405_that_says_which_are_allowed(client):
    response = client.put(SIGN, json={})
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
