"""Split documents into passages that follow the document's own structure.

Rules, in order:

1. A document is read into *blocks* of reading text (`qa.ingest.reading`: each
   format's rules for headings, paragraphs, list items, code and tables, hard
   wraps joined and markup removed).
2. A *heading* block is not a passage: it is the section of the blocks below
   it (a plain-text heading is a ``#`` line, an enumerated section opener, a
   numbered clause's title, or a short line that does not end like a sentence
   and is followed by a longer block; a question on its own line followed by
   its answer is how FAQs are written; a text file's first line is its title).
   A *term* (a definition list's term, a man page's option line) is the section
   of its description too, and also the first block of its passage: the term
   and the description's start are one passage, however long the description
   (rule 3's cut applies). A term with no description is a heading.
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

Offsets are computed from positions, never by searching: ``p.start``/``p.end``
are source offsets, and ``read(document).of(p.start, p.end) == p.text`` holds by
construction (for clean prose, ``document.text[p.start:p.end] == p.text``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..errors import SourceError
from .reading import Block, Reading, read
from ..text import split_sentences, squash_spaces, text_key
from ..types import Document, Passage

__all__ = [
    "Chunker",
    "chunk_documents",
    "iter_passages",
    "passage_key",
    "HEADING_MAX_CHARS",
    "MAX_PASSAGES_PER_DOCUMENT",
]

HEADING_MAX_CHARS = 120
# Passages of at most 2,000 characters, short paragraphs merged: 10,000 of them is some 3-5
# million characters of prose, a book of 1,500 pages or more. A policy, FAQ or manual is far
# below it; a "document" above it is a log, a data dump or generated text, whose passages would
# crowd out every other document's in the results and in the page's document list.
MAX_PASSAGES_PER_DOCUMENT = 10_000


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
        reading = read(doc)
        text = reading.text
        if reading.blocks and all(b.kind in ("heading", "term") for b in reading.blocks):  # rule 5: keep the headings
            reading = Reading(text, reading.offsets, tuple(Block("text", b.start, b.end) for b in reading.blocks))
        section = ""
        groups: list[tuple[str, int, int]] = []  # (section, start, end) in the reading text
        term_only = -1  # the group that holds a term alone: its description joins it, however long
        for b in reading.blocks:
            if b.kind in ("heading", "term") and term_only == len(groups) - 1 >= 0:
                groups.pop()  # a term with no description under it is a heading, as before
                term_only = -1
            if b.kind == "heading":
                section = squash_spaces(text[b.start : b.end])
                continue
            if b.kind == "term":  # the section of the text below it, and the head of its passage
                section = squash_spaces(text[b.start : b.end])
                groups.append((section, b.start, b.end))
                term_only = len(groups) - 1
                continue
            prev = groups[-1] if groups else None
            if prev is not None and term_only == len(groups) - 1:
                groups[-1] = (section, prev[1], b.end)
                term_only = -1
            elif (
                prev is not None
                and prev[0] == section
                and prev[2] - prev[1] < self.min_chars
                and b.end - prev[1] <= self.max_chars
            ):
                groups[-1] = (section, prev[1], b.end)
            else:
                groups.append((section, b.start, b.end))
        if term_only == len(groups) - 1 >= 0:
            groups.pop()
        passages = []
        for section, s, e in groups:
            for ps, pe in self._split_long(text, s, e):
                start, end = reading.span(ps, pe)
                passages.append(
                    Passage(
                        passage_id=f"{doc.doc_id}#{len(passages)}",
                        doc_id=doc.doc_id,
                        source=doc.source,
                        title=doc.title,
                        section=section,
                        start=start,
                        end=end,
                        text=text[ps:pe],
                        page=doc.page_at(start),
                        layout=reading.layout(ps, pe),
                    )
                )
        return passages


def passage_key(text: str) -> bytes:
    """A 16-byte digest of the text, case and spacing aside: cheap to keep for a million passages."""
    return hashlib.blake2b(text_key(text).encode("utf-8", "surrogatepass"), digest_size=16).digest()


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
            message = (
                f"{_named(doc)}: {len(passages):,} passages, over the limit of {MAX_PASSAGES_PER_DOCUMENT:,} "
                "per document; split it into smaller files"
            )
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
