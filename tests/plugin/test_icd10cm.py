"""The ICD-10-CM code set read from simple-icd-10-cm's code list."""

from __future__ import annotations

import pytest

from plugin.icd10cm import RELEASE, IcdStatus, code_list_path, load_icd10cm


@pytest.fixture(scope="module")
def icd10():
    return load_icd10cm()


def test_the_pinned_release_is_the_one_read():
    assert RELEASE == "April-2026"
    assert code_list_path().name == "code-list-April-2026.txt"


@pytest.mark.parametrize(("code", "status"), [
    ("C34.90", IcdStatus.BILLABLE),
    ("c3490", IcdStatus.BILLABLE),  # lower case, no dot: normalised
    (" C34.90 ", IcdStatus.BILLABLE),
    ("C34.9", IcdStatus.NOT_BILLABLE),  # a subcategory
    ("C34", IcdStatus.NOT_BILLABLE),  # a category
    ("R99", IcdStatus.BILLABLE),  # a category that is a code
    ("S72.001", IcdStatus.NOT_BILLABLE),  # needs its 7th character
    ("S72.001A", IcdStatus.BILLABLE),
    ("C34.99", IcdStatus.UNKNOWN),
    ("XYZ", IcdStatus.UNKNOWN),
    ("", IcdStatus.UNKNOWN),
])
def test_status(icd10, code, status):
    assert icd10.status(code) is status


def test_billable_codes_under_a_subcategory(icd10):
    assert icd10.billable_under("C34.9", 8) == ("C34.90", "C34.91", "C34.92")


def test_too_many_billable_codes_are_not_offered(icd10):
    assert icd10.billable_under("C34", 8) is None
    assert len(icd10.billable_under("C34", 100)) == 16


def test_agrees_with_simple_icd_10_cm_on_every_code(icd10):
    """The compact table must answer like the library it replaces at run time."""
    library = pytest.importorskip("simple_icd_10_cm")
    disagreements = []
    for code in library.get_all_codes(with_dots=True):
        if library.is_chapter(code) or (library.is_block(code) and "-" in code):
            continue
        expected = IcdStatus.BILLABLE if library.is_leaf(code) else IcdStatus.NOT_BILLABLE
        if icd10.status(code) is not expected:
            disagreements.append(code)
    assert disagreements == []
    assert len(icd10.billable) > 74_000
