"""Request text made inert for cards: the codes, displays, ids and payer identifiers an order
carries are the caller's, and an EHR renders a card's `detail` as markdown, often with raw
HTML on. What comes from a request therefore goes into a card only through these:

- `markdown_text` for `detail`: every markdown and HTML metacharacter backslash-escaped (a
  CommonMark renderer shows it as the character, never as markup), line breaks folded into
  spaces (no new block: heading, list, table, code fence);
- `plain_text` for `summary` and labels, which are plain text: control and format characters
  (escape sequences, bidi overrides) dropped, whitespace folded, optionally shortened;
- `safe_link` for a link's URL: http(s) to a host the service knows (the article's), else none.

The card wording (cards/*) applies them to every value from the request.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

# CommonMark's backslash-escapable characters: all ASCII punctuation.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_SPACES = re.compile(r"\s+")


def plain_text(value: object, limit: int | None = None) -> str:
    """`value` as one line of plain text, at most `limit` characters (with an ellipsis)."""
    text = _SPACES.sub(" ", "".join(c if c.isprintable() else " " for c in str(value))).strip()
    if limit is not None and len(text) > limit:
        text = text[:max(0, limit - 1)].rstrip() + "\u2026"
    return text


def markdown_text(value: object) -> str:
    """`value` for a markdown `detail`: shown as written, never read as markup or HTML."""
    return _PUNCTUATION.sub(r"\\\1", plain_text(value))


def safe_link(url: object, known_hosts: Collection[str]) -> str | None:
    """`url` when it is http(s), without a user, to one of `known_hosts`; else None."""
    if not isinstance(url, str) or any(not c.isprintable() or c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username is not None \
            or parts.password is not None or (parts.hostname or "") not in known_hosts:
        return None
    return url
