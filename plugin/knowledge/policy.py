"""Coverage policy in memory: the versions of the billing articles the lab's tests refer to.

The policy store (policy_store.py) holds every article of an MCD export; the service keeps
in memory only the articles its catalog names, all their versions, as frozensets and dicts so
that every lookup on the hot path is O(1).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from ..codes import neoplasm_of

ARTICLE_URL = "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleid={}"


def article_key(article: str | int) -> str:
    """`A57901` for 57901, '57901' or 'a57901': how the catalog and the cards name articles."""
    text = str(article).strip().upper()
    return text if text.startswith("A") else f"A{text}"


@dataclass(frozen=True)
class ArticleRef:
    """Which article version a finding rests on, without the lists it holds."""

    article: str  # A57901
    version: int
    title: str
    effective_from: date
    effective_to: date | None

    @property
    def url(self) -> str:
        return ARTICLE_URL.format(self.article[1:])


@dataclass(frozen=True)
class ArticleVersion:
    """One version of a billing article and what it lists."""

    article: str  # A57901
    version: int
    title: str
    effective_from: date
    effective_to: date | None  # inclusive; None = open
    cpts: frozenset[str]
    covered: Mapping[str, frozenset[int]]  # ICD-10-CM code (dotted) -> covered groups
    noncovered: frozenset[str]
    contract_numbers: frozenset[str] = frozenset()  # Part B contracts (02302), when known
    lcds: tuple[str, ...] = ()  # related LCDs, L38121

    @property
    def ref(self) -> ArticleRef:
        return ArticleRef(self.article, self.version, self.title, self.effective_from,
                          self.effective_to)

    def in_effect_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day <= self.effective_to)

    def covers(self, code: str) -> bool:
        return code in self.covered

    @cached_property
    def neoplasm(self) -> str | None:
        """`solid` or `hematolymphoid` when every neoplasm code the article covers is of that
        kind (the solid-tumour and myeloid NGS articles), else None."""
        kinds = {neoplasm_of(code) for code in self.covered} - {None}
        return kinds.pop() if len(kinds) == 1 else None

    def applies_to_contract(self, contract: str) -> bool:
        """Whether the article is one of this Part B contractor's (unknown contractors: yes)."""
        return not self.contract_numbers or contract in self.contract_numbers


@dataclass(frozen=True)
class Policy:
    """Article versions by article, each sorted by effective date."""

    versions: Mapping[str, tuple[ArticleVersion, ...]]
    source: str = ""  # where it was loaded from, for the start-up line and the audit
    version_id: str = ""  # identifies the import, recorded with every decision
    _starts: Mapping[str, tuple[date, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, versions: Iterable[ArticleVersion], source: str = "",
           version_id: str = "") -> Policy:
        by_article: dict[str, list[ArticleVersion]] = {}
        for version in versions:
            by_article.setdefault(version.article, []).append(version)
        ordered = {a: tuple(sorted(vs, key=lambda v: (v.effective_from, v.version)))
                   for a, vs in by_article.items()}
        return cls(ordered, source, version_id,
                   {a: tuple(v.effective_from for v in vs) for a, vs in ordered.items()})

    def version_on(self, article: str, day: date) -> ArticleVersion | None:
        """The version in force on `day`: the latest one that started by then, if it has not
        ended (a later version supersedes an earlier one whose end date was left open)."""
        # The catalog names articles as the keys are (A57901): spelled otherwise, normalize.
        key = article if article in self._starts else article_key(article)
        index = bisect_right(self._starts.get(key, ()), day)
        if index == 0:
            return None
        version = self.versions[key][index - 1]
        return version if version.in_effect_on(day) else None

    def has(self, article: str) -> bool:
        return article_key(article) in self.versions

    def __len__(self) -> int:
        return sum(len(vs) for vs in self.versions.values())
