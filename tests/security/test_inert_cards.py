"""Cards are inert: what an order carries (codes, displays, text, ids) reaches a card's
`detail` escaped for markdown (an EHR rendering it with raw HTML on runs nothing) and its
`summary` and labels as plain text.

The escaping is cds_hooks/service/inert.py (tested in tests/cds_hooks/service/test_inert.py),
applied by the card wording (cds_hooks/service/cards/) to every value from the request."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from cds_hooks.service.inert import plain_text
from tests.conftest import hook_fixture

from .harness import serve

RENDER = MarkdownIt("commonmark", {"html": True})
MARKUP = "<img src=x onerror=alert(1)>[x](javascript:alert(1))\n# big\x1b[2J"
TAGS_MARKDOWN_MAKES = {"p", "strong", "em", "code", "ul", "ol", "li", "br"}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("inert")) as running:
        yield running


def hostile(name: str) -> dict:
    body = hook_fixture(name)
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    for coding in order["code"]["coding"]:
        coding["display"] = MARKUP
        if name == "unknown-test":
            coding["code"] = "X" + MARKUP
    order["code"]["text"] = MARKUP
    return body


def test_request_text_in_cards_is_inert(service):
    """An unknown test code is named in its card's summary and detail."""
    response = service.post(hostile("unknown-test"))
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert cards
    for card in cards:
        html = RENDER.render(card.get("detail", ""))
        tags = set(re.findall(r"<\s*([a-zA-Z0-9]+)", html))
        assert tags <= TAGS_MARKDOWN_MAKES, (tags, html)
        assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', html))
        for text in [card["summary"], *(s["label"] for s in card.get("suggestions") or [])]:
            assert text == plain_text(text), ascii(text)
