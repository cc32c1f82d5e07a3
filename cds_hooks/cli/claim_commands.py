"""`moldx-cds scrub`: the lab's 837P checked by the order rules before it leaves, with the
certain fixes written to a new file."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cds_hooks.claims.fix import fixed_text
from cds_hooks.claims.scrub import scrub
from cds_hooks.claims.x12 import X12Invalid
from cds_hooks.cli.files import input_file
from cds_hooks.common import text_table
from cds_hooks.store.claim_history import LOOK_BACK_DAYS
from plugin.knowledge import Knowledge

from .operations_commands import (
    make_if_new,
    read_store,
    since_option,
    store_behind,
    store_of,
    store_url_option,
)

KnowledgeOf = Callable[[argparse.Namespace], Knowledge | None]


def add_claim_commands(commands: argparse._SubParsersAction,
                       knowledge_option: Callable[[argparse.ArgumentParser], None],
                       knowledge_of: KnowledgeOf) -> None:
    command = commands.add_parser(
        "scrub", help="check an 837P claim file before it is sent",
        description="Read an 837P (005010X222A1), validate it with pyx12, and check every "
        "service line with the rules the orders get: per claim (CLM01) and line (LX01) its "
        "CPT, Z-code and claim edits (rule, severity, message, fix). Exit status: 0 no "
        "warning and every check ran; 1 at least one warning, or checks skipped because a "
        "line's payer is not in the lab's payer list; 2 the file is not valid 5010 (the "
        "segment, element and line of the first error are named) or the knowledge could "
        "not be read. The lines, and whether each claim was clean, are kept in the store "
        "(for the report's first-pass clean-claim rate), and each claim is checked with the "
        "same patient's claims of "
        f"earlier files whose date of service is up to {LOOK_BACK_DAYS} days before its own "
        "(a repeat comprehensive genomic profile); a claim scrubbed again replaces its lines. "
        "Without a store at the latest schema (`moldx-cds db upgrade`) that look back is "
        "skipped, and said.")
    command.add_argument("file", type=input_file, help="the 837P file")
    command.add_argument("--json", action="store_true", help="print the edits as JSON")
    command.add_argument("--fix", type=Path, metavar="OUT",
                         help="write the 837P with every certain fix applied to OUT (the "
                         "catalog's Z-code into SV101-7, CPT in SV101-2, one unit in SV104, "
                         "only on a line under the lab's NPI, without modifier 90, with no code "
                         "naming another test; an HI diagnosis without its dot); every other "
                         "byte as it was")
    knowledge_option(command)
    store_url_option(command)
    command.set_defaults(run=_scrub, knowledge_of=knowledge_of)

    remit = commands.add_parser(
        "remit", help="import an 835 remittance and link its denials to the order checks",
        description="Read an 835 (005010X221A1) and keep each adjudicated line once (by "
        "payer, CLP01, CLP02, CLP07 and line: the same remittance sent again in another file "
        "is not counted twice), with every adjustment (group, CARC, amount) and remark code; "
        "a claim's own adjustments (Loop 2100 CAS) are line 0. Reversals (CLP02 22) and "
        "their corrections net against the line they reverse. Per claim (CLP01) and line: "
        "the amounts, the codes, the category (zcode, medical-necessity, non-covered, "
        "missing-info, modifier, diagnosis-inconsistent, frequency, bundling, duplicate, "
        "other; patient-responsibility, paid, reversed) and, for a denied line, what the "
        "order check had said: warned-overridden, warned-not-fixed, fixed-still-denied, "
        "not-warned (a miss) or no-order-found, counting only a warning that could explain "
        "the denial (a Z-code warning does not explain a medical-necessity, duplicate or "
        "bundling denial). Lines link to orders by REF*6R (the ServiceRequest id), else by "
        "patient, CPT and date of service. A store that does not exist yet is made, as the "
        "service makes it. Exit status 0; 2 when the file is not valid 5010 or the store "
        "cannot be used.")
    remit.add_argument("file", type=input_file, help="the 835 file")
    remit.add_argument("--json", action="store_true", help="print the lines as JSON")
    store_url_option(remit)
    remit.set_defaults(run=_remit)

    work = commands.add_parser(
        "worklist", help="the denied, reversed and patient-owed lines to act on, by deadline",
        description="Every denied, reversed or patient-owed line of the imported remittances "
        "(`moldx-cds remit`) with what to do: correct and resubmit (CO-16, CO-252, CO-4, "
        "bundling), appeal (CO-50, CO-96, CO-11, CO-151), bill the patient (PR), nothing (a "
        "duplicate of a paid line), check the corrected claim (a reversal), review (other); "
        "its deadline (an appeal: Medicare redetermination, 120 days from the remittance; a "
        "resubmission: timely filing, 12 months from the date of service), the order-time "
        "decision it links to, the claim, the billed charge and the amount at stake. The "
        "nearest deadline first.")
    store_url_option(work)
    since_option(work, "lines imported")
    shape = work.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="JSON on standard output")
    shape.add_argument("--csv", action="store_true", help="CSV on standard output")
    work.set_defaults(run=_worklist)


REMIT_HEADER = ("CLAIM", "LINE", "CPT", "CHARGE", "PAID", "CODES", "CATEGORY", "OUTCOME",
                "ORDER")


def _remit(args: argparse.Namespace) -> int:
    from cds_hooks.claims.remit import import_remittance
    from cds_hooks.store.db import StoreError
    from cds_hooks.store.history import histories
    from cds_hooks.store.remittances import lines

    store = store_of(args)  # the orders the remittance answers are looked for there
    try:
        data = args.file.read_bytes()
        make_if_new(store)  # a biller may import before the service has ever run
        if store_behind(store):
            return 2
        _, keys, new = import_remittance(store, data)
        linked = lines(store, histories(store), keys)
    except OSError as bad:
        print(f"moldx-cds: cannot read {args.file}: {bad.strerror or bad}", file=sys.stderr)
        return 2
    except X12Invalid as bad:
        print(f"moldx-cds: {args.file} is not valid 5010: {bad}", file=sys.stderr)
        return 2
    except StoreError as bad:
        print(f"moldx-cds: the store at {store.display_url()} cannot be used: {bad}",
              file=sys.stderr)
        return 2
    print(f"moldx-cds: {args.file}: {new} line(s) imported" + (
        f", {len(keys) - new} already imported before (not counted again)"
        if len(keys) > new else ""), file=sys.stderr)
    if args.json:
        print(json.dumps({"imported": new > 0, "new_lines": new,
                          "lines": [line.as_json() for line in linked]}, indent=2))
    else:
        rows = [REMIT_HEADER] + [(
            line.claim, str(line.line_no), line.cpt or "-", str(line.charge), str(line.paid),
            " ".join(line.codes + line.remarks) or "-", line.category.value,
            line.outcome.value if line.outcome else "-",
            line.order.key[2] if line.order else "-") for line in linked]
        print(text_table.render(rows))
    return 0


def _worklist(args: argparse.Namespace) -> int:
    from cds_hooks.report.summary import inert_cell, printable
    from cds_hooks.report.worklist import COLUMNS, worklist
    from cds_hooks.store.history import histories
    from cds_hooks.store.remittances import lines

    items = read_store(args, lambda store, since: worklist(
        lines(store, histories(store), since=since), datetime.now(UTC).date()))
    if items is None:
        return 2
    if args.json:
        print(json.dumps([item.as_json() for item in items], indent=2))
    elif args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        # The 835's text is the payer's: no cell may run as a spreadsheet formula.
        writer.writerows(tuple(inert_cell(c) if isinstance(c, str) else "" if c is None else c
                               for c in item.row()) for item in items)
    elif not items:
        print("Nothing to act on: no denied, reversed or patient-owed line.")
    else:
        rows = [tuple(c.upper().replace("_", " ") for c in COLUMNS)] + [
            tuple("-" if c is None else printable(str(c)) for c in _in_words(item))
            for item in items]
        widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
        print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                        for r in rows))
    return 0


def _in_words(item) -> tuple:
    """A worklist row for people: the category, the order check and the rules in words."""
    from cds_hooks.report.names import rule_name
    from cds_hooks.report.worklist import COLUMNS
    from plugin.remittance import CATEGORY_NAMES, OUTCOME_NAMES

    row = dict(zip(COLUMNS, item.row(), strict=True))
    row["category"] = CATEGORY_NAMES[item.line.category]
    decision = item.line.outcome
    row["decision"] = OUTCOME_NAMES[decision] if decision else None
    row["rules"] = "; ".join(rule_name(r) for r in item.rules) or None
    return tuple(row.values())


def read_text(file: Path) -> str:
    """X12 is ASCII (basic or extended character set); latin-1 reads any byte as one
    character, so a rewritten file keeps every byte that was not fixed."""
    return file.read_bytes().decode("latin-1")


def _history_store(args: argparse.Namespace):
    """The store whose earlier claims a scrub reads and adds to; None, said once, when there
    is none at the latest schema (a scrub never creates or upgrades one)."""
    from cds_hooks.store import migrate
    from cds_hooks.store.db import StoreError

    store = store_of(args)
    try:
        if (store.sqlite_file is None or store.sqlite_file.exists()) \
                and migrate.current(store) == migrate.head():
            return store
    except StoreError:
        pass
    print(f"moldx-cds: no store at the latest schema at {store.display_url()}: claims of "
          "earlier files not looked for, and these lines not kept (`moldx-cds db upgrade`)",
          file=sys.stderr)
    return None


def _scrub(args: argparse.Namespace) -> int:
    knowledge = args.knowledge_of(args)
    if knowledge is None:
        return 2
    try:
        text = read_text(args.file)
        result = scrub(text, knowledge, _history_store(args))
    except OSError as bad:
        print(f"moldx-cds: cannot read {args.file}: {bad.strerror or bad}", file=sys.stderr)
        return 2
    except X12Invalid as bad:
        print(f"moldx-cds: {args.file} is not valid 5010: {bad}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_json(), indent=2) if args.json else result.table())
    if args.fix:
        fixed, count = fixed_text(text, result)
        args.fix.write_bytes(fixed.encode("latin-1"))
        print(f"moldx-cds: {count} segment(s) fixed in {args.fix}", file=sys.stderr)
    return 0 if result.decision.clear else 1
