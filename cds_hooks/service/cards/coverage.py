"""Cards about whether the payer pays for the test: its DEX status, and the order's diagnoses
against the coverage article (not covered, not a billable ICD-10-CM code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cds_hooks.service.inert import markdown_value as md
from cds_hooks.service.inert import markdown_values as md_list
from cds_hooks.service.models import Card, Link, Suggestion
from plugin.codes import is_secondary_site
from plugin.findings import Finding
from plugin.icd10cm import IcdStatus, description
from plugin.knowledge import DexStatus
from plugin.orders import OrderFacts
from plugin.rules import article_cpt, diagnosis_coverage, invalid_diagnosis, not_payable

from .order_edits import fix_action, replace_order
from .parts import (
    DERIVED,
    CardBuilder,
    article_link,
    at_risk_line,
    billing_line,
    card,
    catalog_line,
    date_line,
    demo_policy_line,
    fit,
    order_name,
    truncate,
)

if TYPE_CHECKING:
    from .renderer import Renderer


def not_payable_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                     finding: Finding) -> Card:
    row = finding.evidence.row
    assert row is not None
    reason, advice = _NOT_PAYABLE[row.dex_status]
    lab = renderer.knowledge.lab
    suggestions = [replace_order(resource, alt, renderer.systems,
                                 f"Order {alt.test_name} instead (covered)")
                   for alt in finding.evidence.alternatives]
    links = [Link(label=f"Ask {lab.name} about a covered test for the same use",
                  url=lab.contact_url)] if lab.contact_url and not suggestions else []
    return card(
        summary=fit(lambda name: f"{name} {_NOT_PAYABLE_SUMMARY[row.dex_status]}", row),
        suggestions=suggestions, links=links,
        detail=[reason, billing_line(advice.format(z=row.zcode)), catalog_line(row),
                date_line(facts),
                at_risk_line(row), billing_line(
                    "the denial is on the test's code, not on medical necessity, so an ABN "
                    "(modifier GA) does not let the lab bill the patient for it.")
                if row.dex_status is not DexStatus.RETIRED else ""],
        indicator="warning",
    )


_NOT_PAYABLE_SUMMARY = {
    DexStatus.REGISTERED: "will not be paid yet: the test has no coverage decision",
    DexStatus.TA_PENDING: "will not be paid yet: the payer's review of the test is not done",
    DexStatus.TA_NOT_SUCCESSFUL: "will not be paid: the test failed the payer's review",
    DexStatus.NOT_COVERED: "will not be paid: the payer does not cover this test",
    DexStatus.RETIRED: "is retired from the lab's test menu",
}


_NOT_PAYABLE = {  # (for the clinician, for the billing staff)
    DexStatus.REGISTERED: (
        "The payer has not yet reviewed this test or decided its coverage; until it has, "
        "claims are not paid. Consider a covered alternative.",
        "Z-code {z} is registered in DEX, but a Z-code is not effective for claims until the "
        "DEX clinical team has reviewed the test and assigned its CPT code and coverage; the "
        "lab can complete its submission and any technical assessment DEX asks for."),
    DexStatus.TA_PENDING: (
        "The payer's technical assessment of this test is under way; claims are not paid until "
        "it is complete and successful. Meanwhile, consider a covered alternative.",
        "MolDX technical assessment of Z-code {z} pending; the lab answers DEX's documentation "
        "requests within 15 calendar days."),
    DexStatus.TA_NOT_SUCCESSFUL: (
        "The payer's technical assessment found that the evidence did not show this test's "
        "validity or clinical utility, so claims are not paid. Consider a covered alternative.",
        "MolDX found the technical assessment of Z-code {z} not successful; the lab can "
        "resubmit it with new evidence."),
    DexStatus.NOT_COVERED: (
        "The payer has decided that this test is not covered. Consider a covered alternative.",
        "The MolDX coverage decision for Z-code {z} is not covered."),
    DexStatus.RETIRED: (
        "The lab has retired this test and no longer performs it. Order the lab's current "
        "test instead.",
        "Z-code {z} is retired from the lab's catalog."),
}


def diagnosis_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                   finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    article = evidence.article
    codes = ", ".join(evidence.codes)
    uncoded = facts.other_reasons
    secondary = bool(evidence.codes) and all(is_secondary_site(c) for c in evidence.codes)
    if codes:
        opening = f"None of the order's diagnoses ({md_list(evidence.codes)})"
    elif uncoded:
        opening = "The order has no ICD-10-CM diagnosis, so none"
    else:
        opening = "The order has no diagnosis, and so none"
    outcome = (" A claim needs an ICD-10-CM diagnosis the policy covers." if uncoded and not codes
               else " The claim will be denied as not medically necessary.")
    detail = [opening + " is one the payer's coverage policy for this test covers." + outcome]
    todo = []
    if uncoded:
        todo.append(_uncoded_line(uncoded))
    if secondary:
        todo.append(f"{md_list(evidence.codes)} codes a secondary (metastatic) site. A "
                    "solid-tumour NGS claim is coded with the primary tumour: add the "
                    "ICD-10-CM code of the primary cancer.")
    suggestions = condition_suggestions(renderer, resource, finding)
    if suggestions:
        todo.append("The patient's problem list has a diagnosis the policy covers; link it "
                    "to the order if it is the reason for this test.")
    if evidence.abn:
        todo.append("For this Medicare patient, an **Advance Beneficiary Notice** (form "
                    "CMS-R-131) must be signed **before the specimen is taken**, so that the "
                    "patient can be billed if Medicare denies the claim.")
    detail.append(" ".join(todo))
    if evidence.noncovered:
        detail.append(f"{md_list(evidence.noncovered)}: on the article's list of diagnoses "
                      "that do **not** support medical necessity.")
    detail.append(billing_line(
        f"the policy is **{article.article}** version {article.version}, *{article.title}* "
        f"(in force from {article.effective_from})."))
    if evidence.abn:
        detail.append(billing_line("with the notice signed, the claim carries modifier "
                                   "**GA**."))
    if uncoded and not codes:
        first = uncoded[0][0]
        summary = lambda name: (f"{name}: the claim needs the ICD-10-CM code for "  # noqa: E731
                                f"{first}")
    elif secondary:
        summary = lambda name: (f"{name}: {codes} is a secondary site; the claim "  # noqa: E731
                                "needs the primary tumour's code")
    elif evidence.abn:
        summary = lambda name: (f"{name}: this test is not covered for this diagnosis; "  # noqa
                                "the patient signs a Medicare notice before collection")
    else:
        summary = lambda name: (f"{name}: this test is not covered for this "  # noqa: E731
                                "diagnosis")
    return card(
        summary=fit(summary, row),
        detail=[*detail, catalog_line(row), date_line(facts), at_risk_line(row),
                demo_policy_line(renderer.knowledge)],
        indicator="warning", suggestions=suggestions,
        links=[article_link(article.article, article.version)])


def condition_suggestions(renderer: Renderer, resource: dict,
                          finding: Finding) -> list[Suggestion]:
    """Link each covered active condition of the patient as the order's reason."""
    suggestions = []
    for fix in finding.fixes:
        reason = fix.reasons[0]
        suggestions.append(Suggestion(
            label=f"Add {reason.code}" + (f" ({reason.display})" if reason.display else "")
            + " as a reason for the order",
            uuid=DERIVED, actions=[fix_action(resource, renderer.systems, fix)]))
    return suggestions


def _uncoded_line(uncoded: tuple[tuple[str, str], ...]) -> str:
    """Reasons written in SNOMED CT or as text: named, never mapped by an invented table."""
    named = "; ".join(f"{md(label)} ({'as text' if system == 'text' else 'coded in ' + system})"
                      for label, system in uncoded)
    return (f"The order's reason is {named}. Claims carry ICD-10-CM: the claim needs the "
            "ICD-10-CM code for it.")


def invalid_diagnosis_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                           finding: Finding) -> Card:
    code = finding.evidence.codes[0]
    release = renderer.knowledge.icd10.release.replace("-", " ")
    name = order_name(facts)
    choices = finding.evidence.choices
    if renderer.knowledge.icd10.status(code) is IcdStatus.UNKNOWN:
        summary = f"{code} on {name} is not an ICD-10-CM code: the claim will be rejected"
        detail = [f"**{md(code)}** is not a code of ICD-10-CM ({release} release). Check the "
                  "diagnosis and enter a valid, billable code."]
    else:
        summary = f"{code} on {name} is not billable: choose a more specific ICD-10-CM code"
        detail = [f"**{md(code)}** is a category of ICD-10-CM ({release} release) that needs more "
                  "characters; a claim needs a billable code."]
        if choices:
            detail.append("The billable codes under it:\n" + "\n".join(
                f"- {_named(choice)}" for choice in choices))
        if not finding.fixes and choices:
            detail.append("The code comes from a Condition linked to the order: correct it "
                          "there.")
    suggestions = [Suggestion(label=f"Use {_named(fix.reasons[0].code)}", uuid=DERIVED,
                              actions=[fix_action(resource, renderer.systems, fix)])
                   for fix in finding.fixes]
    return card(summary=truncate(summary), detail=[*detail, date_line(facts)],
                indicator="warning", suggestions=suggestions)


def _named(code: str) -> str:
    """`C34.91 Malignant neoplasm of unspecified part of right bronchus or lung`."""
    meaning = description(code)
    return f"{code} {meaning}" if meaning else code


def article_cpt_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                     finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    article, codes = evidence.article, ", ".join(evidence.codes)
    return card(
        summary=fit(lambda name: f"{name}: the lab should review how this test is billed "
                    f"(CPT {codes})", row),
        detail=[f"**{article.article}** version {article.version}, *{article.title}* (in force "
                f"from {article.effective_from}), lists the CPT/HCPCS codes it covers, and "
                f"{md_list(evidence.codes)} is not among them; a claim with it falls outside "
                "the article. The lab should check the code DEX assigned to its test, or the "
                "article the catalog names.", catalog_line(row), date_line(facts),
                demo_policy_line(renderer.knowledge),
                billing_line("codes of the article: " + ", ".join(evidence.expected) + ".")],
        indicator="warning", links=[article_link(article.article, article.version)])


CARDS: dict[str, CardBuilder] = {
    article_cpt.RULE_ID: article_cpt_card,
    not_payable.RULE_ID: not_payable_card,
    diagnosis_coverage.RULE_ID: diagnosis_card,
    invalid_diagnosis.RULE_ID: invalid_diagnosis_card,
}


# What a finding shown through its root's card (plugin.causes) still offers there.
CONSEQUENCE_SUGGESTIONS = {diagnosis_coverage.RULE_ID: condition_suggestions}
