"""What the service knows: the lab, its test catalog and the payers.

Loaded once from a folder of CSV files (the demo lab ships inside this package), validated row
by row, and kept in immutable indexed objects shared by every request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog, CatalogRow, DexStatus, NucleicAcid, PanelKind, load_catalog
from .csvrows import KnowledgeError
from .lab import Lab, load_lab
from .payers import CoverageRules, Payer, Payers, load_payers

DEMO_DIR = Path(__file__).parent / "demo"
FILES = ("lab.csv", "catalog.csv", "payers.csv")

__all__ = [
    "DEMO_DIR", "Catalog", "CatalogRow", "CoverageRules", "DexStatus", "Knowledge",
    "KnowledgeError", "Lab", "NucleicAcid", "PanelKind", "Payer", "Payers", "load_knowledge",
]


@dataclass(frozen=True)
class Knowledge:
    lab: Lab
    catalog: Catalog
    payers: Payers
    source: str  # the folder it was loaded from
    version: str  # digest of the files' contents, recorded with every decision


def load_knowledge(directory: Path | str = DEMO_DIR) -> Knowledge:
    """Load and validate a knowledge folder; raise KnowledgeError listing every bad row."""
    directory = Path(directory)
    if not directory.is_dir():
        raise KnowledgeError([f"{directory}: not a folder"])
    problems: list[str] = []
    parts = {}
    for name, load in (("lab.csv", load_lab), ("catalog.csv", load_catalog),
                       ("payers.csv", load_payers)):
        try:
            parts[name] = load(directory / name)
        except KnowledgeError as bad:
            problems.extend(bad.problems)
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        lab=parts["lab.csv"],
        catalog=parts["catalog.csv"],
        payers=parts["payers.csv"],
        source=str(directory),
        version=_digest(directory),
    )


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode())
        digest.update((directory / name).read_bytes())
    return digest.hexdigest()[:12]
