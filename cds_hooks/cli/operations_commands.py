"""`moldx-cds db ...` and `moldx-cds report`: the store's schema, and what it tells."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cds_hooks.common.settings import Settings, data_dir, store_url

T = TypeVar("T")


def add_operations_commands(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser(
        "db", help="migrate the store's schema",
        description="The store (MOLDX_CDS_STORE_URL: a SQLite file by default, PostgreSQL by "
        "URL) is migrated with the Alembic revisions shipped in the package. The service does "
        "this itself at start unless MOLDX_CDS_STORE_AUTO_UPGRADE=off; then run `db upgrade` "
        "before starting a new version.")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply the migrations the store lacks",
                                 description="Apply the migrations the store lacks (safe to "
                                 "run while replicas start: upgrades wait for each other).")
    store_url_option(upgrade)
    upgrade.add_argument("--revision", default="head",
                         help="the revision to reach (default: the latest)")
    upgrade.set_defaults(run=_db_upgrade)
    current = actions.add_parser("current", help="print the store's revision and the latest",
                                 description="Print the revision the store is at and the "
                                 "latest one this version ships. Exit status 1 when behind.")
    store_url_option(current)
    current.set_defaults(run=_db_current)

    report = commands.add_parser(
        "report", help="report findings, feedback, fixes and where the money went",
        description="Read the store and report: hook calls; findings per rule; cards accepted "
        "and overridden per rule, with the override reasons; orders flagged and fixed (a later "
        "call for the same order found the warning gone), at list price; each order's "
        "dollars in one bucket (open, fixed, paid, billed to the patient, taken back, denied "
        "after an override, not acted on, though fixed, or missed), by rule, test, payer, "
        "clinician and week; and, with remittances imported (`moldx-cds remit`), denials by "
        "category, adjustment code and payer, unmatched denials, first-pass clean claims and "
        "the worklist; and the clients' order codes that named no test of the catalog. A "
        "table on the terminal, or CSV, JSON (docs/report.md), or a self-contained HTML page "
        "with charts.")
    store_url_option(report)
    since_option(report, "calls, feedback and remittances")
    shape = report.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_true", help="CSV on standard output, a row per "
                       "rule and one for all rules")
    shape.add_argument("--json", action="store_true", help="JSON on standard output")
    shape.add_argument("--html", type=Path, metavar="FILE",
                       help="write an HTML page with charts to FILE")
    shape.add_argument("--aliases-csv", action="store_true",
                       help="the order codes that named no test, as rows of the knowledge "
                       "folder's aliases.csv (system,code,test_code,issuer) with test_code "
                       "empty, on standard output")
    report.set_defaults(run=_report)


def store_url_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store-url", metavar="URL",
                         help="SQLAlchemy URL of the store, or a SQLite file's path "
                         "(default: $MOLDX_CDS_STORE_URL, else store.sqlite in the data "
                         f"folder, {data_dir()})")


def since_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--since", metavar="DATE", help=f"only {what} from this date "
                         "(YYYY-MM-DD, UTC) or ISO 8601 date-time on")


def read_store(args: argparse.Namespace, read: Callable[[Any, datetime | None], T]) -> T | None:
    """`read(store, since)` of the store `args` name, from `--since`; None, having said why
    on standard error, when the date is wrong or the store missing, behind or unreadable."""
    from cds_hooks.report.summary import parse_since
    from cds_hooks.store.db import StoreError

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as bad:
        print(f"moldx-cds: --since: {bad}", file=sys.stderr)
        return None
    store = store_of(args)
    if store_missing(store):
        return None
    print(f"moldx-cds: reading the store at {store.display_url()} ...", file=sys.stderr)
    try:
        if store_behind(store):
            return None
        return read(store, since)
    except StoreError as bad:
        print(f"moldx-cds: the store at {store.display_url()} cannot be read: {bad}",
              file=sys.stderr)
        return None


def store_of(args: argparse.Namespace):
    from cds_hooks.store.db import Store

    settings = Settings.from_env()
    url = store_url(args.store_url) if args.store_url else settings.store_url
    return Store(url, timeout=settings.store_timeout)


def store_missing(store) -> bool:
    """Whether the store is a SQLite file that does not exist; then say where it was looked
    for, and why there. Reading must not create it (SQLite makes a file on connecting)."""
    if store.sqlite_file is None or store.sqlite_file.exists():
        return False
    print(f"moldx-cds: no store at {store.sqlite_file}: the service has not run with it yet. "
          "It is looked for at --store-url, else $MOLDX_CDS_STORE_URL, else store.sqlite in "
          f"the data folder ({data_dir()}).", file=sys.stderr)
    return True


def make_if_new(store) -> None:
    """Give a new store (a SQLite file not there yet, or an empty database) its schema, as the
    service does at start, and say where it is. Raises StoreError."""
    from cds_hooks.store import migrate

    if store.sqlite_file is not None and not store.sqlite_file.exists():
        store.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    elif migrate.current(store) is not None:
        return
    _, after = migrate.upgrade(store)
    print(f"moldx-cds: made a new store at {store.display_url()} (schema {after})",
          file=sys.stderr)


def store_behind(store) -> bool:
    """Whether the store is not at the latest schema (or empty); then say what to run. Raises
    StoreError when it cannot be read."""
    from cds_hooks.store import migrate

    if migrate.current(store) == migrate.head():
        return False
    print(f"moldx-cds: the store at {store.display_url()} is not at the latest schema "
          "(or empty): run `moldx-cds db upgrade` first", file=sys.stderr)
    return True


def _db_upgrade(args: argparse.Namespace) -> int:
    from cds_hooks.store import migrate
    from cds_hooks.store.db import StoreError

    store = store_of(args)
    if store.sqlite_file:
        store.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    print(f"moldx-cds: upgrading the store at {store.display_url()} ...", file=sys.stderr)
    try:
        before, after = migrate.upgrade(store, args.revision)
    except StoreError as bad:
        print(f"moldx-cds: the store at {store.display_url()} cannot be upgraded: {bad}",
              file=sys.stderr)
        return 2
    print(f"moldx-cds: store at {after}" + (f" (was {before or 'empty'})"
                                             if before != after else " (already)"),
          file=sys.stderr)
    return 0


def _db_current(args: argparse.Namespace) -> int:
    from cds_hooks.store import migrate
    from cds_hooks.store.db import StoreError

    store = store_of(args)
    if store_missing(store):
        return 2
    try:
        revision = migrate.current(store)
    except StoreError as bad:
        print(f"moldx-cds: the store at {store.display_url()} cannot be read: {bad}",
              file=sys.stderr)
        return 2
    print(f"store {store.display_url()}: revision {revision or '(empty)'}; latest "
          f"{migrate.head()}")
    return 0 if revision == migrate.head() else 1


def _report(args: argparse.Namespace) -> int:
    from cds_hooks.report import summary as report

    if args.aliases_csv:
        from cds_hooks.report.unnamed import alias_rows, unnamed_codes

        codes = read_store(args, unnamed_codes)
        if codes is None:
            return 2
        csv.writer(sys.stdout, lineterminator="\n").writerows(alias_rows(codes))
        return 0
    data = read_store(args, report.build)
    if data is None:
        return 2
    if args.html:
        from cds_hooks.report.html import render

        try:
            args.html.write_text(render(data), encoding="utf-8")
        except OSError as bad:
            print(f"moldx-cds: cannot write {args.html}: {bad}", file=sys.stderr)
            return 2
        print(f"moldx-cds: wrote {args.html} ({data.total_calls} calls, {len(data.rules)} "
              "rules)", file=sys.stderr)
    elif args.csv:
        csv.writer(sys.stdout, lineterminator="\n").writerows(report.csv_rows(data))
    elif args.json:
        print(json.dumps(data.as_json(), indent=2))
    else:
        print(report.table(data))
    return 0
