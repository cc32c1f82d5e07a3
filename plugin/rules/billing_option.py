"""The order's Da Vinci CRD billing options (ext-billing-options on ServiceRequest.code) do not
include the CPT of the test the order is: the EHR expects the claim to carry a code the lab
will not bill. Said as a warning naming both; no fix, since the billing options are the EHR's
guess and the test decides (CRD STU 2.2: servers consider the codes, never depend on them).
A billing option that is the test's CPT confirms it and says nothing.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import IdentifiedBy, OrderFacts, PatientFacts

RULE_ID = "billing-option-mismatch"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if (row is None or row.cpt is None or not order.billing_cpts
            or row.cpt in order.billing_cpts
            or order.identified_by is IdentifiedBy.BILLING_OPTION):
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, codes=order.billing_cpts, expected=(row.cpt,)))]
