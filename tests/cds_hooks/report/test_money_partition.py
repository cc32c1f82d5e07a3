"""Money that partitions, over generated sequences of orders (warned, fixed, overridden),
feedback and remittances (paid, denied, patient-owed, reversed, corrected, duplicated, for
orders the store knows and for none): each order's dollars sit in exactly one bucket, the
buckets sum to the headline, and every table (by rule, test, payer, clinician, week) sums to
it too. The remittance lines go through the store's own netting and linking."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from cds_hooks.report.money import BUCKETS, TABLES, partition, place, remittance_figures
from cds_hooks.store.history import OrderHistory
from cds_hooks.store.remittances import Adjudication, _linked, _netted
from plugin.remittance import DENIALS

RULES = ["missing-zcode", "stale-code", "not-payable", "diagnosis-not-covered", "one-service",
         "repeat-cgp", "invalid-diagnosis"]
ADJUSTMENTS = [("CO", "252"), ("CO", "50"), ("CO", "96"), ("CO", "16"), ("CO", "4"),
               ("CO", "11"), ("CO", "151"), ("CO", "97"), ("OA", "18"), ("CO", "45"),
               ("PR", "1"), ("PR", "2"), ("PR", "50"), ("PR", "204")]
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
money = st.integers(min_value=0, max_value=400).map(lambda n: Decimal(n * 5))


@st.composite
def an_order(draw, number: int) -> OrderHistory:
    flagged = draw(st.lists(st.sampled_from(RULES), unique=True, max_size=3))
    order = OrderHistory(
        key=("issuer", f"pat-{number}", f"ServiceRequest/sr-{number}"),
        flagged={rule: START + timedelta(days=draw(st.integers(0, 20))) for rule in flagged},
        test_code=draw(st.sampled_from(["CMD-LUNG50", "CMD-CGP-DNA", None])),
        price=draw(st.one_of(st.none(), money)),
        expected_payment=draw(st.one_of(st.none(), money)),
        payer=draw(st.sampled_from(["Medicare", "Aetna", None])),
        requester=draw(st.sampled_from(["Practitioner/1", "Practitioner/2", None])),
        cpt="81445", date_of_service=date(2025, 12, 1), first_seen=START)
    for rule in flagged:
        if draw(st.booleans()):
            order.fixed[rule] = START + timedelta(days=30)
        elif draw(st.booleans()):
            order.overridden.add(rule)  # the feedback on its card
    return order


@st.composite
def a_row(draw, number: int, orders: int):
    target = draw(st.integers(-1, orders - 1))  # -1: an order the store does not know
    status = draw(st.sampled_from(["1", "4", "22", "2"]))
    sign = -1 if status == "22" else 1
    charge = draw(money)
    adjustments = [[g, c, str(sign * draw(money))] for g, c in draw(
        st.lists(st.sampled_from(ADJUSTMENTS), unique=True, max_size=3))]
    return SimpleNamespace(
        line_key=f"key-{number}", claim=f"CLM-{draw(st.integers(0, 3))}", status=status,
        payer_claim=draw(st.sampled_from(["PCN-1", "PCN-2"])), line_no=1,
        control_number=f"sr-{target}" if target >= 0 else draw(st.sampled_from([None, "x"])),
        patient=f"pat-{target}", cpt="81445", date_of_service=date(2025, 12, 1),
        charge=sign * charge, paid=sign * draw(money), adjustments=json.dumps(adjustments),
        rarcs=json.dumps(draw(st.lists(st.sampled_from(["N706", "N115", "MA130"]),
                                       unique=True, max_size=2))),
        paid_on=date(2026, 2, 1) + timedelta(days=draw(st.integers(0, 30))))


@st.composite
def sequences(draw):
    count = draw(st.integers(1, 6))
    orders = [draw(an_order(n)) for n in range(count)]
    rows = [draw(a_row(n, count)) for n in range(draw(st.integers(0, 10)))]
    payers = [draw(st.sampled_from(["02302", "60054"])) for _ in rows]
    return orders, [Adjudication(row, payer, f"PAYER {payer}", START + timedelta(days=40 + n))
                    for n, (row, payer) in enumerate(zip(rows, payers, strict=True))]


@settings(max_examples=300, deadline=None)
@given(sequences())
def test_each_orders_dollars_sit_in_one_bucket_and_every_table_sums_to_the_headline(data):
    orders, rows = data
    histories = {order.key: order for order in orders}
    lines = _linked(_netted(rows), histories)
    placed = place(histories.values(), lines)
    answered = {id(line.order) for line in lines if line.order is not None}
    expected = [o for o in orders if o.flagged or id(o) in answered]
    assert sorted(id(p.order) for p in placed) == sorted(id(o) for o in expected)
    for item in placed:
        assert item.amount >= 0 and item.bucket in dict(BUCKETS)
        if id(item.order) in answered and not all(
                line.settled for line in lines if line.order is item.order):
            assert item.bucket not in ("open", "fixed")  # a remittance answered it
    money = partition(placed)
    assert money["orders"] == len(placed)
    assert money["total"] == sum((p.amount for p in placed), Decimal(0))
    assert sum(b["amount"] for b in money["buckets"].values()) == money["total"]
    assert sum(b["orders"] for b in money["buckets"].values()) == money["orders"]
    for table in TABLES:
        rows_of = money[f"by_{table}"]
        assert sum(r["total"] for r in rows_of.values()) == money["total"], table
        assert sum(r["orders"] for r in rows_of.values()) == money["orders"], table
        for key, row in rows_of.items():
            assert sum(row[b] for b, _ in BUCKETS) == row["total"], (table, key)
    for line in lines:
        assert line.denied >= 0
        assert (line.outcome is not None) == (line.category in DENIALS)
    figures = remittance_figures(lines, START + timedelta(days=60), {})
    assert sum(c["amount"] for c in figures["categories"].values()) == figures["denied"]
    assert sum(o["amount"] for o in figures["outcomes"].values()) == figures["denied"]
    assert sum(c["amount"] for c in figures["by_carc"].values()) == figures["denied"]
    assert sum(p["denied"] for p in figures["by_payer"].values()) == figures["denied"]
