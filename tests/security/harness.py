"""The attacker's bench: a real `moldx-cds serve` on loopback, trusting a client whose key is
made here (so tests can sign any claim they like), and raw sockets for what `requests` will
not send."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests

from cds_hooks.client.keys import ClientKey
from tests.processes import CLI, command_env, free_port, wait_until_up

ISSUER = "https://ehr.hospital.test/cds-client"
OTHER_ISSUER = "https://other-ehr.test/cds-client"  # another client, trusted with the same key
SIGN = "/cds-services/moldx-order-sign"


@dataclass
class Service:
    base: str  # http://127.0.0.1:PORT
    folder: Path
    key: ClientKey
    process: subprocess.Popen
    log: Path
    issuers: list[dict[str, Any]] = field(default_factory=list)

    def token(self, path: str = SIGN, *, header: dict | None = None, **claims: Any) -> str:
        """A token of the trusted client for `path`; `claims` replace or add to the usual."""
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": self.base + path, "iat": now, "exp": now + 300,
                   "jti": str(uuid.uuid4()), **claims}
        return jwt.encode(payload, self.key.private, algorithm=self.key.alg,
                          headers={"typ": "JWT", "kid": self.key.kid, **(header or {})})

    def post(self, body: Any, path: str = SIGN, token: str | None = None,
             **options: Any) -> requests.Response:
        token = token or self.token(path)
        return requests.post(self.base + path, json=body, timeout=options.pop("timeout", 30),
                             headers={"Authorization": f"Bearer {token}",
                                      **options.pop("headers", {})}, **options)

    def output(self) -> str:
        return self.log.read_text()


def issuers_file(folder: Path, key: ClientKey, **entry: Any) -> Path:
    """A MOLDX_CDS_TRUSTED_ISSUERS file trusting ISSUER with `key` (and `entry`'s members), and
    OTHER_ISSUER with the same key."""
    (folder / "jwks.json").write_text(json.dumps({"keys": [key.public_jwk()]}))
    path = folder / "issuers.json"
    path.write_text(json.dumps({"issuers": [
        {"iss": ISSUER, "jwks_file": "jwks.json", **entry},
        {"iss": OTHER_ISSUER, "jwks_file": "jwks.json"}]}))
    return path


@contextmanager
def serve(folder: Path, *, workers: int = 2, args: tuple[str, ...] = (),
          issuer: dict[str, Any] | None = None, **settings: str) -> Iterator[Service]:
    """`moldx-cds serve` on a free loopback port, in `folder`, trusting ISSUER (with the
    `issuer` members in its entry), until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ClientKey.generate()
    # Its own store, spool and pid file in `folder` (the defaults live in the data folder,
    # which every service of the test run shares).
    env = command_env(MOLDX_CDS_TRUSTED_ISSUERS=str(issuers_file(folder, key, **(issuer or {}))),
                      MOLDX_CDS_STORE_URL=f"sqlite:///{folder / 'moldx-cds.sqlite'}",
                      MOLDX_CDS_SPOOL_DIR=str(folder / "spool"),
                      MOLDX_CDS_PID_FILE=str(folder / "serve.pid"), **settings)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    log = folder / "service.log"
    with open(log, "w") as out:
        process = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers",
                                    str(workers), *args], cwd=folder, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    service = Service(f"http://127.0.0.1:{port}", folder, key, process, log)
    wait_until_up(process, service.base + "/cds-services", "moldx-cds serve", service.output)
    try:
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def raw_request(base: str, request: bytes, timeout: float = 10) -> bytes:
    """Send `request` as it is (headers `requests` would fix) and read the whole answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def env_without_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MOLDX_CDS_")}
