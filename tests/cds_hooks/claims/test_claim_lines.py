"""An 837P's service lines become the facts the order rules read, and every rule speaks
through a claim line."""

from __future__ import annotations

from datetime import date

import pytest

from bench.x12_837p import Claim, Line, interchange
from cds_hooks.claims.claim837 import read_claims
from cds_hooks.claims.scrub import scrub
from cds_hooks.claims.x12 import X12Invalid
from plugin.rules import ORDER_ONLY_RULES, RULE_IDS

from .conftest import x12_text


def _rules_by_claim(result) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for claim in result.as_json()["claims"]:
        found[claim["claim"]] = {f["rule"] for line in claim["lines"] for f in line["findings"]}
    return found


def test_every_rule_id_is_reached_through_a_claim_line(variant):
    """The claims of fixtures/x12/rules.837 are named for the rule each should raise."""
    found = _rules_by_claim(scrub(x12_text("rules.837"), variant))
    for rule in set(RULE_IDS) - ORDER_ONLY_RULES:
        named = [c for c in found if c.upper().startswith(rule.upper())]
        assert named, f"no claim for {rule}"
        assert any(rule in found[c] for c in named), (rule, {c: found[c] for c in named})
    assert found["OK-LUNG"] == set()


def test_each_fact_is_read_from_its_place_on_the_claim():
    claim = Claim("C1", [Line("81445", "ZL5H2", units="1", dos="20251203", pointers="2:1",
                              control="sr-9", modifiers=("GA",))],
                  patient="M123", diagnoses=("R918", "C3490"))
    _, (billed,) = read_claims(interchange([claim]))
    line = billed.line
    assert (line.claim, line.line, line.cpt, line.modifiers, line.zcode) == \
        ("C1", "1", "81445", ("GA",), "ZL5H2")
    assert line.units == 1 and line.date_of_service == date(2025, 12, 3)
    assert line.diagnoses == ("C3490", "R918")  # in the order SV107 points
    assert (line.payer_id, line.billing_npi, line.control_number, line.patient) == \
        ("02302", "1999999984", "sr-9", "M123")


def test_on_the_labs_claim_a_cpt_one_test_bills_makes_the_zcode_fix_certain(knowledge):
    result = scrub(interchange([Claim("C1", [Line("81445")]), Claim("C2", [Line("81479")])]),
                   knowledge)
    (lung,), (ambiguous,) = (result.edits[b.line.key] for b in result.lines)
    assert (lung.rule, lung.certain, lung.fix) == ("missing-zcode", True,
                                                   "Z-code ZL5H2 in SV101-7")
    assert ambiguous.rule == "ambiguous-test" and not ambiguous.certain
    assert "not certain" in ambiguous.fix


def test_a_repeat_profile_is_judged_against_the_patients_earlier_claim_only(knowledge):
    found = _rules_by_claim(scrub(x12_text("rules.837"), knowledge))
    assert "repeat-cgp" in found["REPEAT-CGP-2"]
    assert "repeat-cgp" not in found["REPEAT-CGP-1"]


@pytest.mark.parametrize(("edit", "segment", "element"), [
    (("*UN*1***1", "*XX*1***1"), "SV1", "SV103"),
    (("~\nSE*", "~\nSE*9"), "ST", None),
])
def test_a_file_that_is_not_valid_5010_names_the_segment_and_element(edit, segment, element):
    text = x12_text("clean.837").replace(*edit, 1)
    with pytest.raises(X12Invalid) as raised:
        read_claims(text)
    assert (raised.value.segment, raised.value.element) == (segment, element)


def test_a_remittance_is_not_a_claim():
    text = x12_text("clean.837").replace("005010X222A1", "005010X221A1")
    with pytest.raises(X12Invalid, match="GS08"):
        read_claims(text)
