"""When the report may call an order fixed, and whose price it counts: a later call for the
same order that evaluated the rule and found nothing; never a call that skipped the payer's
checks, never an override; the order's own test's price."""

from __future__ import annotations

import copy
import shutil
import uuid

from cds_hooks.report.summary import build
from tests.conftest import TODAY, hook_fixture, stored

SIGN = "/cds-services/moldx-order-sign"
WHEN = "2026-03-02T15:04:05Z"


def _sign(client, name: str, patient: str = "pat-1") -> dict:
    body = copy.deepcopy(hook_fixture(name))
    body["context"]["patientId"] = patient
    body["hookInstance"] = str(uuid.uuid4())
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    return response.json


def _price(knowledge, test: str):
    return knowledge.catalog.row_on(test, TODAY).list_price_usd


def test_a_later_call_whose_payer_is_unknown_is_no_fix(app, client):
    _sign(client, "missing-zcode")
    _sign(client, "unknown-payer")  # same patient and order; the payer's checks skipped
    report = build(stored(app))
    assert (report.orders_flagged, report.orders_fixed) == (1, 0)
    _sign(client, "all-correct")
    report = build(stored(app))
    assert (report.orders_flagged, report.orders_fixed) == (1, 1)


def test_an_override_is_no_fix_and_a_rules_fixed_never_exceed_its_flagged(app, client):
    [card] = _sign(client, "missing-zcode")["cards"]
    client.post(SIGN + "/feedback", json={"feedback": [{
        "card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN}]})
    _sign(client, "missing-zcode", "pat-2")
    _sign(client, "all-correct", "pat-2")
    _sign(client, "all-correct", "pat-2")  # fixed once, not twice
    report = build(stored(app))
    assert (report.orders_flagged, report.orders_fixed) == (2, 1)
    for line in report.rules:
        assert line.fixed <= line.orders
    [missing] = [line for line in report.rules if line.rule == "missing-zcode"]
    assert (missing.orders, missing.fixed, missing.overridden) == (2, 1, 1)


def test_money_is_the_orders_own_test_not_the_test_its_wrong_code_belongs_to(
        app, client, knowledge):
    """The lung panel ordered with the 3-gene panel's Z-code: at risk is the lung panel's
    price."""
    _sign(client, "mismatched-zcode")
    report = build(stored(app))
    assert report.at_risk == _price(knowledge, "CMD-LUNG50")
    assert report.at_risk != _price(knowledge, "CMD-KNB3")
    assert report.money["by_test"]["CMD-LUNG50"]["open"] == report.at_risk


def test_open_and_denied_money_is_the_expected_payment_where_the_catalog_gives_one(
        client_for, knowledge, tmp_path):
    """A catalog with the optional `expected_payment_usd` column (a fee schedule or contract
    rate): an open order counts it, not the list price; a denial counts it less what was
    paid; the billed charge stays beside."""
    from bench.x12_835 import Paid, PaidClaim, remittance
    from cds_hooks.claims.remit import import_remittance
    from plugin.knowledge import DEMO_DIR, load_knowledge

    folder = tmp_path / "lab"
    shutil.copytree(DEMO_DIR, folder)
    catalog = folder / "catalog.csv"
    rows = catalog.read_text().splitlines()
    catalog.write_text("\n".join([rows[0] + ",expected_payment_usd"] + [
        row + (",950.00" if row.startswith("CMD-LUNG50,") else ",") for row in rows[1:]])
        + "\n")
    lab = load_knowledge(folder)
    assert lab.catalog.row_on("CMD-LUNG50", TODAY).expected_payment_usd == 950
    client = client_for(lab)
    _sign(client, "missing-zcode", "pat-1")
    _sign(client, "missing-zcode", "pat-2")
    store = stored(client.application)
    report = build(store)
    assert report.money["buckets"]["open"]["amount"] == 2 * 950
    assert report.at_risk == 2 * _price(knowledge, "CMD-LUNG50")  # the list price, as named
    assert report.money["by_test"]["CMD-LUNG50"]["name"] == \
        lab.catalog.row_on("CMD-LUNG50", TODAY).test_name
    import_remittance(store, remittance([PaidClaim("C2", [Paid(
        "81445", charge="1200", paid="100", adjustments=(("CO", "252", "1100"),),
        remarks=("N706",), control="sr-1")], patient="pat-2", status="1")]).encode())
    report = build(store)
    assert report.money["buckets"]["denied_not_acted_on"]["amount"] == 950 - 100
    assert report.money["buckets"]["open"]["amount"] == 950
    [item] = report.worklist
    assert (item["billed_charge"], item["amount"]) == ("1200.00", "1100.00")
