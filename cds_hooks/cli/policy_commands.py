"""`moldx-cds policy ...`: fill the policy store the service loads its coverage articles from."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

from tqdm import tqdm

from cds_hooks.cli.files import input_file_or_folder
from cds_hooks.common.settings import Settings, default_policy_store
from cds_hooks.coverage_api import BASE_URL, CoverageApi, sync_articles
from plugin.knowledge.mcd_export import Progress, import_export
from plugin.knowledge.policy_store import PolicyError, open_store


def add_policy_commands(commands: argparse._SubParsersAction) -> None:
    policy = commands.add_parser(
        "policy", help="load MolDX coverage articles into the policy store",
        description="Fill the policy store (a SQLite file) that the service loads the billing "
        "articles of its catalog from. Default store: $MOLDX_CDS_POLICY_STORE, else "
        f"{default_policy_store()}. Without a store the service uses the knowledge "
        "folder's own excerpt (the embedded demo pack).")
    actions = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)

    imported = actions.add_parser(
        "import", help="import the CMS MCD article export",
        description="Import the Medicare Coverage Database article export as CMS ships it "
        "(current_article.zip or all_article.zip, CSVs in a nested zip), a zip of its CSVs, or "
        "a folder of them. Every article version is kept with its effective dates; CPT "
        "descriptor columns are dropped. The store is replaced only when the import succeeds.")
    imported.add_argument("path", type=input_file_or_folder,
                          help="the export zip or a folder of its CSV files")
    _store_option(imported)
    imported.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                          help="show a progress bar on stderr (default: when it is a terminal)")
    imported.set_defaults(run=_import)

    sync = actions.add_parser(
        "sync", help="fetch articles from the CMS Coverage API",
        description="Fetch the current version of each article from the CMS Coverage API "
        "(accepting the AMA/ADA/AHA licences through its license-agreement token) into the "
        "store, next to the versions already there.")
    sync.add_argument("--article", action="append", required=True, metavar="ID",
                      help="article id, e.g. A57901 (repeat for several)")
    sync.add_argument("--base-url", default=BASE_URL, help="API base URL (default %(default)s)")
    _store_option(sync)
    sync.set_defaults(run=_sync)

    info = actions.add_parser("info", help="say what the policy store holds",
                              description="Print where the store came from and its row counts.")
    _store_option(info)
    info.set_defaults(run=_info)


def _store_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store", type=Path, metavar="FILE",
                         help="the policy store (default: $MOLDX_CDS_POLICY_STORE, else "
                         f"{default_policy_store()})")


def _store(args: argparse.Namespace) -> Path:
    return args.store or Settings.from_env().policy_store or default_policy_store()


def _failed(problems: list[str]) -> int:
    print("moldx-cds: policy not loaded:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 2


def _import(args: argparse.Namespace) -> int:
    store = _store(args)
    bars: list[tqdm] = []

    def start(total: int) -> Progress:
        bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="import",
                   file=sys.stderr, disable=not args.progress if args.progress is not None
                   else None, mininterval=0.5)
        bars.append(bar)
        return bar.update

    started = time.perf_counter()
    try:
        report = import_export(args.path, store, start)
    except PolicyError as bad:
        return _failed(bad.problems)
    finally:
        for bar in bars:
            bar.close()
    rows = report.rows
    print(f"moldx-cds: {rows['article']} article versions, {rows['article_x_icd10_covered']} "
          f"covered and {rows['article_x_icd10_noncovered']} non-covered ICD-10 rows, "
          f"{rows['article_x_hcpc_code']} CPT/HCPCS rows into {store} in "
          f"{time.perf_counter() - started:.1f} s (import {report.import_id})", file=sys.stderr)
    return 0


def _sync(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        synced = sync_articles(CoverageApi(args.base_url), args.article, store)
    except PolicyError as bad:
        return _failed(bad.problems)
    for s in synced:
        print(f"moldx-cds: {s.article} version {s.version}: "
              f"{s.rows['article_x_icd10_covered']} covered ICD-10 rows, "
              f"{s.rows['article_x_hcpc_code']} CPT/HCPCS rows into {store}", file=sys.stderr)
    return 0


def _info(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        with closing(open_store(store)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta ORDER BY key"))
    except (PolicyError, sqlite3.DatabaseError) as bad:
        return _failed(getattr(bad, "problems", [f"{store}: {bad}"]))
    print(f"store: {store}")
    for key, value in meta.items():
        print(f"{key}: {value}")
    return 0
