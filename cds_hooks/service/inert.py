"""Request text made inert for cards: the codes, displays, ids and payer identifiers an order
carries are the caller's, and an EHR renders a card's `detail` as markdown, often with raw
HTML on. What comes from a request therefore goes into a card only through these:

- `markdown_text` for `detail`: every markdown and HTML metacharacter backslash-escaped (a
  CommonMark renderer shows it as the character, never as markup), line breaks folded into
  spaces (no new block: heading, list, table, code fence); `markdown_value` leaves plain
  words and codes (C34.90, ServiceRequest/sr-1) as they are, since no markup can be made of
  them;
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
    text = str(value)
    if not text.isprintable():  # the character by character pass only when it changes something
        text = "".join(c if c.isprintable() else " " for c in text)
    text = _SPACES.sub(" ", text).strip()
    if limit is not None and len(text) > limit:
        text = text[:max(0, limit - 1)].rstrip() + "\u2026"
    return text


def markdown_text(value: object) -> str:
    """`value` for a markdown `detail`: shown as written, never read as markup or HTML."""
    return _PUNCTUATION.sub(r"\\\1", plain_text(value))


# Runs of letters and digits joined by one space, dot, hyphen or slash (C34.90, ServiceRequest/
# sr-1, Non-small cell lung cancer): no markdown, HTML or autolink can be made of these, except a
# `www.` link (GitHub's extension), which is escaped like any other text.
_CODE = re.compile(r"[A-Za-z0-9]+(?:[ ./-][A-Za-z0-9]+)*")


def markdown_value(value: object) -> str:
    """A code, id or name from the request for a `detail`: as it is when it is plain words
    and codes, else escaped by markdown_text."""
    text = str(value)
    if _CODE.fullmatch(text) and not text.lower().startswith("www."):
        return text
    return markdown_text(text)


def markdown_values(values) -> str:
    """Several of them, as a comma-separated list."""
    return ", ".join(markdown_value(v) for v in values)


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
