"""What the rules conclude about an order: data only, no wording for humans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .codes import CodeKind
from .knowledge import CatalogRow, Payer


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
class Fix:
    """One way to resolve a finding. A finding with several fixes offers a choice; a single
    certain fix may be applied by a system without asking anyone."""

    changes: tuple[CodeChange, ...]
    certain: bool = True


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
