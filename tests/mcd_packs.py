"""Policy packs for tests, built from the embedded demo pack in the CMS export layout."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

from plugin.knowledge import DEMO_DIR

DEMO_PACK = DEMO_DIR / "mcd"


def copy_knowledge(destination: Path) -> Path:
    """A copy of the whole embedded demo knowledge folder, to change for one test."""
    shutil.copytree(DEMO_DIR, destination)
    return destination


def copy_pack(destination: Path) -> Path:
    shutil.copytree(DEMO_PACK, destination)
    return destination


def read(pack: Path, name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (pack / name).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write(pack: Path, name: str, header: list[str], rows: list[dict[str, str]]) -> None:
    with (pack / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def add_version(pack: Path, article_id: str, version: str, effective: str, previous_end: str,
                *, add_covered: tuple[str, ...] = (), noncovered: tuple[str, ...] = ()) -> None:
    """A new version of an article: a copy of its latest rows in every table, effective from
    `effective`, with codes added to its covered group 1 and a non-covered list; the previous
    version ends on `previous_end` (as CMS writes it: article_rev_end_date)."""
    for name in [p.name for p in pack.glob("article*.csv")]:
        header, rows = read(pack, name)
        if "article_id" not in header:
            continue
        mine = [r for r in rows if r["article_id"] == article_id]
        latest = max((int(r["article_version"]) for r in mine), default=None)
        new = [{**r, "article_version": version} for r in mine
               if int(r["article_version"]) == latest]
        if name == "article.csv":
            for row in rows:
                if row["article_id"] == article_id:
                    row["article_rev_end_date"] = f"{previous_end} 00:00:00"
            new = [{**r, "article_eff_date": effective, "article_rev_end_date": ""}
                   for r in new]
        if name == "article_x_icd10_covered.csv":
            new += [{**new[0], "icd10_code_id": code, "description": ""}
                    for code in add_covered]
        if name == "article_x_icd10_noncovered.csv":
            new = [{"article_id": article_id, "article_version": version,
                    "icd10_code_id": code, "icd10_code_version": "1",
                    "icd10_noncovered_group": "1", "range": "", "last_updated": effective,
                    "sort_order": str(i), "description": ""} for i, code in enumerate(noncovered)]
        write(pack, name, header, rows + new)


def nested_zip(pack: Path, path: Path) -> Path:
    """`current_article.zip` as CMS ships it: an Access database and a zip of the CSVs."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as csvs:
        for file in sorted(pack.glob("*.csv")):
            csvs.write(file, f"current_article_csv/{file.name}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as outer:
        outer.writestr("current_article.mdb", b"Standard Jet DB (not read)")
        outer.writestr("current_article_csv.zip", inner.getvalue())
    return path
