"""Client errors as FHIR OperationOutcomes that name the failing field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from plugin import fhir


@dataclass(frozen=True)
class Issue:
    code: str  # OperationOutcome.issue.code: invalid, required, not-found, exception...
    diagnostics: str
    expression: str | None = None  # the failing field, as a path into the request body


class RequestError(Exception):
    """A request the service cannot answer; becomes `status` with an OperationOutcome."""

    def __init__(self, status: int, issues: Iterable[Issue],
                 headers: dict[str, str] | None = None):
        self.status = status
        self.issues = list(issues)
        self.headers = headers or {}
        super().__init__("; ".join(i.diagnostics for i in self.issues))

    @classmethod
    def invalid(cls, expression: str | None, message: str, code: str = "invalid"
                ) -> RequestError:
        """A 400 about one field (`expression`), or about the body as a whole (None)."""
        return cls(400, [Issue(code, f"{expression or 'body'}: {message}", expression)])

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: str = "") -> RequestError:
        issues = []
        for detail in error.errors(include_url=False):
            path = field_path(detail["loc"], prefix)
            code = "required" if detail["type"] == "missing" else "invalid"
            issues.append(Issue(code, f"{path or 'body'}: {detail['msg']}", path or None))
        return cls(400, issues)


def field_path(loc: Iterable[Any], prefix: str = "") -> str:
    """`('context', 'draftOrders', 'entry', 0, 'resource', 'ServiceRequest', 'code')` ->
    `context.draftOrders.entry[0].resource.code` (the resource-type tags pydantic adds for
    typed unions are not fields and are left out)."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in fhir.RESOURCE_TAGS:
            path += f".{part}" if path else str(part)
    return path


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": i.code, "diagnostics": i.diagnostics,
             **({"expression": [i.expression]} if i.expression else {})}
            for i in issues
        ],
    }
