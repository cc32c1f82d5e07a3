"""Shared test fixtures: the demo knowledge, a trusted test issuer with keys made here, the app,
a client that signs its calls like a CDS client and checks every response it gets, and the
example hook requests."""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask.testing import FlaskClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from cds_hooks.common.settings import Settings
from cds_hooks.common.trust import FhirBase, TrustedIssuer
from cds_hooks.service import openapi
from cds_hooks.service.app import create_app
from cds_hooks.store.db import Store
from plugin.knowledge import Knowledge, load_knowledge

from . import conformance
from .stores import outage, store_url  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE = "http://localhost"
ISSUER = "https://ehr.test/cds-client"
TODAY = date(2026, 3, 2)  # the fixtures' date of service
HOOK_PATH = re.compile(r"^/cds-services/[^/]+$")
CHECKED = {"responses": 0}
# The FHIR servers the test issuer's calls may name (the fixtures' and the sandbox's).
FHIR_SERVERS = (FhirBase.parse("https://ehr.example.org/fhir"),
                FhirBase.parse("http://127.0.0.1:8103/fhir/R4"),
                FhirBase.parse("https://fhir.test/R4"))


@pytest.fixture(autouse=True)
def _data_folder_of_this_test(tmp_path_factory, monkeypatch):
    """What a test starts keeps its default store, spool and pid file in a folder of that test
    (XDG_DATA_HOME), never in the data folder of the user running the tests, nor in one another
    test wrote to: the store remembers claim lines and remittances across commands, so a shared
    one would make a test's answer depend on the tests that ran before it."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


def load_fixture(name: str) -> dict:
    """A JSON file under fixtures/ (`hooks/missing-zcode.json`)."""
    return json.loads((FIXTURES / name).read_text())


def hook_fixture(name: str) -> dict:
    return load_fixture(f"hooks/{name}.json")


@dataclass(frozen=True)
class Keys:
    """A test client's signing keys (made once per run) and its JWK Set file."""

    ec: ec.EllipticCurvePrivateKey
    rsa: rsa.RSAPrivateKey
    jwks_file: Path

    def sign(self, aud: str, *, alg: str = "ES384", headers: dict | None = None,
             drop: tuple[str, ...] = (), key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300,
                   "jti": str(uuid.uuid4()), **claims}
        for name in drop:
            payload.pop(name, None)
        header = {"typ": "JWT", "kid": "ec-1" if alg.startswith("ES") else "rsa-1",
                  **(headers or {})}
        signing_key = key if key is not None else (self.ec if alg.startswith("ES")
                                                    else self.rsa)
        return jwt.encode(payload, signing_key, algorithm=alg, headers=header)


def jwks(*pairs: tuple[str, Any]) -> dict:
    """A JWK Set of (kid, public key) pairs."""
    keys = []
    for kid, public in pairs:
        algorithm = ECAlgorithm if isinstance(public, ec.EllipticCurvePublicKey) \
            else RSAAlgorithm
        keys.append({**json.loads(algorithm.to_jwk(public)), "kid": kid, "use": "sig"})
    return {"keys": keys}


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> Keys:
    ec_key = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("issuer") / "jwks.json"
    path.write_text(json.dumps(jwks(("ec-1", ec_key.public_key()),
                                    ("rsa-1", rsa_key.public_key()))))
    return Keys(ec_key, rsa_key, path)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.fixture
def settings(keys, tmp_path) -> Settings:
    # The test client's EHR applies no system actions, so every fix is also on a card the tests
    # can read; `lis_client` is a client whose EHR applies them (the CDS Hooks default).
    return Settings(issuers=(TrustedIssuer(ISSUER, jwks_file=keys.jwks_file,
                                           fhir_servers=FHIR_SERVERS,
                                           applies_system_actions=False),),
                    public_base_url=BASE,
                    store_url=f"sqlite:///{tmp_path / 'store.sqlite'}", today=lambda: TODAY,
                    spool_dir=tmp_path / "spool")


@pytest.fixture(autouse=True)
def fhir_server():
    """The clients' FHIR servers, mocked: no test reaches the network, and a read nobody
    registered fails like an unreachable server."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))
        yield mock


class SignedClient(FlaskClient):
    """Calls the app like a CDS client: with a fresh JWT for the URL called (unless the call
    brings its own Authorization or says sign=False), and checks every hook response against
    the CDS Hooks and CRD rules (tests/conformance.py) and the OpenAPI document."""

    keys: Keys

    def open(self, *args: Any, sign: bool = True, **kwargs: Any):
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "/")
        headers = dict(kwargs.pop("headers", None) or {})
        if sign and "Authorization" not in headers:
            headers["Authorization"] = "Bearer " + self.keys.sign(BASE + path.split("?")[0])
        response = super().open(*args, headers=headers, **kwargs)
        if kwargs.get("method") == "POST" and HOOK_PATH.match(path):
            check_response(response, kwargs.get("json"))
        return response


def check_response(response, request: Any) -> None:
    body = response.get_json(silent=True)
    name = "HookResponse" if response.status_code == 200 else "OperationOutcome"
    if response.status_code == 200:
        found = conformance.problems(body, request if isinstance(request, dict) else None)
        assert not found, f"the response breaks the CDS Hooks/CRD rules: {found}"
    jsonschema.Draft202012Validator(
        {**openapi.document(), "$ref": f"#/components/schemas/{name}"}).validate(body)
    CHECKED["responses"] += 1


@pytest.fixture
def app(settings, knowledge, keys):
    app = create_app(settings, knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    yield app
    app.extensions["moldx_cds"].recorder.close()


def stored(app) -> Store:
    """The app's store once every record it accepted is written (the Recorder writes them
    from a background thread); fails when they cannot be."""
    runtime = app.extensions["moldx_cds"]
    assert runtime.recorder.flush(), "the spooled records were not written"
    return runtime.store


@pytest.fixture
def client(app) -> SignedClient:
    return app.test_client()


@pytest.fixture
def lis_client(settings, knowledge, client_for) -> SignedClient:
    """A client whose EHR applies the system actions (the test issuer, saying so)."""
    issuers = tuple(dataclasses.replace(i, applies_system_actions=True)
                    for i in settings.issuers)
    return client_for(knowledge, issuers=issuers)


@pytest.fixture
def client_for(settings, keys):
    """A signed client of an app on other knowledge (a changed copy of the demo lab) or with
    other settings (`client_for(knowledge, max_body_bytes=1000)`)."""

    apps = []

    def make(knowledge: Knowledge, **changes: Any) -> SignedClient:
        app = create_app(dataclasses.replace(settings, **changes), knowledge)
        app.test_client_class = SignedClient
        SignedClient.keys = keys
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["moldx_cds"].recorder.close()


@pytest.fixture(scope="session")
def live_fhir_server():
    """A real FHIR R4 server on loopback (tests/fhir_server: Medplum's router, in memory) that
    requires a bearer token. Yields (base URL, token). Skipped when Node or the server's npm
    packages are missing, unless MOLDX_CDS_REQUIRE_FHIR_SERVER is set (as .ci/run does)."""
    token = "integration-test-token"
    with fhir_server_process({"FHIR_TOKEN": token}, up_answers=(401,)) as base:  # wants a token
        yield base, token


SANDBOX_ORIGIN = "http://127.0.0.1:8000"  # where docs/sandbox.md serves the sandbox


@pytest.fixture(scope="session")
def open_fhir_server():
    """The same server as docs/sandbox.md runs it for the CDS Hooks sandbox: no token, CORS
    for the sandbox's origin. Yields its base URL."""
    with fhir_server_process({"CORS_ORIGIN": SANDBOX_ORIGIN}) as base:
        yield base


@contextmanager
def fhir_server_process(settings: dict[str, str], up_answers: tuple[int, ...] = (200,)):
    import os
    import shutil
    import signal
    import socket
    import subprocess

    from tests.processes import wait_until_up

    folder = Path(__file__).parent / "fhir_server"
    node = shutil.which("node")
    if not node or not (folder / "node_modules").is_dir():
        message = "the FHIR server needs node and `npm ci --prefix tests/fhir_server`"
        if os.environ.get("MOLDX_CDS_REQUIRE_FHIR_SERVER"):
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [node, "--experimental-websocket", "server.mjs"], cwd=folder,
        env={**os.environ, "PORT": str(port), **settings},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/fhir/R4"
    wait_until_up(process, f"{base}/Patient", "the FHIR server",
                  lambda: process.stdout.read().decode(), answers=up_answers)
    try:
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def post_hook(client, request: dict | str) -> dict:
    """POST a hook request (or the fixture of that name) to the service its hook names; the
    response body."""
    request = hook_fixture(request) if isinstance(request, str) else request
    service = {"order-sign": "moldx-order-sign", "order-select": "moldx-order-select"}
    response = client.post(f"/cds-services/{service[request['hook']]}", json=request)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture(scope="session")
def knowledge_with_v25(tmp_path_factory) -> Knowledge:
    """The demo knowledge with a version 25 of A57901 from 2026-01-01 (version 24 ends
    2025-12-31) that adds C78.01 to the covered codes and lists R91.8 as not covered."""
    from tests.mcd_packs import add_version, copy_knowledge

    folder = copy_knowledge(tmp_path_factory.mktemp("v25") / "knowledge")
    add_version(folder / "mcd", "57901", "25", "2026-01-01", "2025-12-31",
                add_covered=("C78.01",), noncovered=("R91.8",))
    return load_knowledge(folder)


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(f"conformance: {CHECKED['responses']} hook responses checked "
                                "against the CDS Hooks/CRD rules and the OpenAPI document")


# -- markers: `pytest -m "not slow and not external"` is the edit-test loop (.ci/run runs all) --

# Tests that need a program outside Python: the loopback FHIR server (Node), Chromium.
EXTERNAL_FIXTURES = frozenset({"live_fhir_server", "open_fhir_server", "chromium"})
# Modules whose tests start the service (or other programs) as processes and wait for them, or
# take many seconds (the OpenAPI document's property test: over half the rest's time).
SLOW_MODULES = frozenset({
    "tests/cds_hooks/service/test_openapi.py",
    "tests/cds_hooks/test_serving.py",
    "tests/security/test_feedback_issuer.py",
    "tests/cds_hooks/claims/test_scrub_command.py",
    "tests/cds_hooks/claims/test_certain_fixes.py",
    "tests/cds_hooks/claims/test_clearinghouse_edits.py",
    "tests/cds_hooks/claims/test_claim_history.py",
    "tests/cds_hooks/claims/test_fixed_files.py",
    "tests/cds_hooks/claims/test_real_files.py",
    "tests/cds_hooks/cli/test_check_input.py",
    "tests/cds_hooks/cli/test_first_hour.py",
    "tests/cds_hooks/cli/test_token_cli.py",
    "tests/security/test_cli_files.py",
    "tests/cds_hooks/cli/test_data_folder.py",
    "tests/cds_hooks/cli/test_production.py",
    "tests/cds_hooks/service/test_billing_fixtures.py",
    "tests/cds_hooks/service/test_claims_scrub.py",
    "tests/cds_hooks/service/test_demo.py",
    "tests/cds_hooks/service/test_sandbox.py",
    "tests/cds_hooks/store/test_outage.py",
    "tests/cds_hooks/store/test_store_before_layout.py",
    "tests/security/test_demo_trust.py",
    "tests/security/test_report_injection.py",
    "tests/security/test_store_recovery.py",
    "tests/security/test_hostile_connections.py",
    "tests/cds_hooks/service/test_ehr_fixtures.py",
    "tests/test_bench_help.py",
    "tests/test_closed_loop.py",
    "tests/test_markers.py",
    "tests/test_round_trip.py",
    "tests/test_walkthrough.py",
})
ROOT = FIXTURES.parent


def _on_postgres(item: pytest.Item) -> bool:
    params = getattr(item, "callspec", None)
    return params is not None and "postgresql" in params.params.values()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if EXTERNAL_FIXTURES & set(item.fixturenames) or _on_postgres(item):
            item.add_marker(pytest.mark.external)
        if item.path.relative_to(ROOT).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
