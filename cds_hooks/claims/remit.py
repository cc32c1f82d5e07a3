"""Importing an 835 into the store: its lines kept once per file (by the file's SHA-256), so
the same remittance imported twice is counted once."""

from __future__ import annotations

import hashlib
import json

from cds_hooks.store.db import Store

from .remit835 import Remittance, read_remittance


def import_remittance(store: Store, data: bytes) -> tuple[Remittance, str, bool]:
    """(the remittance, the file's digest, whether it was new). Raises X12Invalid before
    anything is kept."""
    remittance = read_remittance(data.decode("latin-1"))
    digest = hashlib.sha256(data).hexdigest()
    new = store.add_remittance(digest, remittance.payer, [{
        "claim": line.claim, "line_no": line.line_no, "control_number": line.control_number,
        "patient": line.patient, "cpt": line.cpt, "date_of_service": line.date_of_service,
        "charge": line.charge, "paid": line.paid, "carcs": json.dumps(line.codes),
        "rarcs": json.dumps(line.remarks), "category": line.category.value,
        "paid_on": line.paid_on} for line in remittance.lines])
    return remittance, digest, new
