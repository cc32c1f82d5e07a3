"""Importing the CMS MCD article export into the policy store, and loading it back."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import date

import pytest

from plugin.knowledge.mcd_export import import_export, policy_from_export
from plugin.knowledge.policy_store import TABLES, PolicyError, load_policy_file
from tests.mcd_packs import DEMO_PACK, add_version, copy_pack, nested_zip, read, write


def _count(store, table):
    with sqlite3.connect(store) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_folder_and_the_zip_cms_ships_import_alike(tmp_path):
    from_folder = import_export(DEMO_PACK, tmp_path / "a.sqlite")
    from_zip = import_export(nested_zip(DEMO_PACK, tmp_path / "current_article.zip"),
                             tmp_path / "b.sqlite")
    assert from_folder.rows == from_zip.rows
    assert from_folder.import_id == from_zip.import_id  # the same CSV bytes
    _, covered = read(DEMO_PACK, "article_x_icd10_covered.csv")
    assert from_folder.rows["article_x_icd10_covered"] == len(covered)


def test_a_plain_zip_of_the_csvs_imports_too(tmp_path):
    plain = tmp_path / "csvs.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        for file in DEMO_PACK.glob("*.csv"):
            archive.write(file, file.name)
    report = import_export(plain, tmp_path / "p.sqlite")
    assert report.rows["article"] == len(read(DEMO_PACK, "article.csv")[1])


def test_cpt_descriptor_columns_are_not_stored(tmp_path):
    pack = copy_pack(tmp_path / "pack")
    header, rows = read(pack, "article_x_hcpc_code.csv")
    for row in rows:
        row["long_description"] = "DESCRIPTOR TEXT OF THE AMA"
        row["short_description"] = "SHORT AMA TEXT"
    write(pack, "article_x_hcpc_code.csv", header, rows)
    store = tmp_path / "p.sqlite"
    import_export(pack, store)
    with sqlite3.connect(store) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(article_x_hcpc_code)")]
        assert "long_description" not in columns and "short_description" not in columns
        assert _count(store, "article_x_hcpc_code") == len(rows)
    assert b"AMA" not in store.read_bytes()


def test_every_version_keeps_its_effective_window(tmp_path):
    pack = copy_pack(tmp_path / "pack")
    add_version(pack, "57901", "25", "2026-01-01", "2025-12-31", add_covered=("C78.01",))
    store = tmp_path / "p.sqlite"
    import_export(pack, store)
    policy = load_policy_file(store, ["A57901"])
    v24 = policy.version_on("A57901", date(2025, 12, 31))
    v25 = policy.version_on("A57901", date(2026, 1, 1))
    assert (v24.version, v24.effective_to) == (24, date(2025, 12, 31))
    assert (v25.version, v25.effective_to) == (25, None)
    assert not v24.covers("C78.01") and v25.covers("C78.01")
    assert policy.version_on("A57901", date(2025, 3, 31)) is None  # before v24 began


def test_only_the_articles_asked_for_are_loaded(tmp_path):
    policy = policy_from_export(DEMO_PACK, ["A57901", "A99999"])
    assert set(policy.versions) == {"A57901"}
    article = policy.version_on("A57901", date(2026, 3, 2))
    _, codes = read(DEMO_PACK, "article_x_hcpc_code.csv")
    assert article.cpts == {r["hcpc_code_id"] for r in codes if r["article_id"] == "57901"}
    assert article.contract_numbers == {"02302"}  # via the contractor lookup
    assert article.lcds == ("L38121",)


def test_a_bad_value_names_file_line_and_column(tmp_path):
    pack = copy_pack(tmp_path / "pack")
    header, rows = read(pack, "article.csv")
    rows[1]["article_eff_date"] = "31/31/2025"
    write(pack, "article.csv", header, rows)
    with pytest.raises(PolicyError) as failure:
        import_export(pack, tmp_path / "p.sqlite")
    assert failure.value.problems == [
        "pack/article.csv, line 3, column article_eff_date: '31/31/2025' is not a date "
        "(YYYY-MM-DD or MM/DD/YYYY)"]


def test_a_missing_column_is_named(tmp_path):
    pack = copy_pack(tmp_path / "pack")
    header, rows = read(pack, "article_x_icd10_covered.csv")
    header.remove("icd10_covered_group")
    write(pack, "article_x_icd10_covered.csv", header,
          [{k: v for k, v in r.items() if k in header} for r in rows])
    with pytest.raises(PolicyError, match=r"article_x_icd10_covered.csv, line 1: missing "
                                          r"column\(s\) icd10_covered_group"):
        import_export(pack, tmp_path / "p.sqlite")


def test_a_missing_table_and_a_wrong_file_are_named(tmp_path):
    pack = copy_pack(tmp_path / "pack")
    (pack / "article_x_icd10_covered.csv").unlink()
    with pytest.raises(PolicyError, match="no article_x_icd10_covered.csv in it"):
        import_export(pack, tmp_path / "p.sqlite")
    not_a_zip = tmp_path / "current_article.zip"
    not_a_zip.write_text("hello")
    with pytest.raises(PolicyError, match="not a zip file or a folder of CSV files"):
        import_export(not_a_zip, tmp_path / "p.sqlite")


def test_a_failed_import_leaves_the_store_as_it_was(tmp_path):
    store = tmp_path / "p.sqlite"
    import_export(DEMO_PACK, store)
    before = store.read_bytes()
    pack = copy_pack(tmp_path / "pack")
    (pack / "article.csv").write_text("article_id,article_version\n1,1\n")
    with pytest.raises(PolicyError):
        import_export(pack, store)
    assert store.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".partial"] == []


def test_the_store_holds_every_table(tmp_path):
    store = tmp_path / "p.sqlite"
    import_export(DEMO_PACK, store)
    with sqlite3.connect(store) as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {t.name for t in TABLES} <= names
