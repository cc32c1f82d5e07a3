"""`moldx-cds check` and the command line's errors."""

from __future__ import annotations

import json
import shutil

import pytest

from cds_hooks.cli.main import main
from plugin.knowledge import DEMO_DIR
from tests.conftest import FIXTURES


def _run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_check_prints_a_table_and_fails_on_warnings(capsys, knowledge):
    status, out, _ = _run(capsys, "check", str(FIXTURES / "hooks/stale-code.json"))
    header, line = out.splitlines()
    assert header.split() == ["ORDER", "TEST", "DATE", "PAYER", "RULE", "SEVERITY", "FIX",
                              "REASON"]
    old, new = knowledge.catalog.rows("CMD-MSI")
    assert line.split()[:3] == ["ServiceRequest/sr-1", "CMD-MSI", "2026-03-02"]
    assert "Medicare Part B - Noridian JF (Oregon)  stale-code  warning" in line
    assert f"replace Z-code {old.zcode} with {new.zcode}" in line
    # the reason in words: the summary of the card the order gets
    assert line.endswith("Microsatellite instability analysis: a billing code on the order "
                         f"ended {old.effective_to}; replace it")
    assert status == 1


def test_check_passes_a_right_order(capsys):
    status, out, _ = _run(capsys, "check", str(FIXTURES / "hooks/all-correct.json"))
    assert status == 0 and "  ok  " in out.splitlines()[1]


def test_check_reads_a_bundle_with_its_coverage(capsys, knowledge):
    status, out, _ = _run(capsys, "check", "--json",
                          str(FIXTURES / "bundle-order-and-coverage.json"))
    result = json.loads(out)
    [finding] = result["findings"]
    row = knowledge.catalog.row_on("CMD-LUNG50", knowledge.catalog.rows("CMD-LUNG50")[0]
                                   .effective_from)
    assert finding["rule"] == "missing-zcode"
    assert [c["code"] for c in finding["fixes"][0]["changes"]] == [row.cpt, row.zcode]
    assert result["orders"][0]["coverage"]["payer"]["program"] == "medicare"
    assert result["knowledge"] == knowledge.version and status == 1


def test_check_without_a_payer_says_what_it_skipped_and_fails(capsys):
    """Never "ok" with 0 for an order whose payer is not known: its payer checks did not run."""
    status, out, _ = _run(capsys, "check", "--json", str(FIXTURES / "service-request.json"))
    result = json.loads(out)
    assert result["findings"] == []
    assert "no active Coverage" in result["orders"][0]["skipped"]
    assert status == 1
    status, out, _ = _run(capsys, "check", str(FIXTURES / "service-request.json"))
    [line] = out.splitlines()[1:]
    assert "(no coverage)  skipped" in line and "Z-code" in line and status == 1


def test_check_with_an_unknown_payer_says_what_it_skipped(capsys):
    status, out, _ = _run(capsys, "check", str(FIXTURES / "hooks/unknown-payer.json"))
    skipped = [line for line in out.splitlines() if " skipped " in line]
    assert len(skipped) == 2 and all("(unknown: 99999)" in line for line in skipped)
    assert status == 1


def test_check_uses_the_given_date_when_the_order_has_none(capsys, tmp_path):
    order = json.loads((FIXTURES / "service-request.json").read_text())
    del order["occurrenceDateTime"], order["authoredOn"]
    order["contained"] = [{"resourceType": "Coverage", "id": "cov", "status": "active",
                           "payor": [{"identifier": {"system": "http://example.org/fhir/sid/"
                                                               "payer-id", "value": "02302"}}]}]
    order["insurance"] = [{"reference": "#cov"}]
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order))
    _, out, _ = _run(capsys, "check", "--json", "--date", "2025-06-01", str(path))
    facts = json.loads(out)["orders"][0]
    assert (facts["date_of_service"], facts["date_source"]) == ("2025-06-01", "today")
    assert json.loads(out)["findings"] == []  # the old Z-code was right then


def test_check_names_the_bad_field(capsys, tmp_path):
    request = json.loads((FIXTURES / "hooks/all-correct.json").read_text())
    request["context"]["draftOrders"]["entry"][0]["resource"]["code"] = 5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(request))
    status, _, err = _run(capsys, "check", str(path))
    assert status == 2 and "context.draftOrders.entry[0].resource.code" in err


def test_bad_knowledge_is_listed_by_file_line_and_column(capsys, tmp_path):
    lab = tmp_path / "lab"
    shutil.copytree(DEMO_DIR, lab)
    catalog = (lab / "catalog.csv").read_text().replace("ZL5H2", "ZL5H")
    (lab / "catalog.csv").write_text(catalog)
    status, _, err = _run(capsys, "check", "--knowledge", str(lab),
                          str(FIXTURES / "hooks/all-correct.json"))
    assert status == 2 and "catalog.csv, line 2, column zcode: 'ZL5H' is not a Z-code" in err


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "serve" in out and "check" in out


def test_a_bad_setting_is_named(capsys, monkeypatch):
    monkeypatch.setenv("MOLDX_CDS_MAX_BODY_BYTES", "lots")
    status, _, err = _run(capsys, "check", str(FIXTURES / "hooks/all-correct.json"))
    assert status == 2 and "MOLDX_CDS_MAX_BODY_BYTES: 'lots'" in err


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MOLDX_CDS_FHIR_READ_TIMEOUT", "soon", "'soon' is not a number"),
    ("MOLDX_CDS_FHIR_MAX_PAGES", "all", "'all' is not a number of pages"),
    ("MOLDX_CDS_SPOOL_MAX_BYTES", "1e9", "'1e9' is not a number of bytes"),
])
def test_every_numeric_setting_is_named_when_wrong(capsys, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    status, _, err = _run(capsys, "check", str(FIXTURES / "hooks/all-correct.json"))
    assert status == 2 and f"{name}: {message}" in err
