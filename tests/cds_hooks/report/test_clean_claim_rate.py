"""The first-pass clean-claim rate: of the claims scrubbed before they left and then
adjudicated, those the scrub found clean (no warning: what `scrub` exits 0 for) and the payer
paid on the first adjudication (no denial, no reversal). A remittance claim is the scrubbed
claim whose CLM01 its CLP01 repeats."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from bench.x12_835 import Paid, PaidClaim, remittance
from bench.x12_837p import Claim, Line, interchange
from cds_hooks.claims.remit import import_remittance
from cds_hooks.claims.scrub import scrub
from cds_hooks.report.html import render
from cds_hooks.report.summary import build, table
from cds_hooks.store import migrate
from cds_hooks.store.db import Store

CLEAN = Claim("CLEAN-1", [Line("81445", "ZL5H2", charge="1200")], patient="M1")
WARNED = Claim("WARNED-1", [Line("81445", charge="1200")], patient="M2")  # no Z-code
PAID_FIRST_PASS = dict(paid="1200", adjustments=())


def _paid(claim: str, patient: str) -> PaidClaim:
    return PaidClaim(claim, [Paid("81445", **PAID_FIRST_PASS)], status="1", patient=patient)


def _import(store: Store, claims: list[PaidClaim]) -> None:
    import_remittance(store, remittance(claims, paid_on="20260115").encode())


def test_a_claim_scrubbed_clean_and_paid_counts_one_scrubbed_with_a_warning_does_not(
        store_url, knowledge):
    store = Store(store_url)
    migrate.upgrade(store)
    try:
        clean = scrub(interchange([CLEAN]), knowledge, store)
        warned = scrub(interchange([WARNED]), knowledge, store)
        assert clean.decision.clear and not warned.decision.clear  # exit 0 and exit 1
        # Both paid on the first pass, and a third claim no scrub ever saw.
        _import(store, [_paid("CLEAN-1", "M1"), _paid("WARNED-1", "M2"),
                        _paid("NEVER-1", "M3")])
        report = build(store)
    finally:
        store.dispose()
    figures = report.remittances
    assert (figures["claims_scrubbed"], figures["claims_scrubbed_clean_and_paid"],
            figures["clean_claim_rate"]) == (2, 1, 0.5)
    # Paid on the first adjudication, scrubbed or not: every one of the three.
    assert (figures["claims"], figures["claims_paid_first_pass"],
            figures["paid_first_pass_rate"]) == (3, 3, 1.0)
    words = table(report)
    assert "first-pass clean claims (scrubbed clean, then paid): 1 of 2 scrubbed (50%)" \
        in words
    assert "paid on the first adjudication: 3 of 3 claims (100%)" in words
    page = render(report)
    assert "scrubbed clean, then paid (1 of 2 scrubbed claims)" in page
    assert "paid on the first adjudication (3 of 3 claims)" in page


def test_a_claim_denied_on_first_pass_is_not_clean_though_scrubbed_clean(tmp_path,
                                                                         knowledge):
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate.upgrade(store)
    try:
        scrub(interchange([CLEAN]), knowledge, store)
        _import(store, [PaidClaim("CLEAN-1", [Paid("81445", adjustments=(
            ("CO", "50", "1200"),))], patient="M1")])
        figures = build(store).remittances
    finally:
        store.dispose()
    assert (figures["claims_scrubbed"], figures["claims_scrubbed_clean_and_paid"],
            figures["clean_claim_rate"]) == (1, 0, 0.0)


def test_no_claim_scrubbed_leaves_the_rate_empty(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate.upgrade(store)
    try:
        _import(store, [_paid("NEVER-1", "M3")])
        figures = build(store).remittances
    finally:
        store.dispose()
    assert (figures["claims_scrubbed"], figures["clean_claim_rate"]) == (0, None)
    assert figures["claims_paid_first_pass"] == 1


def test_lines_scrubbed_before_0007_upgrade_and_are_not_counted_as_scrubbed(store_url):
    """A store made before 0007 did not keep whether the scrub found a claim clean: its lines
    stay for the look back, and the rate counts only claims scrubbed since."""
    store = Store(store_url)
    migrate.upgrade(store, "0006")
    with store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO claim_lines (claim, line_no, patient, modifiers, date_of_service, "
            "diagnoses, scrubbed_at) VALUES ('OLD-1', '1', :p, '[]', :dos, '[]', :at)"),
            {"p": "f" * 64, "dos": date(2025, 12, 1), "at": datetime(2026, 1, 2, tzinfo=UTC)})
    try:
        assert migrate.upgrade(store) == ("0006", migrate.head())
        _import(store, [_paid("OLD-1", "M4")])
        figures = build(store).remittances
        with store.engine.connect() as connection:
            kept = connection.execute(text("SELECT claim FROM claim_lines")).scalars().all()
    finally:
        store.dispose()
    assert kept == ["OLD-1"]
    assert (figures["claims_scrubbed"], figures["clean_claim_rate"]) == (0, None)
