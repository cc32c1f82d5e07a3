"""An 835 read per claim and line into denial categories, kept once per file, and each denied
line linked to what the order check had said of its order."""

from __future__ import annotations

import copy
import uuid

import pytest

from bench.x12_835 import Paid, PaidClaim, remittance
from cds_hooks.claims.remit import import_remittance
from cds_hooks.claims.remit835 import read_remittance
from cds_hooks.claims.x12 import X12Invalid
from cds_hooks.store.history import histories
from cds_hooks.store.remittances import lines
from tests.conftest import hook_fixture, stored

from .conftest import x12_text

SIGN = "/cds-services/moldx-order-sign"
WHEN = "2026-03-02T15:04:05Z"
OVERRIDE = "urn:moldx-cds:override-reason"


def test_each_denial_category_from_a_crafted_835():
    by_claim = {line.claim: line for line in read_remittance(x12_text("denials.835")).lines}
    assert {claim: line.category.value for claim, line in by_claim.items()} == {
        "ZCODE": "zcode", "ZCODE-N704": "zcode", "MEDICAL-NECESSITY": "medical-necessity",
        "NON-COVERED": "non-covered", "ATTACHMENT": "other", "DUPLICATE": "duplicate",
        "PAID": "paid"}
    zcode = by_claim["ZCODE"]
    assert (zcode.codes, zcode.remarks, zcode.charge, zcode.paid) == \
        (("CO-252",), ("N706", "N704"), 1200, 0)
    assert (zcode.cpt, zcode.control_number, zcode.patient) == ("81445", "sr-1", "pat-1")


def test_a_claim_file_is_not_a_remittance():
    with pytest.raises(X12Invalid, match="GS08"):
        read_remittance(x12_text("clean.837"))


def _signed(client, name: str, patient: str) -> dict:
    body = copy.deepcopy(hook_fixture(name))
    body["context"]["patientId"] = patient
    body["hookInstance"] = str(uuid.uuid4())  # the fixtures share one, and so their cards
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    return response.json


def _override(client, card: dict) -> None:
    response = client.post(SIGN + "/feedback", json={"feedback": [{
        "card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
        "overrideReason": {"reason": {"system": OVERRIDE, "code": "abn-signed"}}}]})
    assert response.status_code == 200


def test_denials_link_to_an_overridden_warning_a_miss_and_no_order(app, client):
    [card] = _signed(client, "missing-zcode", "pat-1")["cards"]
    _override(client, card)
    assert _signed(client, "all-correct", "pat-2")["cards"] == []
    _signed(client, "missing-zcode", "pat-3")  # warned, left as it was
    store = stored(app)
    data = remittance([
        PaidClaim("C1", [Paid("81445", adjustments=(("CO", "252", "1200"),),
                              remarks=("N706",), control="sr-1")], patient="pat-1"),
        PaidClaim("C2", [Paid("81445", adjustments=(("CO", "50", "1200"),),
                              remarks=("N115",), control="sr-1")], patient="pat-2"),
        PaidClaim("C3", [Paid("81445", adjustments=(("CO", "252", "1200"),),
                              remarks=("N706",), dos="20260302")], patient="pat-3"),
        PaidClaim("C4", [Paid("81445", adjustments=(("CO", "96", "1200"),),
                              remarks=("N431",), control="sr-404")], patient="pat-9"),
    ]).encode()
    _, keys, new = import_remittance(store, data)
    assert new == 4
    linked = {line.claim: line for line in lines(store, histories(store), keys)}
    assert {c: line.outcome.value for c, line in linked.items()} == {
        "C1": "warned-overridden", "C2": "not-warned", "C3": "warned-not-fixed",
        "C4": "no-order-found"}
    assert linked["C3"].order.key[1:] == ("pat-3", "ServiceRequest/sr-1")  # by CPT and DOS


def test_a_warning_fixed_and_denied_all_the_same(app, client):
    _signed(client, "missing-zcode", "pat-1")
    _signed(client, "all-correct", "pat-1")  # the same order, now right
    store = stored(app)
    import_remittance(store, remittance([PaidClaim("C1", [Paid(
        "81445", adjustments=(("CO", "252", "1200"),), remarks=("N706",),
        control="sr-1")], patient="pat-1")]).encode())
    [line] = lines(store, histories(store))
    assert line.outcome.value == "fixed-still-denied"


def test_importing_the_same_835_twice_keeps_it_once(app):
    store = stored(app)
    data = x12_text("denials.835").encode()
    assert import_remittance(store, data)[2] == 7
    assert import_remittance(store, data)[2] == 0
    assert len(lines(store, histories(store))) == len(read_remittance(data.decode()).lines)


def test_a_denial_for_another_reason_than_the_warning_is_a_miss(app, client):
    """A Z-code warning does not explain a medical-necessity denial: the check missed that."""
    [card] = _signed(client, "missing-zcode", "pat-1")["cards"]
    _override(client, card)
    store = stored(app)
    denied = {"NEC": (("CO", "50", "1200"),), "INFO": (("CO", "16", "1200"),),
              "ATT": (("CO", "252", "1200"),)}
    _, keys, _ = import_remittance(store, remittance([
        PaidClaim(claim, [Paid("81445", adjustments=adjustments, control="sr-1",
                               remarks=("M127",) if claim == "ATT" else ())],
                  patient="pat-1") for claim, adjustments in denied.items()]).encode())
    linked = {line.claim: line for line in lines(store, histories(store), keys)}
    assert linked["NEC"].category.value == "medical-necessity"
    assert linked["NEC"].outcome.value == "not-warned"
    # Missing information (CO-16) is what a missing Z-code makes.
    assert (linked["INFO"].category.value, linked["INFO"].outcome.value) == \
        ("missing-info", "warned-overridden")
    # A reason no category names is no warning's: never "any warning may explain it".
    assert (linked["ATT"].category.value, linked["ATT"].outcome.value) == \
        ("other", "not-warned")


def test_a_duplicate_or_bundling_denial_is_not_blamed_on_an_overridden_zcode_warning(
        app, client):
    [card] = _signed(client, "missing-zcode", "pat-1")["cards"]
    _override(client, card)
    store = stored(app)
    _, keys, _ = import_remittance(store, remittance([
        PaidClaim(claim, [Paid("81445", adjustments=adjustments, control="sr-1")],
                  patient="pat-1", payer_claim=f"PCN-{claim}")
        for claim, adjustments in {"DUP": (("OA", "18", "1200"),),
                                   "NCCI": (("CO", "97", "1200"),),
                                   "PTP": (("CO", "236", "1200"),)}.items()]).encode())
    linked = {line.claim: line for line in lines(store, histories(store), keys)}
    assert {c: (line.category.value, line.outcome.value) for c, line in linked.items()} == {
        "DUP": ("duplicate", "not-warned"), "NCCI": ("bundling", "not-warned"),
        "PTP": ("bundling", "not-warned")}
