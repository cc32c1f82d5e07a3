"""A certain fix on a claim is written into the file unasked and read next by the payer: it is
made only when the line's test is known for sure (the lab's NPI, no modifier 90, no code on the
line naming another test). Each case goes through `scrub --json`, `--fix` and
POST /claims/scrub."""

from __future__ import annotations

from datetime import date

from bench.x12_837p import LAB_NPI, Claim, Line, interchange
from plugin.knowledge import load_knowledge

OTHER_NPI = "1234567893"
DAY = date(2025, 12, 1)  # the date of service bench.x12_837p.Line writes


def _no_certain_fix(doors, text: str) -> list[dict]:
    """The findings of the file's one line, after checking that no door fixes it."""
    answer = doors(text)
    (line,) = answer.lines.values()
    assert not [f for f in line["findings"] if f["certain"]], line["findings"]
    assert answer.fixed_count == 0 and answer.fixed == text
    (posted,) = [line for c in answer.posted["claims"] for line in c["lines"]]
    assert posted == line
    return line["findings"]


def test_a_line_billed_under_another_npi_gets_no_zcode_but_an_edit_naming_both(doors):
    findings = _no_certain_fix(doors, interchange([Claim("C1", [Line("81445")])],
                                                  npi=OTHER_NPI))
    (edit,) = findings
    assert edit["rule"] == "other-billing-provider" and edit["severity"] == "warning"
    assert OTHER_NPI in edit["message"] and LAB_NPI in edit["message"]
    assert edit["fix"] is None
    assert "ZL5H2" not in edit["message"]


def test_a_referred_test_gets_no_zcode_of_the_billing_lab(doors):
    findings = _no_certain_fix(doors, interchange([Claim("C1", [Line("81445",
                                                                     modifiers=("90",))])]))
    (edit,) = findings
    assert edit["rule"] == "referred-test" and edit["severity"] == "warning"
    assert "performing" in edit["message"] and "90" in edit["message"]
    assert edit["fix"] is None


def test_a_referred_test_with_the_billing_labs_own_zcode_is_a_warning(doors):
    findings = _no_certain_fix(doors, interchange([Claim(
        "C1", [Line("81445", "ZL5H2", modifiers=("90",))])]))
    (edit,) = findings
    assert edit["rule"] == "referred-test" and edit["severity"] == "warning"
    assert "ZL5H2" in edit["message"]


def test_cpt_and_zcode_of_different_tests_are_never_fixed_either_way(doors):
    lab = load_knowledge()
    cgp = lab.catalog.row_on("CMD-CGP-DNA", DAY)
    lung = lab.catalog.row_on("CMD-LUNG50", DAY)
    findings = _no_certain_fix(doors, interchange([Claim(
        "C1", [Line("81445", cgp.zcode, charge=f"{cgp.list_price_usd:.0f}")])]))
    (edit,) = [f for f in findings if f["rule"] == "mismatched-code"]
    assert cgp.test_name in edit["message"] and lung.test_name in edit["message"]
    assert "charge" in edit["message"] and cgp.test_name in edit["message"].split("charge")[1]
    # Both ways are offered for a person to choose.
    assert f"CPT {cgp.cpt} in SV101-2" in edit["fix"]
    assert f"Z-code {lung.zcode} in SV101-7" in edit["fix"]


def test_cpt_and_zcode_of_different_tests_with_a_charge_of_neither_price(doors):
    findings = _no_certain_fix(doors, interchange([Claim(
        "C1", [Line("81445", "ZC6D4", charge="1999")])]))
    (edit,) = [f for f in findings if f["rule"] == "mismatched-code"]
    assert "charge" not in edit["message"]


def test_another_labs_pla_code_with_the_labs_zcode_is_not_rewritten(doors):
    """A PLA code names one lab's test: beside this lab's Z-code the two name different
    tests, and neither is rewritten."""
    findings = _no_certain_fix(doors, interchange([Claim("C1", [Line("0037U", "ZL5H2")])]))
    (edit,) = [f for f in findings if f["rule"] == "mismatched-code"]
    assert "0037U is a PLA code of another lab's test" in edit["message"]
