"""`moldx-cds worklist`: each denied, reversed or patient-owed line with what to do, by when
(an appeal 120 days from the remittance, a resubmission 12 months from the date of service),
the order-time decision it links to, its claim and amount; the nearest deadline first."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

from bench.x12_835 import Paid, PaidClaim, remittance
from cds_hooks.cli.main import main
from tests.conftest import stored

from .test_remit import _override, _signed

REMITTED = "20260115"  # BPR16 of the remittances below


def _remit(tmp_path, url: str, claims: list[PaidClaim], capsys) -> None:
    (tmp_path / "era.835").write_text(remittance(claims, paid_on=REMITTED))
    assert main(["remit", str(tmp_path / "era.835"), "--store-url", url]) == 0
    capsys.readouterr()


def test_the_worklist_says_what_to_do_by_when_sorted_by_deadline(app, client, tmp_path,
                                                                  capsys):
    [card] = _signed(client, "not-payable", "pat-1")["cards"]
    _override(client, card)
    url = stored(app).url
    _remit(tmp_path, url, [
        PaidClaim("APPEAL", [Paid("81445", adjustments=(("CO", "96", "1200"),),
                                  remarks=("N431",), control="sr-1")], patient="pat-1"),
        PaidClaim("RESUBMIT", [Paid("81445", charge="1300", adjustments=(("CO", "16", "1300"),),
                                    remarks=("MA130",), dos="20250601")]),
        PaidClaim("PATIENT", [Paid("81445", adjustments=(("PR", "1", "1200"),))]),
        PaidClaim("PAID", [Paid("81445", paid="900", adjustments=(("CO", "45", "300"),))],
                  status="1"),
        PaidClaim("PAID", [Paid("81445", adjustments=(("OA", "18", "1200"),))],
                  payer_claim="PCN-DUP")], capsys)
    assert main(["worklist", "--store-url", url, "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    remitted = date(2026, 1, 15)
    assert [(i["claim"], i["action"], i["deadline"]) for i in items] == [
        ("APPEAL", "appeal", (remitted + timedelta(days=120)).isoformat()),
        ("RESUBMIT", "correct and resubmit", "2026-06-01"),  # 12 months from 2025-06-01
        ("PAID", "nothing", None),  # a duplicate of the line that was paid
        ("PATIENT", "bill the patient", None)]
    appeal = items[0]
    assert (appeal["order"], appeal["decision"], appeal["rules"]) == (
        "ServiceRequest/sr-1", "warned-overridden", ["not-payable"])
    assert (Decimal(appeal["amount"]), Decimal(appeal["billed_charge"])) == (1200, 1200)
    assert appeal["deadline_rule"].startswith("redetermination")
    assert Decimal(items[1]["amount"]) == 1300 and items[1]["decision"] == "no-order-found"
    assert Decimal(items[3]["amount"]) == 1200  # what the patient owes

    assert main(["worklist", "--store-url", url, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["claim"], r["action"], r["deadline"]) for r in rows] == [
        (i["claim"], i["action"], i["deadline"] or "") for i in items]
    assert main(["worklist", "--store-url", url]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split()[:4] == ["DEADLINE", "DAYS", "LEFT", "ACTION"]
    assert text[1].startswith(items[0]["deadline"]) and " appeal " in text[1]
    assert text[1].endswith("test not payable (DEX status)")  # the rule in plain words


def test_a_reversal_on_the_worklist_is_a_take_back_not_a_denial(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["db", "upgrade", "--store-url", url]) == 0
    line = dict(cpt="81445", charge="1200", control="sr-5")
    _remit(tmp_path, url, [PaidClaim("C5", [Paid(**line, paid="800",
                                                 adjustments=(("CO", "45", "400"),))],
                                     status="1")], capsys)
    _remit(tmp_path, url, [
        PaidClaim("C5", [Paid("81445", charge="-1200", paid="-800", control="sr-5",
                              adjustments=(("CO", "45", "-400"),))], status="22"),
        PaidClaim("C6", [Paid(**{**line, "control": "sr-6"}, paid="1000",
                              adjustments=(("CO", "45", "200"),))], status="1")], capsys)
    assert main(["worklist", "--store-url", url, "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert (item["claim"], item["category"], item["action"]) == (
        "C5", "reversed", "check the corrected claim")
    assert Decimal(item["amount"]) == 800 and item["deadline"] == "2026-12-01"


def test_a_denial_the_corrected_claim_got_paid_leaves_the_worklist_and_the_order_is_paid(
        app, client, tmp_path, capsys):
    _signed(client, "missing-zcode", "pat-1")
    url = stored(app).url
    _remit(tmp_path, url, [PaidClaim("CLM-1", [Paid(
        "81445", adjustments=(("CO", "252", "1200"),), remarks=("N706",), control="sr-1")],
        patient="pat-1", payer_claim="PCN-1")], capsys)
    assert main(["worklist", "--store-url", url, "--json"]) == 0
    assert [i["action"] for i in json.loads(capsys.readouterr().out)] == [
        "correct and resubmit"]
    # The lab put the Z-code on and sent the claim again; the payer paid it.
    _remit(tmp_path, url, [PaidClaim("CLM-1", [Paid(
        "81445", paid="900", adjustments=(("CO", "45", "300"),), control="sr-1")],
        patient="pat-1", payer_claim="PCN-2", status="1")], capsys)
    assert main(["worklist", "--store-url", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["report", "--store-url", url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["money"]["buckets"]["paid"] == {"orders": 1, "amount": "900.00"}
    assert report["money"]["total"] == "900.00"
    assert report["remittances"]["categories"]["zcode"]["lines"] == 1  # it was denied
    assert report["remittances"]["paid_first_pass_rate"] == 0  # denied on the first pass


def test_a_claim_denied_with_no_service_lines_links_to_its_order(app, client, tmp_path,
                                                                 capsys):
    [card] = _signed(client, "missing-zcode", "pat-1")["cards"]
    _override(client, card)
    url = stored(app).url
    _remit(tmp_path, url, [PaidClaim("CLM-1", [], adjustments=(("CO", "16", "1200"),),
                                     remarks=("MA130",), charge="1200", paid="0",
                                     patient="pat-1", dos="20260302")], capsys)
    assert main(["worklist", "--store-url", url, "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert (item["line"], item["category"], item["order"], item["decision"]) == (
        0, "missing-info", "ServiceRequest/sr-1", "warned-overridden")


def test_no_worklist_csv_cell_runs_as_a_spreadsheet_formula(tmp_path, capsys):
    """The claim id is the lab's, but the file is the payer's: a cell that starts like a
    formula is written inert."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["db", "upgrade", "--store-url", url]) == 0
    _remit(tmp_path, url, [PaidClaim("=1+2", [Paid("81445", adjustments=(
        ("CO", "50", "1200"),))])], capsys)
    assert main(["worklist", "--store-url", url, "--csv"]) == 0
    [row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["claim"] == "'=1+2"
    assert row["days_left"].lstrip("-").isdigit()  # numbers stay numbers
