"""PDF: the text layer read as a person reads the page (`extract_pdf`)."""

from __future__ import annotations

import math
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import SourceError
from .common import Extracted, first_line, Layout, one_line, reason
from .pdf_lines import Line
from .pdf_lines import page_lines
from .pdf_tables import split_columns, table_rows, table_runs

__all__ = ["extract_pdf"]

_FILE_NAME_TITLE_RE = re.compile(r"\.(?:docx?|pdf|txt|rtf|odt|indd|pptx?|xlsx?|tex|dvi|ps)$|^untitled$", re.IGNORECASE)
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
_PDFIUM_LOCK = threading.Lock()


@dataclass(slots=True)
class _PdfBlock:
    kind: str
    lines: list = field(default_factory=list)
    level: int = 0
    text: str = ""  # a table row's text, written from its cells


def _pdf_title(document) -> str:
    """The metadata title, unless it is missing or a file name ("Microsoft Word - x.docx")."""
    try:
        title = one_line(str(document.get_metadata_value("Title") or ""))
    except Exception:  # a malformed /Info dictionary costs the title only
        return ""
    return "" if _FILE_NAME_TITLE_RE.search(title) else title[:200]


def _pdf_page_lines(page) -> list[Line]:
    """The page's lines, in the order the page draws them."""
    return page_lines(page)


def _read_pdf_lines(document, path: Path, notes: list[str]) -> tuple[list[list[Line]], list[float]]:
    """Each page's lines and height, read by pdfium; a page that fails is empty and noted."""
    read_lines = sys.modules[__package__]._pdf_page_lines  # the package's: a test breaks pages there
    pages: list[list[Line]] = []
    heights: list[float] = []
    for number in range(1, len(document) + 1):
        lines, height = [], 0.0
        page = None
        try:
            page = document[number - 1]
            height = float(page.get_height())
            lines = read_lines(page)
        except Exception as exc:  # one bad page should not lose the others
            notes.append(f"{path}: page {number} skipped, its text could not be read ({reason(exc)})")
        finally:
            if page is not None:
                page.close()
        pages.append(lines)
        heights.append(height)
    return pages, heights


def _furniture_key(line: Line, height: float):
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


def _page_number_lines(pages: list[list[Line]], heights: list[float], need: int) -> set[tuple[int, int]]:
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


def _drop_furniture(pages: list[list[Line]], heights: list[float]) -> list[list[Line]]:
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


def _drop_contents(pages: list[list[Line]]) -> list[list[Line]]:
    """Drop a table of contents' (or an index's) entries: lines that end in a dot leader and a page
    number. They are no heading (the heading is further on) and no text."""
    return [[line for line in lines if line.mono or not _DOT_LEADER_RE.search(line.text)] for lines in pages]


def _compounds(pages: list[list[Line]]) -> set[str]:
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


def _join_lines(lines: list[Line], compounds: set[str]) -> str:
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


def _code_text(lines: list[Line]) -> str:
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

    def __init__(self, pages: list[list[Line]]):
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

    def _right(self, page: list[Line]) -> float:
        """The right edge of the page's text: where most full lines end."""
        ends = sorted(line.x1 for line in page if not line.mono)
        return ends[round(0.9 * (len(ends) - 1))] if ends else 0.0

    def _left(self, page: list[Line]) -> float:
        return min((line.x0 for line in page if not line.mono), default=0.0)

    def _short(self, line: Line, left: float, right: float) -> bool:
        return line.x1 < right - max(2 * line.size, 0.1 * (right - left))

    def _role(self, line: Line, left: float, right: float) -> str:
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

    def _breaks(self, block: _PdfBlock, line: Line, role: str, left: float, right: float) -> bool:
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

    def page_blocks(self, page: list[Line]) -> list[_PdfBlock]:
        page = split_columns(page)
        left, right = self._left(page), self._right(page)
        rows = {}  # the first line of each table: its rows' texts
        in_table = set()
        for a, b in table_runs(page):
            rows[a] = table_rows(page[a:b])
            in_table.update(range(a, b))
        blocks: list[_PdfBlock] = []
        for i, line in enumerate(page):
            if i in rows:
                for k, text in enumerate(rows[i]):  # a table: one block a row
                    blocks.append(_PdfBlock("table", [page[i + k]], text=text))
            if i in in_table:
                continue
            role = self._role(line, left, right)
            if role == "code" and self._goes_on(blocks, line, page[i + 1] if i + 1 < len(page) else None):
                role = blocks[-1].kind
            elif not blocks or self._breaks(blocks[-1], line, role, left, right):
                blocks.append(_PdfBlock(role))
            blocks[-1].lines.append(line)
        return blocks

    def _goes_on(self, blocks: list[_PdfBlock], line: Line, after: Line | None) -> bool:
        """Whether a monospaced line is a name that ends a sentence broken off above it ("... may be
        called on a" / "CipherState."), not a listing: one line alone, right below a paragraph
        line that ends no sentence, no wider apart than a paragraph's lines, and not indented."""
        if not blocks or blocks[-1].kind not in ("text", "item") or (after is not None and after.mono):
            return False
        prev = blocks[-1].lines[-1]
        gap = line.top - prev.bottom
        return (
            not _SENTENCE_END_RE.search(prev.text)
            and -0.5 * line.size <= gap <= (self.line_gap + 0.4) * line.size
            and line.x0 <= prev.x0 + 0.5 * line.size
            and len(line.text) <= 80
        )

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
        if block.text:
            return block.text
        if block.kind == "code":
            return _code_text(block.lines)
        return _join_lines(block.lines, self.compounds)


_TITLE_BLOCKS = 8  # the title is among the first blocks of the first page with text


def _settle_title(pages: list[list[_PdfBlock]], rules: _PdfRules, title: str) -> str:
    """The document's title, and its block on the first page with text made a level-1 heading (a
    title is never an answer): the metadata title where a block prints it, else the block of the
    largest type among the first ones when it is larger than the body text."""
    first = next((blocks[:_TITLE_BLOCKS] for blocks in pages if blocks), [])
    key = _title_key(title)
    if key:
        for b in first:
            if b.kind in ("text", "item", "heading") and _title_key(rules.text_of(b)) == key:
                b.kind, b.level = "heading", 1
        return title
    sized = [b for b in first if b.kind == "heading" and b.lines[0].size >= rules.body * _HEADING_RATIO]
    if not sized:
        return ""
    big = max(sized, key=lambda b: b.lines[0].size)
    return one_line(rules.text_of(big))[:200]


def _title_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _open_pdf(path: Path):
    """pdfium's document of `path`, opened with an empty password when it is encrypted with one
    (pdfium rebuilds a damaged cross-reference table itself)."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise SourceError(f"{path}: encrypted PDF (it needs a password to open)") from None
        raise


def extract_pdf(path) -> Extracted:
    """Read a PDF's text layer as a person reads the page: paragraphs, headings, lists, listings.

    pdfium (pypdfium2) opens the file (and decrypts one whose user password is
    empty, and rebuilds a broken cross-reference table) and gives each page's lines with their
    position, font and size (`qa.ingest.formats.pdf_lines`), from which the
    blocks are read:

    - Running headers, footers and page numbers are dropped: a line in the top
      or bottom 12% of the page whose text, numbers aside, and size recur there
      on at least half the pages; and a line there that holds a number counting
      the pages (alone, or at its start or end: "Chapter 2: Parsing 3") at the
      same height on a quarter of the pages, with a number alone ("i", a
      chapter's first page) at that height.
    - A table of contents' or an index's entries (a dot leader and a page
      number: "2.1 Syntax . . . . 2") are dropped; a glyph pdfium could not
      map to text is dropped (a bullet, when it opens a line).
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
    # pdfium is not thread-safe: one thread of a process reads a PDF at a time (the page serves
    # each visitor's upload on a thread of its own; `qa index --jobs` reads on processes).
    with _PDFIUM_LOCK:
        try:
            document = _open_pdf(path)
        except SourceError:
            raise
        except Exception as exc:  # pdfium's "Data format error" and the like: the file is broken
            raise SourceError(f"{path}: not a readable PDF ({reason(exc)})") from None
        try:
            if not len(document):
                raise SourceError(f"{path}: PDF has no pages")
            title = _pdf_title(document)
            pages, heights = _read_pdf_lines(document, path, notes)
        finally:
            document.close()
    if len(notes) == len(pages):  # no page could be read: the file, not a page, is broken
        raise SourceError(f"{path}: not a readable PDF (no page could be read; {notes[0].rpartition(' (')[2]}")
    if not any(pages):
        raise SourceError(f"{path}: no text layer (scanned?); only PDFs with selectable text can be read")
    pages = _drop_contents(_drop_furniture(pages, heights))
    rules = _PdfRules(pages)
    page_blocks = [rules.page_blocks(lines) for lines in pages]
    rules.settle(page_blocks)
    title = _settle_title(page_blocks, rules, title)
    out = Layout()
    for blocks in page_blocks:
        out.page()
        for block in blocks:
            out.add(block.kind, rules.text_of(block), level=block.level)
    text = out.text()
    return Extracted(
        text=text, title=title or first_line(text), pages=tuple(out.pages), notes=tuple(notes), blocks=tuple(out.blocks)
    )
