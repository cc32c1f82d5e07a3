"""Edits a clearinghouse makes on a lab's 837P beyond the codes an order also carries: units
across lines, the HI segment, modifiers, SV101-7 as a description, SV107 pointers. Each goes
through `scrub --json`, `--fix` and POST /claims/scrub (the `doors` fixture)."""

from __future__ import annotations

from bench.x12_837p import Claim, Line, interchange


def _findings(answer, line: str = "1", claim: str = "C1") -> dict[str, dict]:
    """The findings of one line by rule, after checking POST /claims/scrub says the same."""
    posted = {(c["claim"], ln["line"]): ln for c in answer.posted["claims"] for ln in c["lines"]}
    assert posted == answer.lines
    return {f["rule"]: f for f in answer.lines[(claim, line)]["findings"]}


def _changed_lines(answer) -> list[tuple[str, str]]:
    before, after = answer.source.splitlines(), answer.fixed.splitlines()
    assert len(before) == len(after)
    return [(b, a) for b, a in zip(before, after, strict=True) if b != a]


def test_one_panel_on_two_lines_for_one_date_is_one_unit_with_or_without_91(doors):
    for modifiers in ((), ("91",)):
        answer = doors(interchange([Claim("C1", [Line("81445", "ZL5H2"),
                                                 Line("81445", "ZL5H2", modifiers=modifiers)])]))
        assert "units-across-lines" not in _findings(answer, "1")
        edit = _findings(answer, "2")["units-across-lines"]
        assert edit["severity"] == "warning" and not edit["certain"]
        assert "line 1" in edit["message"] and "one unit" in edit["message"]
        assert ("91" in edit["message"]) == bool(modifiers)
        assert answer.fixed_count == 0


def test_the_same_panel_on_two_dates_is_not_one_unit(doors):
    answer = doors(interchange([Claim("C1", [Line("81445", "ZL5H2", dos="20251201"),
                                             Line("81445", "ZL5H2", dos="20251208")])]))
    assert "units-across-lines" not in _findings(answer, "2")


def test_a_diagnosis_written_with_its_dot_is_fixed_in_hi_and_nowhere_else(doors):
    answer = doors(interchange([Claim("C1", [Line("81445", "ZL5H2")],
                                      diagnoses=("C34.90", "R91.8"))]))
    edit = _findings(answer)["diagnosis-format"]
    assert edit["certain"] and edit["severity"] == "warning"
    assert "C34.90" in edit["message"] and "C3490" in edit["fix"]
    assert answer.fixed_count == 1
    assert _changed_lines(answer) == [("HI*ABK:C34.90*ABF:R91.8~", "HI*ABK:C3490*ABF:R918~")]


def test_modifier_26_or_tc_on_a_clinical_lab_fee_schedule_code(doors):
    for modifier in ("26", "TC"):
        answer = doors(interchange([Claim("C1", [Line("81445", "ZL5H2",
                                                      modifiers=(modifier,))])]))
        edit = _findings(answer)["component-modifier"]
        assert edit["severity"] == "warning" and modifier in edit["message"]
        assert "CO-4" in edit["message"] and not edit["certain"]
    answer = doors(interchange([Claim("C1", [Line("88305", modifiers=("26",))])]))
    assert "component-modifier" not in _findings(answer)  # pathology has the split


def test_a_zcode_not_the_labs_on_a_catalog_cpt_is_a_warning_offering_the_catalogs(doors):
    answer = doors(interchange([Claim("C1", [Line("81445", "ZX9Q9")])]))
    findings = _findings(answer)
    assert "unknown-test" not in findings
    edit = findings["mismatched-code"]
    assert edit["severity"] == "warning" and not edit["certain"]
    assert "ZX9Q9 is not a Z-code of the lab's catalog" in edit["message"]
    assert edit["fix"].startswith("Z-code ZL5H2 in SV101-7 in place of ZX9Q9")


def test_a_drug_description_in_sv101_7_is_not_a_zcode(doors):
    answer = doors(interchange([Claim("C1", [Line("J3490", "SOD CHL 0.9% 1000 ML")])]))
    assert _findings(answer) == {}


def test_a_lower_case_zcode_is_written_in_capitals(doors):
    answer = doors(interchange([Claim("C1", [Line("81445", "zl5h2")])]))
    edit = _findings(answer)["zcode-case"]
    assert edit["certain"] and edit["fix"] == "Z-code ZL5H2 in SV101-7 in place of zl5h2"
    assert _changed_lines(answer) == [("SV1*HC:81445:::::zl5h2*1200*UN*1***1~",
                                       "SV1*HC:81445:::::ZL5H2*1200*UN*1***1~")]


def test_with_ga_the_expected_denial_is_patient_liability(doors):
    answer = doors(interchange([Claim("C1", [Line("81445", "ZL5H2", modifiers=("GA",))],
                                      diagnoses=("Z0000",))]))
    message = _findings(answer)["diagnosis-not-covered"]["message"]
    assert "PR-50" in message and "expect CO-50" not in message


def test_gy_on_a_covered_moldx_test_forces_a_denial(doors):
    answer = doors(interchange([Claim("C1", [Line("81445", "ZL5H2", modifiers=("GY",))])]))
    edit = _findings(answer)["modifier-gy"]
    assert edit["severity"] == "warning" and "GY" in edit["message"]


def test_xs_or_59_beside_a_single_gene_code_is_named_with_what_it_claims(doors):
    for modifier in ("XS", "59"):
        answer = doors(interchange([Claim("C1", [
            Line("81445", "ZL5H2"), Line("81235", "ZE1G6", modifiers=(modifier,),
                                         charge="350")])]))
        message = _findings(answer, "2")["single-gene-in-panel"]["message"]
        assert f"modifier {modifier}" in message and "separate specimen" in message


def test_a_line_pointing_only_at_an_uncovered_diagnosis_is_offered_the_covered_one(doors):
    answer = doors(interchange([Claim("C1", [Line("81445", "ZL5H2", pointers="1")],
                                      diagnoses=("Z0000", "C3490"))]))
    edit = _findings(answer)["diagnosis-pointer"]
    assert not edit["certain"] and "C34.90" in edit["message"] and "SV107" in edit["message"]
    assert answer.fixed_count == 0
