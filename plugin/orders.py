"""Order facts: what a FHIR ServiceRequest says, in the terms the rules reason with."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from . import fhir
from .codes import (
    CPT_SYSTEM_ALIASES,
    ICD10CM_SYSTEM,
    CodeKind,
    CodeSystems,
    is_dex_cpt,
    is_pla,
    is_zcode,
    normalize_icd10,
)
from .knowledge import CatalogRow, Knowledge, PanelKind, Payer
from .knowledge.csvrows import URI

# Condition.clinicalStatus codes of a condition the patient has now.
_ACTIVE = frozenset({"active", "recurrence", "relapse"})
# ServiceRequest.status of orders that were never valid or were withdrawn: no evidence of a test.
_VOID = frozenset({"revoked", "entered-in-error"})


class IdentifiedBy(StrEnum):
    """Which code on the order named the catalog test."""

    TEST_CODE = "test-code"
    ZCODE = "zcode"
    PLA = "pla"  # a PLA code names one lab's test
    CPT = "cpt"  # any other CPT: it names a kind of test, not which one
    # A CPT on the lab's own claim that exactly one catalog test bills on the date of service:
    # the lab bills only tests it ran, so there the CPT names the test (plugin/claim_lines.py).
    CLAIM_CPT = "claim-cpt"
    # The client EHR's own code that the lab's compendium (aliases.csv) maps to this one test:
    # the lab's own mapping, as sure as its test code.
    ALIAS = "alias"
    # An EHR code the compendium maps to several tests (a generic LOINC genetic order code),
    # of which the date of service or the order's CPTs left one: a likely test, not a sure one.
    GENERIC_CODE = "generic-code"
    # A CPT of the order's Da Vinci CRD billing options, which the EHR sends as candidates.
    BILLING_OPTION = "billing-option"


_FOR_SURE = frozenset({IdentifiedBy.TEST_CODE, IdentifiedBy.ALIAS, IdentifiedBy.ZCODE,
                       IdentifiedBy.PLA, IdentifiedBy.CLAIM_CPT})

# Code systems a reason may be written in besides ICD-10-CM, by the names people know them by.
_REASON_SYSTEMS = {"http://snomed.info/sct": "SNOMED CT"}


class DateSource(StrEnum):
    SPECIMEN = "specimen"  # the day its specimen was collected (42 CFR 414.510)
    OCCURRENCE = "occurrence"
    AUTHORED = "authoredOn"
    TODAY = "today"  # the order carries no usable date


@dataclass(frozen=True)
class CoverageFacts:
    coverage: str | None  # `Coverage/id` of the coverage the order is billed to
    payer_identifier: tuple[str, str] | None  # (system, value) from Coverage.payor
    payer: Payer | None  # what the knowledge says of that payer; None when unknown


@dataclass(frozen=True)
class EhrCode:
    """A code of the client EHR's own on the order (`ServiceRequest.code.coding` in a system
    that is not the lab's, CPT or the Z-codes'): an orderable id, a LOINC or GTR code."""

    system: str
    code: str
    display: str | None
    named: bool  # the lab's aliases map it to a test for this client


@dataclass(frozen=True)
class OrderFacts:
    order: str  # `ServiceRequest/id`
    test_codes: tuple[str, ...]  # the lab's test codes on the order
    cpts: tuple[str, ...]
    zcodes: tuple[str, ...]
    test_code: str | None  # the catalog test the order is, when its codes name exactly one
    identified_by: IdentifiedBy | None
    row: CatalogRow | None  # that test's catalog row in force on the date of service
    candidates: tuple[CatalogRow, ...]  # catalog rows sharing the order's CPT, when several do
    date_of_service: date
    date_source: DateSource
    diagnoses: tuple[str, ...]  # ICD-10-CM codes, dotted, from reasonCode and reasonReference
    coverage: CoverageFacts | None  # None: no active Coverage known
    specimens: tuple[str, ...]  # specimen references
    reason_codes: tuple[str, ...] = ()  # the diagnoses written in reasonCode itself
    quantity: float | None = None  # quantityQuantity.value: the units of service asked for
    draft: bool = True  # status draft: ordered now, not yet placed
    malformed_zcodes: tuple[str, ...] = ()  # codes in the Z-code system that are not Z-codes
    # Reasons not written in ICD-10-CM (SNOMED CT, text): (what the order calls it, system).
    other_reasons: tuple[tuple[str, str], ...] = ()
    specimen_label: str | None = None  # the dated specimen's type, when it has one
    # The CPTs of the order's Da Vinci CRD 2.2 billing options (ext-billing-options on
    # ServiceRequest.code): the EHR's likely billing codes, candidates only.
    billing_cpts: tuple[str, ...] = ()
    # (system, code) of the EHR's own codes on the order that the lab's aliases map to a test.
    aliases: tuple[tuple[str, str], ...] = ()
    # Every code of the EHR's own on the order, named by an alias or not: what the lab's
    # interface analyst learns the missing aliases from (`moldx-cds report`, which keeps them
    # only for orders that name a molecular test: names_a_molecular_test).
    ehr_codes: tuple[EhrCode, ...] = ()
    # Why a claim line's test is not known for sure though its codes name one
    # (plugin/claim_lines.py, Doubt); None on orders and on lines whose test is known.
    doubt: str | None = None
    charge: Decimal | None = None  # a claim line's charge (SV102)
    modifiers: tuple[str, ...] = ()  # a claim line's modifiers (SV101-3..6)

    @property
    def identified_for_sure(self) -> bool:
        """The test is known for sure: by the lab's code, an EHR code the lab's aliases map to
        it alone, a Z-code or a PLA code, and on a claim line only where `doubt` is None. A CPT
        alone (on the order or among its billing options) names a kind of test that several
        tests share, and a generic code names several, so a fix built on them is a
        suggestion."""
        return self.doubt is None and self.identified_by in _FOR_SURE

    def codes_of(self, kind: CodeKind) -> tuple[str, ...]:
        return getattr(self, _CODES_OF[kind])

    @cached_property
    def specimen_keys(self) -> tuple[str, ...]:
        """The order's specimens as `Specimen/id` (also when written as absolute URLs), in its
        order: the rules per specimen compare them with every other order's, so they are
        worked out once."""
        return tuple(fhir.local_reference(s) for s in self.specimens)

    @cached_property
    def payer(self) -> Payer | None:
        """Cached: nearly every rule asks, for every order."""
        return self.coverage.payer if self.coverage else None

    @property
    def payer_checks_skipped(self) -> bool:
        """A test of the catalog, or a code that should name one, whose payer is not known (no
        active Coverage, or a payer the lab's list does not have): its payer's checks did not
        run, so no warning does not mean the order is clean."""
        return (self.row is not None or self.names_a_molecular_test) and self.payer is None

    @property
    def names_a_molecular_test(self) -> bool:
        """The order carries a code that should be in the lab's catalog: one of the lab's own
        test codes, a Z-code, an alias, or a CPT that DEX registers tests under (on the order
        or among its billing options)."""
        return _molecular(self.test_codes, self.zcodes, self.malformed_zcodes, self.aliases,
                          cpts=(*self.cpts, *self.billing_cpts))


def _molecular(*codes: tuple, cpts: tuple[str, ...] = ()) -> bool:
    """Any of `codes` (the lab's test codes, Z-codes, aliases) or a molecular CPT."""
    return any(codes) or any(is_dex_cpt(c) or is_pla(c) for c in cpts)


def may_name_a_lab_test(sr: fhir.ServiceRequest, knowledge: Knowledge, systems: CodeSystems,
                        issuer: str | None = None) -> bool:
    """Whether the order's codes alone (no other resource read) say it is, or may be, one of
    the lab's tests: what decides whether the patient's data is worth reading at all. An
    imaging, medication or equipment order is not, and gets nothing."""
    codes = _codes_by_kind(sr, systems)
    aliases, _ = _aliased(sr, systems, knowledge, issuer)
    return _molecular(codes[CodeKind.TEST], codes[CodeKind.ZCODE], aliases,
                      cpts=(*codes[CodeKind.CPT], *_billing_cpts(sr)))


# OrderFacts.codes_of: the field holding each kind of code.
_CODES_OF = {CodeKind.TEST: "test_codes", CodeKind.CPT: "cpts", CodeKind.ZCODE: "zcodes"}


@dataclass(frozen=True)
class ConditionFacts:
    condition: str  # `Condition/id`
    codes: tuple[str, ...]  # ICD-10-CM, dotted
    active: bool
    label: str | None = None  # what the Condition calls itself (code.text or a display)


@dataclass(frozen=True)
class PatientFacts:
    """What is known of the patient beyond each order: the evidence for rules across orders."""

    conditions: Sequence[ConditionFacts]  # the patient's problem list (ConditionsOnRead)
    orders: tuple[OrderFacts, ...]  # the orders of this request that are checked
    # Every other order known: the request's other drafts and the patient's existing
    # ServiceRequests (prefetch); the evidence of the rules per specimen.
    others: tuple[OrderFacts, ...] = ()

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each checked order's place in the request (the rules per specimen ask, for every
        order, which came first)."""
        return {o.order: i for i, o in enumerate(self.orders)}

    @cached_property
    def known_orders(self) -> tuple[OrderFacts, ...]:
        """Every order, the others first: the ones a specimen's rules compare with."""
        return (*self.others, *self.orders)


def facts_for(orders: Sequence[fhir.ServiceRequest], known: fhir.ResourceIndex,
              knowledge: Knowledge, systems: CodeSystems, today: date,
              issuer: str | None = None) -> tuple[tuple[OrderFacts, ...], PatientFacts]:
    """Facts for each order, and for the patient, from the resources known for the request.
    `issuer`: the client that sent them, whose own order codes (aliases) apply."""
    coverages = _Coverages(known, knowledge)
    facts = tuple(order_facts(sr, known, knowledge, systems, today, coverages, issuer)
                  for sr in orders)
    checked = {sr.reference for sr in orders}
    # Other orders matter only on a specimen of a checked order (the rules per specimen):
    # a patient's history can be long, and facts cost about 20 µs an order.
    # A comprehensive profile being ordered makes every earlier order evidence (a repeat
    # profile on another specimen).
    specimens = {key for f in facts for key in f.specimen_keys}
    any_specimen = any(f.row and f.row.panel_kind is PanelKind.CGP for f in facts)
    others = tuple(order_facts(sr, known, knowledge, systems, today, coverages, issuer)
                   for sr in known.of_type(fhir.ServiceRequest)
                   if sr.reference not in checked and sr.status not in _VOID
                   and (any_specimen or _on_any(sr, specimens)))
    conditions = ConditionsOnRead(known.of_type(fhir.Condition))
    return facts, PatientFacts(conditions=conditions, orders=facts, others=others)


def _on_any(sr: fhir.ServiceRequest, specimens: set[str]) -> bool:
    """The order names one of `specimens` (`Specimen/id`, as specimen_keys spells them)."""
    for reference in sr.specimen:
        if reference.reference and fhir.local_reference(reference.reference) in specimens:
            return True
    return False


def order_facts(sr: fhir.ServiceRequest, known: fhir.ResourceIndex, knowledge: Knowledge,
                systems: CodeSystems, today: date, coverages: _Coverages,
                issuer: str | None = None) -> OrderFacts:
    codes = _codes_by_kind(sr, systems)
    codes[CodeKind.ZCODE], malformed = _split_zcodes(codes[CodeKind.ZCODE])
    aliases, aliased = _aliased(sr, systems, knowledge, issuer)
    billing = _billing_cpts(sr)
    specimen = _dated_specimen(sr, known)
    day, source = _date_of_service(sr, specimen, today)
    test_code, identified_by, candidates = identify(codes, day, knowledge, aliased, billing)
    # Each reason's ICD-10-CM codes, read once: the diagnoses, the reasons written in
    # reasonCode and those in other code systems all come from them.
    reasons = _reasons(sr, known)
    icd10 = [_icd10_in(concept) for concept in reasons]
    return OrderFacts(
        order=sr.reference or "ServiceRequest",
        test_codes=codes[CodeKind.TEST],
        cpts=codes[CodeKind.CPT],
        zcodes=codes[CodeKind.ZCODE],
        test_code=test_code,
        identified_by=identified_by,
        row=knowledge.catalog.row_on(test_code, day) if test_code else None,
        candidates=candidates,
        date_of_service=day,
        date_source=source,
        diagnoses=_unique(icd10),
        coverage=coverages.of(sr),
        specimens=tuple(r.reference for r in sr.specimen if r.reference),
        reason_codes=_unique(icd10[:len(sr.reasonCode)]),
        quantity=sr.quantityQuantity.value if sr.quantityQuantity else None,
        draft=sr.status in (None, "draft"),
        malformed_zcodes=malformed,
        other_reasons=_other_reasons(
            [concept for concept, codes in zip(reasons, icd10, strict=True)
             if concept is not None and not codes]),
        specimen_label=specimen.type.label if specimen and specimen.type else None,
        billing_cpts=billing,
        aliases=aliases,
        ehr_codes=_ehr_codes(sr, systems, aliases),
    )


_KINDS = tuple(CodeKind)  # iterating the enum class itself costs a generator per order


def _codes_by_kind(sr: fhir.ServiceRequest, systems: CodeSystems) -> dict[CodeKind, tuple]:
    found: dict[CodeKind, list[str]] = {kind: [] for kind in _KINDS}
    for coding in sr.code.coding if sr.code else ():
        kind = systems.kind_of(coding.system)
        code = (coding.code or "").strip()
        if kind is None or not code:
            continue
        code = code if kind is CodeKind.TEST else code.upper()
        if code not in found[kind]:
            found[kind].append(code)
    return {kind: tuple(codes) for kind, codes in found.items()}


def _aliased(sr: fhir.ServiceRequest, systems: CodeSystems, knowledge: Knowledge,
             issuer: str | None) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The EHR codes on the order that the lab's aliases know, and the tests they name."""
    if not knowledge.aliases.tests or sr.code is None:
        return (), ()
    found, tests = [], []
    for coding in sr.code.coding:
        if systems.kind_of(coding.system) is not None:
            continue  # the lab's own code systems say what they mean
        code = (coding.code or "").strip()
        named = knowledge.aliases.tests_for(coding.system, code, issuer)
        if named:
            found.append((coding.system, code))
            tests += [t for t in named if t not in tests]
    return tuple(found), tuple(tests)


# What an aliases.csv row can hold: a system that is a URI (the file's check) and no code or
# system longer than an EHR's real ones, so a client cannot fill the audit trail with text.
_EHR_CODE_MAX = 255
_DISPLAY_MAX = 200


def _ehr_codes(sr: fhir.ServiceRequest, systems: CodeSystems,
               named: tuple[tuple[str, str], ...]) -> tuple[EhrCode, ...]:
    """The EHR's own codes on the order, each once, and whether an alias named it."""
    found: dict[tuple[str, str], EhrCode] = {}
    for coding in sr.code.coding if sr.code else ():
        system, code = coding.system or "", (coding.code or "").strip()
        if systems.kind_of(system) is not None or not code or not URI.match(system) \
                or len(system) > _EHR_CODE_MAX or len(code) > _EHR_CODE_MAX:
            continue
        display = (coding.display or "").strip()[:_DISPLAY_MAX] or None
        found.setdefault((system, code), EhrCode(system, code, display,
                                                 (system, code) in named))
    return tuple(found.values())


def _billing_cpts(sr: fhir.ServiceRequest) -> tuple[str, ...]:
    """The CPT codes of the order's CRD billing options."""
    if sr.code is None or not sr.code.extension:
        return ()
    return tuple(dict.fromkeys(
        c.code.strip().upper() for c in sr.code.billing_options
        if c.system in CPT_SYSTEM_ALIASES and c.code and c.code.strip()))


def _split_zcodes(written: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The Z-codes written, and the codes in the Z-code system that are not Z-codes."""
    if not written:
        return (), ()  # most orders carry none
    valid = tuple(z for z in written if is_zcode(z))
    return valid, tuple(z for z in written if z not in valid)


def identify(codes: dict[CodeKind, tuple], day: date, knowledge: Knowledge,
             aliased: tuple[str, ...] = (), billing: tuple[str, ...] = ()
             ) -> tuple[str | None, IdentifiedBy | None, tuple[CatalogRow, ...]]:
    """The catalog test the codes name. The lab's own code decides when present, then an EHR
    code its aliases map to one test, then the Z-code (it names one test of one lab, in any
    period); then an EHR code the aliases map to several tests, narrowed by the order's CPTs;
    then the CPT when exactly one catalog test bills it on the date of service, then the CPTs
    of the CRD billing options likewise. When several tests remain, they are the candidates."""
    catalog = knowledge.catalog
    if codes[CodeKind.TEST]:
        known = [c for c in codes[CodeKind.TEST] if catalog.rows(c)]
        return (known[0], IdentifiedBy.TEST_CODE, ()) if known else (None, None, ())
    if len(aliased) == 1:
        return aliased[0], IdentifiedBy.ALIAS, ()
    if codes[CodeKind.ZCODE]:
        tests = [t for t in map(catalog.test_for_zcode, codes[CodeKind.ZCODE]) if t]
        return (tests[0], IdentifiedBy.ZCODE, ()) if tests else (None, None, ())
    if aliased:
        rows = _in_effect(aliased, day, knowledge)
        cpts = {*codes[CodeKind.CPT], *billing}
        rows = [r for r in rows if r.cpt in cpts] or rows
        if len(rows) == 1:
            return rows[0].test_code, IdentifiedBy.GENERIC_CODE, ()
        return None, None, tuple(rows)
    for written, how in ((codes[CodeKind.CPT], None), (billing, IdentifiedBy.BILLING_OPTION)):
        rows = _billed_under(written, day, knowledge)
        if len(rows) == 1:
            pla = IdentifiedBy.PLA if is_pla(rows[0].cpt) else IdentifiedBy.CPT
            return rows[0].test_code, how or pla, ()
        if rows:
            return None, None, tuple(rows)
    return None, None, ()


def _in_effect(tests: Iterable[str], day: date, knowledge: Knowledge) -> list[CatalogRow]:
    return sorted((row for test in tests if (row := knowledge.catalog.row_on(test, day))),
                  key=lambda r: r.test_code)


def _billed_under(cpts: Iterable[str], day: date, knowledge: Knowledge) -> list[CatalogRow]:
    """The catalog tests billed under any of `cpts` on the date of service."""
    catalog = knowledge.catalog
    return _in_effect({test for cpt in cpts for test in catalog.tests_for_cpt(cpt)
                       if (row := catalog.row_on(test, day)) and row.cpt == cpt},
                      day, knowledge)


def _dated_specimen(sr: fhir.ServiceRequest, known: fhir.ResourceIndex) -> fhir.Specimen | None:
    """The order's first specimen whose collection date is known."""
    for reference in sr.specimen:
        specimen = known.resolve(reference, sr)
        if isinstance(specimen, fhir.Specimen) and specimen.collected:
            return specimen
    return None


def _date_of_service(sr: fhir.ServiceRequest, specimen: fhir.Specimen | None,
                     today: date) -> tuple[date, DateSource]:
    """The day the specimen was collected (42 CFR 414.510), else the order's occurrence, else
    the day it was authored, else today."""
    if specimen is not None and (day := specimen.collected):  # parsed once, not twice
        return day, DateSource.SPECIMEN
    occurrence = sr.occurrenceDateTime or (sr.occurrencePeriod.start if sr.occurrencePeriod
                                           else None)
    if day := fhir.day_of(occurrence):
        return day, DateSource.OCCURRENCE
    if day := fhir.day_of(sr.authoredOn):
        return day, DateSource.AUTHORED
    return today, DateSource.TODAY


def _icd10_in(concept: fhir.CodeableConcept | None) -> list[str]:
    """The concept's ICD-10-CM codes, dotted, as written (repeats kept)."""
    if concept is None:
        return []
    return [normalize_icd10(coding.code) for coding in concept.coding
            if coding.system == ICD10CM_SYSTEM and coding.code and coding.code.strip()]


def _unique(codes: Iterable[list[str]]) -> tuple[str, ...]:
    """The codes of several concepts, each once, in the order first written."""
    return tuple(dict.fromkeys(code for concept in codes for code in concept))


def _reasons(sr: fhir.ServiceRequest,
             known: fhir.ResourceIndex) -> list[fhir.CodeableConcept | None]:
    """The order's reasons: its reasonCode, then the code of each Condition it references."""
    referenced = (known.resolve(ref, sr) for ref in sr.reasonReference)
    return [*sr.reasonCode, *(r.code for r in referenced if isinstance(r, fhir.Condition))]


def _other_reasons(concepts: list[fhir.CodeableConcept]) -> tuple[tuple[str, str], ...]:
    """Reasons that carry no ICD-10-CM code, by their display and code system."""
    found = []
    for concept in concepts:
        coded = next((c for c in concept.coding if c.code), None)
        system = _REASON_SYSTEMS.get(coded.system or "", "another code system") if coded \
            else "text"
        label = concept.label or (f"{system} {coded.code}" if coded else None)
        if label:
            found.append((label, system))
    return tuple(dict.fromkeys(found))


class ConditionsOnRead(Sequence[ConditionFacts]):
    """The facts of the patient's Conditions, built when first read. Only the diagnosis rule
    reads them, for an order whose diagnoses its article does not cover; a problem list can be
    long, and building them for every request was a third of the cost of the facts."""

    def __init__(self, conditions: Sequence[fhir.Condition]):
        self._conditions = conditions

    @cached_property
    def _facts(self) -> tuple[ConditionFacts, ...]:
        return tuple(_condition_facts(c) for c in self._conditions)

    def __getitem__(self, index):  # an int or a slice, as a tuple takes it
        return self._facts[index]

    def __iter__(self) -> Iterator[ConditionFacts]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._conditions)


def _condition_facts(condition: fhir.Condition) -> ConditionFacts:
    status = condition.clinicalStatus
    active = status is None or any(c.code in _ACTIVE for c in status.coding)
    code = condition.code
    return ConditionFacts(condition=condition.reference or "Condition",
                          codes=tuple(dict.fromkeys(_icd10_in(code))),
                          active=active, label=code.label if code else None)


def primary_coverage(sr: fhir.ServiceRequest,
                     known: fhir.ResourceIndex) -> fhir.Coverage | None:
    """The coverage the order is billed to: those it names in `insurance`, else the patient's
    active ones; the primary (lowest Coverage.order) first."""
    named = [known.resolve(ref, sr) for ref in sr.insurance]
    coverages = [c for c in named if isinstance(c, fhir.Coverage)] or known.of_type(fhir.Coverage)
    active = [c for c in coverages if c.status in (None, "active")]
    if not active:
        return None
    return min(active, key=lambda c: c.order if c.order is not None else float("inf"))


class _Coverages:
    """The coverage facts of one request's orders. Its orders name the same coverage, or none
    (the patient's): each set of references is worked out once per request. A contained
    Coverage (`#id`) is its own order's, worked out for it alone."""

    def __init__(self, known: fhir.ResourceIndex, knowledge: Knowledge):
        self._known = known
        self._knowledge = knowledge
        self._by_references: dict[tuple[str | None, ...], CoverageFacts | None] = {}

    def of(self, sr: fhir.ServiceRequest) -> CoverageFacts | None:
        references = tuple(ref.reference for ref in sr.insurance)
        if any(r and r.startswith("#") for r in references):
            return _coverage(sr, self._known, self._knowledge)
        if references not in self._by_references:
            self._by_references[references] = _coverage(sr, self._known, self._knowledge)
        return self._by_references[references]


def _coverage(sr: fhir.ServiceRequest, known: fhir.ResourceIndex,
              knowledge: Knowledge) -> CoverageFacts | None:
    primary = primary_coverage(sr, known)
    if primary is None:
        return None
    identifiers = _payer_identifiers(primary, known)
    for identifier in identifiers:
        if payer := knowledge.payers.find(*identifier):
            return CoverageFacts(primary.reference, identifier, payer)
    return CoverageFacts(primary.reference, identifiers[0] if identifiers else None, None)


def _payer_identifiers(coverage: fhir.Coverage,
                       known: fhir.ResourceIndex) -> list[tuple[str, str]]:
    """Every (system, value) naming a payor of the coverage: on the reference itself, or on the
    Organization it points at."""
    found: list[tuple[str, str]] = []
    for payor in coverage.payor:
        identifiers = [payor.identifier] if payor.identifier else []
        organization = known.resolve(payor, coverage)
        if isinstance(organization, fhir.Organization):
            identifiers += organization.identifier
        found += [(i.system or "", i.value) for i in identifiers if i.value]
    return found
