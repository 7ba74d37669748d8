"""Split documents into passages that follow the document's own structure.

Rules, in order:

1. A document is cut into *blocks*: runs of non-blank lines.
2. A block is a *heading* when it is one line and either a Markdown heading
   (``# ...``), an enumerated section opener ("First, ...", "Second: ...",
   "Chapter 2", "III. ...", "一、..."), or a short line (at most
   `HEADING_MAX_CHARS` characters) that does not end like a sentence body
   (no final ``.``, ``,`` or ``;``) and is followed by a body block. A
   question on its own line ("Can I still use my card?") followed by its answer
   is a heading: that is how FAQs are written. The first line of a text file is
   its title, and counts as a heading too.
3. Every other block is *body*. Each passage is body text under one section
   heading (the nearest heading above it). A body block shorter than
   `min_chars` is merged with the next body block of the same section; one
   longer than `max_chars` is cut at sentence ends into pieces of at most
   `max_chars` (a single longer sentence is cut at a space).
4. A passage whose text (case and spacing aside) repeats an earlier passage is
   dropped: a repeated paragraph is indexed and shown once.
5. A document with no body (a lone heading) keeps its headings as passages, so
   no document disappears.
6. A document cut into more than `MAX_PASSAGES_PER_DOCUMENT` passages is not
   indexed at all: it is skipped with a warning that names it (as an unreadable
   or oversize file is), rather than cut short, which would answer from its
   first part only and say nothing.

Offsets are computed from positions, never by searching, so
``document.text[p.start:p.end] == p.text`` holds by construction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .errors import SourceError
from .text import split_sentences
from .types import Document, Passage

__all__ = ["Chunker", "chunk_documents", "iter_passages", "passage_key", "HEADING_MAX_CHARS",
           "MAX_PASSAGES_PER_DOCUMENT"]

HEADING_MAX_CHARS = 120
# Passages of at most 2,000 characters, short paragraphs merged: 10,000 of them is some 3-5
# million characters of prose, a book of 1,500 pages or more. A policy, FAQ or manual is far
# below it; a "document" above it is a log, a data dump or generated text, whose passages would
# crowd out every other document's in the results and in the page's document list.
MAX_PASSAGES_PER_DOCUMENT = 10_000
_ORDINAL = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|finally|lastly"
)
_SECTION_RE = re.compile(
    rf"^(?:(?:{_ORDINAL})\s*[,:.、，]"
    r"|(?:chapter|section|part|article|step|appendix)\s+[\w.]+"
    r"|[IVXLC]+[.)]\s"
    r"|[一二三四五六七八九十百]+[、.．]"
    r"|第[一二三四五六七八九十百\d]+[章节条部分])",
    re.IGNORECASE,
)
_MD_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+\S")


@dataclass(frozen=True, slots=True)
class _Block:
    start: int
    end: int
    text: str
    heading: bool


def _blocks(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text):
        seg = m.group()
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        spans.append((m.start() + lead, m.end() - trail))
    return spans


def _clean_heading(text: str) -> str:
    return re.sub(r"\s+", " ", text.lstrip("\ufeff").strip().lstrip("#").strip())


@dataclass(frozen=True, slots=True)
class Chunker:
    """Cut documents into passages.

    Parameters
    ----------
    max_chars : int, default=2000
        No passage is longer than this (unless one word is).
    min_chars : int, default=100
        Body blocks shorter than this are merged with the next one in the same section.
    """

    max_chars: int = 2000
    min_chars: int = 100

    def __post_init__(self):
        if not isinstance(self.max_chars, int) or self.max_chars < 20:
            raise ValueError(f"max_chars must be an integer >= 20, got {self.max_chars!r}")
        if not isinstance(self.min_chars, int) or not 0 <= self.min_chars <= self.max_chars:
            raise ValueError(f"min_chars must be an integer in [0, max_chars], got {self.min_chars!r}")

    def params(self) -> dict:
        return {"max_chars": self.max_chars, "min_chars": self.min_chars}

    def _classify(self, doc: Document) -> list[_Block]:
        spans = _blocks(doc.text)
        title_line = doc.source == doc.doc_id  # a file, whose first line is its title
        blocks = []
        for i, (s, e) in enumerate(spans):
            seg = doc.text[s:e]
            one_line = "\n" not in seg
            heading = False
            if one_line:
                clean = seg.lstrip("\ufeff").strip()
                if _MD_HEADING_RE.match(clean) or (i == 0 and title_line and len(spans) > 1):
                    heading = True
                elif len(clean) <= 2 * HEADING_MAX_CHARS and _SECTION_RE.match(clean) and not clean[-1:] in ",;":
                    heading = len(clean) <= HEADING_MAX_CHARS or clean[-1:] in "?:？："
                elif len(clean) <= HEADING_MAX_CHARS and clean[-1:] not in ".,;。，；" and i + 1 < len(spans):
                    heading = spans[i + 1][1] - spans[i + 1][0] > len(clean)  # followed by a longer body
            blocks.append(_Block(s, e, seg, heading))
        if not any(not b.heading for b in blocks):
            blocks = [_Block(b.start, b.end, b.text, False) for b in blocks]
        return blocks

    def _split_long(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        if end - start <= self.max_chars:
            return [(start, end)]
        pieces: list[tuple[int, int]] = []
        for s, e in split_sentences(text[start:end]):
            s, e = s + start, e + start
            while e - s > self.max_chars:  # one over-long sentence: cut at a space
                cut = text.rfind(" ", s + 1, s + self.max_chars)
                cut = cut if cut > s else s + self.max_chars
                pieces.append((s, cut))
                s = cut
                while s < e and text[s].isspace():
                    s += 1
            if s < e:
                pieces.append((s, e))
        out: list[tuple[int, int]] = []
        for s, e in pieces:
            if out and e - out[-1][0] <= self.max_chars:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out

    def chunk(self, doc: Document) -> list[Passage]:
        """Passages of one document, in document order (duplicates not yet removed)."""
        section = ""
        groups: list[tuple[str, int, int]] = []  # (section, start, end)
        for b in self._classify(doc):
            if b.heading:
                section = _clean_heading(b.text)
                continue
            prev = groups[-1] if groups else None
            if (
                prev is not None
                and prev[0] == section
                and prev[2] - prev[1] < self.min_chars
                and b.end - prev[1] <= self.max_chars
            ):
                groups[-1] = (section, prev[1], b.end)
            else:
                groups.append((section, b.start, b.end))
        passages = []
        for section, s, e in groups:
            for ps, pe in self._split_long(doc.text, s, e):
                passages.append(
                    Passage(
                        passage_id=f"{doc.doc_id}#{len(passages)}",
                        doc_id=doc.doc_id,
                        source=doc.source,
                        title=doc.title,
                        section=section,
                        start=ps,
                        end=pe,
                        text=doc.text[ps:pe],
                        page=doc.page_at(ps),
                    )
                )
        return passages


def passage_key(text: str) -> bytes:
    """A 16-byte digest of the text, case and spacing aside: cheap to keep for a million passages."""
    return hashlib.blake2b(" ".join(text.lower().split()).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _named(doc: Document) -> str:
    return doc.source if doc.source == doc.doc_id else f"{doc.source}, document {doc.doc_id!r}"


def iter_passages(documents, chunker: Chunker | None = None, warnings: list[str] | None = None):
    """Chunk documents one at a time, skipping passages that repeat an earlier one verbatim.

    Parameters
    ----------
    documents : iterable of Document
    chunker : Chunker, optional
        Defaults to ``Chunker()``.
    warnings : list of str, optional
        Receives one ``"skipped SOURCE: ..."`` line per document cut into more than
        `MAX_PASSAGES_PER_DOCUMENT` passages; such a document yields no passage.
        Without this list, such a document raises `SourceError` instead.

    Yields
    ------
    Passage
        In document order; each ``text`` equals its document's ``text[start:end]``.
    """
    chunker = chunker or Chunker()
    seen: set[bytes] = set()
    for doc in documents:
        passages = chunker.chunk(doc)
        if len(passages) > MAX_PASSAGES_PER_DOCUMENT:
            message = (f"{_named(doc)}: {len(passages):,} passages, over the limit of {MAX_PASSAGES_PER_DOCUMENT:,} "
                       "per document; split it into smaller files")
            if warnings is None:
                raise SourceError(message)
            warnings.append(f"skipped {message}")
            continue
        for p in passages:
            k = passage_key(p.text)
            if k in seen:
                continue
            seen.add(k)
            yield p


def chunk_documents(documents, chunker: Chunker | None = None) -> tuple[Passage, ...]:
    """Chunk every document and drop passages that repeat an earlier one verbatim.

    Parameters
    ----------
    documents : iterable of Document
    chunker : Chunker, optional
        Defaults to ``Chunker()``.

    Returns
    -------
    tuple of Passage
        In document order; each ``text`` equals its document's ``text[start:end]``.

    Raises
    ------
    SourceError
        A document is cut into more than `MAX_PASSAGES_PER_DOCUMENT` passages.
    """
    return tuple(iter_passages(documents, chunker))
