"""Importing an 835 into the store: each adjudicated line kept once, by payer, CLP01, CLP02,
CLP07 and line, so the same remittance delivered again (a new ISA13, other line endings, the
same claims in another file) is counted once. A reversal (CLP02 22) carries the CLP07 of the
claim it reverses: its status keeps it apart from that claim."""

from __future__ import annotations

import hashlib
import json

from cds_hooks.store.db import Store

from .remit835 import PaidLine, Remittance, read_remittance


def import_remittance(store: Store, data: bytes) -> tuple[Remittance, list[str], int]:
    """(the remittance, the keys of its lines, how many lines were new). Raises X12Invalid
    before anything is kept."""
    remittance = read_remittance(data.decode("latin-1"))
    keys = [line_key(remittance.payer, line) for line in remittance.lines]
    new = store.add_remittance(hashlib.sha256(data).hexdigest(), remittance.payer,
                               remittance.payer_name, [{
        "line_key": key, "claim": line.claim, "status": line.status,
        "payer_claim": line.payer_claim, "line_no": line.line_no,
        "control_number": line.control_number, "patient": line.patient, "cpt": line.cpt,
        "date_of_service": line.date_of_service, "charge": line.charge, "paid": line.paid,
        "carcs": json.dumps(line.codes), "rarcs": json.dumps(line.remarks),
        "adjustments": json.dumps([[a.group, a.carc, str(a.amount)]
                                   for a in line.adjustments]),
        "category": line.category.value, "paid_on": line.paid_on}
        for key, line in zip(keys, remittance.lines, strict=True)])
    return remittance, keys, new


def line_key(payer: str | None, line: PaidLine) -> str:
    """The line's identity across deliveries (JSON, so no part can run into another)."""
    return json.dumps([payer, line.claim, line.status, line.payer_claim, line.line_ref])
