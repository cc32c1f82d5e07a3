"""Names a billing manager reads: the rules in plain words, the store's location in words."""

from __future__ import annotations

from sqlalchemy.engine import make_url

RULES = {
    "missing-zcode": "Z-code missing",
    "malformed-zcode": "Z-code malformed",
    "mismatched-code": "Z-code or CPT of another test",
    "stale-code": "Z-code or CPT no longer valid",
    "ambiguous-test": "test not known for sure",
    "unknown-test": "test not in the lab's catalog",
    "generic-code": "order code names several tests",
    "billing-option-mismatch": "billing option of another test",
    "not-payable": "test not payable (DEX status)",
    "diagnosis-not-covered": "diagnosis not covered by the policy",
    "invalid-diagnosis": "diagnosis not a valid ICD-10-CM code",
    "test-indication": "test does not fit the indication",
    "article-cpt": "CPT not in the billing article",
    "policy-unavailable": "billing article not loaded",
    "repeat-cgp": "repeat genomic profile",
    "cgp-specimen": "more testing on a profiled specimen",
    "panel-cpt": "CPT wrong for the panel",
    "units-of-service": "units of service",
    "one-service": "orders that are one panel service",
    "single-gene-in-panel": "single gene already in a panel",
    "unknown-payer": "payer not known",
}


def rule_name(rule: str) -> str:
    return RULES.get(rule, rule)


def store_in_words(url: str) -> str:
    """`SQLite file /var/lib/...` or `PostgreSQL database moldx on db.lab.local`: no
    password, no driver names."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"SQLite file {parsed.database}" if parsed.database not in (None, "", ":memory:") \
            else "SQLite in memory"
    if backend == "postgresql":
        return f"PostgreSQL database {parsed.database} on {parsed.host or 'the local socket'}"
    return parsed.render_as_string(hide_password=True)
