"""The documentation as the doc tests read it: which pages, their fenced blocks, links, headings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The pages a user reads: the README, docs/ (the lesson's copy too), and the READMEs beside code.
TOP_PAGES = ("README.md", "bench/README.md", "deploy/README.md")

FENCE = re.compile(r"^(`{3,})\s*([\w-]*)\s*$")
LINK = re.compile(r"\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Block:
    """A fenced block of a page: its info string (``sh``, ``output``...) and its lines."""

    page: Path
    info: str
    lines: tuple[str, ...]


def pages() -> list[Path]:
    """Every page a user reads, as absolute paths, in a stable order."""
    found = [ROOT / name for name in TOP_PAGES]
    found += sorted((ROOT / "docs").rglob("*.md"))
    return found


def workshop_pages() -> list[Path]:
    """The workshop's pages: tests/docs/test_workshop.py follows them, not the other pages'
    test."""
    return sorted((ROOT / "docs" / "workshop").rglob("*.md"))


def name(page: Path) -> str:
    """The page's path relative to the repository, for messages."""
    return page.relative_to(ROOT).as_posix()


def split(page: Path) -> tuple[list[str], list[Block]]:
    """The page's prose lines (outside fences) and its fenced blocks."""
    prose: list[str] = []
    blocks: list[Block] = []
    fence: str | None = None
    info = ""
    inside: list[str] = []
    for line in page.read_text(encoding="utf-8").splitlines():
        match = FENCE.match(line.strip())
        if fence is None and match:
            fence, info, inside = match.group(1), match.group(2), []
        elif fence is not None and line.strip() == fence:
            blocks.append(Block(page, info, tuple(inside)))
            fence = None
        elif fence is not None:
            inside.append(line)
        else:
            prose.append(line)
    return prose, blocks


def links(page: Path) -> list[str]:
    """The targets of the page's Markdown links and images, outside fenced blocks."""
    prose, _ = split(page)
    return [target for line in prose for target in LINK.findall(line)]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]|\[|\]\([^)]*\)", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, with GitHub's -1, -2... for repeated ones."""
    prose, _ = split(page)
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in prose:
        match = HEADING.match(line)
        if not match:
            continue
        anchor = slug(match.group(1))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def strip_comment(line: str) -> str:
    """A shell line without its trailing `# comment` (a # inside quotes is kept)."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def commands(block: Block) -> list[str]:
    """The commands of a shell block: continuations joined, comments and blank lines dropped."""
    found: list[str] = []
    pending = ""
    for raw in block.lines:
        line = strip_comment(raw).strip()
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            found.append(line)
    return found


def shell_commands() -> dict[str, list[str]]:
    """Every command of every ```sh block, with the pages that show it."""
    found: dict[str, list[str]] = {}
    for page in pages():
        for block in split(page)[1]:
            if block.info == "sh":
                for command in commands(block):
                    found.setdefault(command, []).append(name(page))
    return found


def output_lines(of_pages: list[Path] | None = None) -> dict[str, list[str]]:
    """Every line of every ```output block (output a reader should see) of the pages (all,
    by default), with its pages."""
    found: dict[str, list[str]] = {}
    for page in pages() if of_pages is None else of_pages:
        for block in split(page)[1]:
            if block.info == "output":
                for line in block.lines:
                    if line.strip():
                        found.setdefault(line.strip(), []).append(name(page))
    return found


def shape(line: str) -> str:
    """A line with every number, and every order's public id, made 0: what output keeps
    from one run to the next."""
    return re.sub(r"\d+", "0", re.sub(r"\b[0-9a-f]{16}\b", "0", line.strip()))
