"""What an 835 says, kept whole: every adjustment with its group and amount, the claim's status
and the payer's claim control number; claim-level adjustments; a claim with no service lines;
reversals and corrections netted; the same remittance re-sent in other bytes counted once; and
the category a biller acts on for each kind of adjustment. Every 835 here is written by
bench/x12_835.py and validated as 005010X221A1 by pyx12 on import."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bench.x12_835 import Paid, PaidClaim, remittance
from cds_hooks.cli.main import main


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["db", "upgrade", "--store-url", url]) == 0
    return url


def remit(url: str, tmp_path, text: str, capsys, name: str = "era.835") -> dict:
    (tmp_path / name).write_bytes(text.encode("latin-1"))
    capsys.readouterr()
    assert main(["remit", str(tmp_path / name), "--json", "--store-url", url]) == 0
    out = capsys.readouterr()
    return {**json.loads(out.out), "message": out.err}


def report(url: str, capsys) -> dict:
    capsys.readouterr()
    assert main(["report", "--json", "--store-url", url]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_adjustment_is_kept_with_its_group_and_amount_and_the_claims_codes(
        url, tmp_path, capsys):
    [line] = remit(url, tmp_path, remittance([PaidClaim("CLM-7", [Paid(
        "81445", charge="1200", paid="700", adjustments=(("CO", "45", "400"), ("PR", "2", "100")),
        remarks=("N381",))], status="1", payer_claim="26001234567")]), capsys)["lines"]
    assert (line["status"], line["payer_claim"]) == ("1", "26001234567")
    assert [(a["group"], a["carc"], Decimal(a["amount"])) for a in line["adjustment_amounts"]] \
        == [("CO", "45", 400), ("PR", "2", 100)]
    assert line["remarks"] == ["N381"]
    assert (line["category"], Decimal(line["denied"])) == ("paid", 0)
    assert Decimal(line["patient_responsibility"]) == 100


def test_a_claim_adjudicated_with_no_service_lines_is_a_claim_level_row(url, tmp_path, capsys):
    imported = remit(url, tmp_path, remittance([PaidClaim(
        "CLM-8", [], adjustments=(("CO", "16", "1200"),), remarks=("MA130", "N290"),
        charge="1200", paid="0", patient="pat-8")]), capsys)
    assert "1 line(s) imported" in imported["message"]
    [line] = imported["lines"]
    assert (line["claim"], line["line"], line["cpt"]) == ("CLM-8", 0, None)
    assert line["adjustments"] == ["CO-16"] and line["remarks"] == ["MA130", "N290"]
    assert (line["category"], Decimal(line["denied"])) == ("missing-info", 1200)
    assert line["date_of_service"] == "2025-12-01"  # the claim's DTM*232


def test_claim_level_adjustments_apply_to_the_claim_beside_its_lines(url, tmp_path, capsys):
    lines = remit(url, tmp_path, remittance([PaidClaim(
        "CLM-9", [Paid("81445", charge="1200", paid="1000", adjustments=(("CO", "45", "200"),))],
        status="1", adjustments=(("PR", "1", "100"),))]), capsys)["lines"]
    by_line = {line["line"]: line for line in lines}
    assert set(by_line) == {0, 1}
    assert by_line[0]["adjustments"] == ["PR-1"]
    assert by_line[0]["category"] == "patient-responsibility"
    assert Decimal(by_line[0]["patient_responsibility"]) == 100
    assert (by_line[1]["category"], Decimal(by_line[1]["paid"])) == ("paid", 1000)
    money = report(url, capsys)["remittances"]
    assert Decimal(money["denied"]) == 0 and Decimal(money["paid"]) == 1000


ORIGINAL = PaidClaim("CLM-10", [Paid("81445", charge="1200", paid="800",
                                     adjustments=(("CO", "45", "400"),), control="sr-10")],
                     status="1", payer_claim="PCN-A", patient="pat-10")
REVERSAL = PaidClaim("CLM-10", [Paid("81445", charge="-1200", paid="-800",
                                     adjustments=(("CO", "45", "-400"),), control="sr-10")],
                     status="22", payer_claim="PCN-A", patient="pat-10")
CORRECTION = PaidClaim("CLM-10", [Paid("81445", charge="1200", paid="700",
                                       adjustments=(("CO", "45", "500"),), control="sr-10")],
                       status="1", payer_claim="PCN-B", patient="pat-10")


def test_a_reversal_is_a_take_back_and_its_correction_a_re_payment(url, tmp_path, capsys):
    remit(url, tmp_path, remittance([ORIGINAL]), capsys, "first.835")
    # The reversal comes with another claim paid, so that the file pays something.
    taken = remit(url, tmp_path, remittance([REVERSAL, PaidClaim("CLM-11", [Paid(
        "81445", paid="1000", adjustments=(("CO", "45", "200"),))], status="1")]),
        capsys, "second.835")
    [reversed_line] = [line for line in taken["lines"] if line["claim"] == "CLM-10"]
    assert reversed_line["category"] == "reversed" and reversed_line["reversed"]
    assert (Decimal(reversed_line["paid"]), Decimal(reversed_line["denied"])) == (0, 0)
    money = report(url, capsys)["remittances"]
    assert Decimal(money["denied"]) == 0 and Decimal(money["paid"]) == 1000
    assert all(Decimal(c["amount"]) >= 0 for c in money["categories"].values())

    corrected = remit(url, tmp_path, remittance([CORRECTION]), capsys, "third.835")
    [line] = corrected["lines"]
    assert (line["category"], Decimal(line["paid"]), Decimal(line["charge"])) == \
        ("paid", 700, 1200)
    assert line["payer_claim"] == "PCN-B" and line["reversed"]
    money = report(url, capsys)["remittances"]
    assert Decimal(money["paid"]) == 1700 and Decimal(money["denied"]) == 0
    assert money["lines"] == 2  # CLM-10 once (netted) and CLM-11


def test_a_reversal_and_correction_in_one_file_net_to_the_correction(url, tmp_path, capsys):
    remit(url, tmp_path, remittance([ORIGINAL]), capsys, "first.835")
    [line] = remit(url, tmp_path, remittance([REVERSAL, CORRECTION]), capsys,
                   "second.835")["lines"]
    assert (line["category"], Decimal(line["paid"]), line["reversed"]) == ("paid", 700, True)


DENIED = [PaidClaim("CLM-20", [Paid("81445", adjustments=(("CO", "252", "1200"),),
                                    remarks=("N706",), control="sr-20")], payer_claim="PCN-20"),
          PaidClaim("CLM-21", [Paid("81456", charge="1400", adjustments=(("CO", "96", "1400"),),
                                    remarks=("N431",))], payer_claim="PCN-21")]


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_the_same_remittance_re_sent_in_other_bytes_counts_once(store_url, tmp_path, capsys):
    assert main(["db", "upgrade", "--store-url", store_url]) == 0
    first = remit(store_url, tmp_path, remittance(DENIED), capsys, "first.835")
    assert "2 line(s) imported" in first["message"]
    before = report(store_url, capsys)["remittances"]
    again = remittance(DENIED, sep="~\r\n", control="000000913") + "\r\n\r\n\n"
    resent = remit(store_url, tmp_path, again, capsys, "resent.835")
    assert "0 line(s) imported, 2 already imported before" in resent["message"]
    assert [line["claim"] for line in resent["lines"]] == ["CLM-20", "CLM-21"]
    assert report(store_url, capsys)["remittances"] == before
    assert Decimal(before["denied"]) == 2600
    # A later file with one of them again and a new claim: only the new one counts.
    more = remit(store_url, tmp_path, remittance([DENIED[0], PaidClaim("CLM-22", [Paid(
        "81445", adjustments=(("CO", "50", "1200"),), remarks=("N115",))])],
        control="000000914"), capsys, "more.835")
    assert "1 line(s) imported, 1 already imported before" in more["message"]
    assert Decimal(report(store_url, capsys)["remittances"]["denied"]) == 3800


def test_each_kind_of_adjustment_is_the_category_a_biller_acts_on(url, tmp_path, capsys):
    claims = {
        "zcode": Paid("81445", adjustments=(("CO", "252", "1200"),), remarks=("N706",)),
        "medical-necessity": Paid("81445", adjustments=(("CO", "50", "1200"),),
                                  remarks=("N115",)),
        "non-covered": Paid("81445", adjustments=(("CO", "96", "1200"),), remarks=("N431",)),
        "missing-info": Paid("81445", adjustments=(("CO", "16", "1200"),), remarks=("M51",)),
        "modifier": Paid("81445:26", adjustments=(("CO", "4", "1200"),)),
        "diagnosis-inconsistent": Paid("81445", adjustments=(("CO", "11", "1200"),)),
        "frequency": Paid("81445", adjustments=(("CO", "151", "1200"),)),
        "bundling-97": Paid("81445", adjustments=(("CO", "97", "1200"),)),
        "bundling-236": Paid("81445", adjustments=(("CO", "236", "1200"),)),
        "duplicate": Paid("81445", adjustments=(("OA", "18", "1200"),)),
        "deductible": Paid("81445", adjustments=(("PR", "1", "1200"),)),
        "abn": Paid("81445:GA", adjustments=(("PR", "50", "1200"),), remarks=("N115",)),
        "not-a-plan-benefit": Paid("81445", adjustments=(("PR", "204", "1200"),)),
        "attachment": Paid("81445", adjustments=(("CO", "252", "1200"),), remarks=("M127",)),
        "coinsurance-paid": Paid("81445", paid="960", adjustments=(("PR", "2", "240"),)),
    }
    lines = remit(url, tmp_path, remittance([
        PaidClaim(name.upper(), [paid], status="1" if paid.paid != "0" else "4")
        for name, paid in claims.items()]), capsys)["lines"]
    assert {line["claim"].lower(): line["category"] for line in lines} == {
        "zcode": "zcode", "medical-necessity": "medical-necessity",
        "non-covered": "non-covered", "missing-info": "missing-info", "modifier": "modifier",
        "diagnosis-inconsistent": "diagnosis-inconsistent", "frequency": "frequency",
        "bundling-97": "bundling", "bundling-236": "bundling", "duplicate": "duplicate",
        "deductible": "patient-responsibility", "abn": "patient-responsibility",
        "not-a-plan-benefit": "patient-responsibility", "attachment": "other",
        "coinsurance-paid": "paid"}
    money = report(url, capsys)["remittances"]
    # A deductible, an ABN and PR-204 are billed to the patient: not denied dollars.
    assert Decimal(money["denied"]) == 1200 * 11
    assert "patient-responsibility" not in money["categories"]
