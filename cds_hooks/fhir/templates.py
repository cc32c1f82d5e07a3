"""Prefetch templates (CDS Hooks 2.0): FHIR queries with `{{context.name}}` tokens, filled the
same way by the service (what it asks the FHIR server for) and by the client (what it sends)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

_TOKEN = re.compile(r"\{\{\s*context\.(\w+)\s*\}\}")


def fill_template(template: str, context: Callable[[str], Any]) -> str | None:
    """The template with its `{{context.name}}` tokens replaced by `context(name)`
    (URL-encoded), or None
    when one has no value (the key is then left out, as CDS Hooks clients do)."""
    missing = False

    def value(match: re.Match) -> str:
        nonlocal missing
        found = context(match.group(1))
        if not isinstance(found, str) or not found:
            missing = True
            return ""
        return quote(found, safe="/")  # an id with `&` or `#` must not add to the query

    filled = _TOKEN.sub(value, template)
    return None if missing else filled
