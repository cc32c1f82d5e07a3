"""Request text made inert for cards (cds_hooks/service/inert.py), checked with a CommonMark
renderer with raw HTML on, as the laxest EHR renders a card's detail."""

from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from cds_hooks.service.inert import (
    markdown_text,
    markdown_value,
    markdown_values,
    plain_text,
    safe_link,
)

RENDER = MarkdownIt("commonmark", {"html": True})
ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![x](http://evil.test/track.png)",
    "<http://evil.test>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "**bold** _it_ `code`",
    "# heading\n\n- list\n\n```\nfence\n```",
    "| a | b |\n| - | - |",
    "line\r\n<div>\n\nx</div>",
    "\\<b>escaped backslash\\</b>",
    "javascript:alert(1)",
    "ZL5H2\u202e\x1b[2J\x00",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_escaped_text_renders_as_itself_in_one_paragraph(attack):
    rendered = RENDER.render(f"Add Z-code {markdown_text(attack)} to the order")
    assert rendered.startswith("<p>") and rendered.count("<p>") == 1, rendered
    body = rendered.removeprefix("<p>").removesuffix("</p>\n")
    assert "<" not in body and ">" not in body, rendered
    # What shows is the text as sent (HTML-escaped by the renderer), whitespace folded.
    assert html.unescape(body) == f"Add Z-code {plain_text(attack)} to the order"


@pytest.mark.parametrize("attack", [*ATTACKS, "www.evil.test", "http://evil.test/x", "1. x",
                                    "- x", "a  b", "x_y_"])
def test_a_value_that_is_not_plain_words_and_codes_is_escaped(attack):
    rendered = RENDER.render(f"Add Z-code {markdown_value(attack)} to the order")
    body = rendered.removeprefix("<p>").removesuffix("</p>\n")
    assert "<" not in body and ">" not in body, rendered
    assert html.unescape(body) == f"Add Z-code {plain_text(attack)} to the order"
    assert markdown_value(attack) == markdown_text(attack)


@pytest.mark.parametrize("value", ["C34.90", "ZL5H2", "81445", "ServiceRequest/sr-1",
                                   "Non-small cell lung cancer", "tissue"])
def test_plain_words_and_codes_are_kept_as_they_are(value):
    assert markdown_value(value) == value
    assert RENDER.render(value) == f"<p>{value}</p>\n"


def test_a_list_of_values_escapes_each():
    assert markdown_values(["C34.90", "<b>"]) == "C34.90, " + markdown_text("<b>")


def test_plain_text_is_one_printable_line():
    assert plain_text("Add\nZ-code\x1b[31m ZL5H2\u202e\t now") == "Add Z-code [31m ZL5H2 now"
    assert plain_text("x" * 200, limit=140) == "x" * 139 + "\u2026"
    assert plain_text(81445) == "81445"


@pytest.mark.parametrize(("url", "kept"), [
    ("https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleid=57901", True),
    ("http://www.cms.gov/x", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("https://evil.test/x", False),
    ("https://www.cms.gov.evil.test/x", False),
    ("https://user@www.cms.gov/x", False),
    ("https://www.cms.gov:99999/x", False),
    ("https://www.cms.gov/x\n<script>", False),
    ("//www.cms.gov/x", False),
    (None, False),
])
def test_links_go_only_to_known_hosts_over_http(url, kept):
    assert safe_link(url, {"www.cms.gov"}) == (url if kept else None)
