"""What the service knows: the lab, its test catalog, the payers, the coverage policy of the
catalog's billing articles and the ICD-10-CM code set.

Loaded once from a folder of CSV files (the demo lab ships inside this package) and, for the
policy, from a policy store (`moldx-cds policy import`) or the folder's own MCD export excerpt
(`mcd/`); validated, and kept in immutable indexed objects shared by every request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..icd10cm import Icd10cm, load_icd10cm
from .aliases import NONE as NO_ALIASES
from .aliases import Aliases, load_aliases
from .catalog import (
    Catalog,
    CatalogRow,
    Component,
    DexStatus,
    Neoplasm,
    NucleicAcid,
    PanelKind,
    SpecimenType,
    load_catalog,
)
from .csvrows import KnowledgeError
from .lab import Lab, load_lab
from .mcd_export import policy_from_export
from .payers import CoverageRules, Payer, Payers, load_payers
from .policy import ArticleRef, ArticleVersion, Policy
from .policy_store import load_policy_file

DEMO_DIR = Path(__file__).parent / "demo"
FILES = ("lab.csv", "catalog.csv", "payers.csv")
OPTIONAL_FILES = ("aliases.csv",)  # a folder without them loads as before
POLICY_PACK = "mcd"  # a knowledge folder's own excerpt of the MCD article export

__all__ = [
    "DEMO_DIR", "Aliases", "ArticleRef", "ArticleVersion", "Catalog", "CatalogRow", "Component",
    "CoverageRules", "DexStatus", "Icd10cm", "Knowledge", "KnowledgeError", "Lab", "Neoplasm",
    "NucleicAcid", "PanelKind", "Payer", "Payers", "Policy", "SpecimenType", "load_knowledge",
]


@dataclass(frozen=True)
class Knowledge:
    lab: Lab
    catalog: Catalog
    payers: Payers
    policy: Policy
    icd10: Icd10cm
    source: str  # the folder it was loaded from
    version: str  # digest of the files' contents and the policy import, recorded with decisions
    aliases: Aliases = NO_ALIASES  # the client EHRs' order codes for the lab's tests

    @property
    def articles(self) -> frozenset[str]:
        """The billing articles the catalog names."""
        return frozenset(r.policy_article for r in self.catalog if r.policy_article)

    @property
    def missing_articles(self) -> frozenset[str]:
        """Articles the catalog names that the policy does not hold."""
        return frozenset(a for a in self.articles if not self.policy.has(a))


def load_knowledge(directory: Path | str = DEMO_DIR,
                   policy_store: Path | str | None = None) -> Knowledge:
    """Load and validate a knowledge folder; raise KnowledgeError listing every bad row.

    The policy comes from `policy_store` (a SQLite file written by `moldx-cds policy import`)
    when given, else from the folder's `mcd/` export excerpt, else there is none."""
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
    lab, catalog, payers = parts["lab.csv"], parts["catalog.csv"], parts["payers.csv"]
    _check_medicare(lab, payers)
    aliases = load_aliases(directory / "aliases.csv", catalog)
    articles = {r.policy_article for r in catalog if r.policy_article}
    policy = _policy(directory, policy_store, articles)
    icd10 = load_icd10cm()
    return Knowledge(
        lab=lab, catalog=catalog, payers=payers, policy=policy, icd10=icd10, aliases=aliases,
        source=str(directory),
        version=_digest(directory, policy.version_id, icd10.release),
    )


def _policy(directory: Path, store: Path | str | None, articles: set[str]) -> Policy:
    if store is not None:
        return load_policy_file(store, articles)
    if (directory / POLICY_PACK).is_dir():
        return policy_from_export(directory / POLICY_PACK, articles)
    return Policy.of((), source="none")


def _check_medicare(lab: Lab, payers: Payers) -> None:
    """Medicare Part B claims go to the lab's contractor, so Medicare follows MolDX exactly when
    the lab's contractor runs it."""
    wrong = [p for p in payers if p.program == "medicare"
             and (p.coverage_rules is CoverageRules.MOLDX) != lab.under_moldx]
    if wrong:
        raise KnowledgeError([
            f"payers.csv: {p.name} has coverage_rules {p.coverage_rules.value}, but Medicare "
            f"Part B follows the lab's contractor ({lab.mac}, {lab.jurisdiction} in lab.csv), "
            f"which {'runs' if lab.under_moldx else 'does not run'} MolDX" for p in wrong])


def _digest(directory: Path, *more: str) -> str:
    digest = hashlib.sha256()
    for name in FILES + OPTIONAL_FILES:
        if name in OPTIONAL_FILES and not (directory / name).exists():
            continue  # the digest of a folder without it is what it was before
        digest.update(name.encode())
        digest.update((directory / name).read_bytes())
    for part in more:
        digest.update(part.encode())
    return digest.hexdigest()[:12]
