"""A solid-tumour test ordered with only hematolymphoid diagnoses, or the reverse: the test
does not fit the indication (the NGS LCDs cover solid tumours and the myeloid ones the
hematologic side: L38121 and the MolDX myeloid NGS LCDs). A warning about the test and the
diagnosis for a person to resolve; never a CPT change, which would turn a right code wrong.
The catalog's covered tests for the diagnosed kind of neoplasm are its evidence.
MolDX payers only.
"""

from __future__ import annotations

from ..codes import neoplasm_of
from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge, Neoplasm
from ..orders import OrderFacts, PatientFacts
from .alternatives import for_indication
from .panel_coding import neoplasm
from .scope import follows_moldx

RULE_ID = "test-indication"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or not follows_moldx(order):
        return []
    kind = neoplasm(row, order, knowledge)
    if kind is None:
        return []
    diagnosed = {neoplasm_of(code) for code in order.diagnoses} - {None}
    if not diagnosed or kind.value in diagnosed:
        return []
    wanted = Neoplasm(next(iter(diagnosed))) if len(diagnosed) == 1 else None
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=row, payer=order.payer, codes=order.diagnoses, neoplasm=kind.value,
        alternatives=for_indication(order, wanted, knowledge) if wanted else ()))]
