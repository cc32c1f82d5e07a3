"""docs/rules.md cites the test that proves each rule: every test it names exists, and every
rule id of the service is in it."""

from __future__ import annotations

import re
from pathlib import Path

from plugin.claim_checks import CLAIM_RULE_IDS
from plugin.rules import RULE_IDS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "rules.md").read_text()


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names |= set(re.findall(r"^def (test_\w+)", path.read_text(), re.MULTILINE))
    return names


def test_every_test_the_rules_doc_cites_exists():
    cited = set(re.findall(r"\b(test_\w+)(?![\w.])", DOC))  # not the modules, test_x.py
    assert cited and cited <= _test_names(), sorted(cited - _test_names())


def test_every_rule_id_is_in_the_rules_doc():
    assert [rule for rule in RULE_IDS if f"`{rule}`" not in DOC] == []


def test_every_claim_edit_is_in_the_rules_doc_and_the_claims_doc():
    claims = (ROOT / "docs" / "claims.md").read_text()
    assert [rule for rule in CLAIM_RULE_IDS if f"`{rule}`" not in DOC] == []
    assert [rule for rule in CLAIM_RULE_IDS if f"`{rule}`" not in claims] == []
