"""The rule-derived summary: 1-3 answer units copied verbatim from the top passages.

A fixed, documented formula whose weights are set by measurement (issue 22):

1. **Candidates.** Every answer unit (`qa.answering.units`: sentences of running text, list
   items, definitions, table rows, a lead-in with the code after it) of the top `N_PASSAGES`
   hits that mention every name of the question (rule 7), with its offsets into the source
   (`answer_units`). A question asking for a version keeps only units that give one (a number
   with a dot, "v2", "3.10+"), one asking for a number ("how many", "what percentage") only
   units holding one (digits or words).
2. **The rules' score** (`_candidates`; the ``rules`` feature). A unit's base score is the share
   of the question's evidence weight it holds: the sum of ``evidence_weights`` (IDF against a
   padded corpus, `qa.answering.search.evidence_weights`) of the question terms it contains,
   over the question's total, unknown words included; the index's own analyzer makes the terms,
   so "reimbursed" matches "reimbursement"; a unit opening with a pronoun ("It's the ...") also
   holds the terms of the unit before it. It gains `TYPE_BONUS` when it shows what the question
   type asks for (rule 3), names the noun of "which/what <noun>" or says "X is" for "What is
   X?"; a unit that is itself a question keeps `QUESTION_FACTOR` of its score, one of fewer than
   4 words loses `SHORT_PENALTY`, a lead-in ending in ":" `LEAD_IN_PENALTY` (its code unit holds
   both); it gains ``ECHO_BONUS`` times the share of the question's own words it repeats
   (function words too; "n't" reads as "not", irregular past forms as their verb),
   ``PHRASE_BONUS`` times the share of its adjacent word pairs, and ``RANK_BONUS * hit.score /
   best_hit.score``. The *evidence* of a unit (the ``unit_evidence`` feature) is its share read in
   running text (a code unit's lead-in, a row's own cells), plus `TYPE_BONUS` with the type's cue.
3. **Question type** (the ``cue`` and ``focus`` features). Words in the question pick a type, and a unit showing
   the kind of content that type asks for has the ``cue`` feature:

   ===========  ==========================================  =====================================
   type         question says                               sentence shows
   ===========  ==========================================  =====================================
   who          who, whom, whose, which office/unit/...     an office or body, a person, a Name
   when         when, what year/date/time, which year       a year, month, day, date or era word
   how long     how long, how many days/months/...          a duration, a limit, "until", "only"
   how much     how much/many, what amount/percentage       a number, amount or share; for "how
                                                            many X", a number before X
   where        where, what place/city/country              a place word, "in/at/to" + a Name
   what if      what happens, what if, if I ...             a consequence: if, will, lead to
   needs        what documents/materials do I need, bring   things to bring: certificate, card, ID
   how to       how do/can/should I, how to, what steps     steps: a numbered item, take, go, apply
   why          why, what is the reason                     because, since, due to, so that
   stands for   stand for, short for, what does X mean      "stands for", "means", Capitalised
                                                            Words In A Row
   ===========  ==========================================  =====================================

   A "which/what <noun>" question takes its type from its own words only
   ("Which environment variable tells libffi where ..." does not ask where), and
   a sentence naming that noun phrase gets `TYPE_BONUS`; "What is X?" gives it
   to a sentence that says "X is ..." (or "X, ..., is").
4. **Features and the fitted score.** Each unit gets the named features of
   `qa.answering.features` (the evidence its context holds, how close the matched words stand,
   the answer type asked for and held, passage rank, score and coverage, kind, position,
   language, and the two above), and the score ``sum(weight * value)`` with the weights of
   ``answer_weights.json``, fitted across every set of the development pool by
   ``bench/fit_answer.py`` (``make fit``), starting from the rules' score alone.
   **Selection** (`qa.answering.scoring.choose`): the best unit by the fitted score first (from
   the best passage's document); then, as the rules chose: the unit after it in its passage when
   it shows what the question type asks for, and up to 3 in all by maximal marginal relevance on
   the rules' score (no near-duplicates, no overlaps, another file only holding the evidence
   alone).
5. **Confidence** is the calibrated probability that the first unit holds the answer
   (`qa.answering.scoring`, Platt scaling fitted on the pool; its reliability table is in
   docs/benchmarks.md).
6. **Abstention.** qa answers nothing, and says why, when no content word of the question is
   in the corpus (``no_match``), when a special term or an unknown acronym of the question is
   in none of the top passages (``not_mentioned``, rule 7), or (``weak_evidence``) when the
   *evidence* is below `MIN_EVIDENCE` (the mean of the best passage's share of the question's
   evidence weight and the most one unit holds, plus 0.15 when it shows what the question asks
   for), when the confidence is below the fitted threshold, or when no unit of the best
   passage's document holds a word of the question (its words stand only in a heading). The reason names what is
   missing: "No passage says when ..." from the question's answer type and its words.
   ``answer(..., explain=True)`` (``qa ask --explain``) shows every shown unit's features and
   their contributions.
7. **Names** (`distinctive_words`): words written with a capital past the
   first word, acronyms, words of letters and digits ("urllib3"), identifiers
   ("www-data", "ffi_cif") and special
   terms (a digit beside an inner "/" or ".": "HTTP/3", "3.1"). The answer is
   read from the passages that mention them all (their terms among the
   passage's matched terms, or the word itself in its text, section, title or
   file name), when some do. A special term, or an acronym of 3+ letters that
   the corpus does not hold at all, that none of the top passages mentions
   means the documents are about something else: "Does HTTPX support
   HTTP/3?" is not answered about HTTP/2. Measured on SQuAD (docs/design.md): 5 of its
   1,529 unanswerable questions and none of its answerable ones abstain so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..index.index import Index
from .search import parse_question, search
from ..ingest.reading import LAYOUT_CODES, has_running_text
from .units import candidate_units
from ..text import count_words, detect_language
from ..types import Answer, Hit, Query, Sentence
from .features import (
    FEATURES,
    NUMBER_WORDS,
    PRONOUN_RE,
    WORD_ANALYZER,
    AnswerUnit,
    question_view,
    unit_features,
    word_pairs,
    word_sequence,
)
from .scoring import (
    MIN_EVIDENCE,
    Model,
    answers,
    calibration_inputs,
    choose,
    explain as explain_values,
    load_model,
)
from .scoring import order as unit_order

__all__ = ["answer", "question_types", "N_PASSAGES", "MIN_EVIDENCE"]

N_PASSAGES = 3
UNIT_PASSAGES = 3  # the passages whose units are candidates
TYPE_BONUS = 0.15
QUESTION_FACTOR = 0.5
SHORT_PENALTY = 0.1
LEAD_IN_PENALTY = 0.1
RANK_BONUS = 0.05
ECHO_BONUS = 0.1
PHRASE_BONUS = 0.1
_RULES, _UNIT_EVIDENCE, _HOLDS_WORD = (FEATURES.index(f) for f in ("rules", "unit_evidence", "holds_word"))
_TABLE_HEAD = LAYOUT_CODES["table-head"]  # a passage holding a table's header row holds its rows

_I = re.IGNORECASE
_BODY = (
    r"office|offices|unit|units|agency|agencies|cent(?:er|re)s?|department|bureau|employer|company|authority|"
    r"government|committee|council|ministry|court|organi[sz]ation|institution|association|university|school|"
    r"team|manager|staff|board|commission|army|church|party"
)
_NAME = r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][a-z]+)*"
_PLACES = (
    r"street|office|cent(?:er|re)|city|country|community|located|location|place|region|address|site|province|"
    r"state|town|village|building|area|district|county|hospital|clinic|pharmac(?:y|ies)|bank|river|island|"
    r"coast|north|south|east|west|where"
)
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_DUR_UNITS = r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries"
_NUMWORDS = NUMBER_WORDS  # one list of number words (qa.answering.features)

# (type, question pattern, sentence pattern); the first matching question pattern wins.
QUESTION_TYPES: tuple[tuple[str, re.Pattern, re.Pattern], ...] = tuple(
    (name, re.compile(q, _I), re.compile(s, 0 if case else _I))
    for name, q, s, case in [
        (
            "how long",
            rf"\bhow long\b|\bhow many (?:{_DUR_UNITS})\b|\buntil when\b|\bfor how much time\b|\btime limit\b",
            rf"\b(?:\d+|{_NUMWORDS}|a|an)\s+(?:{_DUR_UNITS})\b|\b(?:until|limit|only|current|permanent|forever|period|"
            rf"expire[sd]?|valid|{_DUR_UNITS})\b",
            False,
        ),
        (
            "when",
            r"\bwhen\b|\bwhat (?:time|year|date|day|month|century|decade|period|era)\b|\bwhich (?:year|date|day|month|century)\b|\bhow soon\b",
            rf"\b1\d{{3}}\b|\b20\d{{2}}\b|\b\d+(?:st|nd|rd|th)\b|\b(?:{_MONTHS}|monday|tuesday|wednesday|thursday|friday|"
            rf"saturday|sunday|spring|summer|autumn|winter|century|centuries|decade|year|month|week|day|today|"
            rf"before|after|until|since|during|era|dynasty|period)\b",
            False,
        ),
        (
            "how much",
            r"\bhow (?:much|many|large|big|high|far|old|fast)\b|\bwhat (?:percentage|proportion|amount|number|price|cost|fee|rate|size)\b",
            rf"\d|[$€£¥%]|\b(?:{_NUMWORDS}|all|none|several|few)\b",
            False,
        ),
        (
            "who",
            r"\bwho(?:m|se)?\b|\b(?:which|what) (?:person|people|office|department|unit|agency|organi[sz]ation|company|body|group)\b",
            rf"\b(?:{_BODY}|he|she|they|his|her|you|yourself|themselves|himself|herself|personally|individuals?|"
            rf"person|people|king|queen|president|minister)\b|{_NAME}",
            True,
        ),
        (
            "where",
            r"\bwhere\b|\b(?:what|which) (?:place|city|country|location|address|region|state|town)\b",
            rf"(?i:\b(?:{_PLACES})\b)|\b(?:in|at|to|from|near)\s+(?:the\s+)?[A-Z][a-z]+",
            True,
        ),
        (
            "what if",
            r"\bwhat (?:happens|will happen|would happen|if)\b|\bwhat are the consequences\b|\bif i\b|\bwhat if\b",
            r"\b(?:if|will|lead|leads|led|result|results|cause|causes|otherwise|unless|consequence)\b",
            False,
        ),
        (
            "needs",
            r"\bwhat (?:documents?|materials?|papers?|certificates?|items?|things?) (?:do|should|must|shall)\b|"
            r"\bwhat (?:do|should|must) (?:i|we|you) (?:need|bring|take|prepare|submit)\b|\bneed to bring\b|"
            r"\b(?:which|what) documents?\b",
            r"\b(?:certificates?|cards?|id|documents?|forms?|passports?|proof|cop(?:y|ies)|licen[cs]e|records?|bring|take)\b",
            False,
        ),
        (
            "how to",
            r"\bhow (?:do|can|should|does|would|could|to|may)\b|\bwhat (?:steps|procedures?|should i do)\b|\bprocedure\b|\bsteps?\b|\bapply\b",
            r"^\s*(?:\d+[.)]|[-*•])\s|\b(?:take|go|bring|apply|submit|fill|visit|contact|register|handle|participate|"
            r"through|procedures?|steps?|then|can|should|must|need)\b",
            False,
        ),
        (
            "why",
            r"\bwhy\b|\bwhat (?:is|was) the reason\b|\bfor what reason\b",
            r"\b(?:because|since|due to|so that|reason|therefore|in order to|as a result)\b",
            False,
        ),
        (
            "stands for",
            r"\bstands? for\b|\bshort for\b|\babbreviat\w*|\bacronym\b|\bwhat does\b.{1,60}\bmean\b",
            r"\bstands? for\b|\bshort for\b|\babbreviat\w*|\bacronym\b|\bmeans\b|\b[A-Z][a-z]*(?:[-\s]+[A-Z][a-z]*){2,}",
            True,
        ),
    ]
)


# Chinese cues for the same types (no \\b: Chinese has no spaces between words).
_ZH_NUM = "[0-9一二两三四五六七八九十百半]+"
CHINESE_TYPES: dict[str, tuple[str, str]] = {
    "how long": (
        "多久|多长时间|多少天|几天|几周|几个月|几年|期限|有效期",
        rf"{_ZH_NUM}\s*(?:天|日|周|星期|个月|年|小时)|期限|有效|当月|当天|当年|以内|之内|暂时|永久|长期|限制|只在|直到",
    ),
    "when": (
        "什么时候|什么时间|何时|哪天|哪一天|哪年|哪一年|几号|几月|日期",
        r"\d{4}年|[0-9一二三四五六七八九十]+月|\d+日|之前|之后|以前|以后|期间|当月|下个月|本月|每月|当天|时间|日期|失效|有效",
    ),
    "how much": ("多少|几成|比例|金额|多大|多高|多远", r"\d|[%％元]|百分之|全部|一半|所有"),
    "who": (
        "谁|(?:哪个|哪些|什么)(?:单位|部门|机构|人)",
        "单位|部门|机构|公司|中心|街道|社区|政府|个人|自己|本人|你|他|她",
    ),
    "where": (
        "哪里|哪儿|在哪|去哪|何处|什么地方|(?:哪个|什么)(?:地方|城市|地址)",
        "所在地|地方|街道|社区|中心|机构|医院|诊所|药店|银行|窗口|地址|到|前往",
    ),
    "what if": (
        "会怎样|会怎么样|会有什么|什么后果|后果|影响|如果|要是|假如|万一",
        "如果|导致|造成|否则|将会|就会|会|后果|影响",
    ),
    "needs": (
        "(?:带|准备|提交|提供|携带)(?:什么|哪些)|(?:什么|哪些)(?:材料|证件|资料|证明|文件|东西)",
        "证明|身份证|证件|材料|资料|户口本|卡|复印件|照片|表格|带上|携带",
    ),
    "how to": (
        "怎么|如何|怎样|步骤|流程|方法",
        r"^\s*(?:\d+[.、)]|[一二三四五六七八九十]+、)|办理|前往|申请|提交|填写|通过|然后|按照|参加|缴纳",
    ),
    "why": ("为什么|为何|原因|怎么会", "因为|由于|所以|因此|原因|导致"),
    "stands for": ("代表什么|是什么意思|的缩写|全称", "代表|意思是|缩写|全称|简称"),
}
QUESTION_TYPES = tuple(
    (
        name,
        re.compile(f"{q.pattern}|{CHINESE_TYPES[name][0]}", q.flags),
        re.compile(f"(?:{s.pattern})|{CHINESE_TYPES[name][1]}", s.flags),
    )
    for name, q, s in QUESTION_TYPES
)


_HOW_MUCH_CUE = next(s for name, _, s in QUESTION_TYPES if name == "how much")
_COUNTED_RE = re.compile(
    r"\bhow many\s+([a-z]{3,})\b(?:\s+([a-z]{3,})\b)?", re.I
)  # the counted thing, one of two words


_WHICH_NOUN_RE = re.compile(
    r"^\W*(?:\w+\s+){0,3}?(?:which|what)\s+(?!(?:is|are|was|were|do|does|did|can|could|should|would|will|happens?|"
    r"if|about|kind|type|sort)\b)[\w-]+(?:\s+[\w-]+)?",
    re.I,
)


_AUXILIARIES = frozenset(
    "do does did is are was were be can could will would should shall may might must has have had".split()
)


def _focus(question: str):
    """For a "which/what <noun> ..." question, a pattern finding its noun phrase ("environment variable")."""
    m = _WHICH_NOUN_RE.match(question)
    if not m:
        return None
    words = re.findall(r"[\w-]+", question[m.start() : m.end()])
    words = words[words.index(next(w for w in words if w.lower() in ("which", "what"))) + 1 :]
    while words and (WORD_ANALYZER.is_stop(words[-1].lower()) or words[-1].lower() in _AUXILIARIES):
        words.pop()
    if not words or any(WORD_ANALYZER.is_stop(w.lower()) for w in words):
        return None
    return re.compile(r"\b" + r"\W+".join(re.escape(w[: max(3, len(w) - 2)]) + r"\w*" for w in words) + r"\b", re.I)


def question_types(question: str) -> tuple[str, ...]:
    """The question types a question's wording names (see the module's table), first-mentioned first."""
    found = []
    for order, (name, q, _) in enumerate(QUESTION_TYPES):
        m = q.search(question)
        if m:
            found.append((m.start(), order, name))
    # The interrogative that comes first is the question's own ("Who ... when I ..." asks who).
    focus = _WHICH_NOUN_RE.match(question)
    if focus:  # "Which environment variable tells libffi where ...": "where" is in a clause, not the question
        found = [f for f in found if f[0] <= focus.end()]
    return tuple(name for _, _, name in sorted(found)[:2])


_DEFINITION_Q_RE = re.compile(r"^\s*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<x>\w[\w .+/-]{0,40}?)\s*\?*\s*$", re.I)


def _candidates(index: Index, query: Query, hits: tuple[Hit, ...], types: tuple[str, ...], units=None, terms=None):
    """The documented rules' score of every answer unit of `hits` (rules 2 and 3), as dicts.

    `units` are `candidate_units(hits, UNIT_PASSAGES)` when already cut; `terms` caches each text's
    term ids (text -> list, as `qa.answering.features.unit_features` keeps it)."""
    terms = {} if terms is None else terms

    def term_set(text: str) -> set:
        got = terms.get(text)
        if got is None:
            got = terms[text] = [index.vocabulary.get(t) for t, _, _ in analyzer.terms_with_spans(text)]
        return set(got)

    analyzer = index.analyzer
    weight = dict(zip(query.term_ids, query.idf))
    cue_patterns = [s for name, _, s in QUESTION_TYPES if name in types]
    counted = _COUNTED_RE.search(query.text)
    if counted and "how much" in types:
        # "How many days ...?" asks for a number of days: a number before the counted word, not any number.
        thing = "|".join(re.escape(w[: max(3, len(w) - 2)]) for w in counted.groups() if w)
        cue_patterns = [c for c in cue_patterns if c is not _HOW_MUCH_CUE] + [
            re.compile(
                rf"(?:\d[\d,.]*|\b(?:{_NUMWORDS}|several|few|many|dozens|hundreds|thousands|millions))\+?"
                rf"\W+(?:[\w-]+\W+){{0,3}}?(?:{thing})",
                re.I,
            )
        ]
    top_score = hits[0].score if hits and hits[0].score > 0 else 1.0
    q_words = set(word_sequence(query.text)) or {""}
    q_pairs = word_pairs(word_sequence(query.text))
    q_lower = query.text.lower()
    out = []
    focus = _focus(query.text)
    defined = _DEFINITION_Q_RE.match(query.text)
    subject = defined.group("x") if defined else ""
    head = subject.split()[0] if len(subject.split()) > 1 and not WORD_ANALYZER.is_stop(subject.split()[0]) else None
    subject = re.escape(subject) + (f"|{re.escape(head)}" if head else "")  # "the nargs argument of f": "nargs is"
    defines = (
        re.compile(
            rf"^\W*(?:the\s+)?(?:{subject})\s*(?:\([^)]*\)\s*|,[^,]{{0,60}},\s*)?"
            r"(?:is|are|means|stands for)\b",
            re.I,
        )
        if defined
        else None
    )
    hit_of = {hit.rank: hit for hit in hits}
    prev_terms: set = set()
    prev_rank = None
    for unit in candidate_units(hits, UNIT_PASSAGES) if units is None else units:
        hit = hit_of[unit.hit_rank]
        p = hit.passage
        if unit.hit_rank != prev_rank:
            prev_terms, prev_rank = set(), unit.hit_rank
        text = unit.text
        own_terms = term_set(text)
        term_ids = own_terms
        if PRONOUN_RE.match(text):  # "It's the ..." is about what the sentence before named
            term_ids = own_terms | prev_terms
        prev_terms = own_terms
        held = [tid for tid in query.term_ids if tid in term_ids]
        coverage = sum(weight[t] for t in held) / query.total_idf if query.total_idf else 0.0
        evidence = coverage
        prose = None
        if "code" in unit.lines:  # evidence is read in running text: a code unit's lead-in, not its code
            prose = " ".join(line for line, kind in zip(text.split("\n"), unit.lines) if kind != "code")
        elif unit.kind == "row":  # and in a row's own cells: its header is context, as a heading is
            prose = "; ".join(cell.split(": ", 1)[-1] for cell in text.split("; "))
        if prose is not None:
            prose_terms = term_set(prose)
            evidence = (
                sum(weight[t] for t in query.term_ids if t in prose_terms) / query.total_idf if query.total_idf else 0.0
            )
        score = coverage
        cue = any(m.group().lower() not in q_lower for c in cue_patterns for m in c.finditer(text))
        if cue:
            score += TYPE_BONUS
        if defines is not None and defines.search(text):
            score += TYPE_BONUS  # "What is X?" is answered by "X is ..."
        elif focus is not None and focus.search(text):
            score += TYPE_BONUS  # "Which environment variable ...?" is answered by naming one
        asks = text.rstrip().endswith(("?", "？"))
        if asks:
            score *= QUESTION_FACTOR
        if count_words(text) < 4:
            score -= SHORT_PENALTY
        if text.rstrip().endswith((":", "：")):  # a lead-in announces its answer: the unit holding both is it
            score -= LEAD_IN_PENALTY
        score += RANK_BONUS * max(hit.score, 0.0) / top_score
        sequence = word_sequence(text)
        words = set(sequence)
        if not asks:  # a question echoing the question is no answer to it
            score += ECHO_BONUS * len(words & q_words) / len(q_words)
            if q_pairs:
                score += PHRASE_BONUS * len(word_pairs(sequence) & q_pairs) / len(q_pairs)
        out.append(
            {
                "text": text,
                "doc": p.source,  # a file: the lines of one corpus.jsonl are one collection, not topics
                "rank": hit.rank,
                "index": unit.position,
                "cue": cue,
                "start": unit.start,
                "end": unit.end,
                "unit": unit,
                "score": score,
                "coverage": coverage,
                "evidence": evidence,
                "held": frozenset(held),
                "words": words,
            }
        )
    # Best score first; ties to the higher-ranked passage, then the earlier sentence.
    out.sort(key=lambda c: (-c["score"], c["rank"], c["start"]))
    return out


# A word of the question that names something: capitalised past the first word, an acronym,
# or a token with an inner "/" or "." ("HTTP/3", "3.1", "requests.get").
_TOKEN_RE = re.compile(r"\w(?:[\w+-]*\w|)(?:[./]\w(?:[\w+-]*\w)?)*")
_SPECIAL_RE = re.compile(r"\w[./]\w(?<=\d.)|\d[./]\w|\w[./]\d")  # a digit beside an inner "/" or "."
_VERSION_Q_RE = re.compile(
    r"\b(?:which|what)\s+(?:[\w.-]+\s+){0,4}?(?:versions?|releases?)\s+(?:of|for|in|is|are|was|were|does|do|did|"
    r"will|can|should|must|has|have)\b|\b(?:which|what)\s+(?:[\w.-]+\s+){0,4}?(?:versions?|releases?)\s*\?",
    re.I,
)
_VERSION_RE = re.compile(r"\d+(?:\.\d+)+|\b(?:v|version\s+|release\s+)\d+\b|\b\d+\+", re.I)


_NUMBER_Q_RE = re.compile(
    r"\bhow (?:many|much)\b|\bwhat (?:percentage|proportion|amount|number|price|cost|fee|rate)\b|\bnumeric\b", re.I
)
_NUMBER_RE = re.compile(rf"\d|\b(?:{_NUMWORDS}|a dozen|several|few|many|no|none|all|both|single|once|twice)\b", re.I)


def distinctive_words(index: Index, question: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The question's names and special terms, as ``(names, required)``.

    `names` are words written with a capital past the first word, acronyms, words of letters and
    digits ("urllib3"), identifiers ("www-data", "ffi_cif") and tokens with an inner ``/`` or ``.``
    ("HTTP/3", "3.1"); stop words left out. The answer is read from passages
    that mention them all, when some do. `required` are those of them that no answer may do
    without: the special tokens, and acronyms the corpus does not contain at all (nor a spelling
    of them): a question about "HTTP/3" or the "GPL" answered from a passage about HTTP/1.1 or
    another licence would be about the nearest topic, not the one asked about.
    """
    if detect_language(question) != "en":
        return (), ()
    analyzer = index.analyzer
    names, required = [], []
    for n, m in enumerate(_TOKEN_RE.finditer(question)):
        tok = m.group()
        special = bool(_SPECIAL_RE.search(tok))
        acronym = len(tok) >= 3 and tok.isalpha() and tok.isupper()
        capital = tok[:1].isupper() and (n > 0 or acronym)
        # Coined words: "urllib3", "h2"; identifiers: "www-data", "ffi_cif".
        coined = (
            (any(ch.isdigit() for ch in tok) and any(ch.isalpha() for ch in tok)) or "_" in tok.strip("_") or "-" in tok
        )
        if not (special or capital or coined) or tok == "I" or tok in names:
            continue
        words = [w for w, _, _ in analyzer.words(tok)]
        if not special and all(analyzer.is_stop(w) for w in words):
            continue
        names.append(tok)
        unknown = (
            acronym
            and all(t not in index.vocabulary for t in analyzer.stem_words(words))
            and index.speller.correct(tok.lower()) is None
        )
        if special or unknown:
            required.append(tok)
    return tuple(names), tuple(required)


def _mentions(index: Index, word: str, hits) -> bool:
    """Whether one of `hits` mentions `word`: its terms among a hit's matched terms (names), or the
    word itself, whole, in a hit's text, section, title or file name (special terms)."""
    pattern = re.compile(rf"(?<![\w]){re.escape(word.lower())}(?![\w])")
    if not _SPECIAL_RE.search(word):
        terms = [t for t, _, _ in index.analyzer.terms_with_spans(word)]
        if terms and any(all(t in h.matched_terms for t in terms) for h in hits):
            return True
    for h in hits:
        p = h.passage
        if pattern.search(p.text.lower()) or pattern.search(f"{p.section}\n{p.title}\n{p.source}".lower()):
            return True
    return False


def prepare(index: Index, question, k: int = 5, expand: bool = False):
    """Search, then the guards that answer before any unit is scored.

    Returns
    -------
    tuple
        ``(query, hits, on_topic, refused)``: the parsed question, its hits, those of them that
        mention every name of the question (rule 7; all hits when none does), and the abstaining
        `Answer` when a guard refuses (``no_match``: no word of the question in the corpus;
        ``not_mentioned``: a special term or unknown acronym in none of the top passages), else None.
    """
    query = parse_question(index, question)
    hits = search(index, query, k=max(k, N_PASSAGES), expand=expand)
    common = dict(
        question=query.text,
        query_terms=query.words,
        corrections=query.corrections,
        language=detect_language(query.text),
    )
    if not hits:
        missing = ", ".join(query.unknown[:8])
        return (
            query,
            hits,
            (),
            Answer(
                sentences=(),
                hits=(),
                abstained=True,
                confidence=0.0,
                reason_code="no_match",
                reason=f"No word of the question appears in these documents (searched for: {missing}).",
                **common,
            ),
        )
    distinct, required = distinctive_words(index, query.text)
    unmentioned = [w for w in required if not _mentions(index, w, hits[: max(k, N_PASSAGES)])]
    if unmentioned:
        names = ", ".join(unmentioned[:6])
        return (
            query,
            hits,
            (),
            Answer(
                sentences=(),
                hits=hits[:k],
                abstained=True,
                confidence=0.0,
                reason_code="not_mentioned",
                reason=f"No passage mentions {names}: the closest passages are about something else.",
                **common,
            ),
        )
    # One topic: the answer is read from the passages that mention every name the question gives.
    on_topic = tuple(h for h in hits if all(_mentions(index, w, [h]) for w in distinct)) or hits
    return query, hits, on_topic, None


def answer(index: Index, question, k: int = 5, expand: bool = False, explain: bool = False) -> Answer:
    """Answer a question from the index: cited sentences, the passages, or a reasoned abstention.

    Parameters
    ----------
    index : Index
    question : str
    k : int, default=5
        How many passages to return with the answer.
    expand : bool, default=False
        Search with pseudo-relevance feedback (see `qa.answering.search.search`).
    explain : bool, default=False
        Fill ``Answer.explanation``: each shown unit's features and their contributions
        (`qa.answering.scoring.explain`; the best three candidates when abstaining).

    Returns
    -------
    Answer

    Raises
    ------
    QuestionError
        The question is empty, too long, or has no searchable word.
    """
    query, hits, on_topic, refused = prepare(index, question, k=k, expand=expand)
    if refused is not None:
        return refused
    common = dict(
        question=query.text,
        query_terms=query.words,
        corrections=query.corrections,
        language=detect_language(query.text),
    )
    scored = score_units(index, query, on_topic, hits)
    chosen = choose(scored.units, scored.values, scored.scores) if scored.answers else []
    explanation = (
        tuple(_explain_unit(scored, i) for i in (chosen or unit_order(scored.units, scored.scores)[:3]))
        if explain
        else ()
    )
    if not chosen:
        unknown = f" Not found anywhere: {', '.join(query.unknown[:8])}." if query.unknown else ""
        return Answer(
            sentences=(),
            hits=hits[:k],
            abstained=True,
            confidence=round(scored.confidence, 4),
            reason_code="weak_evidence",
            reason=f"{missing_reason(query, scored)} {weak_reason(scored)}{unknown}",
            explanation=explanation,
            evidence=round(scored.evidence, 4),
            **common,
        )
    units = [scored.units[i] for i in chosen]
    # Keep every cited passage among those shown, even when k is small.
    shown = hits[: max(k, max(u.rank for u in units))]
    quoted = tuple(
        Sentence(
            text=u.text,
            rank=u.rank,
            start=u.start,
            end=u.end,
            score=round(float(scored.scores[i]), 4),
            kind=u.kind,
            spans=u.spans if len(u.spans) > 1 else (),
            lines=u.lines if len(u.lines) > 1 or u.lines not in ((), ("text",)) else (),
        )
        for u, i in zip(units, chosen)
    )
    return Answer(
        sentences=quoted,
        hits=shown,
        abstained=False,
        reason=None,
        reason_code=None,
        confidence=round(scored.confidence, 4),
        explanation=explanation,
        evidence=round(scored.evidence, 4),
        **common,
    )


def weak_reason(scored) -> str:
    """Which of the three ways of abstaining on weak evidence this is, in words (rule 6)."""
    model = scored.model
    if scored.evidence < model.min_evidence:
        return (
            f"The evidence is too weak: the best passage and sentence hold {scored.evidence:.0%} of what the "
            f"question asks for (by word weight), below the {model.min_evidence:.0%} needed."
        )
    if scored.confidence < model.threshold:
        return (
            f"The best candidate is right with a probability of {scored.confidence:.0%}, below the "
            f"{model.threshold:.0%} needed."
        )
    return "No sentence of the best passage's document holds a word of the question (only its headings do)."


@dataclass(frozen=True)
class ScoredUnits:
    """The candidate units of a question with their features, scores and the confidence (`score_units`)."""

    units: tuple
    values: np.ndarray
    scores: np.ndarray
    confidence: float
    answers: bool
    evidence: float
    passage_evidence: float
    kind: str
    model: Model


def answer_units(hits, units=None) -> list[AnswerUnit]:
    """The answer units of the top `N_PASSAGES` hits (`qa.answering.units.candidate_units`, or
    `units` when already cut), with where each stands (its hit's rank, its passage's unit count,
    title and file) for the features."""
    hit_of = {h.rank: h for h in hits}
    units = candidate_units(hits, UNIT_PASSAGES) if units is None else units
    count: dict = {}
    for u in units:
        count[u.hit_rank] = count.get(u.hit_rank, 0) + 1
    out = []
    for u in units:
        p = hit_of[u.hit_rank].passage
        out.append(
            AnswerUnit(
                text=u.text,
                kind=u.kind,
                rank=u.hit_rank,
                start=u.start,
                end=u.end,
                position=u.position,
                count=count[u.hit_rank],
                before=u.before,
                section=u.section,
                title=p.title,
                doc=p.source,
                spans=u.spans,
                lines=u.lines,
                doc_id=u.doc_id,
            )
        )
    return out


def score_units(index: Index, query: Query, on_topic, hits, model: Model | None = None) -> ScoredUnits:
    """Features, scores and confidence of every candidate unit of the passages `on_topic`.

    Parameters
    ----------
    index : Index
    query : Query
    on_topic : sequence of Hit
        The hits that mention every name of the question (the units come from their best `N_PASSAGES`).
    hits : sequence of Hit
        All hits, best first (the passage evidence is read from the best `N_PASSAGES`).
    model : Model, optional
        The scoring rule; the shipped one (`qa.answering.scoring.load_model`) by default.
    """
    model = model or load_model()
    view = view_question(index, query)
    cut = candidate_units(on_topic, UNIT_PASSAGES)
    units = tuple(answer_units(on_topic, cut))
    if _VERSION_Q_RE.search(query.text):
        # A version is asked for: only a unit that gives one answers. Fixes near-topic questions answered
        # about the right thing without the version and answers that name the thing but not its version:
        # measured held out without it (bench/fit_answer.py's leave-one-set-out figures, the rule off),
        # realdocs first unit 0.833 -> 0.806 and near-topic abstained 0.750 -> 0.625, manuals near-topic
        # 0.375 -> 0.250, SQuAD first 0.677 -> 0.674; no set better without it.
        units = tuple(u for u in units if _VERSION_RE.search(u.text))
    if _NUMBER_Q_RE.search(query.text):
        # So is a number ("how many", "what percentage", "numeric"): a unit without one (digits or
        # words) does not answer. Fixes "How many ...?" answered by a unit that repeats the question's
        # words without a count: held out without it, docqa first unit 0.275 -> 0.264 and SQuAD
        # 0.677 -> 0.674 (near-topic abstained 0.033 -> 0.031); no set better without it.
        units = tuple(u for u in units if _NUMBER_RE.search(u.text))
    terms: dict = {}
    values = unit_features(index, view, units, on_topic, terms)
    # The documented rules' score and evidence of each unit (rules 2 and 3: `_candidates`) are features too.
    types = question_types(query.text)
    ruled = {(c["rank"], c["start"], c["end"]): c for c in _candidates(index, query, on_topic, types, cut, terms)}
    for i, u in enumerate(units):
        c = ruled.get((u.rank, u.start, u.end))
        if c is not None:
            values[i, _RULES] = c["score"]
            values[i, _UNIT_EVIDENCE] = min(1.0, c["evidence"] + TYPE_BONUS * c["cue"])
            values[i, _HOLDS_WORD] = float(bool(c["held"]))
    scores = model.scores(values)
    # Evidence is read in running text and in table rows under their header: a passage of code, a table
    # naming no columns or link lists holds none.
    passage_evidence = max(
        (
            h.coverage
            for h in hits[:N_PASSAGES]
            if has_running_text(h.passage) or any(k == _TABLE_HEAD for _, _, k in h.passage.layout)
        ),
        default=0.0,
    )
    inputs = calibration_inputs(scores, values, passage_evidence)
    answer_it, confidence = answers(model, inputs) if units else (False, 0.0)
    return ScoredUnits(
        units=units,
        values=values,
        scores=scores,
        confidence=confidence,
        answers=answer_it,
        evidence=float(inputs[2 + 1]),
        passage_evidence=passage_evidence,
        kind=view.kind,
        model=model,
    )


def view_question(index: Index, query: Query):
    """The question as the features read it (`qa.answering.features.question_view`), with the rules'
    readings of rule 3: the cues of its types, the "which <noun>" focus, the X of "What is X?"."""
    types = question_types(query.text)
    defined = _DEFINITION_Q_RE.match(query.text)
    return question_view(
        index,
        query,
        cues=[s for name, _, s in QUESTION_TYPES if name in types],
        focus=_focus(query.text),
        defined=defined.group("x") if defined else None,
    )


_ASKING = frozenset("how many much long often when who whom whose where which what why default".split())
_ASKED = {
    "who": "who",
    "when": "when",
    "quantity": "how many or how much",
    "where": "where",
    "code": "which command, option or name",
    "definition": "what it means",
}


def missing_reason(query: Query, scored: ScoredUnits) -> str:
    """What no passage says, in plain words, from the question's answer type and its words."""
    about = ", ".join([w for w in query.words if w.lower() not in _ASKING][:6] or query.words[:6])
    asked = _ASKED.get(scored.kind)
    if not scored.units:
        return f"No passage has a sentence about {about}."
    if asked:
        return f"No passage says {asked} about {about}."
    return f"No passage answers the question about {about}."


def _explain_unit(scored: ScoredUnits, i: int) -> dict:
    u = scored.units[i]
    return {"text": u.text, "passage": u.rank, "kind": u.kind, **explain_values(scored.model, scored.values[i])}
