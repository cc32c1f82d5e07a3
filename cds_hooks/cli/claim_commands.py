"""`moldx-cds scrub`: the lab's 837P checked by the order rules before it leaves, with the
certain fixes written to a new file."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from cds_hooks.claims.fix import fixed_text
from cds_hooks.claims.scrub import scrub
from cds_hooks.claims.x12 import X12Invalid
from cds_hooks.cli.files import input_file
from plugin.knowledge import Knowledge

from .operations_commands import store_behind, store_missing, store_of, store_url_option

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
        "segment and element are named) or the knowledge could not be read.")
    command.add_argument("file", type=input_file, help="the 837P file")
    command.add_argument("--json", action="store_true", help="print the edits as JSON")
    command.add_argument("--fix", type=Path, metavar="OUT",
                         help="write the 837P with every certain fix applied (Z-code into "
                         "SV101-7, CPT in SV101-2, units in SV104) to OUT; every other byte "
                         "as it was")
    knowledge_option(command)
    command.set_defaults(run=_scrub, knowledge_of=knowledge_of)

    remit = commands.add_parser(
        "remit", help="import an 835 remittance and link its denials to the order checks",
        description="Read an 835 (005010X221A1) and keep it in the store (a file imported "
        "again is not counted twice). Per claim (CLP01) and line: the amounts, the "
        "adjustment (CARC) and remark (RARC) codes, the denial category (zcode, "
        "medical-necessity, non-covered, other, paid) and, for a denied line, what the order "
        "check had said: warned-overridden, warned-not-fixed, fixed-still-denied, not-warned "
        "(a miss) or no-order-found, counting only a warning that could explain the "
        "denial (a Z-code warning does not explain a medical-necessity denial). Lines link "
        "to orders by REF*6R (the ServiceRequest id), else by patient, CPT and date of "
        "service. Exit status 0; 2 when the file is not "
        "valid 5010 or the store cannot be used.")
    remit.add_argument("file", type=input_file, help="the 835 file")
    remit.add_argument("--json", action="store_true", help="print the lines as JSON")
    store_url_option(remit)
    remit.set_defaults(run=_remit)


REMIT_HEADER = ("CLAIM", "LINE", "CPT", "CHARGE", "PAID", "CODES", "CATEGORY", "OUTCOME",
                "ORDER")


def _remit(args: argparse.Namespace) -> int:
    from cds_hooks.claims.remit import import_remittance
    from cds_hooks.store.db import StoreError
    from cds_hooks.store.history import histories
    from cds_hooks.store.remittances import lines

    store = store_of(args)  # the orders the remittance answers are looked for there
    if store_missing(store):
        return 2
    try:
        data = args.file.read_bytes()
        if store_behind(store):
            return 2
        _, digest, new = import_remittance(store, data)
        linked = lines(store, histories(store), digest)
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
    print(f"moldx-cds: {args.file}: {len(linked)} line(s) " + (
        "imported" if new else "already imported before: not counted again"), file=sys.stderr)
    if args.json:
        print(json.dumps({"imported": new, "lines": [line.as_json() for line in linked]},
                         indent=2))
    else:
        rows = [REMIT_HEADER] + [(
            line.claim, str(line.line_no), line.cpt or "-", str(line.charge), str(line.paid),
            " ".join(line.codes + line.remarks) or "-", line.category.value,
            line.outcome.value if line.outcome else "-",
            line.order.key[2] if line.order else "-") for line in linked]
        widths = [max(len(r[i]) for r in rows) for i in range(len(REMIT_HEADER))]
        print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                        for r in rows))
    return 0


def read_text(file: Path) -> str:
    """X12 is ASCII (basic or extended character set); latin-1 reads any byte as one
    character, so a rewritten file keeps every byte that was not fixed."""
    return file.read_bytes().decode("latin-1")


def _scrub(args: argparse.Namespace) -> int:
    knowledge = args.knowledge_of(args)
    if knowledge is None:
        return 2
    try:
        text = read_text(args.file)
        result = scrub(text, knowledge)
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
        print(f"moldx-cds: {count} line(s) fixed in {args.fix}", file=sys.stderr)
    return 0 if result.decision.clear else 1
