"""The claim room's fixtures: the synthetic 837P files and the demo lab with two changes that
let the last two rules speak (a test whose billing article is not loaded, an article version
that does not list the lab's PLA code)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plugin.knowledge import DEMO_DIR, load_knowledge

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
