"""DOCX: a Word document's body, paragraphs and tables in document order (`extract_docx`)."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

from ...errors import SourceError
from .common import Extracted, first_line, Layout, one_line, reason
from .docx_text import body_items, paragraph_text

__all__ = ["extract_docx", "DOCX_MAX_UNPACKED_BYTES", "DOCX_MAX_RATIO"]

DOCX_MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sum of the members' sizes a DOCX may unpack to
DOCX_MAX_RATIO = 100  # unpacked : packed; Word's XML packs about 5-20 to 1
_RATIO_FLOOR_BYTES = 1024 * 1024  # tiny archives may have any ratio: they cannot hurt


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
    # The limits are read off the package, qa.ingest.formats, where a caller (or a test) sets them.
    limits = sys.modules[__package__]
    max_unpacked, max_ratio = limits.DOCX_MAX_UNPACKED_BYTES, limits.DOCX_MAX_RATIO
    if unpacked > max_unpacked:
        raise SourceError(
            f"{path}: unpacks to {unpacked:,} bytes, over the {max_unpacked:,}-byte limit for a DOCX (zip bomb?)"
        )
    if unpacked > _RATIO_FLOOR_BYTES and unpacked > max_ratio * max(packed, 1):
        raise SourceError(
            f"{path}: compressed {unpacked / max(packed, 1):,.0f} to 1, more than the {max_ratio} to 1 "
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
_DOCX_TOC_RE = re.compile(r"^toc\s*\d$|^toc\s*heading$|^table\s*of\s*(?:contents|figures)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _outline_value(el) -> int | None:
    """The outline level a ``w:p`` or ``w:style`` element sets itself, 1-9; 0 for "body text"; None for none."""
    found = el.find(f"{_W}pPr/{_W}outlineLvl")
    if found is None:
        return None
    try:
        value = int(found.get(f"{_W}val"))
    except (TypeError, ValueError):
        return 0
    return value + 1 if 0 <= value < 9 else 0  # 9 is "body text"


class _Styles:
    """What the reader asks of a paragraph style, looked up once a style (python-docx looks a style
    up by an XPath search of the styles part on every ``Paragraph.style``: seconds for a long file)."""

    def __init__(self, document):
        from docx.enum.style import WD_STYLE_TYPE

        self.by_id = {}
        self.default = None
        try:
            for style in document.styles:
                if style.type == WD_STYLE_TYPE.PARAGRAPH:
                    self.by_id[style.style_id] = style
            self.default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        except Exception:  # a broken styles part: every paragraph is plain
            pass
        self._cache: dict[str | None, tuple[str, int]] = {}

    def of(self, style_id: str | None) -> tuple[str, int]:
        """The style's name and its heading level ("Title" and "Heading n" by name, else the outline
        level it or a style it is based on sets), 0 for none."""
        if style_id not in self._cache:
            style = self.by_id.get(style_id, self.default) if style_id is not None else self.default
            name, level = "", 0
            try:
                name = (style.name or "").strip() if style is not None else ""
                m = _DOCX_HEADING_RE.match(name)
                level = 1 if name.lower() == "title" else int(m.group(1)) if m else 0
                for _ in range(10):  # a loop of based-on styles cannot hang the reader
                    if level or style is None:
                        break
                    value = _outline_value(style.element)
                    if value is not None:
                        level = value
                        break
                    style = style.base_style
            except Exception:  # a style pointing at a missing one: what was found so far
                pass
            self._cache[style_id] = (name, level)
        return self._cache[style_id]


def _cell_text(tc) -> str:
    return one_line(" ".join(paragraph_text(p) for p in tc.iter(f"{_W}p")))


def _docx_table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        seen: list = []  # a merged cell is returned once per grid column it spans
        cells = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            text = _cell_text(cell._tc)
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def extract_docx(path) -> Extracted:
    """Read a Word document's body: paragraphs and tables in document order.

    Paragraphs styled "Title" or "Heading 1" to "Heading 9", or given an
    outline level by their style, become ``#`` lines (``#`` for Title and
    Heading 1, ``##`` for Heading 2, ..., at most six); list paragraphs (a
    "List ..." style or numbering) are items on consecutive lines; a table of
    contents' entries (styles "TOC 1", ..., "TOC Heading") are dropped; every
    other paragraph is one line of text, its line breaks joined with a space; a
    table row is one line, its cells' text joined by `` | ``. A field's result is
    text and its instruction is not (`qa.ingest.formats.docx_text`: ``TOC``,
    ``PAGEREF``, ``REF``, ``HYPERLINK``); content controls are opened. The
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
    out = Layout()
    try:
        import docx
        from docx.table import Table

        document = docx.Document(str(path))
        styles = _Styles(document)
        first_heading = ""
        body = document.element.body
        for element in body_items(body):
            if element.tag == f"{_W}p":
                text = paragraph_text(element)
                style_id = element.style
                name, level = styles.of(style_id)
                # A table of contents' entry, by its style's name or id ("toc 1" is "TOC1"): the headings come later.
                if _DOCX_TOC_RE.match(name) or _DOCX_TOC_RE.match(style_id or ""):
                    continue
                own = _outline_value(element)
                level = own if own is not None else level
                if level:
                    out.add("heading", text, level=level)
                    first_heading = first_heading or one_line(text)
                else:
                    ppr = element.pPr
                    listed = name.lower().startswith("list") or (ppr is not None and ppr.numPr is not None)
                    out.add("item" if listed else "text", text)
            else:
                for i, row in enumerate(_docx_table_rows(Table(element, document._body))):
                    # A table's first row starts a block, even after a table; it names the columns.
                    out.add("table-head" if i == 0 else "table", row, tight=i > 0)
        title = one_line(document.core_properties.title or "")
    except Exception as exc:  # bad XML, missing parts, wrong content type: all "corrupt"
        raise SourceError(f"{path}: not a readable DOCX file ({reason(exc)})") from None
    text = out.text()
    return Extracted(text=text, title=(title or first_heading or first_line(text))[:200], blocks=tuple(out.blocks))
