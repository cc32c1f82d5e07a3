"""The OpenAPI document against the service: schemathesis generates calls from it (valid and
invalid ones) and checks that every answer is one the document describes, that none is a 5xx,
and that a call without the required Authorization header is refused.

Authentication is on. A generated call that carries an Authorization header gets a valid
demo-client token for the URL it calls (a random one would only ever reach the 401), so that
generated bodies reach the validation and the logic behind it; one without the header stays
without it."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cds_hooks.client.keys import demo_token
from cds_hooks.common.settings import Settings
from cds_hooks.service.app import create_app
from tests.cds_hooks.service.test_service import SIGN

BASE = "http://localhost"
_FOLDER = Path(tempfile.mkdtemp(prefix="moldx-openapi-"))
# The coverage phase (every boundary of every keyword) sends some 40,000 calls, minutes of CI
# time; by default the run is the fuzzing phase only. MOLDX_CDS_FUZZ_COVERAGE=1 adds it.
_CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": bool(os.environ.get("MOLDX_CDS_FUZZ_COVERAGE"))}}})
# POST /claims/scrub takes the 837P as text: generated strings go as the body, like text/plain.
schemathesis.serializer.alias("application/edi-x12", "text/plain")
schema = schemathesis.openapi.from_wsgi(
    "/openapi.json", create_app(Settings(public_base_url=BASE,
                                         store_url=f"sqlite:///{_FOLDER}/store.sqlite",
                                         spool_dir=_FOLDER / "spool")), config=_CONFIG)


# Enough examples that the run sends at least 2000 generated calls (issue: robustness), few
# enough for CI; MOLDX_CDS_FUZZ_EXAMPLES raises it for a longer local run.
EXAMPLES = int(os.environ.get("MOLDX_CDS_FUZZ_EXAMPLES", "400"))
CALLS = {"sent": 0, "by_status": Counter()}


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_the_service_does_what_its_openapi_document_says(case):
    if case.headers and "Authorization" in case.headers:
        case.headers["Authorization"] = f"Bearer {demo_token(BASE + case.formatted_path)}"
    # Every check but "schema-valid data is accepted": the service refuses some calls the
    # document cannot call invalid (a selection must name a draft order, a draft order needs an
    # id), and the generator reads patterns with Python's re ("$" before a final newline,
    # another idea of "\S") where the service uses Rust's regex. Invalid data must still be
    # refused, answers must be documented and schema-valid, and none may be a 5xx.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    CALLS["sent"] += 1
    CALLS["by_status"][response.status_code] += 1


def test_the_generated_calls_were_many_and_varied():
    """Runs after the generated calls (pytest keeps the file's order)."""
    print(f"schemathesis: {CALLS}")
    assert CALLS["sent"] >= 2000, CALLS
    statuses = set(CALLS["by_status"])
    assert 200 in statuses and 400 in statuses, CALLS  # valid and invalid calls both reached
    assert not [s for s in statuses if s >= 500], CALLS


def test_a_wrong_method_is_a_405_that_says_which_are_allowed(client):
    response = client.put(SIGN, json={})
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
