"""HTML: a web page's main text, its navigation and furniture dropped (`extract_html`)."""

from __future__ import annotations

import codecs
import re
import sys
import warnings
from pathlib import Path

from ...errors import SourceError
from .common import Extracted, first_line, Layout, one_line, PILCROW_RE, reason

__all__ = ["extract_html"]


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
    return one_line("".join(parts))


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


def _html_blocks(root, out: Layout) -> str:
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
                line = one_line("".join(parts))
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
        cells = _cells(node)
        # A row of <th> cells (or in <thead>) names the table's columns.
        head = bool(cells) and (all(c.name == "th" for c in cells) or node.find_parent("thead") is not None)
        out.add(
            "table-head" if head else "table",
            " | ".join(c for c in map(_flat_text, cells) if c),
            tight=False if new_table else None,
        )
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
                first_h1 = PILCROW_RE.sub("", text)
        elif name == "dt":  # a term, and the <dd> after it describes it: its heading
            flush()
            out.add("term", _flat_text(node), level=level + max(dl_depth, 1))
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
    out = Layout()
    try:
        from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

        # The parser is chosen on the package, qa.ingest.formats, where a test sets it to run both.
        with warnings.catch_warnings():
            # An XHTML page (it opens with <?xml ...?>) is read as HTML on purpose: its <p>, <dl> and
            # <table> are what the reader walks; bs4's advice to use an XML parser is noise on stderr.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(markup, sys.modules[__package__]._html_parser())
        title = one_line(soup.title.get_text()) if soup.title else ""
        root = soup.find("main") or soup.find(attrs={"role": "main"})
        if root is None or not _flat_text(root):  # no <main>, or an empty one filled by script
            root = soup.body or soup
        first_h1 = _html_blocks(root, out)
    except Exception as exc:  # the parsers are lenient; this is a last resort
        raise SourceError(f"{path}: not a readable HTML file ({reason(exc)})") from None
    text = out.text()
    return Extracted(text=text, title=(title or first_h1 or first_line(text))[:200], blocks=tuple(out.blocks))
