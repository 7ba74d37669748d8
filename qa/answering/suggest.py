"""Example questions for a corpus: made from its own headings and titles, kept only if qa answers them.

Candidates, for each document of the index (its headings are read through the
section numbers of its current passages, so a removed document gives none):

1. **Questions first.** Every section heading of the document that is a
   question (ends in ``?``), in corpus order; then the question part of its
   title (a title such as ``Site - Topic - Can I ...?`` is cut at its
   ``" - "``, ``" | "`` or dash separators, and a part ending in ``?`` is kept).
2. **Clean-up.** An enumerating prefix is removed ("First, ", "2. ", "III. ",
   "Step 3: ", "Q: ", "一、", and a section number before a capital: "2.1 The
   Basics"), spacing is collapsed and the first letter is capitalised:
   "First, how to deal with it?" becomes "How to deal with it?".
3. **Questions about the document's name.** The name is the first part of its
   title (cut at ``" - "``, ``": "``, ``" ("`` and the like), or else its file
   name without the type (``urllib3.md`` -> ``urllib3``); it must be a few
   words (at most `MAX_NAME_WORDS`) without markup, and not a generic section
   word such as "Introduction" or "README". Then "What is <name>?", and each
   heading of a common kind turned into a question about the name:
   "Installation" -> "How do I install <name>?", "Features" -> "What are the
   features of <name>?", "Usage" or "Examples" -> "How do I use <name>?",
   "Requirements" -> "What does <name> require?", "Contributing" -> "How do I
   contribute to <name>?", "License" -> "What is the license of <name>?"
   (`HEADING_QUESTIONS`).
4. **Only what a person would write.** Every candidate must read as a question
   (`reads_as_question`): in English it opens (perhaps after a lead clause: "If
   I move, what...") with a question word and a verb follows ("How do I...",
   "Who pays...", "What to bring?"), or with an auxiliary and its subject ("Can
   I...", "Is it..."); a fragment such as "What about <heading>?" or "Hate Type
   Annotations!?" is not one. In Chinese it holds
   a question word (什么, 怎么, 如何, 吗, 哪...). Other headings give no question:
   there is no "What about <heading>?" fallback, so a corpus whose headings make
   no good question offers none.
5. Candidates of fewer than `MIN_WORDS` words or more than `MAX_CHARS`
   characters are skipped, and a question is kept once (case and spacing aside).

Which are offered:

6. **Asked first.** Each candidate is asked of the index with `qa.answer` (the
   call the page makes) and offered only if qa answers it (does not abstain)
   and the answer's first sentence cites a passage of the document the
   candidate was made from; for "What is <name>?" that sentence must also name
   <name> (an answer about something else, such as the site a page was copied
   from, does not make the question good). At most `ASKS_PER_EXAMPLE` x `n`
   questions are asked; asking stops when `n` are found, so fewer may be returned.
7. **Spread across documents.** The next candidate asked is the first one left
   of a document with the fewest examples so far; among those, a better rule
   first (1 before 3), then the document earlier in the index. So every
   document gets one example before any gets a second, and question headings
   are tried before made-up questions.

The result depends only on the index (its passages and how qa answers), so it
is deterministic, and the examples for a smaller `n` begin those for a larger.
"""

from __future__ import annotations

import heapq
import re
from pathlib import PurePosixPath
from typing import NamedTuple

from ..errors import QuestionError
from ..text import count_words, detect_language, squash_spaces, text_key
from ..types import DocumentHeadings

__all__ = [
    "suggest_questions",
    "candidate_questions",
    "answered_from",
    "clean_heading",
    "document_name",
    "reads_as_question",
    "ASKS_PER_EXAMPLE",
    "HEADING_QUESTIONS",
    "MAX_CHARS",
    "MAX_NAME_WORDS",
    "MIN_WORDS",
]

MAX_CHARS = 150
MIN_WORDS = 3
MAX_NAME_WORDS = 6
ASKS_PER_EXAMPLE = 3  # questions asked per example wanted, at most

_ORDINAL = r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|finally|lastly|next|then"
_PREFIX_RE = re.compile(
    rf"^(?:(?:{_ORDINAL})\s*[,:.、，]\s*"  # First, / Second: / Finally.
    r"|(?:step|part|section|chapter|article|question|q)\s*\d+\s*[:.)\-–]\s*"  # Step 3: / Q1. / Question 2:
    r"|(?:question|q)\s*[:.]\s*"  # Q: / Question:
    r"|\(?\d+(?:\.\d+)*[.)、](?!\d)\s*"  # 1. / 2) / (3) / 1.2.
    r"|\d{1,2}(?:\.\d{1,2})*\s+(?-i:(?=[A-Z]))"  # 2.1 The Basics / 1 What is it? (not "3.5 million")
    r"|\(?[a-z][.)]\s+"  # a) / (b)
    r"|[IVXLC]+[.)]\s+"  # III.
    r"|[一二三四五六七八九十百]+[、.．]\s*"  # 一、
    r"|第[一二三四五六七八九十百\d]+[章节条部分]\s*"  # 第二章
    r"|[-*•]\s+)",  # bullets
    re.IGNORECASE,
)
_TITLE_SPLIT_RE = re.compile(r"\s+[-|–—:»›]\s+")
_NAME_SPLIT_RE = re.compile(r"\s+[-|–—:»›(\[]\s*|:\s+|\s*[(\[]")
_QUESTION_END = ("?", "？")
_MARKUP_RE = re.compile(r"[<>`*|\[\]{}]|::|://|^\.\.")
_FILE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]")  # a one-word file name: urllib3, iniconfig
_FILE_SUFFIXES = (".txt", ".md", ".markdown", ".rst", ".html", ".htm", ".pdf", ".docx")
# Section words that name a part of a document, not what it is about.
GENERIC_NAMES = frozenset(
    "introduction overview readme index contents home about summary basics untitled document".split()
)

# A heading of a common kind (the whole heading, at most one word before the keyword)
# -> a question about the document's name.
HEADING_QUESTIONS: tuple[tuple[str, str], ...] = (
    (r"install(?:ation|ing)?|how to install|setup|set up", "How do I install {name}?"),
    (r"features?", "What are the features of {name}?"),
    (r"usage|using|how to use|quick ?start|getting started|examples?|tutorial", "How do I use {name}?"),
    (r"requirements|dependencies|prerequisites", "What does {name} require?"),
    (r"contributing|how to contribute|contribute", "How do I contribute to {name}?"),
    (r"licen[cs]e|licensing", "What is the license of {name}?"),
)
_HEADING_RES = tuple(
    (re.compile(rf"^(?:[\w-]+\s+)?(?:{pattern})(?:\s+[\w&/–-]+){{0,3}}$", re.IGNORECASE), template)
    for pattern, template in HEADING_QUESTIONS
)

# Candidate rules, best first (rule 7 tries a document's candidates in this order).
QUESTION, ABOUT_NAME = 1, 3

# Rule 4: how an English question opens. A question word is followed by a verb: an auxiliary
# ("How long does it take?", "What kind of benefits can I get?"), "to" at once ("What to bring?"), or,
# for a question about its subject, a verb form at once ("Who pays the fee?", "What happens if...?").
# "What if" opens a clause ("What if I move?"). The question may follow a lead clause ("If I move,
# what do I do?", "I am a student. Do I need a licence?") and a preposition ("For how long...?").
_WH_WORDS = frozenset("what how why when where who whom whose which".split())
_AUXILIARIES = frozenset(
    "is are was were am be been do does did can could will would shall should may might must have has had "
    "isn't aren't wasn't weren't don't doesn't didn't can't cannot couldn't won't wouldn't shouldn't".split()
)
_SUBJECT_WH = frozenset("who what which".split())
_TO_WITHIN = 2  # words after the question word in which "to" makes it a question ("How to apply?")
_NOT_A_VERB = frozenset("about of".split())  # "What about X?", "What of it?": fragments
_LEAD_PREPOSITIONS = frozenset("for in to from with by at on under since until after before during".split())
_CLAUSE_BREAK_RE = re.compile(r"[,.;:]\s+")
_WORD_RE = re.compile(r"[a-z]+(?:['’][a-z]+)?")
_ZH_QUESTION_RE = re.compile(
    r"什么|怎么|怎样|如何|为何|为什么|哪|谁|多少|几[个种次天年月岁]|吗|呢"
    r"|是否|能否|可否|是不是|能不能|可不可以|有没有|要不要"
)


def clean_heading(text: str) -> str:
    """A heading without its enumerating prefix, spacing collapsed, first letter capitalised.

    Examples
    --------
    >>> clean_heading("First, how do I apply?")
    'How do I apply?'
    >>> clean_heading("  2.  where is   the office? ")
    'Where is the office?'
    >>> clean_heading("2.1 The Basics")
    'The Basics'
    """
    text = squash_spaces(text.lstrip("\ufeff#"))
    for _ in range(2):  # "Step 1. First, ..." carries two prefixes
        stripped = _PREFIX_RE.sub("", text, count=1)
        if stripped == text or not stripped:
            break
        text = stripped
    return text[:1].upper() + text[1:]


def _is_question(text: str) -> bool:
    return text.endswith(_QUESTION_END)


def reads_as_question(question: str) -> bool:
    """Whether `question` reads as a question a person would write (rule 4).

    Examples
    --------
    >>> [reads_as_question(q) for q in ("How do I apply?", "Who pays the fee?", "Can I still use it?")]
    [True, True, True]
    >>> reads_as_question("If my licence is suspended, what can I do?")
    True
    >>> [reads_as_question(q) for q in ("What about Opening hours?", "Hate Type Annotations!?", "Fees?")]
    [False, False, False]
    >>> [reads_as_question(q) for q in ("离职后医保还能用吗？", "社保查询？")]
    [True, False]
    """
    question = question.strip()
    if not _is_question(question):
        return False
    if detect_language(question) == "zh":
        return bool(_ZH_QUESTION_RE.search(question))
    clauses = [question] + [question[m.end() :] for m in _CLAUSE_BREAK_RE.finditer(question)]
    return any(_opens_a_question(_WORD_RE.findall(c.lower())) for c in clauses)


def _opens_a_question(words: list[str]) -> bool:
    """Whether a clause's words (lower case) open an English question (see `reads_as_question`)."""
    if words and words[0] in _LEAD_PREPOSITIONS:  # "For how long will it be valid?"
        words = words[1:]
    if len(words) < 2:
        return False
    first, rest = words[0], words[1:]
    if first in _AUXILIARIES:  # "Can I...", "Is it...": a subject follows
        return rest[0] not in _AUXILIARIES
    head, _, contraction = first.replace("’", "'").partition("'")
    if head not in _WH_WORDS:
        return False
    if contraction in ("s", "re", "ll", "d", "ve"):  # "What's new in 2.0?"
        return True
    if rest[0] in _NOT_A_VERB:
        return False
    if head == "what" and rest[0] == "if":  # "What if I move?": a clause follows
        return len(rest) >= 3
    if any(w in _AUXILIARIES for w in rest) or "to" in rest[:_TO_WITHIN]:
        return True
    return head in _SUBJECT_WH and rest[0].endswith(("s", "ed")) and not rest[0].endswith("ss")


def _usable(heading: str) -> bool:
    """A heading that can be put in a question: some letter, no markup or link."""
    return any(c.isalpha() for c in heading) and not _MARKUP_RE.search(heading)


def _title_parts(title: str) -> list[str]:
    """The parts of a title, question parts first: ``"Site - Topic - Can I?"`` -> ["Can I?", "Topic", "Site"]."""
    parts = [p.strip() for p in _TITLE_SPLIT_RE.split(title) if p.strip()]
    return [p for p in reversed(parts) if _is_question(p)] + [p for p in reversed(parts) if not _is_question(p)]


def _is_name(text: str) -> bool:
    return (
        1 <= count_words(text) <= MAX_NAME_WORDS
        and _usable(text)
        and len(text) >= 2
        and not text.endswith((".", "?", "!", "。", "？", "！"))
        and text.lower().removeprefix("the ") not in GENERIC_NAMES
    )


def document_name(title: str, source: str = "") -> str:
    """What a document is about, for "What is <name>?": the first part of its title, else its
    one-word file name; empty if neither is a short name without markup (rule 3).

    Examples
    --------
    >>> document_name("dateutil - powerful extensions to datetime")
    'dateutil'
    >>> document_name('<h1 align="center">', "docs/urllib3.md")
    'urllib3'
    >>> document_name("Introduction (libffi: the portable foreign function interface library)", "libffi-intro.html")
    ''
    """
    name = _NAME_SPLIT_RE.split(squash_spaces(title), maxsplit=1)[0].rstrip(" .:;,")
    if _is_name(name):  # as written: "urllib3" stays lower-case
        return name
    stem = PurePosixPath(source.replace("\\", "/")).name
    while stem.lower().endswith(_FILE_SUFFIXES):
        stem = stem[: stem.rfind(".")]
    if _FILE_NAME_RE.fullmatch(stem) and _is_name(stem):
        return stem
    return ""


def _about_name(name: str, headings: list[str]) -> list[str]:
    """Rule 3: "What is <name>?" and the section headings of a common kind as questions about the name."""
    if not name:
        return []
    out = [f"{name}是什么？" if detect_language(name) == "zh" else f"What is {name}?"]
    for heading in headings:
        body = heading.rstrip(" .:;,!")
        if detect_language(body) != "en" or _key(body) == _key(name):  # "Memory Usage" is not about usage
            continue
        for pattern, template in _HEADING_RES:
            if pattern.match(body):
                out.append(template.format(name=name))
                break
    return out


MAX_HEADINGS = 10_000  # (document, heading) pairs read, at most: a million-passage corpus is not read whole
MAX_PASSAGES = 200_000  # passages whose document and section numbers are read, at most


def _documents(index) -> list[DocumentHeadings]:
    """The documents of the index, in index order, each with its distinct headings (within the limits)."""
    return index.document_headings(MAX_PASSAGES, MAX_HEADINGS)


_key = text_key  # questions the same but for case and spacing


class _Candidate(NamedTuple):
    rule: int
    question: str
    subject: str = ""  # for "What is <name>?": the name its answer must say (rule 6)


def _candidates(document: DocumentHeadings) -> list[_Candidate]:
    """The candidates of one document, in the order they are tried (rules 1 to 5)."""
    headings = [clean_heading(h) for h in document.headings if h]
    parts = [clean_heading(p) for p in _title_parts(document.title)] if document.title else []
    questions = [h for h in headings if _is_question(h)] + [p for p in parts if _is_question(p)]
    name = document_name(document.title, document.source)
    sections = [h for h in headings if not _is_question(h)]
    about = _about_name(name, sections)
    ranked = [_Candidate(QUESTION, q) for q in questions]
    ranked += [_Candidate(ABOUT_NAME, q, name if i == 0 else "") for i, q in enumerate(about)]
    out, keys = [], set()
    for c in ranked:
        key = _key(c.question)
        if (
            key not in keys
            and len(c.question) <= MAX_CHARS
            and count_words(c.question) >= MIN_WORDS
            and reads_as_question(c.question)
        ):
            keys.add(key)
            out.append(c)
    return out


def candidate_questions(index) -> dict[str, tuple[str, ...]]:
    """Each document's candidate example questions (rules 1 to 5), before any is asked.

    Parameters
    ----------
    index : qa.index.protocol.SearchIndex
        Its documents and headings are read with `SearchIndex.document_headings`.

    Returns
    -------
    dict of str to tuple of str
        Document id -> its candidates in the order they would be asked, for the
        documents that have any, in index order.
    """
    out = {}
    for document in _documents(index):
        questions = tuple(c.question for c in _candidates(document))
        if questions:
            out[document.doc_id] = questions
    return out


def answered_from(result, doc_id: str, subject: str = "") -> bool:
    """Whether `result` (a `qa.Answer`) answers, its first sentence citing a passage of `doc_id`
    (and naming `subject`, when one is given: case and spacing aside)."""
    if result is None or result.abstained or not result.sentences:
        return False
    first = result.sentences[0]
    if subject and _key(subject) not in _key(first.text):
        return False
    return 1 <= first.rank <= len(result.hits) and result.hits[first.rank - 1].passage.doc_id == doc_id


def suggest_questions(index, n: int = 4) -> tuple[str, ...]:
    """Up to `n` example questions that qa answers from the documents they were drawn from.

    Parameters
    ----------
    index : qa.Index
        The index the questions will be asked of.
    n : int, default=4
        How many to return at most.

    Returns
    -------
    tuple of str
        Questions made from the documents' headings and titles (rules 1 to 5
        of this module), each asked of `index` with `qa.answer` and kept only
        if answered from its own document (rule 6), spread across documents
        (rule 7), in the order found. Fewer than `n` (or none) when too few of
        the `ASKS_PER_EXAMPLE` x `n` asked are answered.
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    from .summarize import answer

    documents = _documents(index) if n else []
    queues = [_candidates(d) for d in documents]
    # One heap entry per document with candidates left: (examples so far, rule of its next
    # candidate, document order, position in its queue). Only the popped document's key changes.
    heap = [(0, q[0].rule, i, 0) for i, q in enumerate(queues) if q]
    heapq.heapify(heap)
    answers: dict[str, object] = {}  # one ask per distinct question, whichever document it came from
    found: list[str] = []
    taken: set[str] = set()
    budget = ASKS_PER_EXAMPLE * n
    while heap and len(found) < n:
        count, _, i, at = heapq.heappop(heap)
        candidate = queues[i][at]
        question = candidate.question
        key = _key(question)
        if key not in taken:
            if key not in answers:
                if budget == 0:
                    break
                budget -= 1
                try:
                    answers[key] = answer(index, question)
                except QuestionError:  # no searchable word
                    answers[key] = None
            if answered_from(answers[key], documents[i].doc_id, candidate.subject):
                found.append(question)
                taken.add(key)
                count += 1
        if at + 1 < len(queues[i]):
            heapq.heappush(heap, (count, queues[i][at + 1].rule, i, at + 1))
    return tuple(found)
