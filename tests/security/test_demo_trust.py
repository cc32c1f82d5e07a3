"""The demo and sandbox issuers' private keys are public: the service trusts them only while it
listens on loopback. `serve --host 0.0.0.0` with them refuses to start, naming the settings."""

from __future__ import annotations

import subprocess

from cds_hooks.common.settings import Settings
from tests.processes import CLI, command_env, free_port


def test_serve_on_every_address_with_the_demo_issuers_refuses_to_start(tmp_path):
    process = subprocess.Popen([*CLI, "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                               cwd=tmp_path, env=command_env(
                                   MOLDX_CDS_PUBLIC_BASE_URL="https://cds.hospital.test"),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"serve started on 0.0.0.0 trusting the demo issuers:\n{output}") \
            from None
    assert process.returncode == 2, output
    assert "MOLDX_CDS_TRUSTED_ISSUERS" in output
    assert "MOLDX_CDS_ALLOW_TEST_ISSUERS=on" in output
    assert "urn:moldx-cds:demo-client" in output


def test_test_issuers_are_allowed_on_loopback_or_when_said_so():
    assert Settings().refusals("127.0.0.1") == []
    assert Settings().refusals("::1") == []
    assert Settings().refusals("localhost") == []
    assert len(Settings().refusals("10.1.2.3")) == 2  # the sandbox's and the demo's
    assert Settings.from_env({"MOLDX_CDS_ALLOW_TEST_ISSUERS": "on"}).refusals("10.1.2.3") == []


def test_every_address_needs_a_public_base_url(tmp_path):
    allowed = Settings(allow_test_issuers=True)
    assert any("MOLDX_CDS_PUBLIC_BASE_URL" in r for r in allowed.refusals("0.0.0.0"))
    assert Settings(allow_test_issuers=True,
                    public_base_url="https://cds.hospital.test").refusals("0.0.0.0") == []
