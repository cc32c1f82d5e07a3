"""The billing lab: who it is and where, which decides its Medicare contractor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .csvrows import URI, Cells, KnowledgeError, Row, parse_rows

COLUMNS = ("name", "state", "clia", "npi", "medicare_part_b_contract", "mac", "jurisdiction",
           "test_code_system")

# The Medicare jurisdictions whose contractors run MolDX (Palmetto GBA's MolDX program pages):
# Noridian JE and JF, WPS J5 and J8, CGS J15, Palmetto JJ and JM.
MOLDX_JURISDICTIONS = frozenset({"JE", "JF", "J5", "J8", "J15", "JJ", "JM"})

_STATE = re.compile(r"^[A-Z]{2}$")
_CONTRACT = re.compile(r"^\d{5}$")
_WEB = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Lab:
    name: str
    state: str
    clia: str
    npi: str
    medicare_part_b_contract: str
    mac: str
    jurisdiction: str
    test_code_system: str  # the system of the lab's orderable test codes in ServiceRequest.code
    # Optional column: where a clinician asks the lab about its tests (a covered alternative).
    contact_url: str | None = None

    @property
    def under_moldx(self) -> bool:
        """Whether the lab's Medicare contractor runs MolDX: an independent lab bills Part B
        to the contractor where the lab is, whoever the patient is."""
        return self.jurisdiction.upper() in MOLDX_JURISDICTIONS


def _parse(row: Row) -> Lab:
    with Cells(row) as c:
        lab = Lab(
            name=c.text("name"),
            state=c.matching("state", _STATE, "a two-letter state code"),
            clia=c.text("clia"),
            npi=c.text("npi"),
            medicare_part_b_contract=c.matching(
                "medicare_part_b_contract", _CONTRACT, "a five-digit contract number"),
            mac=c.text("mac"),
            jurisdiction=c.text("jurisdiction"),
            test_code_system=c.matching("test_code_system", URI, "a URI"),
            contact_url=c.matching("contact_url", _WEB, "an http(s) URL", required=False)
            or None if "contact_url" in row.cells else None,
        )
    return lab


def load_lab(path: Path) -> Lab:
    labs = [lab for _, lab in parse_rows(path, COLUMNS, _parse)]
    if len(labs) != 1:
        raise KnowledgeError([f"{path.name}: expected exactly one lab row, found {len(labs)}"])
    return labs[0]
