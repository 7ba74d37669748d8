"""What the extractors share: the `Extracted` result, the `Layout` that writes blocks into one text
with their spans, and the small text helpers (one line, one block, the first line, an error's reason)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...text import squash_spaces

__all__ = [
    "Extracted",
    "BLOCK_KINDS",
    "Layout",
    "one_line",
    "one_block",
    "clean_lines",
    "first_line",
    "reason",
    "PILCROW_RE",
]

BLOCK_KINDS = ("heading", "term", "text", "item", "code", "table", "table-head", "meta")

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # keeps \t, \n; \x0c and \r are handled first
_BLANK_LINES_RE = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class Extracted:
    """What an extractor read from one file.

    Attributes
    ----------
    text : str
        The extracted text; passages' offsets point into it.
    title : str
        The document's title, or "" to let the loader take the first line.
    pages : tuple of int
        Offset in `text` where each page starts (page 1 first); empty for
        formats without pages.
    notes : tuple of str
        Problems that lost part of the file but not all of it (an unreadable
        PDF page), for the loader's warnings.
    blocks : tuple of (str, int, int)
        Every block of `text` in order, as ``(kind, start, end)`` with `kind`
        one of `BLOCK_KINDS`; the package docstring (`qa.ingest.formats`) gives the rules.
    """

    text: str
    title: str = ""
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    blocks: tuple[tuple[str, int, int], ...] = ()


def one_line(text: str) -> str:
    return squash_spaces(_CONTROL_RE.sub("", text))


def clean_lines(text: str) -> str:
    """Newlines normalised, control characters dropped, trailing spaces cut, 3+ newlines made 2."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL_RE.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def one_block(text: str) -> str:
    """`text` as one block: its lines kept, blank lines between them dropped, the ends stripped."""
    return "\n".join(line for line in clean_lines(text).split("\n") if line.strip()).strip()


PILCROW_RE = re.compile(r"\s*¶$")  # the permalink anchor HTML generators put after a heading


class Layout:
    """Writes blocks into one text, recording each block's span and where each page starts.

    A block follows the one before it after a blank line, or after one newline
    when it is *tight*: a list item after an item, a table row after a row of
    the same table, a line after a ``<br>``. A page always starts after a blank
    line, so a block never crosses a page start.
    """

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[tuple[str, int, int]] = []
        self.pages: list[int] = []
        self._prev = ""  # the kind of the last block written, "" at a page start

    def page(self) -> None:
        """Start a new page: the next block starts it (an empty page shares its start with the next page)."""
        self.pages.append(self.length + 2 if self.length else 0)
        self._prev = ""

    def add(self, kind: str, text: str, *, level: int = 0, tight: bool | None = None) -> None:
        """Write one block; `tight` None means tight when an item follows an item or a row a row."""
        text = one_block(text) if kind == "code" else one_line(text)
        if kind in ("heading", "term"):
            text = PILCROW_RE.sub("", text)
        if not text:
            return
        if self.length:
            if tight is None:
                tight = (
                    kind == self._prev
                    and kind in ("item", "table", "meta")
                    or (kind == "table" and self._prev == "table-head")
                )
            self._write("\n" if tight and self._prev else "\n\n")
        if kind in ("heading", "term"):
            self._write("#" * min(max(level, 1), 6) + " ")
        start = self.length
        self._write(text)
        self.blocks.append((kind, start, self.length))
        self._prev = kind

    def _write(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def text(self) -> str:
        return "".join(self.parts)


def first_line(text: str) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


def reason(exc: BaseException) -> str:
    msg = one_line(str(exc))[:200]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
