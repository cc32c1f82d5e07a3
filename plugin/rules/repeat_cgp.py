"""A comprehensive genomic profile for a patient who already has one for the same cancer
(an ICD-10-CM category in common) on another specimen: a frequency question of the NGS
NCD 90.2 and its LCDs, not of the one-per-specimen limit of A56518. A
warning for a person to weigh (tumour evolution, a new primary); nothing is suggested, and
never "use another specimen". MolDX payers only.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from .cgp_specimen import is_cgp
from .scope import follows_moldx
from .specimens import other_order

RULE_ID = "repeat-cgp"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if not is_cgp(order) or not order.specimens or not follows_moldx(order):
        return []
    mine = set(order.specimen_keys)
    cancers = {code[:3] for code in order.diagnoses}
    earlier = [other for other in patient.others
               if is_cgp(other) and other.specimens
               and mine.isdisjoint(other.specimen_keys)
               and cancers & {code[:3] for code in other.diagnoses}]
    if not earlier:
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=order.row, payer=order.payer, codes=order.diagnoses,
        others=tuple(other_order(o) for o in earlier)))]
