"""Named features of an answer unit, each computed by a rule you can read.

An answer unit is a span of a top passage that could be the answer: every unit
`qa.answering.units` finds (sentences, list items, definitions, table rows, code after a
lead-in; `qa.answering.summarize.answer_units`). `unit_features` gives every unit one row
of `FEATURES`, in that order; `qa.answering.scoring` weighs them with the weights fitted by
``bench/fit_answer.py`` (``make fit``) and shipped in ``answer_weights.json``.

=====================  ==========================================================================
feature                value
=====================  ==========================================================================
``coverage``           share of the question's evidence weight (IDF, `evidence_weights`) the unit holds
``context``            share more held by its context (section heading path, title, the unit before)
``heading_question``   the heading over the unit (or the unit before) is a question holding at
                       least half of this question's weight (a FAQ entry: "Who maintains ftfy?")
``proximity``          how close the matched words stand: matched terms over the shortest window
                       of words holding them all (1 = side by side; 0 with fewer than 2 matched)
``novelty``            share of the unit's words that are not the question's: what it adds
``restates``           the unit adds almost nothing (novelty below 0.25): it restates the question
``echo``               share of the question's own words (function words too) the unit repeats
``pairs``              share of the question's adjacent word pairs the unit repeats
``type_held``          the question asks for a type of answer (`answer_type`) and the unit holds
                       one that the question itself does not
``type_missing``       the question asks for a type the unit does not hold
``cue``                the wider question type's cue (`qa.answering.summarize.QUESTION_TYPES`)
``focus``              the unit names the noun of "which/what <noun> ..." or says "X is" for "What is X?"
``is_question``        the unit is itself a question (ends with "?")
``short``              fewer than 4 words
``log_words``          log(1 + words) / 4
``pronoun``            opens with a pronoun (it, this, they ...): about what the unit before named
``lead_in``            ends with ":" (a lead-in announces its answer: the unit holding both is it)
``rank``               1 / the passage's rank
``passage_score``      the passage's score over the best passage's
``passage_coverage``   share of the question's evidence weight the passage holds
``same_document``      the unit is in the best passage's document
``first``              the passage's first unit (or one starting where it starts: a lead-in's code unit)
``position``           index of the unit in its passage over the passage's unit count
``kind_item``          the unit is a list item (also ``kind_definition``, ``kind_row``,
                       ``kind_code``; a sentence is all four 0)
``chinese``            the unit is Chinese
``coverage_chinese``   coverage, for a Chinese unit (paraphrased Chinese questions match fewer words)
``rules``              the unit's score by the documented rules that came before the fit (evidence
                       share, type bonus, not-answers, echo and rank: rules 2 and 3 of
                       `qa.answering.summarize`): the fit starts from them and moves as far as
                       the sets it is fitted on pull it
``unit_evidence``      the evidence the unit holds as the abstention rule reads it: its share of
                       the question's evidence weight in running text (a code unit's lead-in, a
                       row's own cells), plus 0.15 when it shows what the question type asks for
=====================  ==========================================================================

``holds_word``         the unit holds a word of the question (one opening with a pronoun: or the unit
                       before it does, as the rules read it): only such a unit is shown

``rules``, ``unit_evidence`` and ``holds_word`` are filled by `qa.answering.summarize.score_units`, where the
rules live; `unit_features` leaves them 0.

Answer types (`answer_type`, English and Chinese): ``who`` (a person or organisation),
``when`` (a date or time), ``quantity`` ("how many/much": a number in digits or words,
thirteen to nineteen included), ``where`` (a place, path, URL or file), ``code`` ("which
option/command/flag/variable/file": a code token), ``definition`` ("what does X mean", "what
is X": a definition), or ``""`` (none asked).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..text import Analyzer, count_words, has_han

__all__ = [
    "FEATURES",
    "AnswerUnit",
    "QuestionView",
    "answer_type",
    "holds_type",
    "question_view",
    "unit_features",
    "word_sequence",
]


FEATURES = (
    "coverage",
    "context",
    "heading_question",
    "proximity",
    "novelty",
    "restates",
    "echo",
    "pairs",
    "type_held",
    "type_missing",
    "cue",
    "focus",
    "is_question",
    "short",
    "log_words",
    "pronoun",
    "lead_in",
    "rank",
    "passage_score",
    "passage_coverage",
    "same_document",
    "first",
    "position",
    "kind_item",
    "kind_definition",
    "kind_row",
    "kind_code",
    "chinese",
    "coverage_chinese",
    "rules",
    "unit_evidence",
    "holds_word",
)


@dataclass(frozen=True)
class AnswerUnit:
    """A candidate answer: verbatim text of a hit's passage, with where it stands.

    Attributes
    ----------
    text : str
        A substring of ``hit.passage.text``.
    kind : str
        One of `qa.answering.units.UNIT_KINDS`.
    rank : int
        The hit's rank (1-based).
    start, end : int
        Offsets of `text` in the source document.
    position : int
        Index of the unit among its passage's units.
    count : int
        How many units the passage has.
    before : str
        The unit before it in the passage ("" for the first).
    section : str
        The passage's section heading.
    title : str
        The document's title.
    doc : str
        The source file (one topic: a file).
    doc_id : str
        The document the offsets index (a file, or one record of a JSONL corpus): two units overlap
        only in one document.
    spans : tuple of (int, int)
        The unit's source pieces (`qa.answering.units.Unit.spans`; empty: ``(start, end)``).
    lines : tuple of str
        The block kind of each line of `text` (`qa.answering.units.Unit.lines`).
    """

    text: str
    kind: str
    rank: int
    start: int
    end: int
    position: int
    count: int
    before: str
    section: str
    title: str
    doc: str
    spans: tuple = ()
    lines: tuple = ()
    doc_id: str = ""


# ----------------------------------------------------------------------------- answer types

_I = re.IGNORECASE
_TEENS = "thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
NUMBER_WORDS = (
    rf"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|{_TEENS}|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|half|dozens?|twice|once|single|"
    r"double|triple|percent|several|none"
)
_ZH_DIGITS = "〇零一二两三四五六七八九十百千万亿半"

_Q_TYPES = (  # (type, question pattern): the first match wins
    (
        "quantity",
        re.compile(
            r"\bhow (?:many|much|long|large|big|high|far|old|fast|often)\b|\bwhat (?:percentage|proportion|amount|"
            r"number|price|cost|fee|rate|size|limit|maximum|minimum)\b|\bnumeric\b|多少|几[天周个年月次成岁]|多久|多长|比例|"
            r"金额|多大|多高|多远|最长|最多|至少|最少",
            _I,
        ),
    ),
    (
        "when",
        re.compile(
            r"\bwhen\b|\bwhat (?:time|year|date|day|month|century|decade)\b|\bwhich (?:year|date|day|month|century)\b|"
            r"\bhow soon\b|\bsince (?:when|which)\b|什么时候|什么时间|何时|哪天|哪一天|哪年|哪一年|几号|几月|日期",
            _I,
        ),
    ),
    (
        "who",
        re.compile(
            r"\bwho(?:m|se)?\b|\b(?:which|what) (?:person|people|office|department|unit|agency|organi[sz]ation|company|"
            r"body|group|team|authority)\b|谁|(?:哪个|哪些|什么)(?:单位|部门|机构|人)",
            _I,
        ),
    ),
    (
        "where",
        re.compile(
            r"\bwhere\b|\b(?:what|which) (?:place|city|country|location|address|region|state|town|directory|folder|"
            r"path|url|site|website)\b|哪里|哪儿|在哪|去哪|何处|什么地方|(?:哪个|什么)(?:地方|城市|地址|目录)",
            _I,
        ),
    ),
    (
        "code",
        re.compile(
            r"\b(?:which|what) (?:\w+ )?(?:option|options|flag|flags|command|commands|switch|argument|parameter|"
            r"variable|setting|function|method|file|files|key|field|module|package|keyword)\b|"
            r"\bwhat (?:do|should|can) i (?:run|type|use|set|pass|call)\b|哪个(?:命令|参数|选项|文件|变量)|什么(?:命令|参数|选项)",
            _I,
        ),
    ),
    (
        "definition",
        re.compile(
            r"\bwhat does\b.{1,60}\b(?:mean|stand for)\b|\bstands? for\b|\bshort for\b|\bmeaning of\b|"
            r"^\s*what (?:is|are) (?:an? |the )?[\w.+/-]+(?: [\w.+/-]+)?\s*\?*\s*$|是什么意思|是指什么|什么是|的含义|全称",
            _I,
        ),
    ),
)

_UNIT_TYPES = {
    "quantity": re.compile(
        rf"\d|[$€£¥%％]|\b(?:{NUMBER_WORDS})\b|[{_ZH_DIGITS}]+\s*[个日天周月年元次倍岁%]|百分之", _I
    ),
    "when": re.compile(
        r"\b1\d{3}\b|\b20\d{2}\b|\b\d{1,2}:\d{2}\b|\b\d+(?:st|nd|rd|th)\b|\b(?:january|february|march|april|may|"
        r"june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|"
        r"saturday|sunday|today|tomorrow|yesterday|daily|weekly|monthly|annually|century|decade|"
        r"(?:before|after|until|since|within|during)\s+\w+)\b|"
        rf"[\d{_ZH_DIGITS}]+\s*(?:年|月|日|号|时)|之前|之后|以前|以后|之日起|期间|当月|当日",
        _I,
    ),
    "who": re.compile(
        r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][a-z]+)*|\b(?:I'm|I am|we are)\b|"
        r"(?i:\b(?:office|agency|department|bureau|employer|company|authority|government|committee|council|"
        r"ministry|court|organi[sz]ation|foundation|institution|association|university|team|maintainer|"
        r"maintainers|author|authors|developer|developers|steward|manager|staff|board|commission|person|"
        r"people|individuals?)\b)|单位|部门|机构|公司|中心|政府|个人|本人|委员会|基金|经办",
        0,
    ),
    "where": re.compile(
        r"https?://\S+|www\.\S+|(?:^|\s)[~.]?/[\w.-]+(?:/[\w.-]*)*|\b[\w-]+\.(?:txt|md|py|json|yaml|yml|toml|cfg|"
        r"ini|conf|html|pdf|exe|sh|xml|csv|log)\b|\b(?:in|at|to|from|near)\s+(?:the\s+)?[A-Z][a-z]+|"
        r"(?i:\b(?:street|office|center|centre|city|country|located|location|address|building|floor|room|"
        r"directory|folder|website|site|online|page|portal)\b)|所在地|地方|街道|社区|中心|窗口|地址|网站|目录",
        0,
    ),
    "code": re.compile(
        r"(?:^|\s)--?[A-Za-z][\w-]*|`[^`]+`|\b\w+\(\)|\b[a-z]+_[a-z_]+\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|"
        r"\b\w+\.\w+\.\w+\b|\$ \w+|\b[a-z]+[A-Z]\w+\b|(?:^|\s)[a-z][\w-]* (?:--?[a-z]|[a-z]+ [a-z]+=)"
    ),
    "definition": re.compile(
        r"\b(?:is|are|means|mean|refers? to|stands? for|short for|defined as|is called)\b|:\s|是指|是|指|即|称为|简称|全称",
        _I,
    ),
}


def answer_type(question: str) -> str:
    """The type of answer a question asks for: ``who``, ``when``, ``quantity``, ``where``, ``code``,
    ``definition``, or ``""``.

    The first pattern (in that order: quantity, when, who, where, code, definition) that the
    question matches wins: "How many days ...?" asks a quantity, "When ...?" a date.

    Examples
    --------
    >>> answer_type("How many days of parental leave do employees receive?")
    'quantity'
    >>> answer_type("Who maintains ftfy?"), answer_type("Which option turns off colour?")
    ('who', 'code')
    >>> answer_type("失业金最多能领多久？"), answer_type("Is it free?")
    ('quantity', '')
    """
    for name, pattern in _Q_TYPES:
        if pattern.search(question):
            return name
    return ""


def holds_type(kind: str, text: str, question: str = "") -> bool:
    """Whether `text` holds an answer of type `kind` (`answer_type`) that `question` does not already say.

    Examples
    --------
    >>> holds_type("quantity", "Employees receive seventeen days of parental leave.")
    True
    >>> holds_type("quantity", "Requests are sent to the Lantern Office on the second floor.")
    False
    >>> holds_type("when", "Version 2 was released in March 2021."), holds_type("who", "it is run by hand")
    (True, False)
    """
    pattern = _UNIT_TYPES.get(kind)
    if pattern is None:
        return False
    q = question.lower()
    return any(m.group().strip().lower() not in q for m in pattern.finditer(text))


# ----------------------------------------------------------------------------- the question, read once

WORD_ANALYZER = Analyzer(stem=False, stop_words=False, chinese="words")  # words as written, stop words kept
_NOT_RE = re.compile(r"n[’']t\b")
PRONOUN_RE = re.compile(
    r"^\W*(?:it|its|it's|it’s|this|these|they|their|he|his|she|her|that|those|such)\b|^\W*(?:它|他|她|其|该|此)", _I
)


# Past forms of common irregular verbs, read as the verb for echoes ("Who wrote" / "written by").
_IRREGULAR = {
    form: base
    for base, forms in {
        "be": "was were been",
        "begin": "began begun",
        "break": "broke broken",
        "bring": "brought",
        "build": "built",
        "buy": "bought",
        "choose": "chose chosen",
        "come": "came",
        "do": "did done",
        "draw": "drew drawn",
        "drive": "drove driven",
        "eat": "ate eaten",
        "fall": "fell fallen",
        "find": "found",
        "fly": "flew flown",
        "forget": "forgot forgotten",
        "get": "got gotten",
        "give": "gave given",
        "go": "went gone",
        "grow": "grew grown",
        "have": "had",
        "hold": "held",
        "keep": "kept",
        "know": "knew known",
        "lead": "led",
        "leave": "left",
        "lose": "lost",
        "make": "made",
        "mean": "meant",
        "meet": "met",
        "pay": "paid",
        "run": "ran",
        "say": "said",
        "see": "saw seen",
        "sell": "sold",
        "send": "sent",
        "speak": "spoke spoken",
        "spend": "spent",
        "take": "took taken",
        "teach": "taught",
        "tell": "told",
        "think": "thought",
        "win": "won",
        "write": "wrote written",
        "rise": "rose risen",
        "fight": "fought",
        "seek": "sought",
        "stand": "stood",
        "understand": "understood",
        "become": "became",
        "feel": "felt",
        "hear": "heard",
        "sit": "sat",
    }.items()
    for form in forms.split()
}


def word_sequence(text: str) -> list[str]:
    """The words of `text` in order, lowercased, "n't" read as "not" and an irregular past form as its
    verb ("Who wrote" echoes "was written by"); Chinese cut into words."""
    if has_han(text):
        return [w for w, _, _ in WORD_ANALYZER.words(text)]
    return [_IRREGULAR.get(w, w) for w in re.findall(r"\w+", _NOT_RE.sub(" not", text.lower()))]


def word_pairs(words: list[str]) -> set[tuple[str, str]]:
    """Adjacent word pairs, those of two stop words left out ("of the")."""
    return {(a, b) for a, b in zip(words, words[1:]) if not (WORD_ANALYZER.is_stop(a) and WORD_ANALYZER.is_stop(b))}


@dataclass(frozen=True)
class QuestionView:
    """What the features need of a question, computed once per question (`question_view`)."""

    text: str
    weight: dict  # term id -> evidence weight
    total: float  # the question's total evidence weight, unknown words included
    words: frozenset  # its own words (function words too)
    content: frozenset  # its content words (no stop words)
    pairs: frozenset
    kind: str  # `answer_type`
    cues: tuple  # the wider question types' cue patterns
    focus: object  # a pattern naming the "which <noun>" phrase or "X is", or None


def question_view(index, query, cues=(), focus=None, defined: str | None = None) -> QuestionView:
    """Read a parsed question (`qa.answering.search.parse_question`) once for `unit_features`.

    Parameters
    ----------
    index : Index
    query : Query
    cues : sequence of re.Pattern
        The cue patterns of the question's wider types (`qa.answering.summarize.QUESTION_TYPES`).
    focus : re.Pattern, optional
        The noun phrase of a "which/what <noun> ..." question.
    defined : str, optional
        X of a "What is X?" question: a unit saying "X is ..." names the focus.
    """
    if defined:
        focus = re.compile(rf"^\W*(?:the\s+)?{re.escape(defined)}\s*(?:\([^)]*\)\s*)?(?:is|are|means|stands for|:)", _I)
    seq = word_sequence(query.text)
    return QuestionView(
        text=query.text,
        weight=dict(zip(query.term_ids, query.idf)),
        total=query.total_idf or 0.0,
        words=frozenset(seq) or frozenset({""}),
        content=frozenset(w for w in seq if not WORD_ANALYZER.is_stop(w)),
        pairs=frozenset(word_pairs(seq)),
        kind=answer_type(query.text),
        cues=tuple(cues),
        focus=focus,
    )


# ----------------------------------------------------------------------------- the features


def _share(q: QuestionView, ids) -> float:
    return sum(q.weight[t] for t in ids) / q.total if q.total else 0.0


def _proximity(q: QuestionView, seq: list) -> float:
    """Matched distinct terms over the shortest window of terms holding them all (0 below 2 matched)."""
    wanted = {t for t in seq if t in q.weight}
    if len(wanted) < 2:
        return 0.0
    need, have, best, left = len(wanted), {}, len(seq), 0
    for right, t in enumerate(seq):
        if t in wanted:
            have[t] = have.get(t, 0) + 1
        while len(have) == need:
            best = min(best, right - left + 1)
            lt = seq[left]
            if lt in have:
                have[lt] -= 1
                if not have[lt]:
                    del have[lt]
            left += 1
    return need / best


def unit_features(index, q: QuestionView, units, hits, terms: dict | None = None) -> np.ndarray:
    """One row of `FEATURES` per unit.

    Parameters
    ----------
    index : Index
        Its analyzer and vocabulary make the terms (so "reimbursed" matches "reimbursement").
    q : QuestionView
    units : sequence of AnswerUnit
    hits : sequence of Hit
        The hits the units come from (their ranks, scores and coverage).
    terms : dict, optional
        A cache of each text's term ids in order (text -> list), shared with the rules' scoring of
        the same units so each text is analysed once per question.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(units), len(FEATURES))``, float64.
    """
    by_rank = {h.rank: h for h in hits}
    top = hits[0] if hits else None
    top_score = top.score if top is not None and top.score > 0 else 1.0
    top_doc = top.passage.source if top is not None else None
    terms = {} if terms is None else terms  # text -> term ids: a unit's text is the next unit's "before"
    analyze, vocabulary = index.analyzer.terms_with_spans, index.vocabulary

    def term_ids(text: str) -> list:
        got = terms.get(text)
        if got is None:
            got = terms[text] = [vocabulary.get(t) for t, _, _ in analyze(text)]
        return got

    out = np.zeros((len(units), len(FEATURES)))
    col = {name: i for i, name in enumerate(FEATURES)}
    first_start: dict = {}
    for u in units:
        key = (u.rank, u.doc)
        first_start[key] = min(first_start.get(key, u.start), u.start)
    for r, u in enumerate(units):
        row = out[r]
        seq = term_ids(u.text)
        own = set(seq)
        held = [t for t in q.weight if t in own]
        coverage = _share(q, held)
        ctx = set(term_ids(f"{u.section}\n{u.title}"))
        if u.before:
            ctx |= set(term_ids(u.before))
        row[col["coverage"]] = coverage
        row[col["context"]] = _share(q, [t for t in q.weight if t in ctx and t not in own])
        heading = u.section.strip()
        asked = [h for h in (heading, u.before) if h.rstrip().endswith(("?", "？"))]
        if asked and q.total:
            best = max(_share(q, [t for t in q.weight if t in set(term_ids(h))]) for h in asked)
            row[col["heading_question"]] = float(best >= 0.5)
        row[col["proximity"]] = _proximity(q, seq)
        words = word_sequence(u.text)
        wset = set(words)
        content = [w for w in words if not WORD_ANALYZER.is_stop(w)]
        novelty = sum(w not in q.content for w in content) / len(content) if content else 0.0
        row[col["novelty"]] = novelty
        row[col["restates"]] = float(novelty < 0.25)
        asks = u.text.rstrip().endswith(("?", "？"))
        if not asks:
            row[col["echo"]] = len(wset & q.words) / len(q.words)
            if q.pairs:
                row[col["pairs"]] = len(word_pairs(words) & q.pairs) / len(q.pairs)
        if q.kind:
            held_type = (
                holds_type(q.kind, u.text, q.text)
                or (q.kind == "code" and u.kind == "code")
                or (q.kind == "definition" and u.kind == "definition")
            )
            row[col["type_held"]] = float(held_type)
            row[col["type_missing"]] = float(not held_type)
        ql = q.text.lower()
        row[col["cue"]] = float(any(m.group().lower() not in ql for c in q.cues for m in c.finditer(u.text)))
        row[col["focus"]] = float(q.focus is not None and bool(q.focus.search(u.text)))
        row[col["is_question"]] = float(asks)
        n_words = count_words(u.text)
        row[col["short"]] = float(n_words < 4)
        row[col["log_words"]] = math.log1p(n_words) / 4
        row[col["pronoun"]] = float(bool(PRONOUN_RE.match(u.text)))
        row[col["lead_in"]] = float(u.text.rstrip().endswith((":", "：")))
        hit = by_rank.get(u.rank)
        row[col["rank"]] = 1.0 / max(u.rank, 1)
        if hit is not None:
            row[col["passage_score"]] = max(hit.score, 0.0) / top_score
            row[col["passage_coverage"]] = hit.coverage
        row[col["same_document"]] = float(u.doc == top_doc)
        row[col["first"]] = float(u.start <= first_start[(u.rank, u.doc)])  # a code unit holds its lead-in
        row[col["position"]] = u.position / max(u.count, 1)
        if u.kind != "sentence" and f"kind_{u.kind}" in col:
            row[col[f"kind_{u.kind}"]] = 1.0
        if has_han(u.text):
            row[col["chinese"]] = 1.0
            row[col["coverage_chinese"]] = coverage
    return out
