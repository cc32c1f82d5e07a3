"""`moldx-cds report`: numbers read from a store filled through the app (fixtures posted as
hook calls, feedback posted on their cards), on SQLite and PostgreSQL. The expected numbers
are derived from the scenario and the catalog, not read back from the report's own code."""

from __future__ import annotations

import copy
import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cds_hooks.cli.main import main
from cds_hooks.report.names import rule_name
from cds_hooks.service.app import create_app
from cds_hooks.store import migrate
from tests.conftest import TODAY, SignedClient, hook_fixture

SIGN = "/cds-services/moldx-order-sign"
SELECT = "/cds-services/moldx-order-select"
WHEN = "2026-03-02T15:04:05Z"
OVERRIDE = "urn:moldx-cds:override-reason"


def as_patient(name: str, patient: str, hook: str = "order-sign") -> dict:
    body = copy.deepcopy(hook_fixture(name))
    body["context"]["patientId"] = patient
    if hook == "order-select":
        body["hook"] = "order-select"
        body["context"]["selections"] = [
            f"ServiceRequest/{e['resource']['id']}"
            for e in body["context"]["draftOrders"]["entry"]]
    return body


def price(knowledge, body: dict) -> Decimal | None:
    """The catalog list price of the fixture's test on the fixtures' date of service (None
    for a test the catalog does not have)."""
    [code] = [c["code"] for c in body["context"]["draftOrders"]["entry"][0]["resource"]["code"]
              ["coding"] if c["code"].startswith("CMD-")]
    row = knowledge.catalog.row_on(code, TODAY)
    return row.list_price_usd if row else None


@dataclass
class Scenario:
    store_url: str
    prices: dict[str, Decimal | None]  # patient -> price of the test ordered


def run_scenario(client, knowledge) -> dict[str, Decimal | None]:
    """Patients, each with one order (ServiceRequest/sr-1):
    A  missing Z-code on order-sign, then signed again with the right codes   -> fixed
    B  wrong Z-code; the card's suggestion accepted, no later call           -> not fixed
    C  test not payable; overridden "ABN signed" with a comment              -> not fixed
    D  stale Z-code; overridden "the lab will correct the codes"             -> not fixed
    E  test not in the catalog (info only)                                   -> no warning
    F  missing Z-code on order-select, then signed with the right codes      -> fixed
    and one feedback item on a card this service never issued."""

    def post(path: str, body: dict) -> dict:
        response = client.post(path, json=body)
        assert response.status_code == 200, response.json
        return response.json

    def feedback(card: dict, **item) -> None:
        response = client.post(SIGN + "/feedback", json={"feedback": [
            {"card": card["uuid"], "outcomeTimestamp": WHEN, **item}]})
        assert response.status_code == 200

    bodies = {"A": as_patient("missing-zcode", "pat-A"),
              "B": as_patient("mismatched-zcode", "pat-B"),
              "C": as_patient("not-payable", "pat-C"),
              "D": as_patient("stale-code", "pat-D"),
              "E": as_patient("unknown-test", "pat-E"),
              "F": as_patient("missing-zcode", "pat-F", "order-select")}
    answers = {p: post(SELECT if p == "F" else SIGN, body) for p, body in bodies.items()}
    post(SIGN, as_patient("all-correct", "pat-A"))
    post(SIGN, as_patient("all-correct", "pat-F"))
    [card_b] = answers["B"]["cards"]
    feedback(card_b, outcome="accepted",
             acceptedSuggestions=[{"id": card_b["suggestions"][0]["uuid"]}])
    [card_c] = answers["C"]["cards"]
    feedback(card_c, outcome="overridden", overrideReason={
        "reason": {"system": OVERRIDE, "code": "abn-signed"}, "userComment": "ABN on file"})
    [card_d] = answers["D"]["cards"]
    feedback(card_d, outcome="overridden",
             overrideReason={"reason": {"system": OVERRIDE, "code": "lab-will-code"}})
    client.post(SIGN + "/feedback", json={"feedback": [
        {"card": "issued-elsewhere", "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "?"}}]})
    return {p: price(knowledge, body) for p, body in bodies.items()}


@pytest.fixture
def scenario(store_url, settings, knowledge, keys) -> Scenario:
    app = create_app(replace(settings, store_url=store_url), knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    prices = run_scenario(app.test_client(), knowledge)
    app.extensions["moldx_cds"].recorder.close()  # writes everything first
    return Scenario(store_url, prices)


def report_json(scenario: Scenario, capsys, *options: str) -> dict:
    assert main(["report", "--store-url", scenario.store_url, "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_report_counts_calls_findings_feedback_and_fixes(scenario, capsys):
    report = report_json(scenario, capsys)
    p = scenario.prices
    assert report["calls"] == {"moldx-order-sign": 7, "moldx-order-select": 1}
    assert (report["feedback"], report["unknown_feedback"]) == (4, 1)
    assert report["orders_flagged"] == 5  # A B C D F; E had an info card only
    # A and F signed clean later; B's acceptance is no fix until a later call confirms it
    assert report["orders_fixed"] == 2
    assert Decimal(report["avoided"]) == p["A"] + p["F"]
    assert Decimal(report["at_risk"]) == p["A"] + p["B"] + p["C"] + p["D"] + p["F"]
    rules = {line["rule"]: line for line in report["rules"]}
    assert set(rules) == {"missing-zcode", "mismatched-code", "not-payable", "stale-code",
                          "unknown-test"}
    assert {r: (line["findings"], line["orders"]) for r, line in rules.items()} == {
        "missing-zcode": (2, 2), "mismatched-code": (1, 1), "not-payable": (1, 1),
        "stale-code": (1, 1), "unknown-test": (1, 1)}
    assert {r: (line["accepted"], line["overridden"]) for r, line in rules.items()} == {
        "missing-zcode": (0, 0), "mismatched-code": (1, 0), "not-payable": (0, 1),
        "stale-code": (0, 1), "unknown-test": (0, 0)}
    assert rules["not-payable"]["reasons"] == {"ABN signed": 1}
    assert rules["not-payable"]["comments"] == 1
    assert rules["stale-code"]["reasons"] == {"The performing lab will correct the codes": 1}
    assert {r: (line["fixed"], Decimal(line["avoided"])) for r, line in rules.items()} == {
        "missing-zcode": (2, p["A"] + p["F"]), "mismatched-code": (0, 0),
        "not-payable": (0, 0), "stale-code": (0, 0), "unknown-test": (0, 0)}
    assert "ABN on file" not in json.dumps(report)  # comments are counted, never shown


def test_the_terminal_table_and_the_csv_say_the_same(scenario, capsys):
    assert main(["report", "--store-url", scenario.store_url]) == 0
    table = capsys.readouterr().out
    assert "Hook calls: 8 (moldx-order-sign 7, moldx-order-select 1)" in table
    avoided = sum((scenario.prices[p] for p in "AF"), Decimal(0))
    assert (f"fixed (a later call found the warning gone): 2 (fixed, list price "
            f"${avoided:,.2f})") in table
    name = rule_name("not-payable")  # rules in plain words
    [row] = [line for line in table.splitlines() if line.startswith(name + " ")]
    assert row[len(name):].split()[:5] == ["1", "1", "0", "1", "0"] and "ABN signed (1)" in row
    assert "not-payable" not in table

    report = report_json(scenario, capsys)
    assert main(["report", "--store-url", scenario.store_url, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_rule = {row["rule"]: row for row in rows}
    assert by_rule["stale-code"]["override_reasons"] == \
        "The performing lab will correct the codes (1)"
    assert by_rule["(all rules)"]["orders_fixed"] == "2"
    assert Decimal(by_rule["(all rules)"]["fixed_list_price_usd"]) == avoided
    # The money columns partition the orders: each rule's rows add up to the headline.
    assert by_rule["(all rules)"]["money_total_usd"] == report["money"]["total"]
    assert sum(Decimal(row["money_total_usd"]) for rule, row in by_rule.items()
               if rule != "(all rules)") == Decimal(report["money"]["total"])
    assert by_rule["not-payable"]["rule_name"] == rule_name("not-payable")
    assert by_rule["missing-zcode"]["findings"] == "2"


def test_the_table_shows_the_start_as_it_was_given(scenario, capsys):
    for since, shown in [("2026-03-01", "from 2026-03-01 to"),
                         ("2026-03-01T14:30", "from 2026-03-01 14:30:00 UTC to"),
                         ("2026-03-01T14:30:15+02:00", "from 2026-03-01 12:30:15 UTC to")]:
        assert main(["report", "--store-url", scenario.store_url, "--since", since]) == 0
        assert shown in capsys.readouterr().out.splitlines()[0]


def test_since_leaves_out_what_came_before(scenario, capsys):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    report = report_json(scenario, capsys, "--since", tomorrow)
    assert (sum(report["calls"].values()), report["feedback"], report["rules"]) == (0, 0, [])
    assert report_json(scenario, capsys, "--since", "2000-01-01")["orders_fixed"] == 2


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_report_errors_are_clear(store_url, capsys, tmp_path):
    assert main(["report", "--store-url", store_url, "--since", "last week"]) == 2
    assert "--since: 'last week' is not a date" in capsys.readouterr().err
    assert main(["report", "--store-url", store_url]) == 2  # no database file
    assert "no store at" in capsys.readouterr().err
    Path(store_url.removeprefix("sqlite:///")).touch()  # an empty database
    assert main(["report", "--store-url", store_url]) == 2
    assert "run `moldx-cds db upgrade` first" in capsys.readouterr().err
    assert main(["db", "upgrade", "--store-url", store_url]) == 0
    assert main(["db", "current", "--store-url", store_url]) == 0
    head = migrate.head()
    assert f"revision {head}; latest {head}" in capsys.readouterr().out
    assert main(["report", "--store-url", store_url]) == 0
    assert "No findings in this period." in capsys.readouterr().out


def test_every_order_rule_has_a_name_in_plain_words():
    """The report names rules as a billing manager reads them; a rule added without a name
    would show its id."""
    from cds_hooks.report.names import rule_name
    from plugin.rules import RULE_IDS

    assert [rule for rule in RULE_IDS if rule_name(rule) == rule] == []
