"""Text out of PDF, DOCX and HTML files, laid out so the chunker sees their structure.

Each extractor reads one file and returns an `Extracted`: the text that every
offset of its passages will point into, the document's title, for PDFs the
offset where each page starts, and the *blocks* of the text. Structure is
written the way `qa.chunking` reads it:

- a heading is a line of its own in Markdown form, ``# Heading`` for level 1,
  ``## Sub`` for level 2 (at most six ``#``), so it becomes the section of the
  paragraphs below it;
- a paragraph of running text is one line, and paragraphs are separated by one
  blank line (a line break inside a paragraph, HTML's ``<br>``, starts a new
  line of the same paragraph: one newline);
- consecutive list items, and the rows of a table (cells joined by `` | ``),
  are consecutive lines of one block, so a short item is never taken for a
  heading;
- preformatted text (``<pre>``) keeps its lines.

``Extracted.blocks`` names every block of the text in order as ``(kind, start,
end)``: half-open offsets into the text, non-overlapping, ascending, each span
stripped, with at least one newline between two blocks. ``kind`` is
``"heading"`` (the heading's words only, not its ``#`` marker), ``"text"`` (a
paragraph, one line), ``"item"`` (a list item, or a paragraph inside one, one
line), ``"code"`` (preformatted, its lines kept) or ``"table"`` (one row, one
line). Every character of the text but whitespace and the ``#`` markers lies in
exactly one block.

A file that cannot be read raises `SourceError` naming the file and the
reason (encrypted, corrupt, no text layer, not decodable, a zip bomb); the
loader turns it into a warning and goes on with the other files. The parsers
(pypdf, python-docx, BeautifulSoup) are imported only when a file of their kind
is read, so qa starts as fast as before. (PDFs have no blocks yet: ``blocks`` is
empty for them.)
"""

from __future__ import annotations

import codecs
import logging
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError

__all__ = ["Extracted", "EXTRACTORS", "BLOCK_KINDS", "extract_pdf", "extract_docx", "extract_html",
           "DOCX_MAX_UNPACKED_BYTES", "DOCX_MAX_RATIO"]

DOCX_MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sum of the members' sizes a DOCX may unpack to
DOCX_MAX_RATIO = 100  # unpacked : packed; Word's XML packs about 5-20 to 1
_RATIO_FLOOR_BYTES = 1024 * 1024  # tiny archives may have any ratio: they cannot hurt
BLOCK_KINDS = ("heading", "text", "item", "code", "table")

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
    return " ".join(_CONTROL_RE.sub("", text).split())


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
                tight = kind == self._prev and kind in ("item", "table")
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


def _pdf_title(reader) -> str:
    try:
        title = _one_line(str(reader.metadata.title or "")) if reader.metadata else ""
    except Exception:  # a malformed /Info dictionary costs the title only
        return ""
    return "" if _FILE_NAME_TITLE_RE.search(title) else title[:200]


_SOFT_BREAK_RE = re.compile(r"(?<=[^\s.!?:;。！？；])\n(?=[a-z(\[\"'“‘,])")


def _unwrap(text: str) -> str:
    r"""Join lines a PDF broke for layout, not meaning: a line that does not end a
    sentence, followed by one that starts in lower case, is the same sentence.
    Paragraph breaks (blank lines), list items and headings keep their lines.

    >>> _unwrap("leave may be carried over to the\nnext year.\nSick leave")
    'leave may be carried over to the next year.\nSick leave'
    """
    return _SOFT_BREAK_RE.sub(" ", text)


def extract_pdf(path) -> Extracted:
    """Read a PDF's text layer, page by page.

    Each page's text (pypdf's ``extract_text``) keeps its line breaks, except
    those that only wrap a sentence (`_unwrap`); trailing spaces are cut and
    runs of blank lines shortened to one. Pages are joined
    with a blank line, and ``pages[i]`` is the offset where page ``i + 1``
    starts, so ``Document.page_at`` names the page of any passage. An empty
    page shares its start with the next page. The title is the PDF's metadata
    title unless that is missing or a file name ("Microsoft Word - x.docx").

    Raises
    ------
    SourceError
        Encrypted with a password, not a readable PDF, or no page has text
        (a scanned document without a text layer).
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    path = Path(path)
    notes: list[str] = []
    with _quiet("pypdf"):
        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")  # many PDFs are "encrypted" with an empty user password
                except DependencyError:
                    raise SourceError(
                        f"{path}: encrypted with AES; reading it needs the cryptography package "
                        "(pip install 'pypdf[crypto]')"
                    ) from None
                if not opened:
                    raise SourceError(f"{path}: encrypted PDF (it needs a password to open)")
            title = _pdf_title(reader)
            page_texts = []
            for number, page in enumerate(reader.pages, 1):
                try:
                    page_texts.append(_unwrap(_clean_lines(page.extract_text() or "")))
                except Exception as exc:  # one bad page should not lose the others
                    notes.append(f"{path}: page {number} skipped, its text could not be read ({_reason(exc)})")
                    page_texts.append("")
        except SourceError:
            raise
        except Exception as exc:  # pypdf raises many kinds of error on malformed files
            raise SourceError(f"{path}: not a readable PDF ({_reason(exc)})") from None
    if not page_texts:
        raise SourceError(f"{path}: PDF has no pages")
    if not any(page_texts):
        raise SourceError(f"{path}: no text layer (scanned?); only PDFs with selectable text can be read")
    parts: list[str] = []
    pages: list[int] = []
    length = 0
    for text in page_texts:
        sep = 2 if parts else 0
        pages.append(length + sep)
        if text:
            if sep:
                parts.append("\n\n")
            parts.append(text)
            length += sep + len(text)
    text = "".join(parts)
    return Extracted(text=text, title=title or _first_line(text), pages=tuple(pages), notes=tuple(notes))


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
            raise SourceError(f"{path}: not a readable DOCX file ({info.filename} is compressed with a method "
                              "Word does not use)")
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
_HTML_DROP = frozenset({
    "script", "style", "nav", "aside", "noscript", "template", "head",
    "svg", "canvas", "iframe", "object", "embed", "select", "button",
})
# Site banners and footers; an <article>'s or <main>'s own header (often holding its <h1>) is kept.
_HTML_DROP_OUTSIDE_CONTENT = frozenset({"header", "footer"})
_HTML_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_HTML_BLOCKS = frozenset({
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr", "html",
    "li", "main", "menu", "ol", "p", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul", "legend", "search", "dir",
})
_HTML_CODE = frozenset({"pre", "listing", "xmp", "plaintext"})
# Where a browser breaks the line: text on either side of these is never run together.
_HTML_BREAKS = _HTML_BLOCKS | _HTML_CODE | frozenset(_HTML_HEADINGS) | {"br"}
_BR = "\ue000"  # stands for <br> while whitespace is collapsed
_META_CHARSET_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_LATIN1_NAMES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "windows-1252", "cp1252"})


def _decode_html(path: Path, raw: bytes) -> str:
    """The page's characters: by its byte-order mark, else its declared charset, else UTF-8."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding)
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


def _html_blocks(root, out: _Layout) -> str:
    """Walk the tree (iteratively: deep nesting cannot overflow the stack), writing its blocks to `out`.

    Returns the text of the first ``<h1>``, for the title.
    """
    from bs4.element import Tag

    buffer: list[str] = []  # the text of the open paragraph, as the source spaces it
    kinds: list[str] = []  # the open block elements' kinds ("text" or "item"), innermost last
    in_content = 0  # how many <article>/<main> elements are open
    dl_depth = 0  # how many <dl> are open: a <dt> is a heading one level below the last <h>, per <dl>
    level = 0  # the level of the last <h1>-<h6>
    new_table = False  # the next row starts a table: a block of its own, even right after another table
    first_h1 = ""

    def flush():
        if buffer:
            lines = "".join(buffer).split(_BR)
            buffer.clear()
            written = False
            for line in lines:
                line = _one_line(line)
                if line:
                    out.add(kinds[-1] if kinds else "text", line, tight=True if written else None)
                    written = True

    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:  # only block elements are left
            flush()
            kinds.pop()
            in_content -= _is_content(node)
            dl_depth -= node.name == "dl"
            continue
        if not isinstance(node, Tag):
            if _is_text(node):
                buffer.append(str(node))
            continue
        name = node.name
        if name in _HTML_DROP or (name in _HTML_DROP_OUTSIDE_CONTENT and not in_content):
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
        elif name == "tr":
            flush()
            cells = [_flat_text(c) for c in node.find_all(["td", "th"], recursive=False)]
            out.add("table", " | ".join(c for c in cells if c), tight=False if new_table else None)
            new_table = False
        elif name == "br":
            buffer.append(_BR)
        else:
            if name in _HTML_BLOCKS:
                flush()
                kinds.append("item" if name == "li" or (kinds and kinds[-1] == "item") else "text")
                in_content += _is_content(node)
                dl_depth += name == "dl"
                new_table = new_table or name == "table"
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return first_h1


def extract_html(path) -> Extracted:
    """Read a web page's main text.

    Script, style, template, navigation, asides, forms' buttons and the page's
    own header and footer are dropped (the header of an ``<article>`` or
    ``<main>`` is kept: it often holds the heading). When the page has a
    ``<main>`` element only that is read. The blocks:

    - ``<h1>``-``<h6>`` are headings (``#`` lines), and so is a ``<dt>``, one
      level below the last ``<h>`` per enclosing ``<dl>``: the term its ``<dd>``
      describes (libffi's manual lists its functions so);
    - an ``<li>`` is an item, and so is every paragraph inside one;
    - ``<pre>`` is code, its lines kept;
    - a table row is one line, its cells joined by `` | ``;
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
