"""The plain values that pass between qa's stages. No logic lives here.

Data flows one way::

    loader -> Document -> chunking -> Passage -> index/search -> Hit -> answer -> Answer

Every offset is a half-open character range into ``Document.text``, so
``document.text[start:end]`` is exactly the quoted text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Document", "DocumentHeadings", "Passage", "Query", "Hit", "Sentence", "Answer"]


@dataclass(frozen=True, slots=True)
class Document:
    """One source document, decoded.

    Attributes
    ----------
    doc_id : str
        Stable identifier: the path relative to the corpus root for files, the
        ``_id`` field for ``corpus.jsonl`` lines.
    source : str
        Where the text came from, relative to the corpus root (POSIX separators).
    title : str
        The document's title: its first line for text files, its first ``#``
        heading for Markdown, the ``title`` field for ``corpus.jsonl``.
    text : str
        The decoded text. For files it equals what ``open(path, encoding="utf-8")``
        reads (universal newlines, so CRLF becomes LF); for ``corpus.jsonl`` it is
        the ``text`` field. All offsets point into this string.
    pages : tuple of int
        For paged formats (PDF), the offset in `text` where each page starts
        (page 1 first); empty when the source has no pages.
    format : str
        How `qa.ingest.reading` reads `text`: ``"markdown"``, ``"rst"``, ``"plain"``
        (text files, ``corpus.jsonl``) or ``"extracted"`` (PDF, DOCX, HTML).
    blocks : tuple of (str, int, int)
        For extracted formats, the extractor's block structure of `text`:
        ``(kind, start, end)``; empty for text files, whose structure the reader parses.
    """

    doc_id: str
    source: str
    title: str
    text: str
    pages: tuple[int, ...] = ()
    format: str = "plain"
    blocks: tuple[tuple[str, int, int], ...] = ()

    def page_at(self, offset: int) -> int:
        """The 1-based page holding character `offset`, or 0 when the document has no pages."""
        import bisect

        return bisect.bisect_right(self.pages, offset) if self.pages else 0


@dataclass(frozen=True, slots=True)
class Passage:
    """A bounded span of a document that is indexed and returned as a unit.

    ``start``/``end`` are offsets into ``document.text`` (the source); ``text``
    is the reading text of that span, ``qa.ingest.reading.read(document).of(start, end)``:
    the words a reader sees, markup removed and hard-wrapped lines joined. For
    clean prose it is ``document.text[start:end]`` itself.

    ``layout`` maps ``text`` back to the source: breakpoints ``(offset in text,
    source offset, not_running)``; from one breakpoint to the next, characters of
    ``text`` stand for consecutive source characters, and ``not_running`` is 1 for
    code, tables, headings and other text that is never an answer sentence. Empty
    when ``text`` is running text copied verbatim from ``[start, end)``.
    """

    passage_id: str
    doc_id: str
    source: str
    title: str
    section: str
    start: int
    end: int
    text: str
    page: int = 0  # 1-based page of `start` in a paged source (PDF); 0 when there are no pages
    layout: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    """A question as the index sees it.

    Attributes
    ----------
    text : str
        The question as asked (stripped).
    words : tuple of str
        Its content words (lowercased, stop words removed), after correction.
    terms : tuple of str
        The distinct index terms searched for (stems of `words` found in the index).
    term_ids : tuple of int
        Their column numbers in the index.
    idf : tuple of float
        Their evidence weights (IDF against a padded corpus; see
        `qa.answering.search.evidence_weights`), used for coverage, not for ranking.
    unknown : tuple of str
        Content words the corpus does not contain (and that could not be
        corrected), frame words ("need", "tell") excepted.
    corrections : tuple of tuple of str
        ``(typed, corrected)`` pairs.
    total_idf : float
        Evidence weight of the whole question: known terms plus each unknown word
        at the weight of a term that occurs nowhere. Coverage is measured against it.
    sequence : tuple of int
        The question's content words in order as term numbers (-1 for unknown
        words), for phrase matching.
    """

    text: str
    words: tuple[str, ...]
    terms: tuple[str, ...]
    term_ids: tuple[int, ...]
    idf: tuple[float, ...]
    unknown: tuple[str, ...]
    corrections: tuple[tuple[str, str], ...]
    total_idf: float
    sequence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentHeadings:
    """A document of an index with the section headings its passages use
    (`qa.index.protocol.SearchIndex.document_headings`; example questions are made from them).

    Attributes
    ----------
    doc_id, source, title : str
        As in `Passage`.
    headings : tuple of str
        Its distinct section headings, in corpus order ("" for passages before any heading).
    """

    doc_id: str
    source: str
    title: str
    headings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage ranked for a question.

    Attributes
    ----------
    rank : int
        1-based position in the result list.
    passage : Passage
    score : float
        The retrieval score (a sum of BM25-weighted TF-IDF products); only
        comparable between hits of the same question.
    matched_terms : tuple of str
        The index terms (analysed: lowercased, stemmed) shared by the question
        and the passage.
    coverage : float
        Share of the question's IDF weight that this passage contains, in [0, 1].
    """

    rank: int
    passage: Passage
    score: float
    matched_terms: tuple[str, ...]
    coverage: float


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (an answer unit, `qa.answering.units`) quoted verbatim from a hit's reading text.

    ``text`` is a substring of ``hit.passage.text``; ``start``/``end`` are
    offsets into the source document, and the reading text of that source span
    is ``text`` (`qa.ingest.reading.Reading.of`). A ``row`` is the exception: its
    text is its pieces (``spans``, header cell and cell in turn) read as
    ``"header: cell; header: cell"``, each piece reading back exactly.

    ``kind`` is the unit's kind (``sentence``, ``item``, ``definition``, ``row``,
    ``code``); ``spans`` its source pieces (empty: the one piece ``(start, end)``);
    ``lines`` the block kind of each ``\n``-separated line of ``text`` (``text``,
    ``item``, ``code``, ``table``; empty: one line of running text), for showing
    code in monospace and items as bullets.
    """

    text: str
    rank: int  # the cited hit's rank: the [n] marker
    start: int
    end: int
    score: float
    kind: str = "sentence"
    spans: tuple[tuple[int, int], ...] = ()
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of asking a question.

    Attributes
    ----------
    question : str
    sentences : tuple of Sentence
        The summary, best sentence first; empty when abstained.
    hits : tuple of Hit
        The ranked passages the sentences cite (shown even when abstaining, as
        the closest matches).
    abstained : bool
    reason : str or None
        Why qa abstained, in words for the user; None when it answered.
    reason_code : str or None
        ``"empty_question"``, ``"no_match"`` or ``"weak_evidence"``; None when it answered.
    confidence : float
        In [0, 1]: the calibrated probability that the first answer unit holds the answer
        (`qa.answering.scoring`); 0 when a guard refused before any unit was scored.
    query_terms : tuple of str
        The content words of the question as searched for (after spelling
        correction), for display.
    corrections : tuple of tuple of str
        ``(typed, corrected)`` pairs applied to the question's words.
    language : str
        The question's language, ``"en"`` or ``"zh"`` (`qa.text.detect_language`):
        the page shows its labels in it.
    explanation : tuple of dict
        Only when asked for (``qa ask --explain``): for each shown unit (the best candidates when
        abstaining) its text, passage, kind, score and features' values, weights and contributions
        (`qa.answering.scoring.explain`).
    evidence : float
        In [0, 1]: what the abstention guard reads, the mean of the best passage's and the best
        unit's share of the question's evidence weight (`qa.answering.scoring.calibration_inputs`);
        0 when a guard refused before any unit was scored.
    """

    question: str
    sentences: tuple[Sentence, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    reason: str | None
    reason_code: str | None
    confidence: float
    query_terms: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    language: str = "en"
    explanation: tuple = ()
    evidence: float = 0.0

    @property
    def text(self) -> str:
        """The summary: the sentences joined by a space."""
        return " ".join(s.text for s in self.sentences)
