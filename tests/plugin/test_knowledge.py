"""Loading the lab, catalog and payers: validation that names file, line and column."""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from plugin.codes import CodeKind
from plugin.knowledge import DEMO_DIR, CoverageRules, KnowledgeError, load_knowledge


def _demo_rows(name: str) -> list[dict]:
    with (DEMO_DIR / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def lab_dir(tmp_path: Path) -> Path:
    """A writable copy of the demo knowledge."""
    target = tmp_path / "lab"
    shutil.copytree(DEMO_DIR, target)
    return target


def _rewrite(path: Path, edit) -> None:
    """Apply `edit(rows)` to a CSV file and write it back with the same header."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    edit(rows)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def test_demo_knowledge_loads_every_row(knowledge):
    assert knowledge.lab.name == _demo_rows("lab.csv")[0]["name"]
    assert len(knowledge.catalog) == len(_demo_rows("catalog.csv"))
    assert len(knowledge.payers) == len(_demo_rows("payers.csv"))
    assert len(knowledge.version) == 12


def test_every_catalog_row_is_found_by_test_zcode_and_date(knowledge):
    for row in _demo_rows("catalog.csv"):
        start = date.fromisoformat(row["effective_from"])
        found = knowledge.catalog.row_on(row["test_code"], start)
        assert found is not None and found.zcode == row["zcode"]
        assert knowledge.catalog.test_for_zcode(row["zcode"]) == row["test_code"]
        assert knowledge.catalog.row_on(row["test_code"], start - timedelta(days=1)) is None \
            or found.effective_from == start


def test_a_test_with_two_periods_answers_by_date(knowledge):
    rows = knowledge.catalog.rows("CMD-MSI")
    assert len(rows) == 2
    first, second = rows
    assert knowledge.catalog.row_on("CMD-MSI", first.effective_to) == first
    assert knowledge.catalog.row_on("CMD-MSI", second.effective_from) == second
    assert knowledge.catalog.superseded("CMD-MSI", second.effective_from, CodeKind.ZCODE,
                                        first.zcode) == first


def test_payers_are_found_by_identifier_system_and_value(knowledge):
    for row in _demo_rows("payers.csv"):
        payer = knowledge.payers.find(row["identifier_system"], row["identifier_value"])
        assert payer is not None and payer.name == row["payer_name"]
        assert knowledge.payers.find("urn:other", row["identifier_value"]) is None


def test_a_payer_without_zcode_rules_never_requires_them(knowledge):
    for payer in knowledge.payers:
        if payer.coverage_rules is CoverageRules.NONE:
            assert not payer.requires_zcode_on(date(2030, 1, 1))
        elif payer.zcode_required_from:
            day = payer.zcode_required_from
            assert payer.requires_zcode_on(day)
            assert not payer.requires_zcode_on(day - timedelta(days=1))


@pytest.mark.parametrize(("column", "value", "message"), [
    ("zcode", "ZL5H", "is not a Z-code"),
    ("effective_from", "2024-13-01", "is not a date"),
    ("dex_status", "approved", "is not one of"),
    ("gene_count", "many", "is not a whole number"),
    ("cpt", "8144", "is not a CPT code"),
    ("list_price_usd", "-5", "is not an amount"),
    ("policy_article", "57901", "is not an article id"),
    ("specimen_type", "urine", "is not one of tissue, plasma, blood, bone-marrow"),
    ("neoplasm", "benign", "is not one of solid, hematolymphoid"),
    ("panel_kind", "mrd", "is not one of"),
])
def test_a_bad_cell_names_file_line_and_column(lab_dir, column, value, message):
    _rewrite(lab_dir / "catalog.csv", lambda rows: rows[2].update({column: value}))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(lab_dir)
    [problem] = error.value.problems
    assert problem.startswith(f"catalog.csv, line 4, column {column}: {value!r} {message}")


def test_every_bad_row_is_reported_at_once(lab_dir):
    def spoil(rows):
        rows[0]["zcode"] = "bad"
        rows[5]["effective_to"] = "2020-01-01"  # before its effective_from

    _rewrite(lab_dir / "catalog.csv", spoil)
    _rewrite(lab_dir / "payers.csv", lambda rows: rows[1].update({"coverage_rules": "maybe"}))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(lab_dir)
    places = [p.split(":")[0] for p in error.value.problems]
    assert places == ["catalog.csv, line 2, column zcode",
                      "catalog.csv, line 7, column effective_to",
                      "payers.csv, line 3, column coverage_rules"]


def test_a_covered_test_needs_its_cpt(lab_dir):
    _rewrite(lab_dir / "catalog.csv", lambda rows: rows[0].update({"cpt": ""}))
    with pytest.raises(KnowledgeError, match="line 2, column cpt: a covered test needs"):
        load_knowledge(lab_dir)


def test_overlapping_periods_of_one_test_are_refused(lab_dir):
    def overlap(rows):
        first = next(r for r in rows if r["test_code"] == "CMD-MSI")
        first["effective_to"] = ""  # open-ended, so it overlaps the next period

    _rewrite(lab_dir / "catalog.csv", overlap)
    with pytest.raises(KnowledgeError, match="period of CMD-MSI overlaps"):
        load_knowledge(lab_dir)


def test_one_zcode_for_two_tests_is_refused(lab_dir):
    def share(rows):
        rows[1]["zcode"] = rows[0]["zcode"]

    _rewrite(lab_dir / "catalog.csv", share)
    with pytest.raises(KnowledgeError, match="line 3, column zcode: Z-code .* already belongs"):
        load_knowledge(lab_dir)


def test_a_payer_listed_twice_is_refused(lab_dir):
    _rewrite(lab_dir / "payers.csv", lambda rows: rows.append(dict(rows[0])))
    with pytest.raises(KnowledgeError, match="payers.csv, line 6, column identifier_value"):
        load_knowledge(lab_dir)


def test_missing_column_and_missing_file_are_named(lab_dir):
    text = (lab_dir / "lab.csv").read_text().replace("test_code_system", "code_system")
    (lab_dir / "lab.csv").write_text(text)
    (lab_dir / "payers.csv").unlink()
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(lab_dir)
    assert "lab.csv, line 1: missing column(s) test_code_system" in error.value.problems
    assert any(p.endswith("payers.csv: file not found") for p in error.value.problems)


def test_lab_needs_exactly_one_row(lab_dir):
    _rewrite(lab_dir / "lab.csv", lambda rows: rows.append(dict(rows[0])))
    with pytest.raises(KnowledgeError, match="expected exactly one lab row, found 2"):
        load_knowledge(lab_dir)


def test_a_folder_that_is_not_there(tmp_path):
    with pytest.raises(KnowledgeError, match="not a folder"):
        load_knowledge(tmp_path / "nowhere")


def test_a_bad_component_names_file_line_and_column(lab_dir):
    _rewrite(lab_dir / "catalog.csv", lambda rows: rows[2].update({"components": "MSI FISH"}))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(lab_dir)
    [problem] = error.value.problems
    assert problem.startswith("catalog.csv, line 4, column components: 'FISH' is not one of "
                              "MSI, TMB, CNV, RNA, LOH")


def test_a_catalog_without_the_new_columns_loads_unchanged(lab_dir):
    """specimen_type, components and neoplasm are optional: today's layout still loads, and
    says nothing about them."""
    path = lab_dir / "catalog.csv"
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header = [c for c in reader.fieldnames
                  if c not in ("specimen_type", "components", "neoplasm")]
        rows = [{c: r[c] for c in header} for r in reader]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    catalog = load_knowledge(lab_dir).catalog
    assert len(catalog) == len(_demo_rows("catalog.csv"))
    assert all(r.specimen_type is None and r.components is None and r.neoplasm is None
               for r in catalog)


def test_the_demo_lab_has_the_panels_the_article_codes_differently(knowledge):
    rows = {r.test_code: r for r in knowledge.catalog}
    assert rows["CMD-CF30"].specimen_type.value == "plasma"  # plasma panel
    assert rows["CMD-PAN-PLA"].cpt.endswith("U")  # a PLA-coded test
    assert rows["CMD-FUS55"].nucleic_acid.value == "RNA" and rows["CMD-FUS55"].gene_count > 50
    assert rows["CMD-MRD16"].panel_kind.value == "other"  # an MRD-style test
