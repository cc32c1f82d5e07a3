"""Code systems and code formats: CPT, DEX Z-codes, ICD-10-CM.

Only code numbers live here. CPT descriptors are AMA content and are never shipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
# The CPT OID, which some EHRs send instead of the FHIR URI.
CPT_SYSTEM_ALIASES = frozenset({CPT_SYSTEM, "urn:oid:2.16.840.1.113883.6.12"})

ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"

# No standard FHIR system exists for DEX Z-codes. This URN is ours (not under anybody's
# domain); deployments set their own with MOLDX_CDS_ZCODE_SYSTEM and accept others as aliases.
DEFAULT_ZCODE_SYSTEM = "urn:moldx-cds:dex-z-code"

ZCODE_PATTERN = re.compile(r"^Z[A-Z0-9]{4}$")
# Five digits (Category I) or four digits and a letter (PLA 0001U, MAAA 0004M, ...).
CPT_PATTERN = re.compile(r"^(\d{5}|\d{4}[A-Z])$")


class CodeKind(StrEnum):
    """The codes that identify a molecular order: the lab's test code and the billing codes."""

    TEST = "test"
    CPT = "cpt"
    ZCODE = "zcode"


def is_zcode(code: str) -> bool:
    """A syntactically valid Z-code: Z plus four capital letters or digits (says nothing of
    whether DEX assigned it)."""
    return bool(ZCODE_PATTERN.match(code))


def is_cpt(code: str) -> bool:
    return bool(CPT_PATTERN.match(code))


def normalize_icd10(code: str) -> str:
    """Upper-case, trimmed, dotted form (`c3490` -> `C34.90`), as MCD lists write codes."""
    bare = code.strip().upper().replace(".", "")
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


@dataclass(frozen=True)
class CodeSystems:
    """Which FHIR code systems mean which kind of code on an order."""

    test: str  # the lab's orderable test codes (lab.csv test_code_system)
    zcode: str = DEFAULT_ZCODE_SYSTEM
    zcode_aliases: frozenset[str] = field(default_factory=frozenset)

    def kind_of(self, system: str | None) -> CodeKind | None:
        if system == self.test:
            return CodeKind.TEST
        if system in CPT_SYSTEM_ALIASES:
            return CodeKind.CPT
        if system == self.zcode or system in self.zcode_aliases:
            return CodeKind.ZCODE
        return None

    def system_for(self, kind: CodeKind) -> str:
        return {CodeKind.TEST: self.test, CodeKind.CPT: CPT_SYSTEM,
                CodeKind.ZCODE: self.zcode}[kind]


# CPT codes for which DEX issues Z-codes (DEX "Test Group Options", on dexzcodes.com).
# Used to tell a molecular order that is not in the lab's catalog from an unrelated order.
_DEX_CPT_RANGES = (
    (81105, 81112), (81120, 81121), (81161, 81364), (81374, 81374), (81377, 81377),
    (81381, 81381), (81383, 81383), (81400, 81408), (81410, 81471), (81479, 81479),
    (81493, 81493), (81504, 81595), (81599, 81599), (87149, 87150), (87631, 87633),
    (87800, 87801), (87999, 87999),
)
_DEX_MAAA = frozenset({f"{n:04d}M" for n in (*range(4, 14), 16, 17)})


def is_dex_cpt(code: str) -> bool:
    """True when DEX registers tests under this CPT (molecular pathology, NGS, MAAA, ...)."""
    if code in _DEX_MAAA:
        return True
    if not code.isdigit():
        return False
    number = int(code)
    return any(low <= number <= high for low, high in _DEX_CPT_RANGES)


def is_tier_code(code: str) -> bool:
    """A Tier 1 (single-gene and single-analyte molecular pathology, 81105-81383) or Tier 2
    (81400-81408) CPT code: the codes MolDX forbids for genes tested in an NGS panel."""
    return code.isdigit() and (81105 <= int(code) <= 81383 or 81400 <= int(code) <= 81408)


def is_pla(code: str) -> bool:
    """A Proprietary Laboratory Analyses code (four digits and U, 0001U...): it names one lab's
    test, so it identifies the test as surely as the lab's own code."""
    return len(code) == 5 and code[:4].isdigit() and code[4] == "U"


def neoplasm_of(icd10: str) -> str | None:
    """`solid` or `hematolymphoid` for an ICD-10-CM neoplasm code (chapter 2 ranges: C81-C96
    and D45-D47 are lymphoid, hematopoietic and myeloid, the other C codes solid tumours);
    None for any other code."""
    code = icd10.upper()
    if code.startswith(("C7A", "C7B", "C4A")):
        return "solid"
    if not code.startswith(("C", "D")) or not code[1:3].isdigit():
        return None
    number = int(code[1:3])
    if code[0] == "C":
        return "hematolymphoid" if 81 <= number <= 96 else "solid"
    return "hematolymphoid" if 45 <= number <= 47 else None


def is_secondary_site(icd10: str) -> bool:
    """C77-C79: secondary (metastatic) malignant neoplasms, not the primary tumour."""
    code = icd10.upper()
    return code[:1] == "C" and code[1:3].isdigit() and 77 <= int(code[1:3]) <= 79
