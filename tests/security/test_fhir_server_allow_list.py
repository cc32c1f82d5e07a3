"""fhirServer: the service reads only the FHIR servers its caller's issuer lists
(`fhir_servers`), so the EHR's access token goes nowhere else and the service is no way into the
hospital network; ids from the context are checked before they go into a path; a read that
fails says the same whatever the cause; a server that trickles its answer is cut off at the
call's deadline. Over real HTTP: `serve`, and a FHIR server on loopback that records what it
is asked."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import hook_fixture
from tests.processes import free_port

from .harness import serve

TOKEN = "ehr-access-token"
TRICKLE_SECONDS = 30


class _Fhir(BaseHTTPRequestHandler):
    """/fhir: a FHIR server with one active coverage; /missing: 404 for everything;
    /trickle: a 200 whose body comes a byte every half second; /trickle-head: the same for
    its headers; anything else: 404."""

    seen: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/fhir/"):
            self._json(200, _answer(self.path[len("/fhir/"):]))
        elif self.path.startswith("/trickle-head/"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._trickle(b"X-Slow: ")
        elif self.path.startswith("/trickle/"):
            body = json.dumps({"resourceType": "Bundle", "type": "searchset"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body) + 10_000))
            self.end_headers()
            self._trickle(b" ")
        else:
            self._json(404, {"resourceType": "OperationOutcome", "issue": []})

    def _trickle(self, byte: bytes) -> None:
        ends = time.monotonic() + TRICKLE_SECONDS
        try:
            while time.monotonic() < ends:
                self.wfile.write(byte)
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass  # the service hung up: what it should do

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


def _answer(query: str) -> dict:
    coverage = hook_fixture("missing-zcode")["prefetch"]["coverage"]
    if query.startswith("Coverage"):
        return coverage
    if query.startswith("Patient/"):
        return {"resourceType": "Patient", "id": query.split("/")[1].split("?")[0]}
    return {"resourceType": "Bundle", "type": "searchset", "entry": []}


@pytest.fixture(scope="module")
def fhir():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fhir)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def closed_port() -> int:
    return free_port()  # nothing listens there


@pytest.fixture(scope="module")
def service(tmp_path_factory, fhir, closed_port):
    listed = [f"{fhir}/fhir", f"{fhir}/missing", f"{fhir}/trickle", f"{fhir}/trickle-head",
              f"http://127.0.0.1:{closed_port}/fhir"]
    with serve(tmp_path_factory.mktemp("allow-list"), issuer={"fhir_servers": listed},
               MOLDX_CDS_FHIR_DEADLINE="3") as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_log():
    _Fhir.seen.clear()


def reading_from(server: str) -> dict:
    """A signed order with no prefetch: the coverage it needs must be read from `server`."""
    body = hook_fixture("missing-zcode")
    body.pop("prefetch", None)
    body["fhirServer"] = server
    body["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer",
                                 "expires_in": 300, "scope": "patient/Coverage.read",
                                 "subject": "moldx-cds"}
    return body


def test_a_listed_fhir_server_is_read_with_the_ehr_token(service, fhir):
    response = service.post(reading_from(f"{fhir}/fhir"))
    assert response.status_code == 200, response.text
    assert any(path.startswith("/fhir/Coverage?") and auth == f"Bearer {TOKEN}"
               for path, auth in _Fhir.seen), _Fhir.seen


@pytest.mark.parametrize("where", ["{fhir}/admin", "{fhir}/fhirx", "{fhir}/fhir/../admin",
                                   "http://user:pw@{host}/fhir", "http://127.0.0.2:{port}/fhir",
                                   "http://localhost:{port}/fhir"])
def test_a_fhir_server_the_issuer_does_not_list_is_never_sent_a_request(service, fhir, where):
    host = fhir.removeprefix("http://")
    server = where.format(fhir=fhir, host=host, port=host.split(":")[1])
    response = service.post(reading_from(server))
    assert response.status_code == 412, response.text
    assert "coverage" in response.json()["issue"][0]["diagnostics"]
    assert _Fhir.seen == []  # the token went nowhere


def test_a_patient_id_that_climbs_out_of_the_path_is_a_400(service, fhir):
    body = reading_from(f"{fhir}/fhir")
    body["context"]["patientId"] = "../../admin"
    response = service.post(body)
    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == ["context.patientId"]
    assert _Fhir.seen == []


def test_a_patient_id_with_query_characters_is_a_400(service, fhir):
    body = reading_from(f"{fhir}/fhir")
    body["context"]["patientId"] = "pat-1&_include=*"
    response = service.post(body)
    assert response.status_code == 400, response.text
    assert _Fhir.seen == []


def test_a_host_that_is_down_and_one_that_answers_404_read_the_same(service, fhir,
                                                                    closed_port):
    down = service.post(reading_from(f"http://127.0.0.1:{closed_port}/fhir"))
    missing = service.post(reading_from(f"{fhir}/missing"))
    assert down.status_code == missing.status_code == 412
    assert down.json() == missing.json()


@pytest.mark.parametrize("part", ["trickle", "trickle-head"])
def test_a_fhir_server_trickling_its_answer_is_cut_off_at_the_deadline(service, fhir, part):
    """The deadline is 3 s here; the server would trickle its body (or its headers) for 30 s.
    The call is answered (412: no coverage) well before that, or this read times out."""
    response = service.post(reading_from(f"{fhir}/{part}"), timeout=TRICKLE_SECONDS - 10)
    assert response.status_code == 412, response.text
