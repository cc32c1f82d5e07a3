"""The HTML report of the demo fixtures, opened in headless Chromium (Debian's `chromium`,
driven by Playwright; no browser is downloaded): the page renders, each chart is there with
one bar per thing it counts, and the bars are drawn in colour."""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from dataclasses import replace
from decimal import Decimal

import pytest

from cds_hooks.cli.main import main
from cds_hooks.report.names import rule_name
from cds_hooks.service.app import create_app
from tests.cds_hooks.report.test_report import run_scenario
from tests.conftest import SignedClient

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium():
    executable = shutil.which("chromium")
    if executable is None:
        message = "the HTML report test needs Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("MOLDX_CDS_REQUIRE_CHROMIUM"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def colored_pixels(png: bytes) -> int:
    """Pixels that are neither white nor grey in an 8-bit RGB(A) PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, [], None
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        data = png[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            chunks.append(data)
        at += 12 + length
    width, height, depth, color_type = header[:4]
    assert depth == 8 and color_type in (2, 6)
    channels = 3 if color_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    colored = 0
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            upper_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - upper_left
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - upper_left)
                nearest = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
                line[x] = (line[x] + nearest) & 255
        for x in range(0, stride, channels):
            r, g, b = line[x:x + 3]
            colored += max(r, g, b) - min(r, g, b) > 40
        previous = line
    return colored


def test_the_html_report_of_the_demo_fixtures_renders_with_its_charts(
        settings, knowledge, keys, chromium, tmp_path, capsys):
    app = create_app(replace(settings, store_url=f"sqlite:///{tmp_path / 'demo.sqlite'}"),
                     knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    run_scenario(app.test_client(), knowledge)
    app.extensions["moldx_cds"].recorder.close()
    store = ["--store-url", f"sqlite:///{tmp_path / 'demo.sqlite'}"]
    assert main(["report", *store, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    page_file = tmp_path / "report.html"
    assert main(["report", *store, "--html", str(page_file)]) == 0
    html = page_file.read_text()
    assert "http://" not in html and "https://" not in html  # nothing to fetch

    page = chromium.new_page(viewport={"width": 1100, "height": 900})
    page.goto(page_file.as_uri())
    assert page.title() == "MolDX order coding: findings and feedback"
    headings = page.locator("h2").all_inner_texts()
    assert headings[:4] == ["Findings per rule", "Accepted and overridden, per rule",
                            "Fixed (list price), per rule", "Hook calls per day"]
    rules = report["rules"]
    expected = {
        "findings": len([r for r in rules if r["findings"]]),
        "feedback": sum(bool(r["accepted"]) + bool(r["overridden"]) for r in rules),
        "avoided": len([r for r in rules if float(r["avoided"])]),
        "calls": len(report["calls_per_day"]),
    }
    assert expected == {"findings": 5, "feedback": 3, "avoided": 1, "calls": 1}
    for chart, bars in expected.items():
        svg = page.locator(f'svg[data-chart="{chart}"]')
        assert svg.count() == 1, chart
        assert svg.locator("rect.bar").count() == bars, chart
        box = svg.bounding_box()
        assert box["width"] > 100 and box["height"] > 20, chart
        for bar in svg.locator("rect.bar").all():
            drawn = bar.bounding_box()
            assert drawn and drawn["width"] > 1 and drawn["height"] > 1, chart
        assert colored_pixels(svg.screenshot()) > 200 * bars, chart
    findings = page.locator('svg[data-chart="findings"] rect.bar')
    assert findings.first.get_attribute("data-label") == rule_name(rules[0]["rule"])
    assert int(findings.first.get_attribute("data-value")) == rules[0]["findings"]
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert colored_pixels((tmp_path / "report.png").read_bytes()) > 5000
    page.close()


def test_the_money_a_billing_manager_opens_on_monday(settings, knowledge, keys, chromium,
                                                     tmp_path, capsys):
    """The partition in tiles, by week and by rule, test, payer and clinician, each table's
    total row the headline; denials by category, CARC and payer; the worklist by deadline:
    the same figures as `report --json`."""
    from bench.x12_835 import Paid, PaidClaim, remittance

    url = f"sqlite:///{tmp_path / 'money.sqlite'}"
    app = create_app(replace(settings, store_url=url), knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    run_scenario(app.test_client(), knowledge)
    app.extensions["moldx_cds"].recorder.close()
    denials = tmp_path / "denials.835"
    denials.write_text(remittance([
        PaidClaim("C", [Paid("81456", charge="1400", adjustments=(("CO", "96", "1400"),),
                             remarks=("N431",), control="sr-1")], patient="pat-C"),
        PaidClaim("E", [Paid("81445", adjustments=(("CO", "252", "1200"),),
                             remarks=("N706",), control="sr-1")], patient="pat-A"),
        PaidClaim("D", [Paid("81445", adjustments=(("PR", "1", "1200"),), control="sr-1")],
                  patient="pat-D"),
        PaidClaim("X", [Paid("81445", adjustments=(("OA", "18", "1200"),))],
                  patient="pat-Z")]))
    assert main(["remit", str(denials), "--store-url", url]) == 0
    capsys.readouterr()
    assert main(["report", "--store-url", url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    page_file = tmp_path / "money.html"
    assert main(["report", "--store-url", url, "--html", str(page_file)]) == 0
    outcomes = report["remittances"]["outcomes"]
    assert outcomes["warned-overridden"]["lines"] == 1  # C: not payable, overridden
    assert outcomes["fixed-still-denied"]["lines"] == 1  # A: Z-code fixed, denied all the same
    assert outcomes["no-order-found"]["lines"] == 1  # X: a duplicate of nothing we know
    buckets = report["money"]["buckets"]
    assert buckets["billed_to_patient"] == {"orders": 1, "amount": "1200.00"}  # D
    assert buckets["denied_after_override"] == {"orders": 1, "amount": "1400.00"}

    page = chromium.new_page(viewport={"width": 1100, "height": 900})
    page.goto(page_file.as_uri())
    headings = page.locator("h2").all_inner_texts()
    for heading in ("Money by week", "Money by rule", "Money by test", "Money by payer",
                    "Money by ordering clinician", "Denials by category",
                    "Denials by adjustment code", "Denials by payer",
                    "Denials that matched no order", "This week against last",
                    "Worklist: what to do, by deadline"):
        assert heading in headings
    tiles = page.locator(".tiles").nth(1).inner_text()
    assert f"${Decimal(report['money']['total']):,.2f}" in tiles
    assert "denied after an override (1)" in tiles and "$1,400.00" in tiles
    for table in ("rule", "test", "payer", "clinician"):
        total = page.locator(f'table[data-table="{table}"] tfoot th').last.inner_text()
        assert total == f"${Decimal(report['money']['total']):,.2f}", table
    by_test = page.locator('table[data-table="test"]').inner_text()
    for test, row in report["money"]["by_test"].items():
        assert test in by_test and f"${Decimal(row['total']):,.2f}" in by_test
    assert "sqlite:" not in page.locator(".meta").inner_text()  # the store in words
    payers = page.locator('table[data-table="payers"]').inner_text()
    assert "PAYER 02302 (02302)" in payers and "75%" in payers  # 3 of 4 lines denied
    bars = page.locator('svg[data-chart="categories"] rect.bar')
    amounts = [Decimal(bar.get_attribute("data-value")) for bar in bars.all()]
    assert len(amounts) == 3 and amounts == sorted(amounts, reverse=True)
    worklist = page.locator('table[data-table="worklist"] tbody tr')
    assert worklist.count() == len(report["worklist"]) == 4
    deadlines = [item["deadline"] for item in report["worklist"] if item["deadline"]]
    assert deadlines == sorted(deadlines)
    assert colored_pixels(page.locator('svg[data-chart="weeks"]').screenshot()) > 200
    page.screenshot(path=str(tmp_path / "money.png"), full_page=True)
    if shot := os.environ.get("MOLDX_CDS_REPORT_SCREENSHOT"):
        shutil.copy(tmp_path / "money.png", shot)  # to look at it as a billing manager
        shutil.copy(page_file, shot + ".html")
        for suffix in ("", "-wal"):
            if (tmp_path / f"money.sqlite{suffix}").exists():
                shutil.copy(tmp_path / f"money.sqlite{suffix}", f"{shot}.sqlite{suffix}")
    page.close()
