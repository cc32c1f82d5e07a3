"""A generated CMS MCD article export with the real file names and headers (the CMS Medicare
Coverage Database download, current_article) and about the size of the real one: 2,002 article
versions, 431,120 covered ICD-10 rows, 45,352 non-covered, 18,158 CPT/HCPCS, 27,064 contractor
rows.

The demo catalog's articles (A57901, A57891) are in it with two versions each and thousands of
codes, so that loading the catalog's articles from it is as heavy as from the real export.
Codes are real ICD-10-CM codes; titles, descriptions and paragraphs are filler of realistic
length; the CPT descriptor columns are filled so that the import is seen dropping them.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

from plugin.icd10cm import load_icd10cm

HEADERS = {
    "article.csv": "article_id,article_version,article_type,title,article_pub_date,"
    "article_eff_date,article_end_date,description,other_comments,sad_url,status,last_updated,"
    "history_exp,key_article,icd9_covered_para,icd9_noncovered_para,revenue_para,"
    "thirty_percent,article_rev_end_date,source_article_id,date_retired,keywords,icd10_doc,"
    "add_icd10_info,cms_cov_policy,display_id,reference_article",
    "article_x_hcpc_code.csv": "article_id,article_version,hcpc_code_id,hcpc_code_version,"
    "hcpc_code_group,range,last_updated,long_description,short_description",
    "article_x_icd10_covered.csv": "article_id,article_version,icd10_code_id,"
    "icd10_code_version,icd10_covered_group,range,last_updated,sort_order,description,asterisk",
    "article_x_icd10_covered_group.csv": "article_id,article_version,icd10_covered_group,"
    "paragraph,last_updated,icd10_covered_ast",
    "article_x_icd10_noncovered.csv": "article_id,article_version,icd10_code_id,"
    "icd10_code_version,icd10_noncovered_group,range,last_updated,sort_order,description",
    "article_x_contractor.csv": "article_id,article_version,article_type,contractor_id,"
    "contractor_type_id,contractor_version,last_updated",
    "article_related_documents.csv": "article_id,article_version,related_num,r_article_id,"
    "r_article_version,r_lcd_id,r_lcd_version,r_contractor_id,last_updated",
    "contractor.csv": "contractor_id,contractor_type_id,contractor_version,contractor_bus_name,"
    "contractor_number,dmerc_rgn,address1,city,state_id,zip_code,status,url,status_flag",
}
SIZES = {"article": 2002, "covered": 431_120, "noncovered": 45_352, "hcpc": 18_158,
         "contractor": 27_064, "related": 6_572}
CATALOG_ARTICLES = (57901, 57891)
STAMP = "2025-04-01 00:00:00"


def _versions(count: int) -> list[tuple[int, int, str, str]]:
    """(article_id, version, effective, revision end) for `count` article versions: the
    catalog's articles twice, the others once."""
    versions = []
    for article in CATALOG_ARTICLES:
        versions += [(article, 23, "2024-10-01 00:00:00", "2025-03-31 00:00:00"),
                     (article, 24, STAMP, "")]
    article = 50000
    while len(versions) < count:
        versions.append((article, 1, STAMP, ""))
        article += 1
    return versions


def _spread(total: int, versions: list, heavy: int) -> list[int]:
    """Rows per version: `heavy` for the catalog's articles, the rest evenly."""
    counts = [heavy if v[0] in CATALOG_ARTICLES else 0 for v in versions]
    rest = [i for i, c in enumerate(counts) if not c]
    left = total - sum(counts)
    for n, i in enumerate(rest):
        counts[i] = left // len(rest) + (1 if n < left % len(rest) else 0)
    return counts


def generate(folder: Path, seed: int = 7, scale: float = 1.0) -> dict[str, int]:
    """Write the CSVs into `folder`; returns the rows per file."""
    rng = random.Random(seed)
    codes = sorted(load_icd10cm().billable)
    sizes = {k: max(1, int(v * scale)) for k, v in SIZES.items()}
    versions = _versions(sizes["article"])
    folder.mkdir(parents=True, exist_ok=True)
    writers, handles = {}, []
    for name, header in HEADERS.items():
        handle = (folder / name).open("w", newline="", encoding="utf-8")
        handles.append(handle)
        writers[name] = csv.writer(handle)
        writers[name].writerow(header.split(","))
    rows = dict.fromkeys(HEADERS, 0)

    def put(name, *cells):
        writers[name].writerow(cells)
        rows[name] += 1

    filler = "Malignant neoplasm of overlapping sites of the specified organ, left side"
    paragraph = "<p>" + "The following ICD-10-CM codes support medical necessity. " * 8 + "</p>"
    for article, version, effective, end in versions:
        put("article.csv", article, version, 1, f"Billing and Coding: MolDX: Test {article}",
            effective, effective, "", "Filler description.", "", "", "A", effective, "", "",
            "", "", "", "", end, "", "", "", "", "", "", "", "")
        put("article_x_icd10_covered_group.csv", article, version, 1, paragraph, effective, "")
        put("article_x_contractor.csv", article, version, 1, 359, 12, 1, effective)
    heavy = 6000 if sizes["covered"] > 100_000 else 50
    for (article, version, effective, _), count in zip(
            versions, _spread(sizes["covered"], versions, heavy), strict=True):
        start = rng.randrange(len(codes) - count) if count < len(codes) else 0
        for n, code in enumerate(codes[start:start + count]):
            put("article_x_icd10_covered.csv", article, version, code, 1, 1 + n % 3, "",
                effective, n, filler, "")
    for (article, version, effective, _), count in zip(
            versions, _spread(sizes["noncovered"], versions, 200), strict=True):
        for n in range(count):
            put("article_x_icd10_noncovered.csv", article, version, rng.choice(codes), 1, 1,
                "", effective, n, filler)
    cpts = [str(c) for c in range(81105, 81480)]
    for (article, version, effective, _), count in zip(
            versions, _spread(sizes["hcpc"], versions, 12), strict=True):
        for n in range(count):
            put("article_x_hcpc_code.csv", article, version, cpts[(article + n) % len(cpts)],
                1, 1, "", effective, "AMA CPT LONG DESCRIPTOR (dropped on import)",
                "AMA SHORT DESCRIPTOR")
    for (article, version, effective, _), count in zip(
            versions, _spread(sizes["related"], versions, 2), strict=True):
        for n in range(count):
            put("article_related_documents.csv", article, version, n + 1, "", "",
                38000 + n, 10, 359, effective)
    for n in range(120):
        put("contractor.csv", 300 + n, 12, 1, "Filler Contractor, LLC", f"{n:05d}", "",
            "1 Main St", "Fargo", 35, "58102", "A", "https://example.org", "Y")
    put("contractor.csv", 359, 12, 1, "Noridian Healthcare Solutions, LLC", "02302", "",
        "900 42nd St S", "Fargo", 38, "58103", "A", "https://med.noridianmedicare.com", "Y")
    for handle in handles:
        handle.close()
    return rows


def nested_zip(folder: Path, path: Path) -> Path:
    """current_article.zip as CMS ships it: an Access file and a zip of the CSVs."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as csvs:
        for file in sorted(folder.glob("*.csv")):
            csvs.write(file, f"current_article_csv/{file.name}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as outer:
        outer.writestr("current_article.mdb", b"\0" * 1024)
        outer.writestr("current_article_csv.zip", inner.getvalue())
    return path
