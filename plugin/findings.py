"""What the rules conclude about an order: data only, no wording for humans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .codes import CodeKind
from .knowledge import ArticleRef, CatalogRow, Payer


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"  # payment at risk; never "critical", which is for clinical danger


@dataclass(frozen=True)
class CodeChange:
    """Put `code` on the order as its code of `kind`, in place of `replaces` when it has one."""

    kind: CodeKind
    code: str
    replaces: str | None = None


@dataclass(frozen=True)
class ReasonChange:
    """A diagnosis on the order: `code` in place of `replaces` in reasonCode, or a link to the
    patient's `condition` (`Condition/id`) added to reasonReference."""

    code: str | None = None
    replaces: str | None = None
    condition: str | None = None
    display: str | None = None  # what the condition is called, for the card


@dataclass(frozen=True)
class Fix:
    """One way to resolve a finding. A finding with several fixes offers a choice; a single
    certain fix may be applied by a system without asking anyone."""

    changes: tuple[CodeChange, ...] = ()
    certain: bool = True
    reasons: tuple[ReasonChange, ...] = ()
    quantity: int | None = None  # set the order's quantity (units of service)
    cancel: bool = False  # drop the draft order


@dataclass(frozen=True)
class OtherOrder:
    """Another order on the same specimen: a draft of this request or an existing one."""

    order: str  # `ServiceRequest/id`
    row: CatalogRow | None
    draft: bool


@dataclass(frozen=True)
class Evidence:
    """What a finding rests on; each rule fills the parts it uses."""

    row: CatalogRow | None = None  # the catalog row in force on the date of service
    payer: Payer | None = None
    codes: tuple[str, ...] = ()  # the codes on the order the finding is about
    owners: tuple[tuple[str, str], ...] = ()  # (code on the order, catalog test it belongs to)
    superseded: CatalogRow | None = None  # the earlier row a stale code came from
    periods: tuple[tuple[date, date | None], ...] = ()  # when the test is on the lab's menu
    candidates: tuple[CatalogRow, ...] = ()  # catalog tests the order's codes could mean
    article: ArticleRef | None = None  # the policy article version in force on the DOS
    article_id: str | None = None  # the article the catalog names (when no version applies)
    noncovered: tuple[str, ...] = ()  # the order's diagnoses the article lists as not covered
    abn: bool = False  # an Advance Beneficiary Notice (modifier GA) is needed
    choices: tuple[str, ...] = ()  # billable ICD-10-CM codes under a non-billable one
    expected: tuple[str, ...] = ()  # the CPT codes the article allows for the test
    specimen: str | None = None
    others: tuple[OtherOrder, ...] = ()  # other orders on that specimen
    payer_identifier: tuple[str, str] | None = None  # a payer the knowledge does not know
    quantity: float | None = None  # units of service on the order
    neoplasm: str | None = None  # solid or hematolymphoid: what the test is for
    assumed_specimen: bool = False  # drafts naming no specimen, taken to share one
    combination: str | None = None  # which orders make one service (parallel_orders)
    priced: CatalogRow | None = None  # the test whose list price is a claim line's charge
    npis: tuple[str, ...] = ()  # a claim line's billing NPI, then the lab's
    # catalog tests that could take the order's place (rules/alternatives): a person chooses
    alternatives: tuple[CatalogRow, ...] = ()


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    order: str  # the order it concerns, as `ServiceRequest/id`
    evidence: Evidence
    fixes: tuple[Fix, ...] = ()

    @property
    def certain_fix(self) -> Fix | None:
        """The fix to apply without a human, if there is exactly one and it is certain."""
        if len(self.fixes) == 1 and self.fixes[0].certain:
            return self.fixes[0]
        return None
