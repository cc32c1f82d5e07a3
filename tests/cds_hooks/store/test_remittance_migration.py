"""Revision 0004 on both backends: remittance lines a store at 0003 holds are kept, keyed
one by one, their adjustments read from the codes they kept (without amounts), and counted
as before."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text

from cds_hooks.store import migrate
from cds_hooks.store.db import Store
from cds_hooks.store.remittances import lines


def test_lines_kept_at_0003_upgrade_and_read_as_before(store_url):
    store = Store(store_url)
    migrate.upgrade(store, "0003")
    with store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO remittances (digest, payer, imported_at) VALUES (:d, :p, :t)"),
            {"d": "a" * 64, "p": "02302", "t": datetime(2026, 1, 16, tzinfo=UTC)})
        remittance = connection.execute(text("SELECT id FROM remittances")).scalar_one()
        for claim, carcs, rarcs, category in (
                ("C1", '["CO-252"]', '["N706"]', "zcode"),
                ("C2", '["CO-18"]', "[]", "other"),
                ("C3", '["PR-1"]', "[]", "other")):
            connection.execute(text(
                "INSERT INTO remittance_lines (remittance_id, claim, line_no, control_number, "
                "patient, cpt, date_of_service, charge, paid, carcs, rarcs, category, paid_on) "
                "VALUES (:r, :c, 1, NULL, 'pat-1', '81445', :dos, 1200, 0, :carcs, :rarcs, "
                ":category, :paid_on)"),
                {"r": remittance, "c": claim, "carcs": carcs, "rarcs": rarcs,
                 "category": category, "dos": date(2025, 12, 1), "paid_on": date(2026, 1, 15)})
    assert migrate.upgrade(store) == ("0003", migrate.head())
    found = {line.claim: line for line in lines(store, {})}
    assert {c: line.category.value for c, line in found.items()} == {
        "C1": "zcode", "C2": "duplicate", "C3": "patient-responsibility"}
    assert [(a.code, a.amount) for a in found["C1"].adjustments] == [("CO-252", None)]
    assert (found["C1"].denied, found["C2"].denied, found["C3"].denied) == \
        (Decimal(1200), Decimal(1200), Decimal(0))
    assert len({key for line in found.values() for key in line.keys}) == 3
