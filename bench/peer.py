"""The peer of the load benchmark: the CDS Hooks community's example service
(github.com/cds-hooks/sandbox-cds-services, Node and Express), run from a checkout given to
bench.load with --peer. Its cms-price-check service answers an order-select with one RxNorm
price lookup: a brand drug, so that its answer is a card with a suggestion.

Prepare a checkout (its lockfile names a package the npm registry no longer has, `fs`
0.0.1-security, so install without it; Node resolves `fs` to its own module anyway):

    git clone https://github.com/cds-hooks/sandbox-cds-services /tmp/peer && cd /tmp/peer
    rm package-lock.json
    npm pkg set overrides.fs=npm:escape-html@1.0.3 overrides.antlr4=4.8.0
    npm install --omit=dev --no-package-lock
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PATH = "/cds-services/cms-price-check"
BRAND = "835560"  # an RxNorm brand code its price table has a cheaper generic for


def body() -> dict[str, Any]:
    """An order-select with one MedicationRequest, selected, for the patient in context."""
    order = {"resourceType": "MedicationRequest", "id": "med-1",
             "subject": {"reference": "Patient/patient-1"},
             "medicationCodeableConcept": {"coding": [{
                 "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": BRAND}]}}
    return {"hook": "order-select", "hookInstance": "00000000-0000-4000-8000-000000000000",
            "context": {"userId": "Practitioner/1", "patientId": "patient-1",
                        "selections": ["MedicationRequest/med-1"],
                        "draftOrders": {"resourceType": "Bundle",
                                        "entry": [{"resource": order}]}}}


def command(checkout: Path) -> list[str]:
    if not (checkout / "node_modules").is_dir():
        raise SystemExit(f"{checkout}: no node_modules; prepare it as bench/peer.py says")
    return ["node", str(checkout / "server.js")]
