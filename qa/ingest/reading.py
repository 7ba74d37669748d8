"""Reading text: a document as a reader sees it, with a map back to every source character.

A source file holds more than its words: hard line breaks inside sentences,
Markdown and reStructuredText markup, badges, code blocks, tables. `read`
turns a `Document` into a `Reading`: the *reading text* (the words a reader
sees, in blocks) and, for each of its characters, the offset of the source
character it stands for. Passages and answer sentences are spans of the
reading text; their ``start``/``end`` are source offsets, so a citation still
points at the exact place in the file.

The one function that ties them together is `Reading.of`::

    reading.of(start, end) == passage.text     # for every passage and sentence

``of(start, end)`` is the reading text of the source characters in
``[start, end)``, read in the context of their document (whether a line is
code or prose depends on the lines around it). For clean prose it is the
source slice itself.

Rules for every format
----------------------
- The reading text is a sequence of *blocks* (`Block`), one ``\\n`` between
  two blocks. A block's kind is ``heading``, ``term`` (a defined term: an HTML
  ``<dt>``, a plain-text man page's option line), ``text`` (a paragraph of running
  text), ``item`` (a list item), ``code``, ``table`` (one row; level 1 for the
  header row that names the columns) or ``meta``
  (link lists, HTML furniture, directives, reference lines: searchable, never
  an answer). Only ``text`` and ``item`` blocks are *running text*: answer
  sentences come from them alone.
- Inside running text a line break is a space and any run of spaces is one
  space (mapped to the first whitespace character it replaces), so a sentence
  never ends at a hard wrap. Sentences end at sentence punctuation and at block
  ends (blank lines, list items, headings, table rows).
- Removed markup maps to nothing; every reading character stands for one
  source character, and the map is strictly increasing.
- Terminal residue (ANSI escapes, backspace overstrike, control characters,
  U+FFFD: `qa.ingest.terminal`) is never reading text, in any format: the text
  without it is read, and the map composed with the characters kept.

Per format (`read` dispatches on `Document.format`)
---------------------------------------------------
``markdown`` (``.md``, ``.markdown``)
    Blocks from markdown-it-py's token line maps (CommonMark plus tables):
    ATX and setext headings are headings, and so is a one-line paragraph
    that asks a question (an FAQ's question above its answer); paragraphs are text, the first
    paragraph of a list item an item; fenced and indented code is code; HTML
    blocks keep their text as meta; table rows are table rows. Inline: links
    become their text, images and badges are dropped, inline HTML tags and
    emphasis/code markers are removed, escapes and entities read as their
    character. Lines no block covers (link reference definitions) are meta.
    MkDocs containers: an admonition (``!!! note``, ``!!! warning "Title"``, collapsible
    ``??? note`` / ``???+ note``) is its body, the lines below it indented 4 columns deeper, read
    as Markdown with those 4 columns taken off (paragraphs text, lists items, fences code;
    admonitions nest); its marker line is no reading text but its quoted title, which is meta.
    A MyST colon fence (``:::{note} Title`` ... ``:::``) is its body likewise, its title meta. A
    mkdocstrings directive (``::: package.module`` and the indented ``options:`` under it) is
    meta. None of these is looked for inside fenced code or HTML.
``rst`` (``.rst``)
    A line-based reader: titles with under- (and over-) lines are headings;
    the indented block after ``::`` and ``>>>`` sessions are code; bullet,
    enumerated and field-list entries are items; grid and simple tables are
    table rows; a definition list's term (a line with its description
    indented under it, no blank line between) is a term, its description
    read as rst. ``.. directive::`` blocks are meta (``toctree``, ``image``,
    ``include``, autodoc ...), but: ``code-block`` (``code``, ``code-tab``
    ...) is code; list and csv tables are table rows; an admonition (``note``,
    ``warning``, ``versionadded`` ...) and a container (``only``,
    ``container``, ``glossary``, sphinx-design's and sphinx-tabs' ``tab-set``,
    ``tab-item``, ``tabs``, ``dropdown``, ``card`` ...) are their body, read as
    rst at its indentation (a glossary's several term lines may share one
    description), after the admonition's first paragraph on the directive
    line, a tab's or dropdown's title (meta) or nothing (an ``only``
    expression, a container's classes); their options are dropped. A Sphinx
    object description (``option``, ``envvar``, ``confval``, ``function``,
    ``class`` ..., with or without a domain: ``py:function``,
    ``std:option``) with a body is a term, its argument lines with its
    options that have a value (``:type: bool :default: False``: a block
    between them would part the term from its description), then its body
    read as rst; without a body it is meta. Inline: roles, hyperlink
    references and literals become their text (a role as Sphinx shows it:
    ``~a.b.C`` reads ``C``); substitutions and footnote references are dropped.
``man`` (a rendered man page, sniffed: `qa.ingest.manpage`)
    Read as an extractor's blocks (`qa.ingest.manpage.man_blocks`): sections
    are headings, SYNOPSIS is code, an option entry (the option and its
    indented description) is an item; a typesetter's line-end hyphen is
    joined (`qa.ingest.terminal.hyphenation`).
``plain`` (``.txt``, ``corpus.jsonl``)
    Blank lines end blocks. A line break is a wrap (a space) when the next line
    starts in lower case or the line is long (at least `WRAP_RATIO` of the
    block's longest line); otherwise each line is its own block. A short line
    that does not end like a sentence and is followed by a longer block is a
    heading (so is a ``#`` line, a section opener such as "Chapter 2", and a
    file's first line); a numbered clause's title ("4. Redistribution.") is
    the section of the text after it. A heading that is a command-line option
    ("-v, --verbose", "--log-file=FILE") is a term; a bulleted line is never a
    heading.
``extracted`` (PDF, DOCX, HTML)
    The extractor's own blocks (`Document.blocks`), whitespace collapsed in
    running text; without them, read as ``plain``.
"""

from __future__ import annotations

import bisect
from functools import lru_cache
import html
import re
from dataclasses import dataclass

import numpy as np

from . import terminal
from .headers import header_end, header_lines
from .manpage import looks_like_man, man_blocks

__all__ = [
    "Block",
    "Reading",
    "read",
    "sentences",
    "has_running_text",
    "to_reading",
    "sniff_format",
    "RUNNING",
    "WRAP_RATIO",
    "LAYOUT_CODES",
    "layout_kind",
]

RUNNING = frozenset({"text", "item"})  # block kinds an answer sentence may come from
# A layout breakpoint's third field: bit 0 says "not running text" (what indexes of format 5 wrote,
# 0 or 1, still reads right), the bits above it name the block's kind, so answer units
# (`qa.answering.units`) can tell a list item from a paragraph and a table row from code.
# ``table-head`` is a table's header row (a ``table`` block of level 1).
LAYOUT_CODES = {"text": 0, "meta": 1, "item": 2, "code": 3, "table": 5, "table-head": 7, "heading": 9, "term": 11}
_KIND_OF_CODE = {v: k for k, v in LAYOUT_CODES.items()}


def layout_kind(code: int) -> str:
    """The block kind a layout code stands for; an unknown code reads as ``meta`` when it is not
    running text, else ``text``."""
    return _KIND_OF_CODE.get(int(code), "meta" if code & 1 else "text")


def _block_code(block: "Block") -> int:
    if block.kind == "table" and block.level:
        return LAYOUT_CODES["table-head"]
    return LAYOUT_CODES.get(block.kind, 1 if block.kind not in RUNNING else 0)


WRAP_RATIO = 0.6
HEADING_MAX_CHARS = 120

_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)  # str.isspace's
_ODD_WS_RE = re.compile(r"[^\S ]|  ")  # whitespace other than single spaces
# Whitespace other than a space as one character class (with "  " checked apart: an alternation
# makes re try each position, at half the speed), and the same class with the characters that may
# start terminal residue (`qa.ingest.terminal`): one scan tells a clean line of prose (most
# corpus.jsonl documents) from text that needs the full reading.
_WS_NOT_SPACE = re.escape("".join(chr(c) for c in _WHITESPACE.tolist() if c != 32))
_ODD_CHAR_RE = re.compile(f"[{_WS_NOT_SPACE}]")
_ODD_OR_RESIDUE_CHAR_RE = re.compile(f"[{_WS_NOT_SPACE}\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ufffd]")


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a reading text: ``reading.text[start:end]``.

    kind : str
        ``heading``, ``term`` (a defined term: a definition list's ``<dt>``, a man page's
        option line; the section of the text below it, as a heading is, and also the
        first block of its passage), ``text``, ``item``, ``code``, ``table`` or ``meta``.
    level : int
        The heading level (1 highest), 0 for other blocks.
    """

    kind: str
    start: int
    end: int
    level: int = 0


@dataclass(frozen=True, eq=False)
class Reading:
    """A document's reading text and the source offset of each of its characters.

    Attributes
    ----------
    text : str
        The reading text, blocks separated by one ``\\n``.
    offsets : ndarray of int64
        ``offsets[i]`` is the source offset of ``text[i]``; strictly increasing.
    blocks : tuple of Block
        The blocks, in order.
    """

    text: str
    offsets: np.ndarray
    blocks: tuple[Block, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The source span ``[s, e)`` of reading characters ``[start, end)`` (``end > start``)."""
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1

    def locate(self, start: int, end: int) -> tuple[int, int]:
        """The reading span of the source characters in ``[start, end)``."""
        return (int(np.searchsorted(self.offsets, start, "left")), int(np.searchsorted(self.offsets, end, "left")))

    def of(self, start: int, end: int) -> str:
        """The reading text of source characters ``[start, end)``: what a passage or sentence shows."""
        s, e = self.locate(start, end)
        return self.text[s:e]

    def layout(self, start: int, end: int) -> tuple[tuple[int, int, int], ...]:
        """Breakpoints ``(reading offset - start, source offset, code)`` of reading span
        ``[start, end)``: from each breakpoint to the next, reading characters map to consecutive
        source characters of one block kind (`LAYOUT_CODES`; ``code & 1`` is set for text that is
        not running text). Empty when the whole span is paragraph text copied verbatim, as clean
        prose is, so most passages cost nothing to store."""
        offs = self.offsets[start:end]
        if not offs.size:
            return ()
        if self._plain_prose:  # one run of prose copied verbatim (most corpus.jsonl lines): nothing to store
            return ()
        kinds = self._codes[start:end]
        breaks = np.flatnonzero((np.diff(offs) != 1) | (np.diff(kinds) != 0)) + 1
        starts = np.concatenate(([0], breaks))
        if starts.size == 1 and not kinds[0]:
            return ()
        return tuple((int(s), int(offs[s]), int(kinds[s])) for s in starts)

    @property
    def _plain_prose(self) -> bool:
        """True when the reading text is running text copied verbatim from one source run."""
        cached = self.__dict__.get("_pp")
        if cached is None:
            n = len(self.text)
            cached = (
                bool(n)
                and all(b.kind == "text" for b in self.blocks)
                and int(self.offsets[-1]) - int(self.offsets[0]) == n - 1
            )
            object.__setattr__(self, "_pp", cached)
        return cached

    @property
    def _codes(self) -> np.ndarray:
        """Each reading character's layout code (`LAYOUT_CODES`)."""
        cached = self.__dict__.get("_nr")
        if cached is None:
            cached = np.zeros(len(self.text), dtype=np.int8)
            for b in self.blocks:
                code = _block_code(b)
                if code:
                    cached[b.start : b.end] = code
            # a separator takes the kind of the block after it
            for prev, nxt in zip(self.blocks, self.blocks[1:]):
                cached[prev.end : nxt.start] = _block_code(nxt)
            object.__setattr__(self, "_nr", cached)
        return cached


class _Writer:
    """Builds a reading text block by block from source runs."""

    def __init__(self, src: str):
        self.src = src
        self.parts: list[str] = []
        self.offs: list[np.ndarray] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.block_start = 0
        self.last = -1  # source offset of the last character written
        self.pending_space = -1  # source offset of a whitespace run waiting to become one space
        self.sep = -1  # a block ended: a "\n" goes before the next block's first character

    def _raw(self, text: str, offsets: np.ndarray) -> None:
        self.parts.append(text)
        self.offs.append(offsets)
        self.length += len(text)
        self.last = int(offsets[-1])

    def _begin_char(self, at: int) -> None:
        if self.sep >= 0:
            nl = self.src.find("\n", self.last + 1, at)
            pos = nl if nl >= 0 else (self.last + 1 if self.last + 1 < at else -1)
            if pos >= 0:
                self._raw("\n", np.array([pos], dtype=np.int64))
            self.sep = -1
            self.block_start = self.length
        elif self.pending_space >= 0 and self.length > self.block_start:
            self._raw(" ", np.array([self.pending_space], dtype=np.int64))
        self.pending_space = -1

    def copy(self, s: int, e: int, verbatim: bool = False) -> None:
        """Source characters ``[s, e)``; whitespace runs collapse to one space unless `verbatim`."""
        if s >= e:
            return
        if verbatim:
            self._begin_char(s)
            self._raw(self.src[s:e], np.arange(s, e, dtype=np.int64))
            return
        seg = self.src[s:e]
        if not _ODD_WS_RE.search(seg):  # words and single spaces (most prose): copied as one run
            body = seg.strip(" ")
            if not body:
                self.space(s)
                return
            lead = len(seg) - len(seg.lstrip(" "))
            if lead:
                self.space(s)
            self._begin_char(s + lead)
            self._raw(body, np.arange(s + lead, s + lead + len(body), dtype=np.int64))
            if lead + len(body) < len(seg):
                self.space(s + lead + len(body))
            return
        # Whitespace runs, vectorised: each run becomes one space at its first character; runs at
        # either end become the writer's pending space (a block's edges have none).
        codes = np.frombuffer(seg.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        space = np.isin(codes, _WHITESPACE)
        words = np.flatnonzero(~space)
        if not words.size:
            self.space(s)
            return
        first, last = int(words[0]), int(words[-1])
        if first:
            self.space(s)
        inner = space[first : last + 1]
        run_start = inner & ~np.concatenate(([False], inner[:-1]))
        keep = np.flatnonzero(~inner | run_start) + first
        kept = codes[keep].copy()
        kept[space[keep]] = 32
        self._begin_char(s + first)
        self._raw(kept.tobytes().decode("utf-32-le", "surrogatepass"), keep.astype(np.int64) + s)
        if last + 1 < len(seg):
            self.space(s + last + 1)

    def put(self, char: str, at: int) -> None:
        """One reading character standing for the source character at `at` (an entity, an escape)."""
        if char.isspace():
            if self.pending_space < 0:
                self.pending_space = at
            return
        self._begin_char(at)
        self._raw(char, np.array([at], dtype=np.int64))

    def space(self, at: int) -> None:
        if self.pending_space < 0:
            self.pending_space = at

    def end_block(self, kind: str, level: int = 0) -> None:
        self.pending_space = -1
        if self.length > self.block_start and self.sep < 0:
            self.blocks.append(Block(kind, self.block_start, self.length, level))
            self.sep = 1

    def finish(self) -> Reading:
        text = "".join(self.parts)
        offsets = np.concatenate(self.offs) if self.offs else np.empty(0, dtype=np.int64)
        return Reading(text=text, offsets=offsets, blocks=tuple(self.blocks))


def _line_starts(src: str) -> list[int]:
    starts = [0]
    at = src.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = src.find("\n", at + 1)
    return starts


def _line_end(src: str, start: int) -> int:
    e = src.find("\n", start)
    return len(src) if e < 0 else e


# --- inline Markdown -----------------------------------------------------------------------------------

_MD_INLINE = re.compile(
    r"(?P<code>(?<!`)(?P<ticks>`+)(?!`)(?P<codebody>.+?)(?<!`)(?P=ticks)(?!`))"
    r"|(?P<badge>\[!\[[^\]\n]*\]\(\s*[^)\s]*(?:\s+\"[^\"]*\")?\s*\)\]\(\s*[^)\s]*\s*\))"
    r"|(?P<image>!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\]))"
    r"|(?P<link>\[(?P<ltext>(?:[^\[\]\\]|\\.|\[[^\]]*\])*)\](?:\(\s*(?:<[^>]*>|\{%[^%\n]*%\}[^()\s]*|\{\{[^}\n]*\}\}[^()\s]*|[^()\s]*(?:\([^()]*\)[^()\s]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)|\[[^\]]*\]))"
    r"|(?P<auto><(?P<autourl>(?:https?|ftp|mailto):[^>\s]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>)"
    r"|(?P<tag><!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s+[^<>]*?)?/?>)"
    r"|(?P<esc>\\(?P<escaped>[!-/:-@\[-`{-~]))"
    r"|(?P<ent>&(?:[A-Za-z][A-Za-z0-9]{1,31}|\#[0-9]{1,7}|\#[xX][0-9a-fA-F]{1,6});)"
    r"|(?P<strong>(?<![\w*])\*\*(?=\S)|(?<=\S)\*\*(?![\w*])|(?<!\w)__(?=\S)|(?<=\S)__(?!\w))"
    r"|(?P<em>(?<![\w*\\])\*(?=[^\s*])|(?<=[^\s*\\])\*(?![\w*])|(?<![\w\\])_(?=[^\s_])|(?<=[^\s_\\])_(?!\w))"
    r"|(?P<strike>~~)"
    r"|(?P<template>\{%[^%\n]*%\}|\{\{[^}\n]*\}\})",
    re.S,
)


def _md_inline(w: _Writer, s: int, e: int) -> int:
    """Write source ``[s, e)`` read as Markdown inline text; return how many characters were link text."""
    src = w.src
    linked = 0
    at = s
    for m in _MD_INLINE.finditer(src, s, e):
        if m.start() < at:
            continue
        w.copy(at, m.start())
        if m.group("code"):
            w.copy(m.start("codebody"), m.end("codebody"))
        elif m.group("badge") or m.group("image") or m.group("tag"):
            if m.group("tag") and re.match(r"</?(?:br|p|div|li)\b", m.group(), re.I):
                w.space(m.start())
        elif m.group("link"):
            before = w.length
            _md_inline(w, m.start("ltext"), m.end("ltext"))
            linked += w.length - before
        elif m.group("auto"):
            before = w.length
            w.copy(m.start("autourl"), m.end("autourl"))
            linked += w.length - before
        elif m.group("esc"):
            w.put(m.group("escaped"), m.start("escaped"))
        elif m.group("ent"):
            char = html.unescape(m.group())
            if len(char) == 1:
                w.put(char, m.start())
            else:
                w.copy(m.start(), m.end())
        # else emphasis, strong, strike: markers only, nothing to write; a Jekyll/Liquid tag ("{% page
        # ... %}", "{{ site.url }}") is the site generator's, not the page's text
        at = m.end()
    w.copy(at, e)
    return linked


# --- Markdown blocks -----------------------------------------------------------------------------------

_LIST_MARKER = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+\[[ xX]\])?(?:[ \t]+|$)")
_QUOTE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]?)+")
_ATX = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*(?:[-*+]|\d{1,9}[.)])?[ \t]*#{1,6}(?:[ \t]+|$)")
_ATX_CLOSE = re.compile(r"[ \t]+#+[ \t]*$|^#+[ \t]*$")
_FENCE_LINE = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*(?:`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^[\s|:>-]*-{3,}[\s|:-]*$")

_md_parser = None


def _markdown():
    global _md_parser
    if _md_parser is None:
        from markdown_it import MarkdownIt

        _md_parser = MarkdownIt("commonmark").enable("table")
    return _md_parser


def _running_kind(w: _Writer, start_len: int, linked: int, kind: str) -> str:
    """A paragraph or item that is mostly link text is a list of links: meta, not an answer."""
    written = w.length - start_len
    return "meta" if written and linked >= 0.8 * written else kind


# MkDocs (Python-Markdown's admonition, pymdownx.details): "!!! note", '!!! warning "Title"',
# "??? note", "???+ note"; the body is the lines indented 4 columns deeper below it.
_ADMONITION = re.compile(r'[ \t]*(?:!!!|\?\?\?\+?)[ \t]*[\w-]+(?:[ \t]+[\w-]+)*(?:[ \t]+"(?P<title>[^"\n]*)")?[ \t]*$')
_MKDOCSTRINGS = re.compile(r"[ \t]*:::[ \t]+[\w.:-]+[ \t]*$")  # mkdocstrings' "::: package.module"
_MYST_OPEN = re.compile(r"[ \t]{0,3}(?P<colons>:{3,})\{[\w:.-]+\}[ \t]*(?P<title>.*?)[ \t]*$")  # MyST ":::{note}"
_MYST_CLOSE = re.compile(r"[ \t]{0,3}(?P<colons>:{3,})[ \t]*$")


_MD_LEAVES = frozenset({"fence", "code_block", "html_block", "paragraph_open", "heading_open", "table_open", "tr_open"})


def _columns(line: str) -> int:
    """The indentation of `line` in columns (a tab to the next multiple of 4)."""
    col = 0
    for ch in line:
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += 4 - col % 4
        else:
            break
    return col


def _dedent_chars(line: str, columns: int) -> int:
    """How many leading characters of `line` make up its first `columns` columns of indentation."""
    col = k = 0
    while k < len(line) and col < columns and line[k] in " \t":
        col += 1 if line[k] == " " else 4 - col % 4
        k += 1
    return k


def _md_containers(src: str, starts: list[int], tokens):
    """MkDocs and MyST container markup that CommonMark does not know, found outside code.

    Returns ``(shift, marks)``: ``shift[i]`` is how many leading characters of line ``i`` are an
    admonition's indentation (4 columns for each admonition the line is in the body of), and
    ``marks`` maps a line to what it is instead of Markdown: ``("title", s, e)`` for an admonition's
    marker line or a MyST fence line (its title, source ``[s, e)``, meta; empty when untitled) and
    ``("meta", l1)`` for a mkdocstrings directive with its indented options (lines up to ``l1``).
    None when there is none (the common case)."""
    if "!!!" not in src and "???" not in src and ":::" not in src:
        return None
    n = len(starts)
    lines = [src[s : _line_end(src, s)] for s in starts]
    fenced = [False] * n  # fenced code and HTML: their lines are never markup
    indented = [False] * n  # indented code as CommonMark reads it
    for t in tokens:
        if t.map and t.type in ("fence", "html_block", "code_block"):
            for ln in range(t.map[0], min(t.map[1], n)):
                (indented if t.type == "code_block" else fenced)[ln] = True
    shift = [0] * n
    marks: dict[int, tuple] = {}
    myst: list[int] = []  # colon counts of the open MyST fences
    i = 0
    while i < n:
        line = lines[i][shift[i] :]
        if fenced[i] or (indented[i] and not shift[i]) or not line.strip():
            i += 1
            continue
        m = _ADMONITION.match(line)
        if m:
            title = (starts[i] + shift[i] + m.start("title"), starts[i] + shift[i] + m.end("title"))
            marks[i] = ("title", *(title if m.group("title") else (0, 0)))
            need = _columns(line) + 4
            last = i
            for j in range(i + 1, n):
                rest = lines[j][shift[j] :]
                if rest.strip():
                    if _columns(rest) < need:
                        break
                    last = j
            for j in range(i + 1, last + 1):
                shift[j] += _dedent_chars(lines[j][shift[j] :], 4)
            i += 1
            continue
        if _MKDOCSTRINGS.match(line):
            ind = _columns(line)
            j = i + 1
            while j < n and lines[j][shift[j] :].strip() and _columns(lines[j][shift[j] :]) > ind:
                j += 1
            marks[i] = ("meta", j)
            i = j
            continue
        m = _MYST_OPEN.match(line)
        if m:
            myst.append(len(m.group("colons")))
            s = starts[i] + shift[i]
            marks[i] = ("title", s + m.start("title"), s + m.end("title"))
            i += 1
            continue
        m = _MYST_CLOSE.match(line)
        if m and myst and len(m.group("colons")) >= myst[-1]:
            myst.pop()
            marks[i] = ("title", 0, 0)
        i += 1
    if not marks:
        return None
    return shift, marks


def _read_markdown(src: str) -> Reading:
    tokens = _markdown().parse(src)
    starts = _line_starts(src)
    containers = _md_containers(src, starts, tokens)
    marks: dict[int, tuple] = {}
    hidden: set[int] = set()
    if containers:
        # Read again with the admonitions' bodies dedented and each marker line an HTML comment (a
        # block of its own that ends a paragraph or indented code above it, and is not read): the
        # same lines, so the tokens' line maps still name source lines; each line starts past the
        # indentation taken off it.
        shift, marks = containers
        hidden = {ln for ln, mark in marks.items() for ln in range(ln, mark[1] if mark[0] == "meta" else ln + 1)}
        parts = []
        for ln, s in enumerate(starts):
            line = src[s + shift[ln] : _line_end(src, s)]
            parts.append(line[: len(line) - len(line.lstrip())] + "<!-- -->" if ln in hidden else line)
        tokens = _markdown().parse("\n".join(parts))
        # A block of the body ends where its container does: an unclosed fence or an HTML block
        # that runs on in the text below stops at the next marker line.
        marked = sorted(hidden)
        for t in tokens:
            if t.map and t.type in _MD_LEAVES:
                k = bisect.bisect_right(marked, t.map[0])
                if k < len(marked) and marked[k] < t.map[1]:
                    t.map = [t.map[0], marked[k]]
        starts = [s + k for s, k in zip(starts, shift)]
    src = _unquoted(src, starts, tokens)
    w = _Writer(src)
    n_lines = len(starts)
    covered = [False] * n_lines
    jobs: list[tuple[int, object]] = []  # (first source line, writer of one block), in source order

    def line_span(i):
        return starts[i], _line_end(src, starts[i])

    def inline_lines(l0, l1, first_prefix):
        # One run: a link or emphasis may span a hard wrap; continuation indentation is whitespace.
        s, e = line_span(l0)
        m = first_prefix.match(src, s, e)
        return _md_inline(w, m.end() if m else s, line_span(l1 - 1)[1])

    def heading(t):
        l0, l1 = t.map
        if t.markup in ("=", "-"):  # setext: the underline is the last line
            inline_lines(l0, l1 - 1, _QUOTE_PREFIX)
        else:
            s, e = line_span(l0)
            m = _ATX.match(src, s, e)
            close = _ATX_CLOSE.search(src, m.end() if m else s, e)
            _md_inline(w, m.end() if m else s, close.start() if close else e)
        w.end_block("heading", int(t.tag[1]))

    def paragraph(t, first_of_item):
        l0, l1 = t.map
        before, parts = w.length, len(w.parts)
        linked = inline_lines(l0, l1, _LIST_MARKER if first_of_item else _QUOTE_PREFIX)
        kind = _running_kind(w, before, linked, "item" if first_of_item else "text")
        if kind == "text" and l1 - l0 == 1 and "".join(w.parts[parts:]).rstrip().endswith(("?", "？")):
            kind = "heading"  # a question on a line of its own, its answer below: how FAQs are written
        w.end_block(kind, 6 if kind == "heading" else 0)

    def code(t):
        l0, l1 = t.map
        body = range(l0 + 1, l1 - 1) if t.type == "fence" else range(l0, l1)
        if t.type == "fence" and l1 - 1 > l0 and not _FENCE_LINE.match(src, *line_span(l1 - 1)):
            body = range(l0 + 1, l1)  # an unclosed fence runs to the end of its container
        _code_lines(w, src, [line_span(ln) for ln in body])
        w.end_block("code")

    def html_block(t):
        l0, l1 = t.map
        before = len(w.parts)
        _md_inline(w, line_span(l0)[0], line_span(l1 - 1)[1])  # one range: a tag may span lines
        words = len("".join(w.parts[before:]).split())
        w.end_block("text" if words >= 12 else "meta")

    def table_row(t, head):
        s, e = line_span(t.map[0])
        line = src[s:e]
        lead = len(line) - len(line.lstrip(" \t|"))
        trail = len(line.rstrip(" \t|"))
        _md_inline(w, s + lead, s + max(trail, lead))
        w.end_block("table", 1 if head else 0)  # level 1: the header row, naming the columns

    def meta_line(ln):
        s, e = line_span(ln)
        w.copy(s, e)
        w.end_block("meta")

    def meta_lines(l0, l1):
        for ln in range(l0, l1):
            w.space(starts[ln] - 1)
            w.copy(*line_span(ln))
        w.end_block("meta")

    def title(s, e):
        _md_inline(w, s, e)
        w.end_block("meta")

    for ln, mark in marks.items():  # container markup: a title is searchable, the marker is not
        if mark[0] == "meta":
            covered[ln : mark[1]] = [True] * (mark[1] - ln)
            jobs.append((ln, lambda ln=ln, l1=mark[1]: meta_lines(ln, l1)))
        else:
            covered[ln] = True
            if mark[2] > mark[1]:
                jobs.append((ln, lambda s=mark[1], e=mark[2]: title(s, e)))

    item_first = False  # the next paragraph is the first of a list item
    in_head = False  # inside a table's <thead>: its row names the columns
    for t in tokens:
        if t.type in ("thead_open", "thead_close"):
            in_head = t.type == "thead_open"
        if t.map:
            for ln in range(t.map[0], min(t.map[1], n_lines)):
                covered[ln] = True
        if t.map and t.map[0] in hidden:
            continue  # a marker line's comment
        if t.type == "list_item_open":
            item_first = True
            continue
        if t.type == "heading_open":
            jobs.append((t.map[0], lambda t=t: heading(t)))
        elif t.type == "paragraph_open":
            jobs.append((t.map[0], lambda t=t, f=item_first: paragraph(t, f)))
        elif t.type in ("fence", "code_block"):
            jobs.append((t.map[0], lambda t=t: code(t)))
        elif t.type == "html_block":
            jobs.append((t.map[0], lambda t=t: html_block(t)))
        elif t.type == "tr_open":
            jobs.append((t.map[0], lambda t=t, h=in_head: table_row(t, h)))
        else:
            continue
        item_first = False
    # Lines no block covers (link reference definitions) stay searchable, as meta.
    jobs.extend(
        (ln, lambda ln=ln: meta_line(ln))
        for ln in range(n_lines)
        if not covered[ln] and src[starts[ln] : _line_end(src, starts[ln])].strip()
    )
    jobs.sort(key=lambda job: job[0])
    for _, job in jobs:
        job()
    return w.finish()


def _unquoted(src: str, starts: list[int], tokens) -> str:
    """`src` with the ``>`` markers of block quotes blanked (same length, so offsets hold): a quoted
    paragraph then reads as one run, and a link may span its quoted lines."""
    quoted = sorted({ln for t in tokens if t.type == "blockquote_open" and t.map for ln in range(*t.map)})
    if not quoted:
        return src
    parts, at = [], 0
    for ln in quoted:
        s = starts[ln]
        m = _QUOTE_PREFIX.match(src, s, _line_end(src, s))
        if m:
            parts.append(src[at:s])
            parts.append(re.sub(r"\S", " ", src[s : m.end()]))
            at = m.end()
    parts.append(src[at:])
    return "".join(parts)


def _code_lines(w: _Writer, src: str, spans) -> None:
    """Code lines verbatim, their common indentation removed, one ``\\n`` between them."""
    spans = [(s, e) for s, e in spans if src[s:e].strip()]
    if not spans:
        return
    lead = min(len(src[s:e]) - len(src[s:e].lstrip()) for s, e in spans)
    for s, e in spans:
        if w.length > w.block_start and w.sep < 0:
            w._raw("\n", np.array([s - 1], dtype=np.int64))
        w.copy(s + lead, s + len(src[s:e].rstrip()), verbatim=True)


# --- reStructuredText -----------------------------------------------------------------------------------

_RST_INLINE = re.compile(
    r"(?P<literal>``(?P<litbody>\S(?:.*?\S)??)``(?!`))"
    r"|(?P<role>:[\w.+-]+(?::[\w.+-]+)*:`(?P<roletext>[^`]*?)(?:\s*<[^<>`]*>)?`)"
    r"|(?P<ref>`(?P<reftext>[^`<]*?)\s*(?:<[^<>`]*>)?`(?::[\w.+-]+:|__?)?)"
    r"|(?P<sub>\|[^|\s][^|]*?\|(?:__?)?)"
    r"|(?P<foot>\s?\[(?:\d+|#[\w-]*|\*|[A-Za-z][\w.-]*)\]_)"
    r"|(?P<strong>(?<![\w*])\*\*(?=\S)|(?<=\S)\*\*(?![\w*]))"
    r"|(?P<em>(?<![\w*\\])\*(?=[^\s*])|(?<=[^\s*\\])\*(?![\w*]))"
    r"|(?P<named>(?<=\w)__?(?=[\s.,;:!?)'\"]|$))"
    r"|(?P<esc>\\(?P<escaped>.))",
    re.S,
)


def _rst_inline(w: _Writer, s: int, e: int) -> None:
    src = w.src
    at = s
    for m in _RST_INLINE.finditer(src, s, e):
        if m.start() < at:
            continue
        w.copy(at, m.start())
        if m.group("literal"):
            w.copy(m.start("litbody"), m.end("litbody"))
        elif m.group("role"):
            role = m.group()[1 : m.group().index(":", 1)]
            if role.lower() in ("rfc", "pep"):  # :rfc:`6455` reads "RFC 6455"
                for i, ch in enumerate(role):
                    w.put(ch.upper(), m.start() + 1 + i)
                w.space(m.start() + 1 + len(role))
            _role_target(w, m.start("roletext"), m.end("roletext"))
        elif m.group("ref"):
            w.copy(m.start("reftext"), m.end("reftext"))
        elif m.group("esc"):
            w.put(m.group("escaped"), m.start("escaped"))
        elif m.group("sub"):  # "please |donate| to the authors": the substitution's name is a word here
            w.copy(m.start() + 1, m.start() + m.group().rstrip("_").rindex("|"))
        elif m.group("foot") and src[m.end() : m.end() + 1] in tuple(".,;:!?)"):
            w.pending_space = -1  # "Name [1]_." reads "Name."
        at = m.end()
    w.copy(at, e)


def _role_target(w: _Writer, s: int, e: int) -> None:
    """A role's text as Sphinx shows it: ``~a.b.Bar`` shows ``Bar`` (the last name), ``!name`` shows
    ``name`` (the "!" only turns the link off)."""
    text = w.src[s:e]
    if text.startswith("!"):
        s += 1
    elif text.startswith("~"):
        dot = text.rfind(".", 0, len(text.rstrip("()")))
        s += dot + 1 if dot > 0 else 1
    w.copy(s, e)


_RST_ADORN = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
_RST_BULLET = re.compile(r"^(\s*)(?:[-*+•‣⁃]|\(?(?:\d+|#|[a-zA-Z]|[ivxlcdmIVXLCDM]+)[.)])(\s+)\S")
_RST_FIELD = re.compile(r"^(\s*):[^:\s][^:]*:(\s+|$)")
_RST_EXPLICIT = re.compile(r"^(\s*)\.\.(?:\s+|$)")
_RST_DIRECTIVE = re.compile(r"^\s*\.\.\s+(?:\|[^|]+\|\s+)?((?:[\w.+-]+:)*[\w.+-]+)::")  # "py:function" too
_RST_GRID = re.compile(r"^\s*[+|]")
_RST_SIMPLE_TABLE = re.compile(r"^\s*=+(?:\s+=+)+\s*$")
_RST_TEXT_DIRECTIVES = frozenset(
    {
        "note",
        "warning",
        "important",
        "tip",
        "hint",
        "attention",
        "caution",
        "danger",
        "error",
        "admonition",
        "seealso",
        "topic",
        "sidebar",
        "rubric",
        "epigraph",
        "highlights",
        "pull-quote",
        "compound",
        "versionadded",
        "versionchanged",
        "deprecated",
        "versionremoved",
        "todo",
    }
)
# Containers whose body is rst like any other (Sphinx's "only", sphinx-design's and sphinx-tabs'
# tabs, cards and dropdowns, the glossary's definition list); their argument is a title (meta) or
# nothing a reader sees (an "only" expression, a container's classes).
_RST_CONTENT_DIRECTIVES = frozenset(
    {"glossary", "only", "container", "tab", "tabs", "tab-set", "tab-item", "group-tab", "dropdown", "card"}
    | {"grid", "grid-item", "grid-item-card"}
)
_RST_TITLED_DIRECTIVES = frozenset({"tab", "tab-item", "group-tab", "dropdown", "card", "grid-item-card"})
_RST_VERSION_DIRECTIVES = frozenset({"versionadded", "versionchanged", "deprecated", "versionremoved"})
# Sphinx object descriptions (with or without a domain: "py:function", "std:option"): the argument
# is the term described, the body its description.
_RST_OBJECT_DIRECTIVES = frozenset(
    {"option", "cmdoption", "envvar", "confval", "describe", "object", "program", "setting"}
    | {"function", "method", "classmethod", "staticmethod", "class", "attribute", "property", "data"}
    | {"exception", "decorator", "decoratormethod", "directive", "role", "macro", "member", "var", "type"}
    | {"struct", "union", "enum", "enumerator", "django-admin", "django-admin-option"}
)
_RST_TABLE_DIRECTIVES = frozenset({"list-table", "csv-table", "table"})
_RST_CELL_RE = re.compile(r"\s*(?:[*-]\s+)*")
_RST_SUBS_RE = re.compile(r"\|[^|\s][^|]*?\|_{0,2}")
_RST_CODE_DIRECTIVES = frozenset(
    {"code", "code-block", "sourcecode", "literalinclude", "highlight", "math", "parsed-literal", "code-tab"}
)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _read_rst(src: str) -> Reading:
    w = _Writer(src)
    starts = _line_starts(src)
    lines = [src[s : _line_end(src, s)] for s in starts]
    n = len(lines)

    def blank(i):
        return i >= n or not lines[i].strip()

    def indented_block(i, base):
        """Lines from `i` on that are blank or indented deeper than `base`; returns the end line."""
        j = i
        last = i
        while j < n and (blank(j) or _indent(lines[j]) > base):
            if not blank(j):
                last = j + 1
            j += 1
        return last

    def code_lines(i0, i1):
        _code_lines(w, src, [(starts[j], starts[j] + len(lines[j])) for j in range(i0, i1)])
        w.end_block("code")

    def running(i0, i1, kind, first_skip=0, cut=None):
        # One run: a reference or a literal may span a hard wrap; line breaks and indentation are spaces.
        end = starts[i1 - 1] + (len(lines[i1 - 1]) if cut is None else cut)
        if not _RST_SUBS_RE.sub("", src[starts[i0] + first_skip : end]).strip():
            kind = "meta"  # a row of badges: |pypi| |build| |docs|
        _rst_inline(w, starts[i0] + first_skip, end)
        w.end_block(kind)

    def directive_head(i, end):
        """Where a directive's argument lines (its first line after "::" and the lines under it up to
        a blank or an option) end, and where its options end and its body starts: ``(args_end, body)``."""
        j = i + 1
        while j < end and not blank(j) and not _RST_FIELD.match(lines[j]):
            j += 1
        k = j
        while k < end and not blank(k) and (_RST_FIELD.match(lines[k]) or _indent(lines[k]) > _indent(lines[j])):
            k += 1  # an option, or the wrapped value of the one above
        return j, k

    def argument(i, d, j, kind):
        """Lines ``[i, j)`` of a directive read from after its "::", one block of `kind`."""
        rest = line_rest(i, d)
        if rest:
            running(i, j, kind, first_skip=rest)
        elif j > i + 1:
            running(i + 1, j, kind, first_skip=_indent(lines[i + 1]))

    def line_rest(i, d):
        """Where the text after a directive's "::" starts on its line, or 0 when there is none."""
        after = lines[i][d.end() :]
        return d.end() + len(after) - len(after.lstrip()) if after.strip() else 0

    literal_next = False
    literal_ind = 0  # the indentation of the paragraph that ended in "::": its literal block is deeper
    glossary_end = -1  # inside a glossary (up to this line) several term lines may share a description
    i = 0
    while i < n:
        line = lines[i]
        if blank(i):
            i += 1
            continue
        ind = _indent(line)
        stripped = line.strip()
        # A literal block: the indented lines after a paragraph that ends in "::".
        if literal_next:
            literal_next = False
            end = indented_block(i, literal_ind) if ind > literal_ind else i
            if end > i:
                code_lines(i, end)
                i = end
                continue
        # Titles: text with an underline, optionally an overline.
        if (
            _RST_ADORN.match(line)
            and i + 2 < n
            and lines[i + 1].strip()
            and _RST_ADORN.match(lines[i + 2])
            and lines[i + 2].strip()[0] == stripped[0]
        ):
            s = starts[i + 1] + _indent(lines[i + 1])
            _rst_inline(w, s, starts[i + 1] + len(lines[i + 1].rstrip()))
            w.end_block("heading", 1)
            i += 3
            continue
        if (
            i + 1 < n
            and not _RST_ADORN.match(line)
            and _RST_ADORN.match(lines[i + 1])
            and len(lines[i + 1].strip()) >= min(len(stripped), 4)
            and ind == 0
        ):
            _rst_inline(w, starts[i], starts[i] + len(line.rstrip()))
            w.end_block("heading", 2)
            i += 2
            continue
        if _RST_ADORN.match(line):  # a transition
            i += 1
            continue
        m = _RST_EXPLICIT.match(line)
        if m:
            end = indented_block(i + 1, ind)
            d = _RST_DIRECTIVE.match(line)
            name = d.group(1).lower() if d else ""
            base = name.rsplit(":", 1)[-1]  # without its domain: "py:function" is a "function"
            if name in _RST_CODE_DIRECTIVES:
                body = i + 1
                while body < end and (blank(body) or _RST_FIELD.match(lines[body])):
                    body += 1
                code_lines(body, end)
            elif name in _RST_TABLE_DIRECTIVES:
                for j in range(i + 1, end):  # each cell a row of the table: searchable, never an answer
                    cell = _RST_CELL_RE.match(lines[j])
                    if cell and not blank(j) and not _RST_FIELD.match(lines[j]):
                        _rst_inline(w, starts[j] + cell.end(), starts[j] + len(lines[j].rstrip()))
                        w.end_block("table")
            elif base in _RST_OBJECT_DIRECTIVES and directive_head(i, end)[1] < end:
                # The described object's name is the term, its description (the body) what it means.
                # Its options (":type:", ":default:") are read with the term: a block between the
                # term and the description would part them. An option without a value is dropped.
                args_end, body = directive_head(i, end)
                rest = line_rest(i, d)
                for ln in range(i if rest else i + 1, body):
                    f = _RST_FIELD.match(lines[ln]) if ln >= args_end else None
                    if f and not lines[ln][f.end() :].strip():
                        if not (ln + 1 < body and not _RST_FIELD.match(lines[ln + 1])):
                            continue  # a flag option (":noindex:"), no words
                    w.space(starts[ln] - 1)
                    _rst_inline(
                        w, starts[ln] + (rest if ln == i else _indent(lines[ln])), starts[ln] + len(lines[ln].rstrip())
                    )
                w.end_block("term")
                i = body
                continue
            elif name in _RST_TEXT_DIRECTIVES or base in _RST_CONTENT_DIRECTIVES:
                # The body is rst, read by this loop at its own indentation; the directive line's
                # text is an admonition's first paragraph, a title (meta), or nothing a reader sees.
                if base == "glossary":
                    glossary_end = end
                args_end, body = directive_head(i, end)
                if name in _RST_VERSION_DIRECTIVES:
                    if line_rest(i, d):
                        running(i, i + 1, "text", first_skip=line_rest(i, d))
                    body = i + 1
                    while body < end and _RST_FIELD.match(lines[body]):
                        body += 1
                elif name in _RST_TEXT_DIRECTIVES:
                    if line_rest(i, d):
                        running(i, args_end, "text", first_skip=line_rest(i, d))
                    else:
                        body = i + 1
                        while body < end and _RST_FIELD.match(lines[body]):
                            body += 1
                elif base in _RST_TITLED_DIRECTIVES:
                    argument(i, d, args_end, "meta")
                i = max(body, i + 1)
                continue
            else:
                for j in range(i, end):
                    if not blank(j):
                        w.space(starts[j])
                        w.copy(starts[j] + _indent(lines[j]), starts[j] + len(lines[j]))
                w.end_block("meta")
            i = max(end, i + 1)
            continue
        if _RST_GRID.match(line) and (stripped.startswith("+") and set(stripped) <= set("+-=|: ")):
            j = i
            while j < n and not blank(j) and _RST_GRID.match(lines[j]):
                j += 1
            # The rows above a "+===+" line are the header, naming the columns.
            head_end = next((k for k in range(i, j) if "=" in lines[k] and set(lines[k].strip()) <= set("+=: ")), i)
            for k in range(i, j):
                row = lines[k].strip()
                if not set(row) <= set("+-=|: "):
                    _rst_inline(w, starts[k] + _indent(lines[k]) + 1, starts[k] + len(lines[k].rstrip()) - 1)
                    w.end_block("table", 1 if k < head_end else 0)
            i = j
            continue
        if _RST_SIMPLE_TABLE.match(line):
            j = i + 1
            borders = 1
            while j < n and borders < 3:
                if _RST_SIMPLE_TABLE.match(lines[j]):
                    borders += 1
                elif lines[j].strip():
                    _rst_inline(w, starts[j] + _indent(lines[j]), starts[j] + len(lines[j].rstrip()))
                    w.end_block("table", 1 if borders == 1 else 0)  # between the first two borders: the header
                j += 1
            i = j
            continue
        if stripped.startswith(">>>"):
            j = i
            while j < n and not blank(j):
                j += 1
            code_lines(i, j)
            i = j
            continue
        if stripped == "::":
            literal_next, literal_ind = True, ind
            i += 1
            continue
        bullet = _RST_BULLET.match(line) or _RST_FIELD.match(line)
        # A definition list's term: a line with its description indented under it, no blank line
        # between (in a glossary, several term lines may stand above one description).
        k = i + 1
        if i < glossary_end:
            while k < n and not blank(k) and _indent(lines[k]) == ind and not _RST_EXPLICIT.match(lines[k]):
                k += 1
        if not bullet and k < n and not blank(k) and _indent(lines[k]) > ind and not stripped.endswith("::"):
            for t in range(i, k):
                running(t, t + 1, "term", first_skip=_indent(lines[t]))
            i = k
            continue
        kind = "item" if bullet else "text"
        skip = bullet.end() - (1 if _RST_BULLET.match(line) else 0) if bullet else ind
        if bullet and not _RST_BULLET.match(line):
            skip = ind  # a field list entry keeps its field name
        # The paragraph: following lines until a blank, or a new bullet at this indentation.
        j = i + 1
        while (
            j < n
            and not blank(j)
            and not ((_RST_BULLET.match(lines[j]) or _RST_FIELD.match(lines[j])) and _indent(lines[j]) <= ind)
            and not _RST_EXPLICIT.match(lines[j])
        ):
            j += 1
        last = lines[j - 1].rstrip()
        if last.endswith("::"):
            literal_next, literal_ind = True, ind
            running(i, j, kind, first_skip=skip, cut=len(last) - (3 if last.endswith(" ::") else 1))
        else:
            running(i, j, kind, first_skip=skip)
        i = j
    return w.finish()


# --- plain text -----------------------------------------------------------------------------------------

_ORDINAL = r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|finally|lastly"
_SECTION_RE = re.compile(
    rf"^(?:(?:{_ORDINAL})\s*[,:.、，]"
    r"|(?:chapter|section|part|article|step|appendix)\s+[\w.]+"
    r"|[IVXLC]+[.)]\s"
    r"|[一二三四五六七八九十百]+[、.．]"
    r"|第[一二三四五六七八九十百\d]+[章节条部分])",
    re.IGNORECASE,
)
_MD_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+\S")
_CLAUSE_RE = re.compile(
    r"\s*(\d{1,3}(?:\.\d{1,3})*\.?)\s+((?:[A-Z][\w'’-]*)(?:\s+(?:[A-Za-z][\w'’-]*)){0,5})\.\s+(?=\S)"
)
_NUMBERED_TITLE_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3})*\.?\s+[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,6}\.?$")
_URL_LINE_RE = re.compile(r"^(?:https?|ftp)://\S+$|^www\.\S+$")
_TABLE_LINE_RE = re.compile(r" \| .* \| |^\s*\|.*\|\s*$")  # cells: two " | " or a line boxed in "|"
_PLAIN_ITEM = re.compile(
    r"^\s*(?:[-*•·‣◦]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})\)|(?:\d{1,3}|[a-z])\.(?=\s+[A-Z(\"'])"
    r")\s+\S"
)
_BULLET_LINE_RE = re.compile(r"[-*•·‣◦]\s+\S")
_OPTION_LINE_RE = re.compile(r"--?[A-Za-z0-9][\w.-]*(?:[=\s]\S+)?(?:,\s*--?[A-Za-z0-9][\w.-]*(?:[=\s]\S+)?)*$")
# What a list item opens with, in any format: a bullet glyph or an enumerator ("2.", "(b)").
_MARKER_RE = re.compile(r"(?:[-*•·‣◦▪▫■□●○◆◇–—]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)])\s+")


_RULE_RE = re.compile(r"[ \t]*([-=~*_#^+])\1{2,}[ \t]*$")
_BOX_RE = re.compile(r"([ \t]*\*[ \t]?)(.*?)([ \t]+\*[ \t]*)$")  # "*  text boxed in asterisks  *"
_BLANK, _RULE = 0, 1


def _plain_lines(src: str):
    """Each line's content span ``(start, end)``; ``(-1, _BLANK)`` for a blank line and ``(-1, _RULE)``
    for a rule ("=====", "-----", "*****"), which underlines a title or separates blocks. A line boxed
    in asterisks ("*  text  *") is its inner text: the box is drawing, not words."""
    for s in _line_starts(src):
        e = _line_end(src, s)
        line = src[s:e]
        if not line.strip():
            yield -1, _BLANK
            continue
        if _RULE_RE.match(line):
            yield -1, _RULE
            continue
        m = _BOX_RE.match(line)
        if m and line.lstrip().startswith("*"):
            inner = m.group(2)
            if not inner.strip():
                yield -1, _BLANK
                continue
            if _RULE_RE.match(inner):
                yield -1, _RULE
                continue
            lead = len(inner) - len(inner.lstrip())
            yield s + m.start(2) + lead, s + m.start(2) + len(inner.rstrip())
            continue
        yield s, e


def _plain_blocks(src: str, title_line: bool):
    """Blocks of plain text as ``(kind, [(line_start, line_end), ...], level)``; lines of a running block
    are joined with spaces. (One long line of prose never gets here: `_is_prose_line` names what
    these rules could make of it.)"""
    out = []
    groups: list[list[tuple[int, int]]] = []
    underlined: set[int] = set()  # groups that are one line with a rule under it: headings
    cur: list[tuple[int, int]] = []
    for s, e in _plain_lines(src):
        if s >= 0:
            cur.append((s, e))
            continue
        if cur:
            if e == _RULE and len(cur) == 1:
                underlined.add(len(groups))
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    for gi, g in enumerate(groups):
        if gi in underlined:
            out.append(("heading", g, 2))
            continue
        texts = [src[s:e].strip() for s, e in g]
        longest = max(len(t) for t in texts)
        # Split the group into runs: a line break is a wrap when the next line continues the sentence.
        runs: list[list[tuple[int, int]]] = [[g[0]]]
        for k in range(1, len(g)):
            prev, nxt = texts[k - 1], texts[k]
            starts_item = (
                bool(_PLAIN_ITEM.match(src[g[k][0] : g[k][1]]))
                or bool(_MD_HEADING_RE.match(nxt))
                or _TABLE_LINE_RE.search(nxt)
                or _TABLE_LINE_RE.search(prev)
            )  # a table row is a line
            wrap = not starts_item and (
                nxt[:1].islower()
                or nxt[:1] in "(,;)"
                or (len(prev) >= WRAP_RATIO * longest and longest >= 40 and not prev.endswith(":"))
            )
            if _MD_HEADING_RE.match(prev):
                wrap = False
            if wrap:
                runs[-1].append(g[k])
            else:
                runs.append([g[k]])
        next_len = 0
        if gi + 1 < len(groups):
            next_len = sum(e - s for s, e in groups[gi + 1])
        for ri, run in enumerate(runs):
            first = src[run[0][0] : run[0][1]].strip()
            one_line = len(run) == 1
            heading = 0
            if one_line and _URL_LINE_RE.match(first):
                pass  # a bare address is not a title
            elif one_line and _BULLET_LINE_RE.match(first):
                pass  # nor is a bulleted line: it is an item of a list, whatever follows it
            elif one_line:
                m = _MD_HEADING_RE.match(first)
                if m:
                    heading = len(m.group(1))
                elif _NUMBERED_TITLE_RE.match(first) or (
                    len(first) <= HEADING_MAX_CHARS and first.isupper() and len(first.split()) >= 2
                ):
                    heading = 3  # "1. Definitions." on its own line; "TERMS AND CONDITIONS FOR USE"
                elif gi == 0 and ri == 0 and title_line and (len(groups) > 1 or len(runs) > 1):
                    heading = 1
                elif len(first) <= 2 * HEADING_MAX_CHARS and _SECTION_RE.match(first) and first[-1:] not in ",;":
                    heading = 2 if (len(first) <= HEADING_MAX_CHARS or first[-1:] in "?:？：") else 0
                elif (
                    len(first) <= HEADING_MAX_CHARS
                    and first[-1:] not in ".,;:。，；："
                    and (ri + 1 < len(runs) or (len(runs) == 1 and next_len > len(first)))
                ):
                    following = sum(e - s for s, e in runs[ri + 1]) if ri + 1 < len(runs) else next_len
                    heading = 3 if following > len(first) else 0
            if heading and not _TABLE_LINE_RE.search(first):
                # A man page's option line ("-v, --verbose") heads the text describing it: a term.
                out.append(("term" if _OPTION_LINE_RE.match(first) else "heading", run, heading))
                continue
            m = _CLAUSE_RE.match(src, run[0][0], run[0][1])
            if m:  # "4. Redistribution. You may ..." : the clause title is a section
                out.append(("heading", [(m.start(1), m.end(2))], 3))
                out.append(("text", [(m.end(), run[0][1])] + run[1:], 0))
                continue
            kind = "item" if _PLAIN_ITEM.match(src[run[0][0] : run[0][1]]) else "text"
            out.append((kind, run, 0))
    return out


def _is_prose_line(src: str, odd: re.Pattern = _ODD_CHAR_RE) -> bool:
    """Whether plain text is one line of prose that `_read_plain` would copy verbatim as one text
    block (most corpus.jsonl documents): single spaces only, opening with a letter or digit (no
    ``#`` heading, rule, box or bullet), too long for the length-limited heading rules (none takes a
    line over ``2 * HEADING_MAX_CHARS``), not a numbered title, list item or clause; a first line is
    a title only above other blocks, and one line has none. `odd` finds a character that rules a
    line out (`_ODD_OR_RESIDUE_CHAR_RE` also terminal residue, so `read` needs no second scan).
    `_prose_line` reads it without the line-by-line rules (tests/ingest/test_reading.py checks that both
    readings agree): a new rule of `_plain_blocks` that can take such a line must be excluded here."""
    return (
        len(src) > 2 * HEADING_MAX_CHARS
        and src[0].isalnum()
        and src[-1] != " "
        and "  " not in src
        and not odd.search(src)
        and not _PLAIN_ITEM.match(src)
        and not _CLAUSE_RE.match(src)
        and not _NUMBERED_TITLE_RE.match(src)
    )


def _prose_line(src: str) -> Reading:
    return Reading(text=src, offsets=np.arange(len(src), dtype=np.int64), blocks=(Block("text", 0, len(src)),))


def _read_plain(src: str, title_line: bool) -> Reading:
    if _is_prose_line(src):  # the common case (a corpus.jsonl line), read at a fraction of the cost
        return _prose_line(src)
    return _read_plain_lines(src, title_line)


def _read_plain_lines(src: str, title_line: bool) -> Reading:
    """Plain text read by the line rules (`_plain_blocks`)."""
    w = _Writer(src)
    for kind, run, level in _plain_blocks(src, title_line):
        for k, (s, e) in enumerate(run):
            if k:
                w.space(s - 1)
            elif kind == "item":  # a list marker is layout, not words ("2. Individuals must" reads "Individuals")
                m = _MARKER_RE.match(src, s + len(src[s:e]) - len(src[s:e].lstrip()), e)
                s = m.end() if m and m.end() < e else s
            if kind == "heading":
                m = _MD_HEADING_RE.match(src[s:e])
                if m:
                    s += m.end(1)
            w.copy(s, e)
        w.end_block(kind, level)
    return w.finish()


def _read_extracted(src: str, blocks) -> Reading:
    w = _Writer(src)
    for kind, s, e in blocks:
        head = kind == "table-head"  # the extractor knows the header row: a table block of level 1
        kind = "table" if head else kind
        if kind == "code":
            at, spans = s, []
            for line in src[s:e].split("\n"):
                spans.append((at, at + len(line)))
                at += len(line) + 1
            _code_lines(w, src, spans)
        else:
            if kind == "item":  # a list marker is layout, not words: "• magic elements ..." reads "magic elements ..."
                m = _MARKER_RE.match(src, s, e)
                s = m.end() if m and m.end() < e else s
            w.copy(s, e)
        w.end_block(
            kind if kind in ("heading", "term", "text", "item", "code", "table", "meta") else "text",
            1 if kind in ("heading", "term") or head else 0,
        )
    return w.finish()


# --- dispatch -------------------------------------------------------------------------------------------

_RST_SIGNS = (
    re.compile(r"^\.\. (?:[\w-]+::|_[^:]+:|\|[^|]+\|)", re.M),
    re.compile(r"^\S.*\n([=\-~^\"'`#*+])\1{3,}\s*$", re.M),
    re.compile(r":[a-z]+:`[^`]+`|``[^`]+``|`[^`<]+<[^>]+>`_"),
)
_MD_SIGNS = (
    re.compile(r"^#{1,6} \S", re.M),
    re.compile(r"^(?:```|~~~)", re.M),
    re.compile(r"\[[^\]]+\]\([^)\s]+\)"),
)


def sniff_format(text: str) -> str:
    """``man`` for a rendered man page (`qa.ingest.manpage.looks_like_man`); ``rst`` or ``markdown``
    when a ``.txt`` file (or one without a known suffix) is unmistakably one of them (at least two
    kinds of that syntax's marks, and more kinds than the other's); else ``plain``. Terminal
    residue (`qa.ingest.terminal`) is looked through."""
    head = text[:200_000]
    spans = terminal.residue(head)
    if spans:
        head = terminal.without(head, spans)[0]
    if looks_like_man(head):
        return "man"
    rst = sum(bool(p.search(head)) for p in _RST_SIGNS)
    md = sum(bool(p.search(head)) for p in _MD_SIGNS)
    if rst >= 2 and rst > md:
        return "rst"
    if md >= 2 and md > rst:
        return "markdown"
    return "plain"


_MARKED = {"markdown": _read_markdown, "rst": _read_rst}
_CACHED_CHARS = 1 << 20


@lru_cache(maxsize=4)
def _read_marked(fmt: str, src: str) -> Reading:
    return _MARKED[fmt](src)


def read(document) -> Reading:
    """The reading of a `qa.types.Document`, by its ``format`` (see the module's rules).

    Terminal residue (ANSI escapes, backspace overstrike, stray control characters, U+FFFD:
    `qa.ingest.terminal`) and, in a man page, typesetters' line-end hyphens are not reading text:
    the text without them is read, and its offsets mapped back through the characters kept, so
    every reading character still stands for its own source character."""
    fmt = getattr(document, "format", "plain")
    src = document.text
    if fmt == "plain" and _is_prose_line(src, _ODD_OR_RESIDUE_CHAR_RE):  # no residue, no header: one scan, no more
        return _prose_line(src)
    spans = terminal.residue(src)
    if not spans and fmt != "man":
        return _read_clean(document, fmt, src, getattr(document, "blocks", ()))
    clean, kept = terminal.without(src, spans) if spans else (src, None)
    if fmt == "man":
        hyphens = terminal.hyphenation(clean)
        if hyphens:
            joined, kept2 = terminal.without(clean, hyphens)
            kept = kept2 if kept is None else kept[kept2]
            clean = joined
    if kept is None:
        return _read_clean(document, fmt, clean, ())
    blocks = getattr(document, "blocks", ())
    if blocks:  # an extractor's blocks are source spans: the same spans of the cleaned text
        blocks = tuple((kind, int(np.searchsorted(kept, s)), int(np.searchsorted(kept, e))) for kind, s, e in blocks)
    reading = _read_clean(document, fmt, clean, blocks)
    return Reading(text=reading.text, offsets=kept[reading.offsets], blocks=reading.blocks)


def _read_clean(document, fmt: str, src: str, blocks) -> Reading:
    """The reading of `src`, a document's text without residue, by format; a header block at its top
    (`qa.ingest.headers`: a wheel's METADATA, an e-mail) read as table rows, then the body."""
    if fmt in ("plain", "markdown", "rst"):
        end = header_end(src)
        if end:
            head = _read_extracted(src[:end], [("table", s, e) for s, e in header_lines(src)])
            return _followed(head, _read_body(document, fmt, src[end:], ()), end)
    return _read_body(document, fmt, src, blocks)


def _followed(head: Reading, body: Reading, at: int) -> Reading:
    """`head` (of source ``[0, at)``) then `body` (the reading of source ``[at, ...)``, its offsets
    from `at`), one ``\n`` between them standing for the line break at `at`."""
    if not body.text:
        return head
    shift = len(head.text) + 1
    return Reading(
        text=head.text + "\n" + body.text,
        offsets=np.concatenate([head.offsets, np.array([at], dtype=np.int64), body.offsets + at]),
        blocks=head.blocks + tuple(Block(b.kind, b.start + shift, b.end + shift, b.level) for b in body.blocks),
    )


def _read_body(document, fmt: str, src: str, blocks) -> Reading:
    if fmt == "man":
        return _read_extracted(src, man_blocks(src))
    if fmt in ("markdown", "rst"):
        # The loader reads a Markdown or rst file once for its title, the chunker again: parse it once.
        return _read_marked(fmt, src) if len(src) <= _CACHED_CHARS else _MARKED[fmt](src)
    if fmt == "extracted" and blocks:
        return _read_extracted(src, blocks)
    return _read_plain(src, title_line=document.source == document.doc_id)


def sentences(passage) -> list[tuple[int, int, int, int]]:
    """The running-text sentences of a passage as ``(start, end, source_start, source_end)``:
    offsets into ``passage.text`` and into the source. Code, tables, headings and other text
    that is not running text (``passage.layout``) give none."""
    from ..text import split_sentences

    spans = split_sentences(passage.text)
    layout = passage.layout
    if not layout:
        base = passage.start
        return [(s, e, base + s, base + e) for s, e in spans]
    points = [b[0] for b in layout]
    out = []
    for s, e in spans:
        first = bisect.bisect_right(points, s) - 1
        last = bisect.bisect_right(points, e - 1) - 1
        if any(layout[j][2] & 1 for j in range(first, last + 1)):
            continue
        out.append((s, e, layout[first][1] + s - layout[first][0], layout[last][1] + e - 1 - layout[last][0] + 1))
    return out


def has_running_text(passage) -> bool:
    """Whether any of the passage is running text (so `sentences` can give some), read from its
    layout without splitting it into sentences."""
    return bool(passage.text.strip()) and (not passage.layout or any(not k & 1 for _, _, k in passage.layout))


def to_reading(passage, offset: int) -> int:
    """The offset in ``passage.text`` of source offset `offset` (the first reading character at or
    after it): the inverse of the passage's layout, for marking a cited sentence in the passage."""
    layout = passage.layout
    if not layout:
        return min(max(offset - passage.start, 0), len(passage.text))
    for k, (r, src, _) in enumerate(layout):
        nxt = layout[k + 1][0] if k + 1 < len(layout) else len(passage.text)
        if offset < src + (nxt - r):
            return r + max(offset - src, 0)
    return len(passage.text)
