"""Text out of PDF, DOCX and HTML files, laid out so the chunker sees their structure.

Each extractor reads one file and returns an `Extracted`: the text that every
offset of its passages will point into, the document's title, for PDFs the
offset where each page starts, and the *blocks* of the text. Structure is
written the way `qa.ingest.chunking` reads it:

- a heading is a line of its own in Markdown form, ``# Heading`` for level 1,
  ``## Sub`` for level 2 (at most six ``#``), so it becomes the section of the
  paragraphs below it;
- a paragraph of running text is one line, and paragraphs are separated by one
  blank line (a line break inside a paragraph, HTML's ``<br>``, starts a new
  line of the same paragraph: one newline);
- consecutive list items, and the rows of a table (cells joined by `` | ``),
  are consecutive lines of one block, so a short item is never taken for a
  heading;
- preformatted text (``<pre>``, a PDF's monospaced listings) keeps its lines.

``Extracted.blocks`` names every block of the text in order as ``(kind, start,
end)``: half-open offsets into the text, non-overlapping, ascending, each span
stripped, with at least one newline between two blocks. ``kind`` is
``"heading"`` (the heading's words only, not its ``#`` marker), ``"text"`` (a
paragraph, one line), ``"item"`` (a list item, or a paragraph inside one, one
line), ``"code"`` (preformatted, its lines kept), ``"table"`` (one row, one
line) or ``"meta"`` (a paragraph or item of an HTML page that is all but link
text, a menu: one line, searchable but never an answer). Every character of
the text but whitespace and the ``#`` markers lies in exactly one block.

A file that cannot be read raises `SourceError` naming the file and the
reason (encrypted, corrupt, no text layer, not decodable, a zip bomb); the
loader turns it into a warning and goes on with the other files. The parsers
(pypdf and pdfplumber, python-docx, BeautifulSoup) are imported only when a
file of their kind is read, so qa starts as fast as before.
"""

from __future__ import annotations

import codecs
import io
import logging
import math
import re
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from ..text import squash_spaces

__all__ = [
    "Extracted",
    "EXTRACTORS",
    "BLOCK_KINDS",
    "extract_pdf",
    "extract_docx",
    "extract_html",
    "DOCX_MAX_UNPACKED_BYTES",
    "DOCX_MAX_RATIO",
]

DOCX_MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sum of the members' sizes a DOCX may unpack to
DOCX_MAX_RATIO = 100  # unpacked : packed; Word's XML packs about 5-20 to 1
_RATIO_FLOOR_BYTES = 1024 * 1024  # tiny archives may have any ratio: they cannot hurt
BLOCK_KINDS = ("heading", "text", "item", "code", "table", "meta")

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
        one of `BLOCK_KINDS`; the module docstring gives the rules.
    """

    text: str
    title: str = ""
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    blocks: tuple[tuple[str, int, int], ...] = ()


def _one_line(text: str) -> str:
    return squash_spaces(_CONTROL_RE.sub("", text))


def _clean_lines(text: str) -> str:
    """Newlines normalised, control characters dropped, trailing spaces cut, 3+ newlines made 2."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL_RE.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _one_block(text: str) -> str:
    """`text` as one block: its lines kept, blank lines between them dropped, the ends stripped."""
    return "\n".join(line for line in _clean_lines(text).split("\n") if line.strip()).strip()


_PILCROW_RE = re.compile(r"\s*¶$")  # the permalink anchor HTML generators put after a heading


class _Layout:
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
        text = _one_block(text) if kind == "code" else _one_line(text)
        if kind == "heading":
            text = _PILCROW_RE.sub("", text)
        if not text:
            return
        if self.length:
            if tight is None:
                tight = kind == self._prev and kind in ("item", "table", "meta")
            self._write("\n" if tight and self._prev else "\n\n")
        if kind == "heading":
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


def _first_line(text: str) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


def _reason(exc: BaseException) -> str:
    msg = _one_line(str(exc))[:200]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


@contextmanager
def _quiet(*logger_names: str):
    """Silence parsers' logged warnings about malformed input; qa reports per-file problems itself."""
    logs = [logging.getLogger(name) for name in logger_names]
    old = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for log, level in zip(logs, old):
            log.setLevel(level)


# --- PDF -----------------------------------------------------------------------------------------------

_FILE_NAME_TITLE_RE = re.compile(r"\.(?:docx?|pdf|txt|rtf|odt|indd|pptx?|xlsx?|tex|dvi|ps)$|^untitled$", re.IGNORECASE)
# A gap between two letters wider than this share of the font size is a space: a PDF often draws
# no space characters at all (TeX never does), and pdfplumber's fixed 3pt default joined "Thisisversion".
_X_TOLERANCE_RATIO = 0.15
_MONO_FONT_RE = re.compile(r"mono|courier|consol|menlo|cmtt|typewriter|nimbusmon|fixed", re.IGNORECASE)
_BOLD_FONT_RE = re.compile(r"bold|black|heavy|demi|medi|cmbx", re.IGNORECASE)  # NimbusRomNo9L-Medi is TeX's bold Times
# A glyph with no text behind it (pdfminer writes "(cid:127)") opening a line, before a space, is a bullet
# drawn from a symbol font, or one a PDF writer encoded its own way (reportlab's Helvetica "•").
_CID_BULLET_RE = re.compile(r"^\(cid:\d+\)\s+")
_CID_RE = re.compile(r"\(cid:\d+\)")  # any other such glyph is no word: "Copyright (cid:13)c" (TeX's circle of ©)
_PDF_ITEM_RE = re.compile(r"^(?:[•●○◦▪▫■□‣⁃∙·*–—-]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxlc]{1,5})\)|\d{1,3}\.)\s")
_NUMBERED_TITLE_RE = re.compile(r"^\d{1,2}(?:\.\d{1,2})+\.?\s+\S")  # "2.3 Recommended checking order"
_SENTENCE_END_RE = re.compile(r"[.!?:;。！？：；][\"'”’)\]]*$")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_END_RE = re.compile(f"[{_CJK}]$")
_CJK_START_RE = re.compile(f"^[{_CJK}]")
_HYPHENATED_RE = re.compile(r"(\w*[^\W\d_]\w*)-$")  # a word, or a name with a letter in it ("asn1-")
_UNDERSCORED_RE = re.compile(r"[^\W_]_$")  # "ASN1_MAX_" + "NAME_SIZE": TeX breaks a name after "_"
_WORD_START_RE = re.compile(r"[^\W\d_]+")
_FURNITURE_BAND = 0.12  # running headers and footers sit in the top and bottom 12% of the page
_ROMAN_RE = re.compile(r"(?=[ivxlc])(?:c|xc|l?x{0,3}|xl)(?:ix|iv|v?i{0,3})", re.IGNORECASE)  # i to c
_PAGE_NUMBER_RES = (  # a page number alone ("- 3 -"), at the start of a header ("12 GNU Libtasn1") or at its end
    re.compile(r"^[-–—]?\s*(\w+)\s*[-–—]?$"),
    re.compile(r"^(\w+)\s+\S"),
    re.compile(r"\S\s+(\w+)$"),
)
_ROW_SLACK = 2.0  # points: lines this close in height are on one row of the page
# A table of contents' entry: its title, a dot leader, its page ("2.1 ASN.1 syntax. . . . . 2").
_DOT_LEADER_RE = re.compile(r"(?:[.·…]\s?){4,}\s*(?:\d{1,4}|[ivxlc]{1,7})$", re.IGNORECASE)
_HEADING_RATIO = 1.15  # a line this much bigger than the body text is a heading


@dataclass(slots=True)
class _Line:
    """One line of a PDF page as pdfplumber groups its characters, with what the layout rules need."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float  # the most common font size of its characters (of the proportional ones, if any)
    bold: bool
    mono: bool


@dataclass(slots=True)
class _PdfBlock:
    kind: str
    lines: list = field(default_factory=list)
    level: int = 0


def _pdf_title(reader) -> str:
    try:
        title = _one_line(str(reader.metadata.title or "")) if reader.metadata else ""
    except Exception:  # a malformed /Info dictionary costs the title only
        return ""
    return "" if _FILE_NAME_TITLE_RE.search(title) else title[:200]


def _pdf_line(raw: dict) -> _Line | None:
    text = _one_line(_CID_RE.sub("", _CID_BULLET_RE.sub("• ", _one_line(raw["text"]))))
    chars = [c for c in raw["chars"] if not c["text"].isspace()]
    if not text or not chars:
        return None
    fonts = [c.get("fontname") or "" for c in chars]
    n_mono = sum(1 for f in fonts if _MONO_FONT_RE.search(f))
    # A listing line is monospaced but for an odd glyph from a symbol font; a sentence that
    # names a path or two in a monospaced font is running text.
    mono = n_mono >= 0.9 * len(chars) and len(chars) - n_mono <= max(1, len(chars) / 30)
    sized = chars if mono else [c for c, f in zip(chars, fonts) if not _MONO_FONT_RE.search(f)] or chars
    size = Counter(round(float(c["size"]), 1) for c in sized).most_common(1)[0][0]
    bold = sum(1 for f in fonts if _BOLD_FONT_RE.search(f)) >= 0.9 * len(chars)
    return _Line(text, float(raw["x0"]), float(raw["x1"]), float(raw["top"]), float(raw["bottom"]), size, bold, mono)


def _pdf_page_lines(page) -> list[_Line]:
    """The page's lines, top to bottom."""
    raw = page.extract_text_lines(return_chars=True, x_tolerance_ratio=_X_TOLERANCE_RATIO)
    return [line for line in map(_pdf_line, raw) if line is not None]


def _read_pdf_lines(source, path: Path, n_pages: int, notes: list[str]) -> tuple[list[list[_Line]], list[float]]:
    """Each page's lines and height, read by pdfplumber; a page that fails is empty and noted."""
    import pdfplumber

    pages: list[list[_Line]] = []
    heights: list[float] = []
    with pdfplumber.open(source) as pdf:
        if len(pdf.pages) != n_pages:  # pdfminer lost pages pypdf found (a broken xref table)
            raise ValueError(f"pdfminer found {len(pdf.pages)} of {n_pages} pages")
        for number, page in enumerate(pdf.pages, 1):
            lines, height = [], 0.0
            try:
                height = float(page.height)
                lines = _pdf_page_lines(page)
            except Exception as exc:  # one bad page should not lose the others
                notes.append(f"{path}: page {number} skipped, its text could not be read ({_reason(exc)})")
            finally:
                page.close()  # pdfplumber caches each page's objects; a long PDF would keep them all
            pages.append(lines)
            heights.append(height)
    return pages, heights


def _repaired_copy(reader) -> bytes:
    """The PDF as pypdf read it (decrypted, its cross-reference table rebuilt), written anew for pdfminer."""
    from pypdf import PdfWriter

    buf = io.BytesIO()
    PdfWriter(clone_from=reader).write(buf)
    return buf.getvalue()


def _furniture_key(line: _Line, height: float):
    if line.top < height * _FURNITURE_BAND:
        band = "top"
    elif line.bottom > height * (1 - _FURNITURE_BAND):
        band = "bottom"
    else:
        return None
    return band, re.sub(r"\d+", "#", line.text.lower()), round(line.size)


def _page_number(text: str) -> tuple[int, bool] | None:
    """The page number a header or footer line holds, alone or at its start or end (arabic, or
    roman up to c), and whether it is alone."""
    for i, pattern in enumerate(_PAGE_NUMBER_RES):
        m = pattern.search(text)
        if m:
            word = m.group(1)
            if word.isdigit() and len(word) <= 4:
                return int(word), i == 0
            if _ROMAN_RE.fullmatch(word) and (word.islower() or word.isupper()):
                value, last = 0, 0
                for c in reversed(word.lower()):
                    v = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}[c]
                    value, last = (value - v, last) if v < last else (value + v, max(last, v))
                return value, i == 0
    return None


def _page_number_lines(pages: list[list[_Line]], heights: list[float], need: int) -> set[tuple[int, int]]:
    """``(page, line)`` of each page number in a header or footer, found by where it is, not by its
    words: a line in the top or bottom band whose number counts the pages (page index minus number
    the same) on `need` pages at the same height, however its words change by chapter ("Chapter
    2: ASN.1 structure handling 3"); and on the rows where such lines are, a number alone ("i",
    the front matter's; "1" on a chapter's first page)."""
    found: dict[tuple, set[int]] = {}
    candidates = []
    for p, (lines, h) in enumerate(zip(pages, heights)):
        for i, line in enumerate(lines):
            key = _furniture_key(line, h)
            number = _page_number(line.text) if key else None
            if number is not None:
                band = key[0]
                y = line.top if band == "top" else line.bottom
                candidates.append((p, i, band, y, p - number[0], number[1]))
                found.setdefault((band, round(y), p - number[0]), set()).add(p)
    rows, drop = set(), set()
    for p, i, band, y, offset, _ in candidates:
        pages_of = set().union(*(found.get((band, round(y) + d, offset), set()) for d in (-1, 0, 1)))
        if len(pages_of) >= need:
            drop.add((p, i))
            rows.add((band, y))
    for p, i, band, y, _, alone in candidates:
        if alone and any(b == band and abs(y - ry) <= _ROW_SLACK for b, ry in rows):
            drop.add((p, i))
    return drop


def _drop_furniture(pages: list[list[_Line]], heights: list[float]) -> list[list[_Line]]:
    """Drop running headers, footers and page numbers, by their place on the page: a line in the
    top or bottom band of the page whose text (its numbers aside) and size recur there on at least
    half the pages, and on two; and page numbers (`_page_number_lines`), which TeX puts in headers
    whose words change by chapter and alone on a chapter's first page."""
    with_text = sum(1 for lines in pages if lines)
    if with_text < 2:
        return pages
    counts = Counter(
        key
        for lines, h in zip(pages, heights)
        for key in {_furniture_key(line, h) for line in lines}
        if key is not None
    )
    need = max(2, math.ceil(with_text / 2))
    numbers = _page_number_lines(pages, heights, max(2, math.ceil(with_text / 4)))
    return [
        [
            line
            for i, line in enumerate(lines)
            if counts.get(_furniture_key(line, h), 0) < need and (p, i) not in numbers
        ]
        for p, (lines, h) in enumerate(zip(pages, heights))
    ]


def _drop_contents(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop a table of contents' (or an index's) entries: lines that end in a dot leader and a page
    number. They are no heading (the heading is further on) and no text."""
    return [[line for line in lines if line.mono or not _DOT_LEADER_RE.search(line.text)] for lines in pages]


def _compounds(pages: list[list[_Line]]) -> set[str]:
    """Hyphenated word pairs printed whole inside a line ("sub-class"), lowercased: at a line end
    their hyphen is the word's own, not the typesetter's."""
    found = set()
    for lines in pages:
        for line in lines:
            for token in line.text.split():
                parts = token.split("-")
                for a, b in zip(parts, parts[1:]):
                    a = re.search(r"[^\W\d_]+$", a)
                    b = _WORD_START_RE.match(b)
                    if a and b:
                        found.add(f"{a.group()}-{b.group()}".lower())
    return found


def _join_lines(lines: list[_Line], compounds: set[str]) -> str:
    """A paragraph's lines as one line. A line ending in a lowercase letter and ``-`` before a
    line starting in lowercase is a word the typesetter split: "specifi-" + "cation" is
    "specification", unless the document prints that pair with its hyphen inside a line too
    ("sub-class"). Any other hyphen at a line end is kept and the next line joined without a
    space ("MIME-" + "Type", "asn1-" + "parser"), and so is a line that ends a name in "_"
    ("ASN1_MAX_" + "NAME_SIZE"; not "__init__"). Lines of Chinese or Japanese text are joined
    without a space."""
    out = lines[0].text
    for line in lines[1:]:
        nxt = line.text
        hyphen = _HYPHENATED_RE.search(out[-80:])
        start = _WORD_START_RE.match(nxt)
        if _UNDERSCORED_RE.search(out) and re.match(r"\w", nxt):
            out += nxt
        elif hyphen and start:
            pair = f"{hyphen.group(1)}-{start.group()}".lower()
            if hyphen.group(1)[-1].islower() and nxt[0].islower() and pair not in compounds:
                out = out[:-1] + nxt
            else:
                out += nxt
        elif _CJK_END_RE.search(out) and _CJK_START_RE.match(nxt):
            out += nxt
        else:
            out += " " + nxt
    return out


def _code_text(lines: list[_Line]) -> str:
    """A listing's lines, each indented by its distance from the leftmost line in character widths."""
    left = min(line.x0 for line in lines)
    widths = [(line.x1 - line.x0) / len(line.text) for line in lines if len(line.text) > 1]
    width = sorted(widths)[len(widths) // 2] if widths else 0.0
    out = []
    for line in lines:
        indent = round((line.x0 - left) / width) if width > 0 else 0
        out.append(" " * min(indent, 40) + line.text)
    return "\n".join(out)


class _PdfRules:
    """The reading rules, with the measurements of one document they depend on."""

    def __init__(self, pages: list[list[_Line]]):
        lines = [line for page in pages for line in page]
        sizes = Counter()
        for line in lines:
            if not line.mono:
                sizes[line.size] += len(line.text)
        self.body = sizes.most_common(1)[0][0] if sizes else (lines[0].size if lines else 10.0)
        ratios = []
        for page in pages:
            for a, b in zip(page, page[1:]):
                if not a.mono and not b.mono and abs(a.size - b.size) < 0.5 and a.size > 0:
                    ratio = (b.top - a.bottom) / a.size
                    if 0 <= ratio < 1:
                        ratios.append(ratio)
        # The gap between two lines of a paragraph, as a share of the font size: the most common
        # gap is that, not the one between paragraphs (a document of one-line paragraphs aside,
        # hence the cap).
        self.line_gap = min(sorted(ratios)[len(ratios) // 2], 0.5) if ratios else 0.3
        self.compounds = _compounds(pages)

    def _right(self, page: list[_Line]) -> float:
        """The right edge of the page's text: where most full lines end."""
        ends = sorted(line.x1 for line in page if not line.mono)
        return ends[round(0.9 * (len(ends) - 1))] if ends else 0.0

    def _left(self, page: list[_Line]) -> float:
        return min((line.x0 for line in page if not line.mono), default=0.0)

    def _short(self, line: _Line, left: float, right: float) -> bool:
        return line.x1 < right - max(2 * line.size, 0.1 * (right - left))

    def _role(self, line: _Line, left: float, right: float) -> str:
        if line.mono:
            return "code"
        if line.size >= self.body * _HEADING_RATIO:
            return "heading"
        if _PDF_ITEM_RE.match(line.text):
            return "item"
        titled = len(line.text) <= 80 and not re.search(r"[.,;:!?]$", line.text) and self._short(line, left, right)
        if titled and (line.bold or _NUMBERED_TITLE_RE.match(line.text)):
            return "heading"
        return "text"

    def _breaks(self, block: _PdfBlock, line: _Line, role: str, left: float, right: float) -> bool:
        """Whether `line` starts a new block after `block`."""
        prev = block.lines[-1]
        size = max(line.size, prev.size)
        gap = line.top - prev.bottom
        if gap > (self.line_gap + 0.4) * size or gap < -0.5 * size:  # a paragraph gap, or back up: a new column
            return True
        if role == "heading":  # a heading's lines share size and weight
            return not (block.kind == "heading" and abs(line.size - prev.size) < 0.5 and line.bold == prev.bold)
        if role == "code":
            return block.kind != "code"
        if role == "item" or block.kind not in ("text", "item"):
            return True
        if abs(line.size - block.lines[0].size) > max(0.5, 0.08 * line.size):
            return True
        ends = bool(_SENTENCE_END_RE.search(prev.text))
        if ends and self._short(prev, left, right):  # a short line that ends a sentence ends its paragraph
            return True
        if block.kind == "item":  # back at the bullet's margin after a sentence: the list is over
            return ends and line.x0 <= block.lines[0].x0 + 0.25 * line.size
        return ends and line.x0 > prev.x0 + line.size  # an indented line after a sentence: a new paragraph

    def page_blocks(self, page: list[_Line]) -> list[_PdfBlock]:
        left, right = self._left(page), self._right(page)
        blocks: list[_PdfBlock] = []
        for line in page:
            role = self._role(line, left, right)
            if not blocks or self._breaks(blocks[-1], line, role, left, right):
                blocks.append(_PdfBlock(role))
            blocks[-1].lines.append(line)
        return blocks

    def settle(self, pages: list[list[_PdfBlock]]) -> None:
        """Kinds that need the whole document: heading levels by size, too-long "headings" made
        text, and paragraphs indented under a list item (its second paragraph) made items."""
        for blocks in pages:
            for b in blocks:
                if b.kind == "heading" and sum(len(line.text) + 1 for line in b.lines) > 200:
                    b.kind = "text"  # a large-print paragraph
        big = sorted(
            {
                round(b.lines[0].size * 2) / 2
                for blocks in pages
                for b in blocks
                if b.kind == "heading" and b.lines[0].size >= self.body * _HEADING_RATIO
            },
            reverse=True,
        )
        anchor = None  # the x0 of the last list item's bullet, while its indented paragraphs go on
        for blocks in pages:
            for b in blocks:
                if b.kind == "heading":
                    size = round(b.lines[0].size * 2) / 2
                    b.level = min(big.index(size) + 1 if size in big else len(big) + 1, 6)
                indented = anchor is not None and all(line.x0 > anchor + 0.25 * line.size for line in b.lines)
                if b.kind == "item":
                    anchor = b.lines[0].x0
                elif b.kind == "text" and indented:
                    b.kind = "item"
                elif not (b.kind == "code" and indented):
                    anchor = None

    def text_of(self, block: _PdfBlock) -> str:
        if block.kind == "code":
            return _code_text(block.lines)
        return _join_lines(block.lines, self.compounds)


def _open_pdf(path: Path):
    """pypdf's reader of `path`, decrypted when its user password is empty; its title; its page count."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # many PDFs are "encrypted" with an empty user password
        except DependencyError:
            raise SourceError(
                f"{path}: encrypted with AES; reading it needs the cryptography package (pip install 'pypdf[crypto]')"
            ) from None
        if not opened:
            raise SourceError(f"{path}: encrypted PDF (it needs a password to open)")
    return reader, _pdf_title(reader), len(reader.pages)


def extract_pdf(path) -> Extracted:
    """Read a PDF's text layer as a person reads the page: paragraphs, headings, lists, listings.

    pypdf opens the file (and decrypts one whose user password is empty, and
    rebuilds a broken cross-reference table); pdfplumber gives each page's lines
    with their position, font and size, from which the blocks are read:

    - Running headers, footers and page numbers are dropped: a line in the top
      or bottom 12% of the page whose text, numbers aside, and size recur there
      on at least half the pages; and a line there that holds a number counting
      the pages (alone, or at its start or end: "Chapter 2: Parsing 3") at the
      same height on a quarter of the pages, with a number alone ("i", a
      chapter's first page) at that height.
    - A table of contents' or an index's entries (a dot leader and a page
      number: "2.1 Syntax . . . . 2") are dropped; pdfminer's "(cid:13)" for a
      glyph it could not map is dropped from the text.
    - A line in a monospaced font is a listing (``code``): its lines are kept,
      indented as printed.
    - A heading is a line 15% bigger than the body text, or a bold or numbered
      ("2.3 Checking order") short line that does not end like a sentence; its
      ``#`` level comes from its size (the biggest is ``#``), bold and numbered
      ones one level below the smallest bigger one.
    - A list item starts with a bullet ("•", "–", "*") or a number or letter
      ("1.", "a)", "(iv)"); a paragraph indented under an item belongs to it.
    - Any other line continues the paragraph above it, unless a gap larger than
      the spacing of a paragraph's lines lies between them, the font size
      changes, or the line above ends a sentence and is short (or this line is
      indented: a first-line indent). A paragraph's lines are joined with a space,
      a word hyphenated at a line end made whole, a name broken after "_" joined
      without a space (`_join_lines`).

    Blocks never cross a page: ``pages[i]`` is the offset where page ``i + 1``
    starts (an empty page shares its start with the next page), so
    ``Document.page_at`` names the page of any passage. A page that cannot be
    read is skipped with a note. The title is the PDF's metadata title unless
    that is missing or a file name ("Microsoft Word - x.docx").

    Raises
    ------
    SourceError
        Encrypted with a password, not a readable PDF, or no page has text
        (a scanned document without a text layer).
    """
    path = Path(path)
    notes: list[str] = []
    with _quiet("pypdf", "pdfminer", "pdfplumber"):
        try:
            reader, title, n_pages = _open_pdf(path)
            if not n_pages:
                raise SourceError(f"{path}: PDF has no pages")
            try:
                pages, heights = _read_pdf_lines(path, path, n_pages, notes)
            except Exception:  # pdfminer is stricter than pypdf about a damaged file: read pypdf's copy
                notes.clear()
                pages, heights = _read_pdf_lines(io.BytesIO(_repaired_copy(reader)), path, n_pages, notes)
        except SourceError:
            raise
        except Exception as exc:  # the parsers raise many kinds of error on malformed files
            raise SourceError(f"{path}: not a readable PDF ({_reason(exc)})") from None
    if len(notes) == len(pages):  # no page could be read: the file, not a page, is broken
        raise SourceError(f"{path}: not a readable PDF (no page could be read; {notes[0].rpartition(' (')[2]}")
    if not any(pages):
        raise SourceError(f"{path}: no text layer (scanned?); only PDFs with selectable text can be read")
    pages = _drop_contents(_drop_furniture(pages, heights))
    rules = _PdfRules(pages)
    page_blocks = [rules.page_blocks(lines) for lines in pages]
    rules.settle(page_blocks)
    out = _Layout()
    for blocks in page_blocks:
        out.page()
        for block in blocks:
            out.add(block.kind, rules.text_of(block), level=block.level)
    text = out.text()
    return Extracted(
        text=text,
        title=title or _first_line(text),
        pages=tuple(out.pages),
        notes=tuple(notes),
        blocks=tuple(out.blocks),
    )


# --- DOCX ----------------------------------------------------------------------------------------------


def _check_docx_archive(path: Path) -> None:
    """Refuse what is not a zip with a Word document inside, or unpacks to too much, before parsing."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise SourceError(f"{path}: not a DOCX file (not a zip archive); is it an old .doc saved as .docx?") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not any(i.filename == "word/document.xml" for i in infos):
        raise SourceError(f"{path}: not a DOCX file (the zip holds no word/document.xml)")
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if unpacked > DOCX_MAX_UNPACKED_BYTES:
        raise SourceError(
            f"{path}: unpacks to {unpacked:,} bytes, over the {DOCX_MAX_UNPACKED_BYTES:,}-byte limit "
            "for a DOCX (zip bomb?)"
        )
    if unpacked > _RATIO_FLOOR_BYTES and unpacked > DOCX_MAX_RATIO * max(packed, 1):
        raise SourceError(
            f"{path}: compressed {unpacked / max(packed, 1):,.0f} to 1, more than the {DOCX_MAX_RATIO} to 1 "
            "a real DOCX reaches (zip bomb?)"
        )
    _check_docx_members(path, infos)


def _check_docx_members(path: Path, infos) -> None:
    """Unpack every member a block at a time, checking its CRC, before a parser reads it whole.

    The sizes checked above are what the archive *says*. A crafted archive can say 4 KB
    and hold 1,000 times its own size: zipfile stops at the stated size, but a parser's
    ``read()`` of the member inflates all of its compressed data first (a 20 MB upload,
    some 20 GB). Unpacked here in blocks, such a member fails its CRC at its stated size,
    in bounded memory. Compression methods other than Word's (stored, deflate) are
    refused: bzip2 and lzma inflate without a bound per block.
    """
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SourceError(
                f"{path}: not a readable DOCX file ({info.filename} is compressed with a method Word does not use)"
            )
    try:
        with zipfile.ZipFile(path) as archive:
            for info in infos:
                with archive.open(info) as member:
                    while member.read(1 << 16):
                        pass
    except RuntimeError:  # zipfile: "File ... is encrypted, password required for extraction"
        raise SourceError(f"{path}: encrypted DOCX; save it without a password") from None
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise SourceError(f"{path}: not a readable DOCX file (corrupt zip: {exc}; zip bomb?)") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None


_DOCX_HEADING_RE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def _docx_heading_level(paragraph) -> int:
    """1-9 for "Title" and "Heading n" paragraphs, 0 for the rest."""
    try:
        name = (paragraph.style.name or "") if paragraph.style is not None else ""
    except Exception:  # a paragraph pointing at a missing style is plain text
        return 0
    if name.strip().lower() == "title":
        return 1
    m = _DOCX_HEADING_RE.match(name.strip())
    return int(m.group(1)) if m else 0


def _docx_is_list_item(paragraph) -> bool:
    try:
        name = (paragraph.style.name or "") if paragraph.style is not None else ""
    except Exception:
        name = ""
    ppr = paragraph._p.pPr
    return name.lower().startswith("list") or (ppr is not None and ppr.numPr is not None)


def _docx_table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        seen: list = []  # a merged cell is returned once per grid column it spans
        cells = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            text = _one_line(cell.text)
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def extract_docx(path) -> Extracted:
    """Read a Word document's body: paragraphs and tables in document order.

    Paragraphs styled "Title" or "Heading 1" to "Heading 9" become ``#`` lines
    (``#`` for Title and Heading 1, ``##`` for Heading 2, ..., at most six);
    list paragraphs (a "List ..." style or numbering) are items on consecutive
    lines; every other paragraph is one line of text, its line breaks joined
    with a space; a table row is one line, its cells' text joined by `` | ``. The
    title is the document's ``core_properties.title``, else its first heading,
    else its first line. Headers, footers, footnotes, comments and text boxes are
    not read.

    Raises
    ------
    SourceError
        Not a zip archive holding ``word/document.xml``, unpacking to more than
        `DOCX_MAX_UNPACKED_BYTES` or compressed more than `DOCX_MAX_RATIO` to 1,
        a member that is not what the archive says it is (checked before parsing,
        by unpacking in blocks), or not parseable by python-docx.
    """
    path = Path(path)
    _check_docx_archive(path)
    out = _Layout()
    try:
        import docx
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        first_heading = ""
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                level = _docx_heading_level(item)
                if level:
                    out.add("heading", item.text, level=level)
                    first_heading = first_heading or _one_line(item.text)
                else:
                    out.add("item" if _docx_is_list_item(item) else "text", item.text)
            else:
                for i, row in enumerate(_docx_table_rows(item)):
                    out.add("table", row, tight=i > 0)  # a table's first row starts a block, even after a table
        title = _one_line(document.core_properties.title or "")
    except Exception as exc:  # bad XML, missing parts, wrong content type: all "corrupt"
        raise SourceError(f"{path}: not a readable DOCX file ({_reason(exc)})") from None
    text = out.text()
    return Extracted(text=text, title=(title or first_heading or _first_line(text))[:200], blocks=tuple(out.blocks))


# --- HTML ----------------------------------------------------------------------------------------------

# Never text: code, styling, page furniture.
_HTML_DROP = frozenset(
    {
        "script",
        "style",
        "nav",
        "aside",
        "noscript",
        "template",
        "head",
        "svg",
        "canvas",
        "iframe",
        "object",
        "embed",
        "select",
        "button",
    }
)
# Site banners and footers; an <article>'s or <main>'s own header (often holding its <h1>) is kept.
_HTML_DROP_OUTSIDE_CONTENT = frozenset({"header", "footer"})
_HTML_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_HTML_BLOCKS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hgroup",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "ol",
        "p",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "legend",
        "search",
        "dir",
    }
)
_HTML_CODE = frozenset({"pre", "listing", "xmp", "plaintext"})
# Navigation named by its class, id or role, as documentation generators write it: Texinfo's
# <div class="header"> / <div class="nav-panel"> ("Next: ..., Up: ... [Contents][Index]"), DocBook's
# <table class="nav"> (navheader, navfooter), breadcrumbs, ARIA's role="navigation".
_NAV_WORD_RE = re.compile(r"^(?:nav(?:bar|igation|header|footer|panel|links?|menu)?|breadcrumbs?|pager)$")
_BANNER_WORD_RE = re.compile(r"^(?:header|footer)$")  # like <header>/<footer>: dropped outside <main>/<article>
# A table of contents: Texinfo's <div class="contents"> / "shortcontents" / <ul class="mini-toc">,
# DocBook's <div class="toc">, Sphinx's "toctree-wrapper".
_TOC_WORD_RE = re.compile(r"^(?:toc|toctree|contents|shortcontents)$")
_NAV_ROLES = frozenset({"navigation", "doc-toc"})
_FURNITURE_MAX_WORDS = 20  # more words than this outside its links, and a "nav" element holds the page's text
_LINK_LIST = frozenset({"ul", "ol", "dl", "menu", "dir"})
_INTERNAL_ANCHOR_RE = re.compile(r"^(?![a-z][a-z0-9+.-]*:|//)[^#]*#.", re.IGNORECASE)  # relative, to an anchor
_TABLE_PARTS = frozenset({"tr", "td", "th", "thead", "tbody", "tfoot", "caption"})  # pandoc's <tr class="header">
_QUESTION_RE = re.compile(r"[?？][\"'”’)\]]*$")
_QUESTION_MAX_WORDS = 60  # a FAQ's question may take two or three sentences; more is a paragraph
# What makes a table cell more than a value: its text in blocks of its own.
_CELL_BLOCKS = frozenset({"pre", "ul", "ol", "dl", "table", "blockquote"}) | frozenset(f"h{i}" for i in range(1, 7))
_LAYOUT_CELL_WORDS = 25  # a cell with this many words is prose, not a value
_LINKED_META = 0.8  # a paragraph or item this much link text is a list of links (qa.reading's rule for Markdown)
# Where a browser breaks the line: text on either side of these is never run together.
_HTML_BREAKS = _HTML_BLOCKS | _HTML_CODE | frozenset(_HTML_HEADINGS) | {"br"}
_BR = "\ue000"  # stands for <br> while whitespace is collapsed
_META_CHARSET_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_LATIN1_NAMES = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "windows-1252", "cp1252"}
)


def _decode_html(path: Path, raw: bytes) -> str:
    """The page's characters: by its byte-order mark, else its declared charset, else UTF-8."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(f"{path}: not valid {encoding} (bad byte at offset {exc.start + len(bom)})") from None
    if b"\x00" in raw:
        raise SourceError(f"{path}: binary file (holds NUL bytes), not HTML")
    m = _META_CHARSET_RE.search(raw[:4096]) or _XML_ENCODING_RE.match(raw[:4096])
    declared = m.group(1).decode("ascii").lower() if m else ""
    encoding = declared or "utf-8"
    if declared:
        try:
            encoding = codecs.lookup(declared).name
        except LookupError:
            raise SourceError(f"{path}: declares an unknown charset {declared!r}") from None
        if encoding.startswith("utf-16"):  # a <meta> read as ASCII cannot really be UTF-16 (HTML standard)
            encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if declared in _LATIN1_NAMES:  # browsers read all of these as windows-1252, and latin-1 decodes any byte
            return raw.decode("latin-1")
        how = f"the charset it declares, {declared}" if declared else "UTF-8, and it declares no charset"
        raise SourceError(f"{path}: not decodable as {how} (bad byte at offset {exc.start})") from None


def _html_parser() -> str:
    try:
        import lxml  # noqa: F401  (python-docx depends on it, so it is normally there)
    except ImportError:
        return "html.parser"
    return "lxml"


def _is_text(node) -> bool:
    from bs4.element import NavigableString, PreformattedString

    return isinstance(node, NavigableString) and not isinstance(node, PreformattedString)


def _flat_text(tag) -> str:
    """A tag's text on one line, dropped elements left out; line breaks (block boundaries, <br>) become spaces."""
    from bs4.element import Tag

    parts = []
    stack = list(reversed(tag.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _HTML_DROP:
                continue
            if node.name in _HTML_BREAKS:
                parts.append(" ")
            stack.extend(reversed(node.contents))
        elif _is_text(node):
            parts.append(str(node))
    return _one_line("".join(parts))


def _is_content(tag) -> bool:
    return tag.name in ("article", "main") or tag.get("role") == "main"


def _chars(text: str) -> int:
    return len("".join(text.split()))


def _words(text: str) -> int:
    """How many words of `text` hold a letter ("1.2." and "|" are not words)."""
    return sum(1 for w in text.split() if any(c.isalpha() for c in w))


def _link_words(tag) -> int:
    return sum(_words(_flat_text(a)) for a in tag.find_all("a"))


def _attr_words(tag) -> set[str]:
    """The words of an element's class names and id, lowercased: "nav-panel" gives nav and panel."""
    names = tag.get("class") or []
    if isinstance(names, str):
        names = names.split()
    names = [*names, tag.get("id") or ""]
    return {w for name in names for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w}


def _is_furniture(tag, in_content: bool) -> bool:
    """Navigation or a table of contents, by the element's role, class or id: never an answer.

    The names only propose; the content decides. An element whose class names navigation
    (nav, navheader, nav-panel, breadcrumb; header and footer outside ``<main>``/``<article>``)
    is dropped when it holds no heading and at most `_FURNITURE_MAX_WORDS` words outside its
    links (Sphinx's "wy-nav-content" wraps the whole page); one named a table of contents
    (toc, contents, shortcontents) when its words are mostly links, its own "Table of
    Contents" title aside.
    """
    if (tag.get("role") or "").strip().lower() in _NAV_ROLES:
        return True
    if tag.name not in _HTML_BLOCKS:  # an inline element's class styles it: Underscore's <b class="header">
        return False
    words = _attr_words(tag)
    if not words:
        return False
    banner = not in_content and tag.name not in _TABLE_PARTS and any(_BANNER_WORD_RE.match(w) for w in words)
    nav = banner or any(_NAV_WORD_RE.match(w) for w in words)
    toc = any(_TOC_WORD_RE.match(w) for w in words)
    if not (nav or toc) or tag.name in ("html", "body", "main", "article") or tag.find(["main", "article"]):
        return False
    linked = _link_words(tag)
    loose = _words(_flat_text(tag)) - linked
    if toc and linked and loose <= max(_FURNITURE_MAX_WORDS, linked // 4):
        return True
    return nav and loose <= _FURNITURE_MAX_WORDS and tag.find(list(_HTML_HEADINGS)) is None


def _is_link_list(tag) -> bool:
    """A list whose every entry is nothing but links to places in this manual ("#anchor",
    "faq.html#anchor"; a number such as "1.2." beside them aside): a table of contents, such as a
    FAQ's list of its questions above their answers (DocBook's qandaset). A parameter list whose
    types link to their pages ("source <AsyncIterable>") names its entries outside the links."""
    entries = tag.find_all(["li", "dt", "dd"], recursive=False)
    if len(entries) < 2:
        return False
    for entry in entries:
        anchors = [a for a in entry.find_all("a") if _INTERNAL_ANCHOR_RE.match(a.get("href") or "")]
        linked = sum(_words(_flat_text(a)) for a in anchors)
        if not linked or _words(_flat_text(entry)) > linked:
            return False
    return True


def _is_layout_table(table) -> bool:
    """A table used to lay out a page rather than hold data: a cell holds prose (25 words or
    more), or two cells hold blocks of their own (a heading, a list, a listing, paragraphs).
    A cell whose text is wrapped in one ``<p>`` (docutils writes every cell so) is a value, and
    a table whose first row names its columns (two ``<th>`` or more) holds data."""
    first = table.find("tr")
    if first is not None:
        cells = _cells(first)
        if len(cells) >= 2 and all(c.name == "th" for c in cells):
            return False
    blocky = 0
    for cell in table.find_all(["td", "th"]):
        if _words(_flat_text(cell)) >= _LAYOUT_CELL_WORDS:
            return True
        if cell.find(list(_CELL_BLOCKS)) is not None or len(cell.find_all(["p", "div"])) >= 2:
            blocky += 1
            if blocky >= 2:
                return True
    return False


def _cells(row) -> list:
    return row.find_all(["td", "th"], recursive=False)


def _inline_cell(cell) -> bool:
    """A cell whose text is one run, not blocks (one ``<p>`` around it at most)."""
    return cell.find(list(_CELL_BLOCKS | _HTML_CODE)) is None and len(cell.find_all(["p", "div"])) <= 1


def _is_question(text: str) -> bool:
    return bool(_QUESTION_RE.search(text)) and _words(text) <= _QUESTION_MAX_WORDS


def _html_blocks(root, out: _Layout) -> str:
    """Walk the tree (iteratively: deep nesting cannot overflow the stack), writing its blocks to `out`.

    Returns the text of the first ``<h1>``, for the title.
    """
    from bs4.element import Tag

    buffer: list[tuple[str, bool]] = []  # the text of the open paragraph, as the source spaces it; in a link?
    links = 0  # how many <a href> are open
    last_item = [-1]  # where the last item written ends
    kinds: list[str] = []  # the open block elements' kinds ("text" or "item"), innermost last
    in_content = 0  # how many <article>/<main> elements are open
    dl_depth = 0  # how many <dl> are open: a <dt> is a heading one level below the last <h>, per <dl>
    level = 0  # the level of the last <h1>-<h6>
    new_table = False  # the next row starts a table: a block of its own, even right after another table
    layouts: list[bool] = []  # for each open <table>, whether it lays out the page (`_is_layout_table`)
    first_h1 = ""

    def flush():
        if buffer:
            lines: list[tuple[list[str], list[str]]] = [([], [])]  # each line's text, and its links' text
            for text, linked in buffer:
                if text == _BR:
                    lines.append(([], []))
                else:
                    lines[-1][0].append(text)
                    if linked:
                        lines[-1][1].append(text)
            buffer.clear()
            source = kinds[-1] if kinds else "text"
            # An item right after an item is the next line of the list's block, meta or not.
            written = source == "item" and last_item[0] == out.length
            for parts, linked in lines:
                line = _one_line("".join(parts))
                if line:
                    kind = source
                    # A paragraph or item that is all but links is a menu or a list of links: meta
                    # (searchable, never an answer), as qa.reading reads one in Markdown.
                    if _chars("".join(linked)) >= _LINKED_META * _chars(line):
                        kind = "meta"
                    out.add(kind, line, tight=True if written else None)
                    written = True
            if source == "item":
                last_item[0] = out.length

    def row(node):
        nonlocal new_table
        out.add("table", " | ".join(c for c in map(_flat_text, _cells(node)) if c), tight=False if new_table else None)
        new_table = False

    # (node, how): how is False on the way in, True when leaving a block element, "link" when
    # leaving an <a href>, "question" for a layout table's cell that asks the question the cells
    # after it answer.
    stack: list[tuple[object, object]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving == "link":
            links -= 1
            continue
        if leaving == "question":
            flush()
            out.add("heading", _flat_text(node), level=level + 1)
            continue
        if leaving:  # only block elements are left
            flush()
            kinds.pop()
            in_content -= _is_content(node)
            dl_depth -= node.name == "dl"
            if node.name == "table":
                layouts.pop()
            continue
        if not isinstance(node, Tag):
            if _is_text(node):
                buffer.append((str(node), links > 0))
            continue
        name = node.name
        if (
            name in _HTML_DROP
            or (name in _HTML_DROP_OUTSIDE_CONTENT and not in_content)
            or _is_furniture(node, in_content > 0)
            or (name in _LINK_LIST and _is_link_list(node))
        ):
            continue
        if name in _HTML_HEADINGS:
            flush()
            level = _HTML_HEADINGS[name]
            text = _flat_text(node)
            out.add("heading", text, level=level)
            if level == 1 and not first_h1:
                first_h1 = _PILCROW_RE.sub("", text)
        elif name == "dt":  # a term, and the <dd> after it describes it: its heading
            flush()
            out.add("heading", _flat_text(node), level=level + max(dl_depth, 1))
        elif name in _HTML_CODE:
            flush()
            out.add("code", node.get_text())
        elif name == "tr" and not (layouts and layouts[-1]):
            flush()
            row(node)
        elif name == "tr":  # a row of a layout table
            flush()
            cells = _cells(node)
            line = " ".join(c for c in map(_flat_text, cells) if c)
            if all(map(_inline_cell, cells)) and _is_question(line):
                out.add("heading", line, level=level + 1)  # "1.1. | How do you say it?": the section of the rows below
                continue
            kinds.append("text")
            stack.append((node, True))
            for cell in reversed(cells):  # its cells' blocks, read as the page's own
                if not _inline_cell(cell):
                    stack.append((cell, False))
                elif _is_question(_flat_text(cell)):
                    stack.append((cell, "question"))
                elif _words(_flat_text(cell)):  # a cell of a number alone ("2.1.") labels the next: no text
                    stack.append((cell, False))
        elif name == "br":
            buffer.append((_BR, False))
        else:
            if name == "a" and node.get("href"):
                links += 1
                stack.append((node, "link"))
            if name in _HTML_BLOCKS:
                flush()
                kinds.append("item" if name == "li" or (kinds and kinds[-1] == "item") else "text")
                in_content += _is_content(node)
                dl_depth += name == "dl"
                new_table = new_table or name == "table"
                if name == "table":
                    layouts.append(_is_layout_table(node))
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return first_h1


def extract_html(path) -> Extracted:
    """Read a web page's main text.

    Script, style, template, navigation, asides, forms' buttons and the page's
    own header and footer are dropped (the header of an ``<article>`` or
    ``<main>`` is kept: it often holds the heading), and so are navigation and
    tables of contents named by their role, class or id (Texinfo's "Next: ...,
    Up: ... [Contents][Index]" header and its contents, DocBook's navigation
    tables and ``<div class="toc">``; `_is_furniture`) and lists whose every
    entry is a link to an anchor (a FAQ's questions above their answers). When
    the page has a ``<main>`` element only that is read. The blocks:

    - ``<h1>``-``<h6>`` are headings (``#`` lines), and so is a ``<dt>``, one
      level below the last ``<h>`` per enclosing ``<dl>``: the term its ``<dd>``
      describes (libffi's manual lists its functions so);
    - an ``<li>`` is an item, and so is every paragraph inside one;
    - ``<pre>`` is code, its lines kept;
    - a table row is one line, its cells joined by `` | ``; but a table that
      lays out the page (`_is_layout_table`: a cell of prose, or cells holding
      blocks of their own, as DocBook writes a FAQ) is read as the page's own
      blocks, and in it a row or cell that only asks a question ("1.1. | How
      do you pronounce it?") is a heading: the section of its answer;
    - the text of any other block element (``<p>``, ``<div>``, ``<dd>``,
      ``<blockquote>``, ...) is a paragraph: one line, ``<br>`` starting a new
      line of it.

    A block element ends a block and an inline one never does; text on either
    side of an inline element is joined with the spacing the source has. A
    trailing permalink "¶" is dropped from headings. The title is
    ``<title>``, else the first ``<h1>``, else the first line. The file is
    decoded by its byte-order mark, else its declared charset, else as UTF-8.

    Raises
    ------
    SourceError
        The file is binary or not decodable.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    markup = _decode_html(path, raw)
    out = _Layout()
    try:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(markup, _html_parser())
        title = _one_line(soup.title.get_text()) if soup.title else ""
        root = soup.find("main") or soup.find(attrs={"role": "main"})
        if root is None or not _flat_text(root):  # no <main>, or an empty one filled by script
            root = soup.body or soup
        first_h1 = _html_blocks(root, out)
    except Exception as exc:  # the parsers are lenient; this is a last resort
        raise SourceError(f"{path}: not a readable HTML file ({_reason(exc)})") from None
    text = out.text()
    return Extracted(text=text, title=(title or first_h1 or _first_line(text))[:200], blocks=tuple(out.blocks))


EXTRACTORS = {
    ".pdf": extract_pdf,
    ".docx": extract_docx,
    ".html": extract_html,
    ".htm": extract_html,
}
