"""Every relative link of the documentation leads to a file of the repository, and an anchor
to a heading of that file: a fresh clone has no broken links."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.docs.pages import ROOT, anchors, links, name, pages, slug

EXTERNAL = ("http://", "https://", "mailto:")


def broken_links(page: Path) -> list[str]:
    """The page's relative links that lead nowhere, each with why."""
    broken = []
    for target in links(page):
        if target.startswith(EXTERNAL):
            continue
        path_part, _, anchor = target.partition("#")
        path = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not path.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading with anchor #{anchor} in {name(path)}")
    return broken


@pytest.mark.parametrize("page", pages(), ids=name)
def test_every_relative_link_leads_to_a_file_and_heading(page: Path) -> None:
    # Given a page of the documentation
    # When its links are followed from where the page is
    broken = broken_links(page)

    # Then each finds its file, and its heading where it names one
    assert not broken, f"{name(page)} has broken links:\n" + "\n".join(broken)


def test_a_heading_anchor_is_made_as_github_makes_it() -> None:
    assert slug("Follow an order, from `POST /orders` to its handler") == (
        "follow-an-order-from-post-orders-to-its-handler"
    )
    assert slug("POST /orders under load") == "post-orders-under-load"
    assert slug("Guarantees: what the queue promises") == "guarantees-what-the-queue-promises"
