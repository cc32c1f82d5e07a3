"""Findings as CDS Hooks cards, suggestions and system actions, worded for clinicians.

All code findings about one order (missing, mismatched, stale) become one card with one
suggestion: an update action carries the whole resource, so two cards each updating the same
order would undo each other. On order-sign and order-dispatch the same update goes out as a
system action for the LIS when every fix in it is certain. For the same reason the Da Vinci CRD
coverage-information extension rides in that one update (and in every suggestion's resource,
so that applying a suggestion after the system action keeps it): one update per order, always.

Every card then gets the same envelope: a uuid derived from the hook call (a retried call
gets the same ones, so the store records each card once), source.topic, the order it is about,
and override reasons on warnings.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from cds_hooks.service.crd import Configuration, coverage_information, with_coverage_information
from cds_hooks.service.models import Action, Card, Coding, HookResponse, Link, Source, Suggestion
from cds_hooks.service.prefetch import Gap
from plugin.codes import ICD10CM_SYSTEM, CodeKind, CodeSystems, normalize_icd10
from plugin.decision import Decision
from plugin.findings import CodeChange, Finding, Fix, OtherOrder
from plugin.icd10cm import IcdStatus
from plugin.knowledge import CatalogRow, DexStatus, Knowledge
from plugin.knowledge.policy import ARTICLE_URL
from plugin.orders import DateSource, OrderFacts
from plugin.rules import (
    ambiguous_test,
    cgp_specimen,
    diagnosis_coverage,
    invalid_diagnosis,
    mismatched_codes,
    missing_zcode,
    not_payable,
    panel_cpt,
    policy_unavailable,
    single_gene_in_panel,
    stale_code,
    units_of_service,
    unknown_payer,
    unknown_test,
)

SUMMARY_LIMIT = 139
CODE_RULES = (mismatched_codes.RULE_ID, stale_code.RULE_ID, missing_zcode.RULE_ID,
              panel_cpt.RULE_ID)
_KIND_NAMES = {CodeKind.TEST: "test code", CodeKind.CPT: "CPT", CodeKind.ZCODE: "Z-code"}


# Every card's and suggestion's uuid is derived from the hook call in Renderer._envelope.
_DERIVED = ""


@dataclass(frozen=True)
class Renderer:
    """What the cards need besides the decision."""

    knowledge: Knowledge
    systems: CodeSystems
    source_label: str
    system_actions: bool  # order-sign, order-dispatch: the LIS may apply certain fixes
    hook_instance: str = ""  # seeds the card and suggestion uuids
    config: Configuration = field(default_factory=lambda: Configuration.from_extension(None))
    today: date | None = None  # the date coverage assertions are made; None: no assertions
    legacy_system_actions: bool = False  # also in extension.systemActions (the sandbox)

    def response(self, decision: Decision, gaps: Sequence[Gap] = ()) -> HookResponse:
        cards: list[Card] = []
        actions: list[Action] = []
        for facts in decision.facts:
            resource = decision.orders[facts.order].raw
            findings = decision.findings_for(facts.order)
            coverage = self._coverage_information(facts, findings, gaps)
            if coverage:
                resource = with_coverage_information(resource, coverage)
            coding = [f for f in findings if _is_code_fix(f)]
            update = None
            if coding:
                card, update = self._coding_card(facts, resource, coding)
                cards.append(self._envelope(card, len(cards), facts.order, coding))
            # The other cards' suggestions start from the order with its certain code fix,
            # which the LIS applies from the system action: taking one keeps the codes.
            base = update.resource if update else resource
            cards += [self._envelope(self._other_card(facts, base, f), len(cards) + i,
                                     facts.order, [f])
                      for i, f in enumerate(f for f in findings if not _is_code_fix(f))]
            if self.system_actions and (update or coverage):
                actions.append(_system_action(update, resource, coverage is not None))
        if gaps:
            cards.append(self._envelope(self._gaps_card(gaps), len(cards), None, []))
        return self._assemble(cards, actions)

    def _coverage_information(self, facts: OrderFacts, findings: list[Finding],
                              gaps: Sequence[Gap]) -> dict | None:
        if not (self.system_actions and self.today and self.config.allows("coverage-info")):
            return None
        return coverage_information(facts, findings, missing=[g.about for g in gaps],
                                    hook_instance=self.hook_instance, today=self.today,
                                    systems=self.systems)

    def _assemble(self, cards: list[Card], actions: list[Action]) -> HookResponse:
        """The cards the call's configuration allows, warnings first, up to its limit."""
        allowed = [c for c in cards if self.config.allows(c.source.topic.code)]
        allowed.sort(key=lambda c: _URGENCY.index(c.indicator))
        mirrored = {"systemActions": [a.model_dump(mode="json", exclude_none=True)
                                      for a in actions]} \
            if self.legacy_system_actions and actions else None
        return HookResponse(cards=allowed[:self.config.max_cards],
                            systemActions=actions or None, extension=mirrored)

    # -- the envelope of every card ----------------------------------------------------------

    def _envelope(self, card: Card, index: int, order: str | None,
                  findings: list[Finding]) -> Card:
        rules = [f.rule for f in findings]
        card_type = "coverage-info" if set(rules) & _COVERAGE_RULES else "claim"
        card_uuid = _derived_uuid(self.hook_instance, str(index), order or "", *rules)
        suggestions = [s.model_copy(update={"uuid": _derived_uuid(card_uuid, str(i))})
                       for i, s in enumerate(card.suggestions or ())]
        reasons = _override_reasons(rules) if card.indicator != "info" else []
        extension = {**(card.extension or {}),
                     **({"davinci-crd.associated-resource": [{"reference": order}]}
                        if order else {})}
        enveloped = card.model_copy(update={
            "uuid": card_uuid,
            "detail": card.detail or None,
            "source": Source(label=self.source_label, url=card.source.url,
                             topic=Coding(**self.config.topic(card_type))),
            "suggestions": suggestions or None,
            "selectionBehavior": card.selectionBehavior if suggestions else None,
            "overrideReasons": reasons or None,
            "extension": extension or None,
        })
        enveloped._rules = tuple(rules)
        return enveloped

    def _gaps_card(self, gaps: Sequence[Gap]) -> Card:
        """One card saying which checks could not run for want of data, and why."""
        what = " and ".join(dict.fromkeys(g.about for g in gaps))
        return self._card(
            summary=_truncate(_sentence(f"{what} could not be read: some checks did not run")),
            detail=[f"- {_sentence(g.about)}: {g.reason}. Not checked: {g.check}."
                    for g in gaps],
            indicator="info")

    # -- the coding card ---------------------------------------------------------------

    def _coding_card(self, facts: OrderFacts, resource: dict,
                     findings: list[Finding]) -> tuple[Card, Action | None]:
        changes = _merged_changes(findings)
        row = findings[0].evidence.row
        assert row is not None  # every code rule needs the catalog row
        what = describe_changes(changes)
        update = self._update(resource, changes, what)
        if len(findings) == 1:
            summary = _CODE_SUMMARIES[findings[0].rule](findings[0], row)
        else:
            summary = lambda name: f"Fix the billing codes of {name}: {what}"  # noqa: E731
        detail = [_CODE_DETAILS[f.rule](f, row, self.knowledge) for f in findings]
        detail += [_catalog_line(row), _date_line(facts), _at_risk_line(row)]
        card = self._card(
            summary=_fit(summary, row), detail=detail, indicator="warning",
            suggestions=[Suggestion(label=_sentence(what), uuid=_DERIVED, isRecommended=True,
                                    actions=[update])],
        )
        certain = all(f.certain_fix for f in findings)
        return card, update if certain else None

    def _update(self, resource: dict, changes: Iterable[CodeChange], what: str) -> Action:
        return Action(type="update", resource=with_codes(resource, changes, self.systems),
                      description=f"{_reference(resource)}: {what}")

    # -- the other cards -----------------------------------------------------------------

    def _other_card(self, facts: OrderFacts, resource: dict, finding: Finding) -> Card:
        if policy_card := _POLICY_CARDS.get(finding.rule):
            return policy_card(self, facts, resource, finding)
        if finding.rule == not_payable.RULE_ID:
            return self._not_payable_card(facts, finding)
        if finding.rule == unknown_test.RULE_ID:
            return self._unknown_test_card(facts, finding)
        if finding.rule == ambiguous_test.RULE_ID:
            return self._ambiguous_card(facts, resource, finding)
        raise ValueError(f"no card for rule {finding.rule}")

    def _not_payable_card(self, facts: OrderFacts, finding: Finding) -> Card:
        row = finding.evidence.row
        assert row is not None
        reason, advice = _NOT_PAYABLE[row.dex_status]
        payer = finding.evidence.payer
        if payer and payer.program == "medicare" and row.dex_status is not DexStatus.RETIRED:
            advice += (" For this Medicare patient, an Advance Beneficiary Notice signed before "
                       "the specimen is taken (modifier GA) lets the lab bill the patient.")
        return self._card(
            summary=_fit(lambda name: f"{name} {_NOT_PAYABLE_SUMMARY[row.dex_status]}", row),
            detail=[reason.format(z=row.zcode), advice, _catalog_line(row), _date_line(facts),
                    _at_risk_line(row)],
            indicator="warning",
        )

    def _unknown_test_card(self, facts: OrderFacts, finding: Finding) -> Card:
        lab = self.knowledge.lab.name
        codes = ", ".join(finding.evidence.codes)
        if finding.evidence.periods:
            periods = "; ".join(_period(start, end) for start, end in finding.evidence.periods)
            return self._card(
                summary=_truncate(f"{codes} is not on the test menu of {lab} on "
                                  f"{facts.date_of_service}: codes not checked"),
                detail=[f"The lab's catalog lists {codes} for {periods} only.",
                        _date_line(facts)],
                indicator="info")
        return self._card(
            summary=_truncate(f"{codes} is not in the test catalog of {lab}: codes not checked"),
            detail=[f"No test in the catalog of {lab} carries {codes}, so its CPT, Z-code and "
                    "coverage could not be checked. Order the test by the lab's test code, or "
                    "ask the lab which of its tests this is."],
            indicator="info")

    def _ambiguous_card(self, facts: OrderFacts, resource: dict, finding: Finding) -> Card:
        cpts = ", ".join(finding.evidence.codes)
        rows = finding.evidence.candidates
        suggestions = []
        for row, fix in zip(rows, finding.fixes, strict=True):
            label = f"Order {row.test_name} ({row.test_code}), Z-code {row.zcode}"
            suggestions.append(Suggestion(
                label=label, uuid=_DERIVED,
                actions=[self._update(resource, fix.changes, describe_changes(fix.changes))]))
        return self._card(
            summary=_truncate(f"CPT {cpts} fits {len(rows)} of the lab's tests: choose the test "
                              "to get its Z-code"),
            detail=["Each of these tests is billed with CPT " + cpts + " and has its own "
                    "Z-code; the claim needs the one of the test performed:",
                    *(f"- {r.test_name} ({r.test_code}): Z-code {r.zcode}" for r in rows),
                    _date_line(facts)],
            indicator="info", suggestions=suggestions)

    def _card(self, *, summary: str, detail: list[str], indicator: str,
              suggestions: list[Suggestion] | None = None,
              links: list[Link] | None = None) -> Card:
        return Card(
            uuid=_DERIVED, summary=summary, detail="\n\n".join(line for line in detail if line),
            indicator=indicator, source=Source(label=self.source_label),
            suggestions=suggestions or None,
            selectionBehavior="at-most-one" if suggestions else None, links=links or None)


def with_codes(resource: dict[str, Any], changes: Iterable[CodeChange],
               systems: CodeSystems) -> dict[str, Any]:
    """A copy of the order with each change's code as its only code of that kind. A wrong code
    is replaced where it stood, new codes follow the others, empty codings (`{}`) are dropped
    and everything else is kept as it was."""
    wanted = {c.kind: {"system": systems.system_for(c.kind), "code": c.code}
              for c in sorted(changes, key=lambda c: list(CodeKind).index(c.kind))}
    placed: set[CodeKind] = set()
    codings: list[dict] = []
    concept = resource.get("code") or {}
    for coding in concept.get("coding", []):
        kind = systems.kind_of(coding.get("system"))
        if kind in wanted:
            if kind not in placed:
                codings.append(wanted[kind])
                placed.add(kind)
        elif coding:
            codings.append(coding)
    codings += [c for kind, c in wanted.items() if kind not in placed]
    # Copy on write: only the members that change are new; the rest is shared with the order
    # as received, which nothing mutates (a deep copy per action was the renderer's main cost).
    return {**resource, "code": {**concept, "coding": codings}}


def describe_changes(changes: Iterable[CodeChange]) -> str:
    """`add CPT 81445 and Z-code ZL5H2`, `replace Z-code ZK3B5 with ZL5H2`."""
    added = [f"{_KIND_NAMES[c.kind]} {c.code}" for c in changes if not c.replaces]
    replaced = [f"replace {_KIND_NAMES[c.kind]} {c.replaces} with {c.code}"
                for c in changes if c.replaces]
    parts = ([f"add {' and '.join(added)}"] if added else []) + replaced
    return "; ".join(parts)


def _merged_changes(findings: list[Finding]) -> list[CodeChange]:
    """One change per kind of code across the order's code findings, the first one winning."""
    merged: dict[CodeKind, CodeChange] = {}
    for finding in findings:
        for change in finding.fixes[0].changes:
            merged.setdefault(change.kind, change)
    return list(merged.values())


# -- wording ------------------------------------------------------------------------------

Namer = Callable[[str], str]  # test name or code -> summary


def _missing_summary(finding: Finding, row: CatalogRow) -> Namer:
    what = _sentence(describe_changes(finding.fixes[0].changes))
    payer = finding.evidence.payer
    return lambda name: f"{what} to {name}: {payer.name} requires the Z-code"


def _mismatch_summary(finding: Finding, row: CatalogRow) -> Namer:
    change = finding.fixes[0].changes[0]
    kind = _KIND_NAMES[change.kind]
    return lambda name: f"Wrong {kind} {change.replaces} on {name}: use {change.code}"


def _stale_summary(finding: Finding, row: CatalogRow) -> Namer:
    change, old = finding.fixes[0].changes[0], finding.evidence.superseded
    kind = _KIND_NAMES[change.kind]
    return lambda name: (f"{kind} {change.replaces} of {name} ended {old.effective_to}: "
                         f"use {change.code}")


def _panel_summary(finding: Finding, row: CatalogRow) -> Namer:
    change = finding.fixes[0].changes[0]
    return lambda name: (f"{name} is billed as one panel with CPT {change.code}, not "
                         f"{change.replaces}")


_CODE_SUMMARIES: dict[str, Callable[[Finding, CatalogRow], Namer]] = {
    missing_zcode.RULE_ID: _missing_summary,
    mismatched_codes.RULE_ID: _mismatch_summary,
    stale_code.RULE_ID: _stale_summary,
    panel_cpt.RULE_ID: _panel_summary,
}


def _missing_detail(finding: Finding, row: CatalogRow, knowledge: Knowledge) -> str:
    payer = finding.evidence.payer
    return (f"**{payer.name}** requires the DEX Z-code of a molecular test on the claim for "
            f"dates of service from {payer.zcode_required_from}; a claim without it is "
            "returned unpaid (CARC CO-252, RARC N706).")


def _mismatch_detail(finding: Finding, row: CatalogRow, knowledge: Knowledge) -> str:
    owners = dict(finding.evidence.owners)
    lines = []
    for change in finding.fixes[0].changes:
        kind = _KIND_NAMES[change.kind]
        owner = owners.get(change.replaces)
        whose = f"belongs to {owner}, not to this test" if owner and owner != row.test_code \
            else "is not the one DEX assigned to this test"
        lines.append(f"{kind} {change.replaces} {whose}; this test's {kind} is **{change.code}**.")
    lines.append("Payers deny a claim whose Z-code and CPT do not match the test performed.")
    return " ".join(lines)


def _stale_detail(finding: Finding, row: CatalogRow, knowledge: Knowledge) -> str:
    change, old = finding.fixes[0].changes[0], finding.evidence.superseded
    kind = _KIND_NAMES[change.kind]
    return (f"{kind} {change.replaces} was this test's code until {old.effective_to}; from "
            f"{row.effective_from} it is **{change.code}**. A claim with the old code is denied.")


_CODE_DETAILS: dict[str, Callable[[Finding, CatalogRow, Knowledge], str]] = {
    missing_zcode.RULE_ID: _missing_detail,
    mismatched_codes.RULE_ID: _mismatch_detail,
    stale_code.RULE_ID: _stale_detail,
    panel_cpt.RULE_ID: lambda finding, row, knowledge: _panel_rule(finding, row),
}

_NOT_PAYABLE_SUMMARY = {
    DexStatus.REGISTERED: "will not be paid yet: DEX has not assigned its CPT and coverage",
    DexStatus.TA_PENDING: "will not be paid yet: its MolDX technical assessment is pending",
    DexStatus.TA_NOT_SUCCESSFUL: "will not be paid: its MolDX technical assessment failed",
    DexStatus.NOT_COVERED: "will not be paid: MolDX does not cover it",
    DexStatus.RETIRED: "is retired from the lab's test menu",
}

_NOT_PAYABLE = {
    DexStatus.REGISTERED: (
        "Z-code {z} is registered in DEX, but a Z-code is not effective for claims until the "
        "DEX clinical team has reviewed the test and assigned its CPT code and coverage.",
        "The lab can complete its DEX submission and any technical assessment DEX asks for; "
        "until then, consider a covered alternative."),
    DexStatus.TA_PENDING: (
        "The MolDX technical assessment of Z-code {z} is under way; claims are not paid until "
        "it is complete and successful.",
        "The lab can answer DEX's documentation requests (due within 15 calendar days); "
        "meanwhile, consider a covered alternative."),
    DexStatus.TA_NOT_SUCCESSFUL: (
        "MolDX found the technical assessment of Z-code {z} not successful: the documentation "
        "did not show the test's analytical and clinical validity or clinical utility.",
        "The lab can resubmit the technical assessment with new evidence; meanwhile, consider "
        "a covered alternative."),
    DexStatus.NOT_COVERED: (
        "The MolDX coverage decision for Z-code {z} is that the test is not covered.",
        "Consider a covered alternative."),
    DexStatus.RETIRED: (
        "The lab has retired this test (Z-code {z}) and no longer performs it.",
        "Order the lab's current test instead."),
}


def _catalog_line(row: CatalogRow) -> str:
    cpt = f"CPT **{row.cpt}**" if row.cpt else "no CPT yet"
    return (f"Catalog: **{row.test_name}** ({row.test_code}), {cpt}, Z-code **{row.zcode}**, "
            f"DEX status {row.dex_status.value}.")


def _date_line(facts: OrderFacts) -> str:
    source = {DateSource.OCCURRENCE: "the order's occurrence",
              DateSource.AUTHORED: "the order's authoredOn"}.get(facts.date_source)
    if source:
        return f"Date of service: {facts.date_of_service} (from {source})."
    return f"The order carries no date of service; checked for today, {facts.date_of_service}."


def _at_risk_line(row: CatalogRow) -> str:
    return f"Amount at risk: ${_money(row.list_price_usd)} (list price)." \
        if row.list_price_usd else ""


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _period(start: date, end: date | None) -> str:
    return f"{start} to {end}" if end else f"{start} on"


def _fit(summary: Namer, row: CatalogRow) -> str:
    """The summary naming the test by name when that fits, else by its shorter code."""
    by_name = summary(row.test_name)
    return by_name if len(by_name) <= SUMMARY_LIMIT else _truncate(summary(row.test_code))


def _truncate(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1].rstrip() + "…"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reference(resource: dict) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


# -- coverage policy and panel coding cards --------------------------------------------------
# Each finding of these rules is a card of its own. Their suggestions update the order from
# the order as received: a clinician takes one of them, and the coding card's update stays
# the one that carries the codes.

CardBuilder = Callable[[Renderer, OrderFacts, dict, Finding], Card]
TCGP_ARTICLE = "MolDX: Targeted and Comprehensive Genomic Profile Testing in Cancer"


def _is_code_fix(finding: Finding) -> bool:
    """A finding whose fix is a code on the order: it joins the order's one coding card. A panel
    finding without a fix (the catalog's own CPT is wrong) gets a card of its own."""
    return finding.rule in CODE_RULES and bool(finding.fixes)


def _panel_rule(finding: Finding, row: CatalogRow) -> str:
    allowed = ", ".join(finding.evidence.expected)
    kind = {"cgp": "a comprehensive genomic profile", "rna-panel": "an RNA panel"}.get(
        row.panel_kind.value, f"a {row.nucleic_acid.value} panel of {row.gene_count} genes")
    return (f"The MolDX article *{TCGP_ARTICLE}* codes {kind} as CPT **{allowed}**, one unit "
            f"of service; {', '.join(finding.evidence.codes)} does not fit it.")


def _panel_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                finding: Finding) -> Card:
    """The catalog's own CPT does not fit the panel: only the lab can correct it with DEX."""
    row = finding.evidence.row
    wrong = ", ".join(finding.evidence.codes)
    return renderer._card(
        summary=_fit(lambda name: f"CPT {wrong} of {name} does not fit the panel: the lab "
                     "should review it with DEX", row),
        detail=[_panel_rule(finding, row),
                (f"The lab's catalog bills this test with CPT {row.cpt}" if row.cpt else
                 "The lab's catalog has no CPT for this test yet") + ". A code on the order "
                "cannot fix this: the lab should have DEX review the CPT assigned to Z-code "
                f"{row.zcode}.", _catalog_line(row), _date_line(facts)],
        indicator="warning")


def _invalid_diagnosis_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                            finding: Finding) -> Card:
    code = finding.evidence.codes[0]
    release = renderer.knowledge.icd10.release.replace("-", " ")
    name = _order_name(facts)
    choices = finding.evidence.choices
    if renderer.knowledge.icd10.status(code) is IcdStatus.UNKNOWN:
        summary = f"{code} on {name} is not an ICD-10-CM code: the claim will be rejected"
        detail = [f"**{code}** is not a code of ICD-10-CM ({release} release). Check the "
                  "diagnosis and enter a valid, billable code."]
    else:
        summary = f"{code} on {name} is not billable: choose a more specific ICD-10-CM code"
        detail = [f"**{code}** is a category of ICD-10-CM ({release} release) that needs more "
                  "characters; a claim needs a billable code."]
        if choices:
            detail.append("The billable codes under it: " + ", ".join(choices) + ".")
        if not finding.fixes and choices:
            detail.append("The code comes from a Condition linked to the order: correct it "
                          "there.")
    suggestions = [Suggestion(label=f"Use {fix.reasons[0].code} in place of {code}",
                              uuid=_DERIVED, actions=[_fix_update(renderer, resource, fix)])
                   for fix in finding.fixes]
    return renderer._card(summary=_truncate(summary), detail=[*detail, _date_line(facts)],
                          indicator="warning", suggestions=suggestions)


def _unknown_payer_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                        finding: Finding) -> Card:
    identifier = finding.evidence.payer_identifier
    payer = f"payer {identifier[1]}" if identifier else "a payer without an identifier"
    where = f" ({identifier[0]})" if identifier and identifier[0] else ""
    return renderer._card(
        summary=_truncate(f"The lab does not know {payer}: Z-code and coverage checks were "
                          "skipped"),
        detail=[f"The order's coverage ({facts.coverage.coverage or 'Coverage'}) names {payer}"
                f"{where}, which is not in the payer list of {renderer.knowledge.lab.name}. "
                "Whether it requires DEX Z-codes or follows the MolDX coverage articles is "
                "unknown, so those checks were not made; the checks that need no payer were.",
                "Ask the lab to add the payer to its payer list."],
        indicator="info")


def _policy_unavailable_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                             finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    article = evidence.article_id
    if evidence.article is not None:
        contract = renderer.knowledge.lab.medicare_part_b_contract
        why = (f"{article} is not an article of the lab's Medicare contractor (Part B "
               f"contract {contract}), which Medicare Part B claims go to")
    elif renderer.knowledge.policy.has(article):
        why = f"{article} has no version in force on {facts.date_of_service}"
    else:
        why = (f"the coverage policy loaded does not hold {article} (load it with `moldx-cds "
               f"policy import` or `moldx-cds policy sync --article {article}`)")
    return renderer._card(
        summary=_fit(lambda name: f"Diagnosis not checked for {name}: no usable version of "
                     f"{article}", row),
        detail=[f"The lab's catalog names billing article **{article}** for this test, but "
                f"{why}. The diagnosis was not checked against the coverage policy.",
                _catalog_line(row), _date_line(facts)],
        indicator="info", links=[_article_link(article)])


def _diagnosis_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                    finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    article = evidence.article
    codes = ", ".join(evidence.codes)
    detail = [
        (f"None of the order's diagnoses ({codes})" if codes else "The order has no diagnosis,"
         " and so none") + f" is in a covered ICD-10-CM group of **{article.article}** "
        f"version {article.version}, *{article.title}* (in force from {article.effective_from})"
        ". The claim will be denied as not medically necessary."]
    if evidence.noncovered:
        detail.append(f"{', '.join(evidence.noncovered)}: on the article's list of diagnoses "
                      "that do **not** support medical necessity.")
    suggestions = []
    for fix in finding.fixes:
        reason = fix.reasons[0]
        suggestions.append(Suggestion(
            label=f"Add {reason.code} ({reason.condition}) as a reason for the order",
            uuid=_DERIVED, actions=[_fix_update(renderer, resource, fix)]))
    if suggestions:
        detail.append("The patient's problem list has a diagnosis the article covers; link it "
                      "to the order if it is the reason for this test.")
    if evidence.abn:
        detail.append("For this Medicare patient, an **Advance Beneficiary Notice** (form "
                      "CMS-R-131) must be signed **before the specimen is taken**; the claim then "
                      "carries modifier **GA** and the patient can be billed if Medicare denies "
                      "it.")
    summary = (lambda name: f"{name}: diagnosis not covered by {article.article}; ABN "
               "(modifier GA) needed before collection") if evidence.abn else (
        lambda name: f"{name}: the diagnosis on the order is not covered by {article.article}")
    return renderer._card(
        summary=_fit(summary, row),
        detail=[*detail, _catalog_line(row), _date_line(facts), _at_risk_line(row)],
        indicator="warning", suggestions=suggestions,
        links=[_article_link(article.article, article.version)])


def _units_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                finding: Finding) -> Card:
    row, units = finding.evidence.row, _number(finding.evidence.quantity)
    return renderer._card(
        summary=_fit(lambda name: f"Bill {name} as one unit of service, not {units}", row),
        detail=[f"The order asks for {units} units. An NGS panel is one unit of service "
                f"(*{TCGP_ARTICLE}*); more units are denied.", _catalog_line(row),
                _date_line(facts)],
        indicator="warning",
        suggestions=[Suggestion(label="Set the quantity to 1", uuid=_DERIVED, isRecommended=True,
                                actions=[_fix_update(renderer, resource, finding.fixes[0])])])


def _cgp_specimen_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                       finding: Finding) -> Card:
    evidence, name = finding.evidence, _order_name(facts)
    if cgp_specimen.is_cgp(facts):
        summary = (f"Second comprehensive genomic profile on {evidence.specimen}: MolDX covers "
                   "one per specimen")
    else:
        summary = (f"{name} is on a specimen with a comprehensive genomic profile: no further "
                   "molecular test is covered")
    return renderer._card(
        summary=_truncate(summary),
        detail=[f"Specimen {evidence.specimen} also has:", *map(_other_line, evidence.others),
                f"Coverage of a comprehensive genomic profile is limited to one test per "
                f"surgical specimen and precludes any further molecular testing on that "
                f"specimen (*{TCGP_ARTICLE}*). Use another specimen, or drop this order.",
                _date_line(facts)],
        indicator="warning", suggestions=_drop_order(resource, finding))


def _single_gene_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                      finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    genes = sorted(row.genes & frozenset().union(*(o.row.genes for o in evidence.others)))
    return renderer._card(
        summary=_fit(lambda name: f"{name}: {', '.join(genes)} is already tested by a panel on "
                     f"{evidence.specimen}", row),
        detail=[f"CPT {', '.join(evidence.codes)} is a Tier 1/Tier 2 single-gene code. MolDX "
                "does not pay such codes for genes tested in an NGS or other multiplex panel "
                f"(*{TCGP_ARTICLE}*), and specimen {evidence.specimen} has:",
                *map(_other_line, evidence.others), _catalog_line(row), _date_line(facts)],
        indicator="warning", suggestions=_drop_order(resource, finding))


_POLICY_CARDS: dict[str, CardBuilder] = {
    panel_cpt.RULE_ID: _panel_card,
    invalid_diagnosis.RULE_ID: _invalid_diagnosis_card,
    unknown_payer.RULE_ID: _unknown_payer_card,
    policy_unavailable.RULE_ID: _policy_unavailable_card,
    diagnosis_coverage.RULE_ID: _diagnosis_card,
    units_of_service.RULE_ID: _units_card,
    cgp_specimen.RULE_ID: _cgp_specimen_card,
    single_gene_in_panel.RULE_ID: _single_gene_card,
}


def with_fix(resource: dict[str, Any], fix: Fix, systems: CodeSystems) -> dict[str, Any]:
    """A copy of the order with a fix's codes, diagnoses and quantity applied (copy on write,
    as in with_codes)."""
    updated = with_codes(resource, fix.changes, systems) if fix.changes else dict(resource)
    for reason in fix.reasons:
        if reason.condition:
            updated["reasonReference"] = [*updated.get("reasonReference", []),
                                          {"reference": reason.condition}]
        else:
            updated["reasonCode"] = [_with_diagnosis(concept, reason.replaces, reason.code)
                                     for concept in updated.get("reasonCode", [])]
    if fix.quantity is not None:
        updated["quantityQuantity"] = {"value": fix.quantity}
    return updated


def _with_diagnosis(concept: dict, old: str | None, new: str) -> dict:
    """The reason with ICD-10-CM code `old` replaced by `new` (and its display dropped: it
    described the old code)."""
    codings = []
    for coding in concept.get("coding", []):
        if coding.get("system") == ICD10CM_SYSTEM and coding.get("code") and \
                normalize_icd10(coding["code"]) == old:
            coding = {k: v for k, v in coding.items() if k != "display"} | {"code": new}
        codings.append(coding)
    return {**concept, "coding": codings}


def _fix_update(renderer: Renderer, resource: dict, fix: Fix) -> Action:
    return Action(type="update", resource=with_fix(resource, fix, renderer.systems),
                  description=f"{_reference(resource)}: {describe_fix(fix)}")


def describe_fix(fix: Fix) -> str:
    """`replace CPT 81445 with 81479`, `add Condition/c-1 as a reason`, `drop the order`."""
    parts = [describe_changes(fix.changes)] if fix.changes else []
    for reason in fix.reasons:
        parts.append(f"add {reason.condition} as a reason" if reason.condition
                     else f"replace diagnosis {reason.replaces} with {reason.code}")
    if fix.quantity is not None:
        parts.append(f"set the quantity to {fix.quantity}")
    if fix.cancel:
        parts.append("drop the order")
    return "; ".join(parts)


def _drop_order(resource: dict, finding: Finding) -> list[Suggestion]:
    if not any(fix.cancel for fix in finding.fixes):
        return []
    reference = _reference(resource)
    return [Suggestion(label="Drop this order", uuid=_DERIVED, actions=[Action(
        type="delete", resourceId=reference, description=f"{reference}: drop the order")])]


def _other_line(other: OtherOrder) -> str:
    test = f"{other.row.test_name} ({other.row.test_code})" if other.row else "a molecular test"
    return f"- {test}: {'a draft order of this request' if other.draft else 'an existing order'}" \
        f" ({other.order})"


def _order_name(facts: OrderFacts) -> str:
    row = facts.row
    return row.test_name if row and len(row.test_name) <= 50 else (
        facts.test_code or facts.order)


def _article_link(article: str, version: int | None = None) -> Link:
    label = f"{article} version {version} (CMS MCD)" if version else f"{article} (CMS MCD)"
    return Link(label=label, url=ARTICLE_URL.format(article[1:]))


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else "?"
def _derived_uuid(*parts: str) -> str:
    """A version-4-shaped UUID from a hash of `parts`: unique per hook call (it includes the
    hookInstance) yet the same when the same call is retried."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _system_action(update: Action | None, resource: dict, with_coverage: bool) -> Action:
    """The one system action of an order: its certain code fix, or else an update that adds
    only the coverage information."""
    if update is None:
        return Action(type="update", resource=resource,
                      description=f"{_reference(resource)}: record coverage information")
    if not with_coverage:
        return update
    return update.model_copy(
        update={"description": f"{update.description}; record coverage information"})


_URGENCY = ("critical", "warning", "info")
# Cards about whether the payer covers the test (the rest are about the claim's codes).
_COVERAGE_RULES = {not_payable.RULE_ID, diagnosis_coverage.RULE_ID, policy_unavailable.RULE_ID}
OVERRIDE_SYSTEM = "urn:moldx-cds:override-reason"
_OVERRIDES = {
    "payer-no-zcode": "Payer does not require a Z-code",
    "lab-will-code": "The performing lab will correct the codes",
    "abn-signed": "ABN signed",
    "self-pay": "Patient will pay for the test",
    "indication-not-coded": "Indication documented but not coded",
    "other-specimen": "Another specimen will be tested",
}
_OVERRIDES_BY_RULE = {
    missing_zcode.RULE_ID: ("payer-no-zcode", "lab-will-code"),
    mismatched_codes.RULE_ID: ("lab-will-code",),
    stale_code.RULE_ID: ("lab-will-code",),
    panel_cpt.RULE_ID: ("lab-will-code",),
    units_of_service.RULE_ID: ("lab-will-code",),
    not_payable.RULE_ID: ("abn-signed", "self-pay"),
    diagnosis_coverage.RULE_ID: ("indication-not-coded", "abn-signed", "self-pay"),
    invalid_diagnosis.RULE_ID: ("indication-not-coded",),
    cgp_specimen.RULE_ID: ("other-specimen", "self-pay"),
    single_gene_in_panel.RULE_ID: ("other-specimen", "self-pay"),
}
_OTHER_OVERRIDES = ("indication-not-coded", "abn-signed")  # a warning of a rule not listed
OVERRIDE_REASONS = _OVERRIDES  # code -> display, for the feedback report


def _override_reasons(rules: Iterable[str]) -> list[Coding]:
    codes = dict.fromkeys(code for rule in rules
                          for code in _OVERRIDES_BY_RULE.get(rule, _OTHER_OVERRIDES))
    return [Coding(system=OVERRIDE_SYSTEM, code=c, display=_OVERRIDES[c]) for c in codes]
