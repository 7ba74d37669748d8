"""Text out of PDF, DOCX and HTML files, laid out so the chunker sees their structure.

Each extractor reads one file and returns an `Extracted`: the text that every
offset of its passages will point into, the document's title, and for PDFs the
offset where each page starts. Structure is written the way `qa.chunking` reads
it:

- a heading is a line of its own in Markdown form, ``# Heading`` for level 1,
  ``## Sub`` for level 2 (at most six ``#``), so it becomes the section of the
  paragraphs below it;
- paragraphs are separated by one blank line;
- consecutive list items, and the rows of a table (cells joined by `` | ``),
  are consecutive lines of one block, so a short item is never taken for a
  heading.

A file that cannot be read raises `SourceError` naming the file and the
reason (encrypted, corrupt, no text layer, not decodable, a zip bomb); the
loader turns it into a warning and goes on with the other files. The parsers
(pypdf, python-docx, BeautifulSoup) are imported only when a file of their kind
is read, so qa starts as fast as before.
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

__all__ = ["Extracted", "EXTRACTORS", "extract_pdf", "extract_docx", "extract_html",
           "DOCX_MAX_UNPACKED_BYTES", "DOCX_MAX_RATIO"]

DOCX_MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sum of the members' sizes a DOCX may unpack to
DOCX_MAX_RATIO = 100  # unpacked : packed; Word's XML packs about 5-20 to 1
_RATIO_FLOOR_BYTES = 1024 * 1024  # tiny archives may have any ratio: they cannot hurt

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
    """

    text: str
    title: str = ""
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clean_lines(text: str) -> str:
    """Newlines normalised, control characters dropped, trailing spaces cut, 3+ newlines made 2."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL_RE.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _one_block(text: str) -> str:
    """`text` as one chunker block: its lines kept, blank lines between them dropped."""
    return "\n".join(line for line in _clean_lines(text).split("\n") if line.strip())


def _heading(level: int, text: str) -> str:
    return "#" * min(max(level, 1), 6) + " " + text


def _layout(blocks: list[tuple[str, str]]) -> str:
    """Join ``(kind, text)`` blocks: list items and table rows that follow one another
    share a block (one newline), everything else is separated by a blank line."""
    out: list[str] = []
    prev = None
    for kind, text in blocks:
        if not text:
            continue
        if out:
            out.append("\n" if kind == prev and kind in ("item", "row") else "\n\n")
        out.append(text)
        prev = kind
    return "".join(out)


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
def _quiet(logger_name: str):
    """Silence a parser's logged warnings about malformed input; qa reports per-file problems itself."""
    log = logging.getLogger(logger_name)
    old = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(old)


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
    list paragraphs are consecutive lines; a table is one block of rows, each
    row its cells' text joined by `` | ``. The title is the document's
    ``core_properties.title``, else its first heading, else its first line.
    Headers, footers, footnotes, comments and text boxes are not read.

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
    try:
        import docx
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        blocks: list[tuple[str, str]] = []
        first_heading = ""
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                level = _docx_heading_level(item)
                if level:
                    text = _one_line(item.text)
                    if text:
                        blocks.append(("heading", _heading(level, text)))
                        first_heading = first_heading or text
                else:
                    text = _one_block(item.text)
                    blocks.append(("item" if _docx_is_list_item(item) else "para", text))
            else:
                blocks.append(("table", "\n".join(_docx_table_rows(item))))
        title = _one_line(document.core_properties.title or "")
    except Exception as exc:  # bad XML, missing parts, wrong content type: all "corrupt"
        raise SourceError(f"{path}: not a readable DOCX file ({_reason(exc)})") from None
    text = _layout(blocks)
    return Extracted(text=text, title=(title or first_heading or _first_line(text))[:200])


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
    "thead", "tr", "ul", "legend", "search",
})
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
    """A tag's text on one line, dropped elements left out; block boundaries and <br> become spaces."""
    from bs4.element import Tag

    parts = []
    stack = list(reversed(tag.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _HTML_DROP:
                continue
            if node.name in _HTML_BLOCKS or node.name == "br":
                parts.append(" ")
            stack.extend(reversed(node.contents))
        elif _is_text(node):
            parts.append(str(node))
    return _one_line("".join(parts))


def _is_content(tag) -> bool:
    return tag.name in ("article", "main") or tag.get("role") == "main"


def _html_blocks(root) -> list[tuple[str, str]]:
    """Walk the tree (iteratively: deep nesting cannot overflow the stack) into ``(kind, text)`` blocks."""
    from bs4.element import Tag

    blocks: list[tuple[str, str]] = []
    buffer: list[str] = []
    kinds: list[str] = []  # the open block elements' kinds, innermost last
    in_content = 0  # how many <article>/<main> elements are open

    def flush():
        if buffer:
            lines = (_one_line(line) for line in " ".join("".join(buffer).split()).split(_BR))
            text = "\n".join(line for line in lines if line)
            buffer.clear()
            if text:
                blocks.append((kinds[-1] if kinds else "para", text))

    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            flush()
            kinds.pop()
            in_content -= _is_content(node)
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
            text = _flat_text(node)
            if text:
                blocks.append(("heading", _heading(_HTML_HEADINGS[name], text)))
        elif name == "pre":
            flush()
            blocks.append(("para", _one_block(node.get_text())))
        elif name == "tr":
            flush()
            cells = [_flat_text(c) for c in node.find_all(["td", "th"], recursive=False)]
            blocks.append(("row", " | ".join(c for c in cells if c)))
        elif name == "br":
            buffer.append(_BR)
        else:
            if name in _HTML_BLOCKS:
                flush()
                kinds.append("item" if name == "li" or (kinds and kinds[-1] == "item") else "para")
                in_content += _is_content(node)
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return blocks


def extract_html(path) -> Extracted:
    """Read a web page's main text.

    Script, style, template, navigation, asides, forms' buttons and the page's
    own header and footer are dropped (the header of an ``<article>`` or
    ``<main>`` is kept: it often holds the heading). When the page has a
    ``<main>`` element only that is read. ``<h1>``-``<h6>`` become ``#`` lines;
    ``<p>``, ``<li>``, ``<pre>``, ``<blockquote>`` and other blocks are
    paragraphs; a table row is one line of `` | ``-joined cells. The title is
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
    try:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(markup, _html_parser())
        title = _one_line(soup.title.get_text()) if soup.title else ""
        root = soup.find("main") or soup.find(attrs={"role": "main"})
        if root is None or not _flat_text(root):  # no <main>, or an empty one filled by script
            root = soup.body or soup
        blocks = _html_blocks(root)
        if not title:  # the first <h1> of the text read
            title = next((text[2:] for kind, text in blocks if kind == "heading" and text.startswith("# ")), "")
    except Exception as exc:  # the parsers are lenient; this is a last resort
        raise SourceError(f"{path}: not a readable HTML file ({_reason(exc)})") from None
    text = _layout(blocks)
    return Extracted(text=text, title=(title or _first_line(text))[:200])


EXTRACTORS = {
    ".pdf": extract_pdf,
    ".docx": extract_docx,
    ".html": extract_html,
    ".htm": extract_html,
}
