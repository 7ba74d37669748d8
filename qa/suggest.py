"""Example questions for a corpus, taken from the corpus itself. No retrieval here.

Rules, in order:

1. **Questions first.** Every passage's section heading that is a question
   (ends in ``?``), in corpus order; then the question part of each document
   title (a title such as ``Site - Topic - Can I ...?`` is cut at its ``" - "``,
   ``" | "`` or dash separators, and a part ending in ``?`` is kept).
2. **Clean-up.** An enumerating prefix is removed ("First, ", "2. ", "III. ",
   "Step 3: ", "Q: ", "一、"), spacing is collapsed and the first letter is
   capitalised: "First, how to deal with it?" becomes "How to deal with it?".
3. **Fallback.** When that gives fewer than `n`, the other headings and title
   parts follow, in corpus order, as "What about <heading>?" (their final
   ``.``/``:``/``;`` dropped).
4. Candidates of fewer than `MIN_WORDS` words or more than `MAX_CHARS`
   characters are skipped, and a question is kept once (case and spacing aside).

The result depends only on the index's passages, so it is deterministic.
"""

from __future__ import annotations

import re

import numpy as np

from .text import count_words, detect_language

__all__ = ["suggest_questions", "clean_heading", "MAX_CHARS", "MIN_WORDS"]

MAX_CHARS = 150
MIN_WORDS = 3

_ORDINAL = r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|finally|lastly|next|then"
_PREFIX_RE = re.compile(
    rf"^(?:(?:{_ORDINAL})\s*[,:.、，]\s*"  # First, / Second: / Finally.
    r"|(?:step|part|section|chapter|article|question|q)\s*\d+\s*[:.)\-–]\s*"  # Step 3: / Q1. / Question 2:
    r"|(?:question|q)\s*[:.]\s*"  # Q: / Question:
    r"|\(?\d+(?:\.\d+)*[.)、](?!\d)\s*"  # 1. / 2) / (3) / 1.2.
    r"|\(?[a-z][.)]\s+"  # a) / (b)
    r"|[IVXLC]+[.)]\s+"  # III.
    r"|[一二三四五六七八九十百]+[、.．]\s*"  # 一、
    r"|第[一二三四五六七八九十百\d]+[章节条部分]\s*"  # 第二章
    r"|[-*•]\s+)",  # bullets
    re.IGNORECASE,
)
_TITLE_SPLIT_RE = re.compile(r"\s+[-|–—:»›]\s+")
_QUESTION_END = ("?", "？")


def clean_heading(text: str) -> str:
    """A heading without its enumerating prefix, spacing collapsed, first letter capitalised.

    Examples
    --------
    >>> clean_heading("First, how do I apply?")
    'How do I apply?'
    >>> clean_heading("  2.  where is   the office? ")
    'Where is the office?'
    """
    text = " ".join(text.lstrip("\ufeff#").split())
    for _ in range(2):  # "Step 1. First, ..." carries two prefixes
        stripped = _PREFIX_RE.sub("", text, count=1)
        if stripped == text or not stripped:
            break
        text = stripped
    return text[:1].upper() + text[1:]


def _is_question(text: str) -> bool:
    return text.endswith(_QUESTION_END)


def _title_parts(title: str) -> list[str]:
    """The parts of a title, question parts first: ``"Site - Topic - Can I?"`` -> ["Can I?", "Topic", "Site"]."""
    parts = [p.strip() for p in _TITLE_SPLIT_RE.split(title) if p.strip()]
    return [p for p in reversed(parts) if _is_question(p)] + [p for p in reversed(parts) if not _is_question(p)]


def _what_about(heading: str) -> str:
    body = heading.rstrip(" .:;,!。：；，！")
    if not body:
        return ""
    return f"{body}怎么办？" if detect_language(body) == "zh" else f"What about {body}?"


MAX_HEADINGS = 10_000  # enough to find n examples; a million-passage corpus is not read whole
MAX_PASSAGES = 200_000  # passages whose section numbers are read, at most


def _headings(passages) -> tuple[list[str], list[str]]:
    """Distinct sections and titles in corpus order, read from the columns when the table has them."""
    if hasattr(passages, "sections") and hasattr(passages, "title"):  # a qa.passages.PassageTable
        # The sections the passages use, not the whole `sections` table: removing a document
        # (`PassageTable.select`) keeps every string of that table, its headings included.
        used = np.asarray(passages.section[:MAX_PASSAGES])
        _, first = np.unique(used, return_index=True)
        ids = used[np.sort(first)][:MAX_HEADINGS]
        return [passages.sections[int(i)] for i in ids], passages.title[:MAX_HEADINGS]
    sections = list(dict.fromkeys(p.section for p in passages))
    titles = list(dict.fromkeys(p.title for p in passages))
    return sections, titles


def suggest_questions(index, n: int = 4) -> tuple[str, ...]:
    """Up to `n` example questions drawn from the corpus's own headings and titles.

    Parameters
    ----------
    index : qa.Index
        Anything with a ``passages`` sequence of `qa.Passage`.
    n : int, default=4
        How many to return at most.

    Returns
    -------
    tuple of str
        Question headings first (corpus order), then "What about <heading>?"
        made from other headings and titles if too few; empty when the corpus
        has no headings or titles.
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    questions: list[str] = []
    others: list[str] = []
    sections, titles = _headings(index.passages)
    headings = [s for s in sections if s] + [part for t in titles if t for part in _title_parts(t)]
    for heading in headings[:MAX_HEADINGS]:
        text = clean_heading(heading)
        (questions if _is_question(text) else others).append(text)

    out: list[str] = []
    keys: set[str] = set()
    for candidate in questions + [_what_about(h) for h in others]:
        if len(out) >= n:
            break
        key = " ".join(candidate.lower().split())
        if not candidate or key in keys or len(candidate) > MAX_CHARS or count_words(candidate) < MIN_WORDS:
            continue
        keys.add(key)
        out.append(candidate)
    return tuple(out)
