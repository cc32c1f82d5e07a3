"""`moldx-cds check` on files that hold no order: one plain line saying what was expected,
never a decoder's message or a traceback (the installed command, in a folder of its own)."""

from __future__ import annotations

import subprocess

import pytest

from tests.processes import CONSOLE_SCRIPT, command_env, moldx_cds

EXPECTED = "expected a CDS Hooks request, a FHIR Bundle or a ServiceRequest"


@pytest.mark.parametrize(("content", "found"), [
    (bytes(range(256)), "is not text"),
    (b"", "is empty"),
    (b"  \n", "is empty"),
    (b'[{"hook": "order-sign"}]', "holds a JSON array"),
    (b"nope", "is not JSON"),
    (b'"order"', "holds a JSON string"),
])
def test_a_file_without_an_order_gets_one_line_saying_what_was_expected(tmp_path, content,
                                                                        found):
    (tmp_path / "input.json").write_bytes(content)
    result = moldx_cds("check", "input.json", cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"moldx-cds: input.json {found}") and EXPECTED in line
    assert result.stdout == ""


def test_standard_input_is_read_the_same_way(tmp_path):
    result = subprocess.run([CONSOLE_SCRIPT, "check", "-"], input=b"[]", cwd=tmp_path,
                            env=command_env(), capture_output=True, timeout=60)
    [line] = result.stderr.decode().splitlines()
    assert result.returncode == 2 and "holds a JSON array" in line and EXPECTED in line


def test_a_file_that_is_not_there_is_named(tmp_path):
    result = moldx_cds("check", "absent.json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "moldx-cds: cannot read absent.json: No such file or directory"
