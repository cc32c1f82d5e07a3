"""Files as clearinghouses and practice systems write them: a UTF-8 byte-order mark before the
ISA, and invalid files whose first error pyx12 finds is named (segment, element, line) rather
than the control count that follows from it."""

from __future__ import annotations

import pytest

from bench.x12_837p import Claim, Line, interchange
from tests.processes import moldx_cds

from .conftest import x12_text

BOM = "\ufeff".encode()


def test_a_file_with_a_byte_order_mark_is_read_and_fixed_keeping_it(doors):
    plain = interchange([Claim("C1", [Line("81445")])])
    answer = doors(BOM.decode("latin-1") + plain)
    (line,) = answer.lines.values()
    assert [f["rule"] for f in line["findings"]] == ["missing-zcode"]
    assert answer.fixed_count == 1
    assert answer.fixed.encode("latin-1").startswith(BOM + b"ISA*")
    assert answer.fixed.removeprefix(BOM.decode("latin-1")) == plain.replace(
        "SV1*HC:81445*", "SV1*HC:81445:::::ZL5H2*", 1)


@pytest.mark.parametrize(("edit", "segment", "element", "line", "words"), [
    (("LX*1~\n", "LX*1~\nFOO*1~\n"), "FOO", None, 23, "not found"),
    (("DTP*472*D8*20251201~\n", ""), "DTP", None, 24, "missing"),
    (("SE*37*0001", "SE*36*0001"), "ST", None, 39, "count"),
])
def test_an_invalid_file_names_the_first_error_pyx12_finds(client, tmp_path, edit, segment,
                                                           element, line, words):
    text = x12_text("clean.837").replace(*edit, 1)
    assert text != x12_text("clean.837")
    bad = tmp_path / "bad.837"
    bad.write_text(text)
    run = moldx_cds("scrub", str(bad), cwd=tmp_path)
    assert run.returncode == 2
    (message,) = [m for m in run.stderr.splitlines() if "not valid 5010" in m]
    assert f"segment {segment}" in message and f"line {line}" in message
    assert words in message.lower()
    assert element is None or f"element {element}" in message
    response = client.post("/claims/scrub", data=text, content_type="application/edi-x12")
    assert response.status_code == 400
    (issue,) = response.get_json()["issue"]
    assert issue["expression"] == [element or segment]
    assert f"line {line}" in issue["diagnostics"]
