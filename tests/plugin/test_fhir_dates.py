"""FHIR dates and dateTimes: the forms R4 allows, and only days that exist."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from plugin import fhir


def _refusal(value: str) -> str | None:
    try:
        fhir.Period.model_validate({"start": value})
    except ValidationError as bad:
        [error] = bad.errors()
        return error["msg"]
    return None


@pytest.mark.parametrize("year", [1, 4, 100, 400, 1900, 2000, 2024, 2026, 2100, 9999])
def test_every_day_that_exists_is_a_date_and_no_other(year):
    """Checked against the calendar of datetime.date, for leap and common years alike."""
    for month in range(1, 13):
        for day in range(1, 32):
            try:
                exists = date(year, month, day) is not None
            except ValueError:
                exists = False
            value = f"{year:04d}-{month:02d}-{day:02d}"
            assert (_refusal(value) is None) == exists, value
            assert (_refusal(f"{value}T10:00:00+01:00") is None) == exists, value


@pytest.mark.parametrize(("value", "why"), [
    ("0000-01-01", "year 0 is out of range"),
    ("2026-13-01", "month must be in 1..12"),
    ("2026-00-10", "month must be in 1..12"),
    ("2026-02-29", "day is out of range for month"),
    ("2026-04-31", "day is out of range for month"),
    ("2026-04-00", "day is out of range for month"),
    ("next week", "is not a FHIR date or dateTime"),
    ("2026-3-2", "is not a FHIR date or dateTime"),
    # Not FHIR's [0-9] digits, or a line break after the date (Python's `$` let it through).
    ("２０２６", "is not a FHIR date or dateTime"),
    ("2026-03-02\n", "is not a FHIR date or dateTime"),
])
def test_a_date_that_does_not_exist_is_refused_saying_why(value, why):
    assert why in (_refusal(value) or "")


@pytest.mark.parametrize("value", ["2026", "2026-03", "2026-03-02", "2026-03-02T10:00",
                                   "2026-03-02T10:00:00.250Z", "2024-02-29"])
def test_the_forms_fhir_allows_are_kept_as_written(value):
    assert fhir.Period.model_validate({"start": value}).start == value
    assert fhir.day_of(value) == (date.fromisoformat(value[:10]) if len(value) >= 10 else None)


def test_a_date_is_a_string():
    assert _refusal(20260302) == "Input should be a valid string"  # type: ignore[arg-type]

