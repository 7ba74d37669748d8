"""Answer units: the pieces of the top passages an answer may quote.

A passage's reading text (`qa.ingest.reading`) is a run of blocks, and its layout names each
block's kind (`qa.ingest.reading.LAYOUT_CODES`). `candidate_units` cuts the passages of the top
hits into *units*, each one a thing a reader would quote whole:

==============  ================================================================================
kind            what it is
==============  ================================================================================
``sentence``    a sentence of running text (a paragraph, or a long list item). A Chinese
                sentence ends at 。！？ (or their half-width forms), never at "；". An article's
                number in front ("第四十六条 ") is not part of it: the unit starts after it.
``item``        a list item of one sentence, whole (of at most `MAX_ITEM_CHARS` characters); a
                longer one, or one of several sentences, gives its sentences.
``definition``  a term with its description: a definition list's term and its description
                (HTML's <dt> and <dd>, a man page's option line and the text under it: the
                term, a line break, the description's paragraph, or its first sentence
                when the paragraph is long), a list item or field-list entry "term: text" (or
                "term - text", "term — text"), a man page's option entry ("-v, --verbose Print
                more.": whole, or its first sentence when long).
``row``         a table row, read as "header: cell; header: cell" with the header row of its
                table, when that row is in the same passage (a row without the header
                naming its columns is no unit).
``code``        a lead-in that ends in ":" ("To stop it, run:") together with the code block
                (at most `MAX_CODE_LINES` lines, no comment line) or the short list (at most
                `MAX_LIST_ITEMS` items, ending inside the passage) right after it.
==============  ================================================================================

Code, headings, link lists and other ``meta`` blocks are never units by themselves. Units of one
passage may overlap: a ``code`` unit holds the sentence or item that is its lead-in, and a term's
``definition`` the first sentences of its description, which are units too (the summary drops a
unit that overlaps one already chosen). An index built before layouts named block kinds (every
layout code 0 or 1) gives sentences only: items, rows, code and definitions need a rebuild.

The interface (what the summary's scoring consumes)
---------------------------------------------------
``candidate_units(hits, n_passages=3) -> list[Unit]``: the units of the passages of
``hits[:n_passages]``, passage by passage in hit order, each passage's units in reading order.
``passage_units(passage, hit_rank=1) -> list[Unit]``: the same for one passage.

`Unit` (frozen) fields:

- ``text``: the text shown. For a unit of one piece (every kind but ``row``), exactly
  ``read(document).of(start, end)`` (the reading contract, `qa.ingest.reading.Reading.of`); a
  ``code`` unit holds ``"\\n"`` between its lead-in and each code line or list item.
- ``kind``: ``"sentence"``, ``"item"``, ``"definition"``, ``"row"`` or ``"code"``.
- ``start``, ``end``: source offsets of the whole unit: its one piece; for a ``row``, the row's
  own cells, first to last (its header cells are above it, in ``spans``).
- ``spans``: the unit's source pieces ``((start, end), ...)``, each of which reads back exactly
  (``read(document).of(*span)``). One piece for every kind but ``row``, whose pieces alternate
  header cell and cell (``text == "; ".join(f"{header}: {cell}")``; a cell past the header's
  last column stands alone, one piece).
- ``lines``: the block kind of each ``"\\n"``-separated line of ``text`` (``"text"``,
  ``"item"``, ``"code"``, ``"table"``, ``"term"``): how to show it (code in monospace, items as
  bullets, a term in bold).
- ``hit_rank``: the 1-based rank of the hit whose passage holds the unit.
- ``position``: the unit's index among its passage's units (0 first).
- ``section``: the passage's section: the heading (or term) above it (`qa.types.Passage.section`).
- ``before``: the text of the unit just before it in the passage (the last one ending where it
  starts or earlier, so never its own lead-in), "" for the first.
- ``doc_id``: the document the passage is from.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..ingest.reading import layout_kind
from ..text import split_sentences

__all__ = [
    "Unit",
    "candidate_units",
    "passage_units",
    "UNIT_KINDS",
    "MAX_ITEM_CHARS",
    "MAX_CODE_LINES",
    "MAX_LIST_ITEMS",
]

UNIT_KINDS = ("sentence", "item", "definition", "row", "code")
# A row whose cells carry their column names ("name: value; name: value"), as qa's PDF reader writes one.
_NAMED_CELLS_RE = re.compile(r"[^;:\n]{1,60}: [^;\n]+(?:; [^;:\n]{1,60}: [^;\n]+)+")
DEFAULT_DEPTH = 3  # passages read; the summary passes its own N_PASSAGES
MAX_ITEM_CHARS = 400  # a longer list item is quoted by its sentences
MAX_CODE_LINES = 8  # a longer listing is not quoted: an answer shows a command, not a program
MAX_CODE_CHARS = 600
MAX_LIST_ITEMS = 8  # a lead-in with a short list after it ("You need:" and the things) is one unit
MAX_LIST_ITEM_CHARS = 200
CELL_SEPARATOR = " | "  # how every reader writes a table row's cells


@dataclass(frozen=True, slots=True)
class Unit:
    """One answer unit of a passage; see the module's docstring for every field."""

    text: str
    kind: str
    start: int
    end: int
    spans: tuple[tuple[int, int], ...]
    hit_rank: int
    position: int
    section: str
    before: str
    lines: tuple[str, ...]
    doc_id: str = ""


# "第四十六条 " (an article's number) in front of a Chinese law's sentence: a label, not its words.
_ARTICLE_RE = re.compile(r"第[一二三四五六七八九十百千零〇两\d]+条(?:之[一二三四五六七八九十]+)?[\s　]*")
# "term: description" in a list item; the term is short and does not end a sentence.
_TERM_RE = re.compile(r"(?P<term>[^\s:：.!?。][^:：.!?。]{0,58}?)\s*(?:[:：]|\s[-–—]\s)\s*(?=\S)")
# A man-page option line: "-v, --verbose  Print more." / "--log-file=FILE Write the log there."
_OPTION_RE = re.compile(r"(?:--?[A-Za-z0-9?][\w.-]*(?:[= ]?[<\[]?[A-Z][\w-]*[>\]]?|=\S+)?(?:,\s*|\s+or\s+)?)+\s+(?=\S)")
_COMMENT_RE = re.compile(r"\s*(?:#|//|/\*|<!--|--\s|;)")
_FIELD_RE = re.compile(r":(?=[^:\s][^:]*:\s)")  # rst's ":param x: text": the unit starts after the first ":"


def _blocks(passage) -> list[tuple[str, int, int]]:
    """The passage's blocks as ``(kind, start, end)`` in its reading text; a code block's lines are one."""
    text = passage.text
    layout = passage.layout
    points = [b[0] for b in layout]
    out: list[tuple[str, int, int]] = []
    at = 0
    for line in text.split("\n"):
        s, e = at, at + len(line)
        at = e + 1
        if not line.strip():
            continue
        kind = layout_kind(layout[bisect.bisect_right(points, s) - 1][2]) if layout else "text"
        if kind == "code" and out and out[-1][0] == "code" and out[-1][2] == s - 1:
            out[-1] = ("code", out[-1][1], e)
            continue
        out.append((kind, s, e))
    return out


def _source(passage, points, s: int, e: int) -> tuple[int, int]:
    """The source span of reading characters ``[s, e)`` of the passage (as `qa.ingest.reading.sentences`)."""
    layout = passage.layout
    if not layout:
        return passage.start + s, passage.start + e
    first = bisect.bisect_right(points, s) - 1
    last = bisect.bisect_right(points, e - 1) - 1
    return layout[first][1] + s - layout[first][0], layout[last][1] + e - 1 - layout[last][0] + 1


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _cells(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """The cells of a table row ``text[s:e]``, stripped, empty ones left out."""
    out, at = [], s
    while True:
        cut = text.find(CELL_SEPARATOR, at, e)
        cs, ce = _strip(text, at, e if cut < 0 else cut)
        if ce > cs:
            out.append((cs, ce))
        if cut < 0:
            return out
        at = cut + len(CELL_SEPARATOR)


def _lead_in(text: str, s: int, e: int) -> bool:
    return text[s:e].rstrip().endswith((":", "："))


def passage_units(passage, hit_rank: int = 1) -> list[Unit]:
    """The units of one passage, in reading order (see the module's docstring)."""
    text = passage.text
    points = [b[0] for b in passage.layout]
    blocks = _blocks(passage)
    raw: list[tuple] = []  # (kind, reading spans, text, lines, the unit's own reading extent)

    def add(kind, s, e, lines=None):
        s, e = _strip(text, s, e)
        if e > s:
            piece = text[s:e]
            raw.append((kind, ((s, e),), piece, lines or tuple("text" for _ in piece.split("\n")), (s, e)))

    def follower(i):
        """The code block or short list right after block `i`, as ``(end block index, lines)``, or None."""
        if i + 1 >= len(blocks):
            return None
        kind, s, e = blocks[i + 1]
        if kind == "code":
            lines = text[s:e].split("\n")
            # A command, not a program: a few lines, none of them a comment (an example to read
            # through, and a "# ..." line reads as a heading wherever the answer is shown).
            if (
                len(lines) <= MAX_CODE_LINES
                and e - s <= MAX_CODE_CHARS
                and not any(_COMMENT_RE.match(line) for line in lines)
            ):
                return i + 1, ("code",) * len(lines)
            return None
        j = i + 1
        while j < len(blocks) and blocks[j][0] == "item" and blocks[j][2] - blocks[j][1] <= MAX_LIST_ITEM_CHARS:
            j += 1
        # The list must end inside the passage: one that runs to its end may go on in the next.
        if j == i + 1 or j - (i + 1) > MAX_LIST_ITEMS or j == len(blocks) or blocks[j][0] == "item":
            return None
        return j - 1, ("item",) * (j - i - 1)

    head: list[tuple[int, int]] | None = None
    for i, (kind, bs, be) in enumerate(blocks):
        if kind not in ("table", "table-head"):
            head = None
        if kind == "table-head":
            head = _cells(text, bs, be)
            continue
        if kind == "table":
            # A row is read with the header naming its columns; without one (a table that names
            # none, a navigation bar laid out as a table, a passage that starts mid-table) its
            # cells say nothing on their own.
            cells = _cells(text, bs, be)
            if not head and _NAMED_CELLS_RE.fullmatch(text, bs, be):
                # A reader that joined the header into the row already (a PDF's table: "Directory:
                # bin; Description: Essential command binaries") wrote a row that reads on its own.
                raw.append(("row", ((bs, be),), text[bs:be], ("table",), (bs, be)))
                continue
            if not cells or not head:
                continue
            if any(text[cs:ce] == text[hs:he] for (cs, ce), (hs, he) in zip(cells, head)):
                continue  # a "header" that a row repeats is data (a navigation bar's two rows), not names
            spans: list[tuple[int, int]] = []
            parts = []
            for n, (cs, ce) in enumerate(cells):
                if n < len(head):
                    spans.extend((head[n], (cs, ce)))
                    parts.append(f"{text[head[n][0] : head[n][1]]}: {text[cs:ce]}")
                else:
                    spans.append((cs, ce))
                    parts.append(text[cs:ce])
            raw.append(("row", tuple(spans), "; ".join(parts), ("table",), (cells[0][0], cells[-1][1])))
            continue
        if kind == "term":
            # A term and its description (a <dt> and its <dd>, an option line and the text under
            # it): the description's block when short, else its first sentence.
            if i + 1 < len(blocks) and blocks[i + 1][0] in ("text", "item"):
                _, ds, de = blocks[i + 1]
                if de - ds > MAX_ITEM_CHARS:
                    de = ds + split_sentences(text[ds:de])[0][1]
                add("definition", bs, de, ("term", blocks[i + 1][0]))
            continue
        if kind not in ("text", "item"):
            continue
        block = text[bs:be]
        # A man page's option entry ("-k --keep Keep input files."): the option and what it does.
        option = kind == "item" and block.startswith("-") and _OPTION_RE.match(block) is not None
        if kind == "item" and len(block) <= MAX_ITEM_CHARS:
            field = _FIELD_RE.match(block)
            s = bs + (field.end() if field else 0)
            term = field or _TERM_RE.match(text, s, be) or option
            # An item of one sentence is quoted whole; one of several, as its sentences (unless it
            # describes a term: "-q: be quiet. Really quiet.").
            if term or len(split_sentences(block)) == 1:
                add("definition" if term else "item", s, be, ("item",))
                if _lead_in(text, bs, be) and (f := follower(i)):
                    add("code", bs, blocks[f[0]][2], ("item",) + f[1])
                continue
        if (
            kind == "text"
            and len(block) <= MAX_ITEM_CHARS
            and _OPTION_RE.match(block)
            and block.lstrip().startswith("-")
        ):
            add("definition", bs, be)
            continue
        sents = split_sentences(block)
        for n, (s, e) in enumerate(sents):
            s, e = s + bs, e + bs
            article = _ARTICLE_RE.match(text, s, e)
            if article and article.end() < e:
                s = article.end()
            add("definition" if option and n == 0 else "sentence", s, e)
            if n == len(sents) - 1 and _lead_in(text, s, e) and (f := follower(i)):
                add("code", s, blocks[f[0]][2], ("text",) + f[1])
    units: list[Unit] = []
    for position, (kind, spans, piece, lines, extent) in enumerate(raw):
        source = tuple(_source(passage, points, s, e) for s, e in spans)
        # The unit before: the last one ending where this one starts or earlier (a "code" unit
        # and its own lead-in sentence overlap: neither is the other's context).
        before = next((u.text for u in reversed(units) if u.end <= source[0][0]), "")
        # A row's extent is its own cells' (its header cells are elsewhere in the table).
        start, end = _source(passage, points, *extent)
        units.append(
            Unit(
                text=piece,
                kind=kind,
                start=start,
                end=end,
                spans=source,
                hit_rank=hit_rank,
                position=position,
                section=passage.section,
                before=before,
                lines=lines,
                doc_id=passage.doc_id,
            )
        )
    return units


def candidate_units(hits, n_passages: int = DEFAULT_DEPTH) -> list[Unit]:
    """The answer units of the passages of ``hits[:n_passages]``, hit by hit, each passage's in
    reading order.

    Parameters
    ----------
    hits : sequence of qa.types.Hit
        Ranked hits; each unit keeps its hit's rank.
    n_passages : int, default=DEFAULT_DEPTH
        How many of the top hits to read.

    Returns
    -------
    list of Unit
    """
    out: list[Unit] = []
    for hit in hits[:n_passages]:
        out.extend(passage_units(hit.passage, hit.rank))
    return out
