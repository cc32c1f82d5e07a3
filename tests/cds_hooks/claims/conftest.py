"""The claim room's fixtures: the synthetic 837P files and the demo lab with two changes that
let the last two rules speak (a test whose billing article is not loaded, an article version
that does not list the lab's PLA code)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from plugin.knowledge import DEMO_DIR, load_knowledge
from tests.processes import moldx_cds

X12 = Path(__file__).resolve().parents[3] / "fixtures" / "x12"


def x12_text(name: str) -> str:
    return (X12 / name).read_text()


@pytest.fixture(scope="session")
def variant_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("knowledge") / "lab"
    shutil.copytree(DEMO_DIR, folder)
    catalog = folder / "catalog.csv"
    rows = catalog.read_text().splitlines(keepends=True)
    catalog.write_text("".join(r.replace(
        "covered,2024-04-01,,,350.00", "covered,2024-04-01,,A59999,350.00")
        if r.startswith("CMD-EGFR,") else r for r in rows))
    codes = folder / "mcd" / "article_x_hcpc_code.csv"
    codes.write_text("".join(r for r in codes.read_text().splitlines(keepends=True)
                             if ",0244U," not in r))
    return folder


@pytest.fixture(scope="session")
def variant(variant_dir):
    return load_knowledge(variant_dir)


@dataclass
class Doors:
    """One 837P as the three doors answer it: `scrub --json`, `scrub --fix` and
    POST /claims/scrub."""

    source: str
    lines: dict[tuple[str, str], dict]  # (CLM01, LX01) -> the line of `scrub --json`
    fixed: str  # the file --fix wrote
    fixed_count: int  # "N segment(s) fixed"
    posted: dict  # the JSON of POST /claims/scrub


@pytest.fixture
def doors(client, settings, tmp_path):
    """The command and the service share the service's store (its schema made by the app)."""
    def run(text: str) -> Doors:
        source, out = tmp_path / "in.837", tmp_path / "fixed.837"
        source.write_bytes(text.encode("latin-1"))
        command = moldx_cds("scrub", str(source), "--json", "--fix", str(out),
                            "--store-url", settings.store_url, cwd=tmp_path)
        assert command.returncode in (0, 1), command.stderr
        answer = json.loads(command.stdout)
        lines = {(c["claim"], line["line"]): line for c in answer["claims"]
                 for line in c["lines"]}
        count = re.search(r"(\d+) segment\(s\) fixed", command.stderr)
        assert count, command.stderr
        response = client.post("/claims/scrub", data=text.encode("latin-1"),
                               content_type="application/edi-x12")
        assert response.status_code == 200, response.get_data(as_text=True)
        return Doors(text, lines, out.read_bytes().decode("latin-1"), int(count[1]),
                     response.get_json())
    return run
