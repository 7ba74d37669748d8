"""The rule-derived summary: 1-3 sentences copied verbatim from the top passages.

Rules (each is tested in ``tests/answering/test_summarize.py``):

1. **Candidates** come from `qa.answering.units.candidate_units`: every answer unit
   (a running-text sentence, a list item, a definition, a table row read with its
   header, a lead-in ending in ":" with its code or short list; never code alone, a
   heading or a list of links) of the top `N_PASSAGES` hits that mention every name
   of the question (rule 9), with its offsets into the source. Each is scored by
   the rules below as a sentence is; a code unit's code counts for its score but
   not for the evidence (rule 7: evidence is read in running text), and a unit
   sharing source text with one already chosen (a lead-in and its code unit) is
   not chosen again.
2. **Evidence.** A sentence's base score is the share of the question's
   evidence weight it holds: the sum of ``evidence_weights`` (IDF against a
   padded corpus, `qa.answering.search.evidence_weights`) of the question terms it
   contains, over the question's total, unknown words included. The index's
   own analyzer makes the terms, so "reimbursed" matches "reimbursement". A
   sentence opening with a pronoun ("It's the ...") also holds the terms of the
   sentence before it: it is about what that one named.
3. **Question type.** Words in the question pick a type, and a sentence showing
   the kind of content that type asks for gets `TYPE_BONUS`:

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
4. **Not answers.** A sentence that is itself a question (ends in "?") keeps
   only `QUESTION_FACTOR` of its score and no echo; one of fewer than 4 words
   loses `SHORT_PENALTY`; one that ends in ":" (a lead-in: what it announces
   follows it) loses `LEAD_IN_PENALTY`, so the code unit holding it and its
   command wins over it.
5. **Echo and rank.** A sentence gains ``ECHO_BONUS`` times the share of the
   question's own words (function words too: "don't have a job" echoes "have
   no job"; "n't" reads as "not", and irregular past forms as their verb, so
   "Who wrote" echoes "was written by"), ``PHRASE_BONUS`` times the share of
   the question's adjacent word pairs it repeats, and
   ``RANK_BONUS * hit.score / best_hit.score``, so sentences from
   higher-ranked passages win near-ties; exact ties go to the higher-ranked
   passage, then the earlier sentence.
6. **Selection.** One topic: the best sentence of the best passage's source
   file comes first: it is the direct answer. Up to two more follow, in score
   order, chosen by maximal marginal relevance: each must share a question
   term, score at least `KEEP_RATIO` of the best, and is ranked by
   ``score - MMR_LAMBDA * similarity`` to those chosen (word Jaccard); one with
   similarity >= `DUPLICATE_JACCARD` to a chosen sentence is a near-duplicate
   and dropped; a sentence of another file joins only when it holds the
   question's evidence on its own (coverage at least `MIN_EVIDENCE` and the
   first's). Before them, the sentence right after the direct answer in its
   passage comes second when it shows the content the question type asks
   for, even without a question word: answers often continue ("You can use an
   agency. ... all the expenses are borne by you").
7. **Abstention.** qa answers nothing, and says why, when no content word of
   the question is in the corpus (``no_match``), when a special term or an
   unknown acronym of the question is in none of the top passages
   (``not_mentioned``, rule 9), or when the *evidence* is below `MIN_EVIDENCE`
   (``weak_evidence``). Evidence is the mean of two shares of the question's
   evidence weight: the most the best of the top passages holds, and the most
   one sentence holds (plus `TYPE_BONUS` when it shows what the question type
   asks for, capped at 1). A question from another domain may share a word or
   two with a passage, but rarely most of its words, and almost never in one
   sentence. A question asking for a version ("Which Unicode version ...?") is
   answered only by a sentence that gives one (a number with a dot, "v2",
   "3.10+"), and one asking for a number ("how many", "what percentage",
   "numeric") only by a sentence holding a number (digits or words). `MIN_EVIDENCE` was set by measurement (``qa eval``, docs/design.md
   "Abstention"): at 0.38, 98% of SQuAD's answerable questions and all seed
   questions and paraphrases are answered, while 95% of the Cranfield queries
   asked of the SQuAD corpus and 99% of the SQuAD questions asked of the seed
   corpus are refused.
8. **Confidence** is the evidence, in [0, 1].
9. **Names** (`distinctive_words`): words written with a capital past the
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

from ..index.index import Index
from .search import parse_question, search
from ..ingest.reading import LAYOUT_CODES, has_running_text
from .units import candidate_units
from ..text import Analyzer, count_words, detect_language, has_han
from ..types import Answer, Hit, Query, Sentence

__all__ = ["answer", "question_types", "N_PASSAGES", "MIN_EVIDENCE"]

N_PASSAGES = 3
MAX_SENTENCES = 3
TYPE_BONUS = 0.15
QUESTION_FACTOR = 0.5
SHORT_PENALTY = 0.1
LEAD_IN_PENALTY = 0.1
RANK_BONUS = 0.05
ECHO_BONUS = 0.1
PHRASE_BONUS = 0.1
KEEP_RATIO = 0.4
MMR_LAMBDA = 0.3
DUPLICATE_JACCARD = 0.7
MIN_EVIDENCE = 0.38
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
_NUMWORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion"
    r"|half|dozen|percent"
)

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
    while words and (_WORDS.is_stop(words[-1].lower()) or words[-1].lower() in _AUXILIARIES):
        words.pop()
    if not words or any(_WORDS.is_stop(w.lower()) for w in words):
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

_NOT_RE = re.compile(r"n[’']t\b")
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
_PRONOUN_RE = re.compile(r"^\W*(?:it|its|it's|it’s|this|these|they|their|he|his|she|her|that)\b", re.I)
_WORDS = Analyzer(stem=False, stop_words=False, chinese="words")


def _sequence(text: str) -> list[str]:
    """The words of `text` in order, lowercased, "n't" read as "not" ("shouldn't" echoes "should not")."""
    if has_han(text):  # a Chinese sentence is one \w+ run: cut it into words
        return [w for w, _, _ in _WORDS.words(text)]
    return [_IRREGULAR.get(w, w) for w in re.findall(r"\w+", _NOT_RE.sub(" not", text.lower()))]


def _words(text: str) -> set[str]:
    return set(_sequence(text))


def _pairs(words: list[str]) -> set[tuple[str, str]]:
    """Adjacent word pairs, those of two stop words left out ("of the")."""
    return {(a, b) for a, b in zip(words, words[1:]) if not (_WORDS.is_stop(a) and _WORDS.is_stop(b))}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _candidates(index: Index, query: Query, hits: tuple[Hit, ...], types: tuple[str, ...]):
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
    q_words = _words(query.text) or {""}
    q_pairs = _pairs(_sequence(query.text))
    q_lower = query.text.lower()
    out = []
    focus = _focus(query.text)
    defined = _DEFINITION_Q_RE.match(query.text)
    subject = defined.group("x") if defined else ""
    head = subject.split()[0] if len(subject.split()) > 1 and not _WORDS.is_stop(subject.split()[0]) else None
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
    for unit in candidate_units(hits, N_PASSAGES):
        hit = hit_of[unit.hit_rank]
        p = hit.passage
        if unit.hit_rank != prev_rank:
            prev_terms, prev_rank = set(), unit.hit_rank
        text = unit.text
        own_terms = {index.vocabulary.get(t) for t, _, _ in analyzer.terms_with_spans(text)}
        term_ids = own_terms
        if _PRONOUN_RE.match(text):  # "It's the ..." is about what the sentence before named
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
            prose_terms = {index.vocabulary.get(t) for t, _, _ in analyzer.terms_with_spans(prose)}
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
        sequence = _sequence(text)
        words = set(sequence)
        if not asks:  # a question echoing the question is no answer to it
            score += ECHO_BONUS * len(words & q_words) / len(q_words)
            if q_pairs:
                score += PHRASE_BONUS * len(_pairs(sequence) & q_pairs) / len(q_pairs)
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


def _select(cands: list[dict]) -> list[dict]:
    # One topic: the direct answer comes from the best passage's document.
    top_doc = min(cands, key=lambda c: c["rank"])["doc"] if cands else None
    first = next((c for c in cands if c["doc"] == top_doc and c["held"]), None)
    if first is None:
        return []
    chosen = [first]
    # The direct answer's next sentence continues it when it shows what the question asks for.
    nxt = min(
        (c for c in cands if c["rank"] == first["rank"] and c["index"] > first["index"] and not _overlaps(c, [first])),
        key=lambda c: c["index"],
        default=None,
    )
    if nxt is not None and nxt["cue"] and _jaccard(nxt["words"], first["words"]) < DUPLICATE_JACCARD:
        chosen.append(nxt)
    floor = KEEP_RATIO * first["score"]
    # One topic: another document's sentence joins only when it holds the question's evidence on its own.
    alone = max(MIN_EVIDENCE, first["coverage"])
    pool = [
        c
        for c in cands
        if c["held"]
        and c["score"] >= floor
        and c not in chosen
        and (c["doc"] == first["doc"] or c["coverage"] >= alone)
        and not _overlaps(c, chosen)
    ]
    while pool and len(chosen) < MAX_SENTENCES:
        best, best_val = None, None
        for c in pool:
            sim = max(_jaccard(c["words"], d["words"]) for d in chosen)
            if sim >= DUPLICATE_JACCARD:
                continue
            val = c["score"] - MMR_LAMBDA * sim
            if best_val is None or val > best_val:
                best, best_val = c, val
        if best is None:
            break
        chosen.append(best)
        pool = [c for c in pool if c is not best and not _overlaps(c, [best])]
    return chosen


def _overlaps(c: dict, chosen: list[dict]) -> bool:
    """Whether unit `c` shares source text with one of `chosen` (a lead-in and its "code" unit)."""
    u = c["unit"]
    return any(u.doc_id == d["unit"].doc_id and c["start"] < d["end"] and d["start"] < c["end"] for d in chosen)


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


def answer(index: Index, question, k: int = 5, expand: bool = False) -> Answer:
    """Answer a question from the index: cited sentences, the passages, or a reasoned abstention.

    Parameters
    ----------
    index : Index
    question : str
    k : int, default=5
        How many passages to return with the answer.
    expand : bool, default=False
        Search with pseudo-relevance feedback (see `qa.answering.search.search`).

    Returns
    -------
    Answer

    Raises
    ------
    QuestionError
        The question is empty, too long, or has no searchable word.
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
        return Answer(
            sentences=(),
            hits=(),
            abstained=True,
            confidence=0.0,
            reason_code="no_match",
            reason=f"No word of the question appears in these documents (searched for: {missing}).",
            **common,
        )
    distinct, required = distinctive_words(index, query.text)
    unmentioned = [w for w in required if not _mentions(index, w, hits[: max(k, N_PASSAGES)])]
    if unmentioned:
        names = ", ".join(unmentioned[:6])
        return Answer(
            sentences=(),
            hits=hits[:k],
            abstained=True,
            confidence=0.0,
            reason_code="not_mentioned",
            reason=f"No passage mentions {names}: the closest passages are about something else.",
            **common,
        )
    # One topic: the answer is read from the passages that mention every name the question gives.
    on_topic = tuple(h for h in hits if all(_mentions(index, w, [h]) for w in distinct)) or hits
    candidates = _candidates(index, query, on_topic, question_types(query.text))
    if _VERSION_Q_RE.search(query.text):  # a version is asked for: only a sentence that gives one answers
        candidates = [c for c in candidates if _VERSION_RE.search(c["text"])]
    if _NUMBER_Q_RE.search(query.text):  # so is a number ("how many", "what percentage", "numeric")
        candidates = [c for c in candidates if _NUMBER_RE.search(c["text"])]
    # Evidence is read in running text and in table rows under their header: a passage of code,
    # a table naming no columns or link lists holds none.
    passage_evidence = max(
        (
            h.coverage
            for h in hits[:N_PASSAGES]
            if has_running_text(h.passage) or any(k == _TABLE_HEAD for _, _, k in h.passage.layout)
        ),
        default=0.0,
    )
    sentence_evidence = min(1.0, max((c["evidence"] + TYPE_BONUS * c["cue"] for c in candidates), default=0.0))
    evidence = min(1.0, (passage_evidence + sentence_evidence) / 2)
    chosen = _select(candidates) if evidence >= MIN_EVIDENCE else []
    if not chosen:
        unknown = f" Not found anywhere: {', '.join(query.unknown[:8])}." if query.unknown else ""
        return Answer(
            sentences=(),
            hits=hits[:k],
            abstained=True,
            confidence=round(evidence, 4),
            reason_code="weak_evidence",
            reason=(
                f"The evidence is too weak: the best passage holds {passage_evidence:.0%} and the best sentence "
                f"{sentence_evidence:.0%} of what the question asks for (by word weight), "
                f"{evidence:.0%} together, below the {MIN_EVIDENCE:.0%} needed.{unknown}"
            ),
            **common,
        )
    # Keep every cited passage among those shown, even when k is small.
    shown = hits[: max(k, max(c["rank"] for c in chosen))]
    quoted = tuple(
        Sentence(
            text=c["text"],
            rank=c["rank"],
            start=c["start"],
            end=c["end"],
            score=round(c["score"], 4),
            kind=c["unit"].kind,
            spans=c["unit"].spans if len(c["unit"].spans) > 1 else (),
            lines=c["unit"].lines if len(c["unit"].lines) > 1 or c["unit"].lines != ("text",) else (),
        )
        for c in chosen
    )
    return Answer(
        sentences=quoted,
        hits=shown,
        abstained=False,
        reason=None,
        reason_code=None,
        confidence=round(evidence, 4),
        **common,
    )
