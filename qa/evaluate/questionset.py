"""`qa eval` on a question-set folder: real documents, hand-written questions, figures per question.

A question set is a folder holding ``docs/`` (documents of any kind qa reads)
and ``questions.jsonl``, one object a line::

    {"id": "rd-01", "question": "...", "answerable": true, "source": "requests.md",
     "answer_has": ["Python 3.10+"], "kind": "md"}
    {"id": "rd-37", "question": "...", "answerable": false, "source": null,
     "answer_has": [], "kind": null, "near": true}

``source`` is the file under ``docs/`` that answers the question (a bare file
name), ``answer_has`` the phrases any one of which a correct answer holds (case
and runs of whitespace ignored), and ``near`` says whether an unanswerable
question is close to a document's topic (True) or off topic (False).

`evaluate_question_set` indexes ``docs/`` and answers every question as
``qa index docs --out DIR`` and ``qa answer --index DIR`` do (the index is saved
to a temporary folder and loaded back, then `qa.answer` with ``k=5`` on each
question, a refused question counting as abstained), and `measure` scores the
answers with the figures of the reference checker, ``realdocs/check.py``:

======================  ======================================================================
``answered``            share of answerable questions not abstained on
``source_top3``         share of answerable questions whose ``source`` is among the top 3 passages
``first_has``           share of answerable questions whose first answer sentence holds a phrase
``whole_has``           share of answerable questions whose whole answer holds a phrase
``abstained_near``      share of near-topic unanswerable questions abstained on
``abstained_off``       share of off-topic unanswerable questions abstained on
``markup_sentences``    answer sentences carrying Markdown, rst or HTML syntax (`MARKUP`)
``fragment_sentences``  answer sentences that start or stop inside a hard-wrapped sentence
                        of a .md/.rst/.txt source (`is_fragment`, on the file's text)
======================  ======================================================================

Shares are rounded to 3 decimals and are 0.0 when their denominator is 0, as
the checker's are; an abstention counts as a miss in every answerable share.
`TARGETS` are the figures the answers should reach.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..index.build import build_index, describe
from ..errors import QAError, QuestionError
from .tables import text_table
from ..serve.render import answer_to_dict, refusal_to_dict
from ..index.folders import load_index, save_index
from ..answering.summarize import answer
from ..text import text_key

__all__ = [
    "ANSWER_K",
    "FIGURES",
    "MARKUP",
    "TARGETS",
    "Question",
    "QuestionSet",
    "answer_questions",
    "evaluate_question_set",
    "format_question_set",
    "format_question_sets",
    "is_fragment",
    "is_question_set",
    "load_question_set",
    "measure",
    "meets",
    "source_reader",
    "target_text",
]

ANSWER_K = 5  # passages per answer: `qa answer`'s default
TARGETS = {
    "answered": 0.95,
    "source_top3": 0.95,
    "first_has": 0.80,
    "whole_has": 0.90,
    "abstained_near": 0.75,
    "abstained_off": 1.0,
    "markup_sentences": 0,
    "fragment_sentences": 0,
}
FIGURES = ("answerable", *TARGETS, "sentences")  # the checker's figures, in its order
MARKUP = re.compile(
    r"\]\(|!\[|```|\[!\[|<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?>|\|\s*:?-{3,}|^\s*[-=~^]{4,}\s*$"
    r"|\.\.\s+[a-z-]+::|:[a-z]+:`|^\s*#{1,6}\s|\*\*[^*]+\*\*|`[^`]+`_",
    re.M,
)
_WRAP_SOURCES = (".md", ".rst", ".txt")  # sources whose file text holds the hard wraps checked by is_fragment

Log = Callable[[str], None]


@dataclass(frozen=True)
class Question:
    """One line of ``questions.jsonl``.

    Attributes
    ----------
    qid : str
    question : str
    answerable : bool
    source : str or None
        The file under ``docs/`` that answers it; None when unanswerable.
    answer_has : tuple of str
        Phrases, any one of which a correct answer contains.
    kind : str or None
        The source's format (``md``, ``rst``, ``html``, ``pdf``, ``txt``).
    near : bool or None
        Unanswerable only: near the topic of a document (True) or off topic (False).
    """

    qid: str
    question: str
    answerable: bool
    source: str | None = None
    answer_has: tuple[str, ...] = ()
    kind: str | None = None
    near: bool | None = None


@dataclass(frozen=True)
class QuestionSet:
    """A question-set folder, as read by `load_question_set`.

    Attributes
    ----------
    name : str
        The folder's name (``realdocs``).
    path : Path
        The folder.
    docs : Path
        Its ``docs/`` folder, the documents indexed.
    questions : tuple of Question
        In file order.
    """

    name: str
    path: Path
    docs: Path
    questions: tuple[Question, ...]


def is_question_set(directory) -> bool:
    """Whether a folder is a question set: it holds ``questions.jsonl`` and a ``docs/`` folder."""
    path = Path(directory)
    return (path / "questions.jsonl").is_file() and (path / "docs").is_dir()


def _question(obj) -> Question:
    qid, text, answerable = obj["id"], obj["question"], obj["answerable"]
    if not isinstance(text, str) or not isinstance(answerable, bool):
        raise TypeError("question must be a string and answerable a boolean")
    phrases = obj.get("answer_has") or []
    if isinstance(phrases, str) or not all(isinstance(p, str) for p in phrases):
        raise TypeError("answer_has must be a list of strings")
    near = obj.get("near")
    return Question(
        qid=str(qid),
        question=text,
        answerable=answerable,
        source=obj.get("source"),
        answer_has=tuple(phrases),
        kind=obj.get("kind"),
        near=None if near is None else bool(near),
    )


def load_question_set(directory) -> QuestionSet:
    """Read a question-set folder (``docs/`` and ``questions.jsonl``).

    Parameters
    ----------
    directory : path-like

    Returns
    -------
    QuestionSet

    Raises
    ------
    QAError
        ``docs/`` or ``questions.jsonl`` is missing, a line is not a question
        object, an id appears twice, an answerable question names no source,
        or the file holds no question.
    """
    path = Path(directory)
    docs, file = path / "docs", path / "questions.jsonl"
    if not docs.is_dir():
        raise QAError(f"{docs}: missing; a question-set folder needs docs/ (the documents) and questions.jsonl")
    fields = '{"id", "question", "answerable", "source", "answer_has", ...}'
    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise QAError(
            f"{file}: missing; a question-set folder needs docs/ and questions.jsonl ({fields} a line)"
        ) from None
    except OSError as exc:
        raise QAError(f"{file}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise QAError(f"{file}: not UTF-8 text") from None
    questions: list[Question] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = _question(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise QAError(f"{file}:{lineno}: not a {fields} JSON object") from None
        if q.qid in seen:
            raise QAError(f"{file}:{lineno}: question id {q.qid!r} appears twice")
        if q.answerable and not q.source:
            raise QAError(f"{file}:{lineno}: answerable question {q.qid!r} names no source")
        seen.add(q.qid)
        questions.append(q)
    if not questions:
        raise QAError(f"{file}: holds no question")
    return QuestionSet(name=path.resolve().name, path=path, docs=docs, questions=tuple(questions))


# ----------------------------------------------------------------------------- the checker's rules


def is_fragment(source_text: str, start: int, end: int, text: str) -> bool:
    """Whether an answer sentence cut a hard-wrapped sentence of its source.

    It did when it ends in a letter, digit or comma and its source continues on
    the next line with a lowercase letter or one of ``(,;``; or when it starts
    lowercase right after a line break that follows a letter, digit or one of
    ``,;(``.

    Parameters
    ----------
    source_text : str
        The source file's text (UTF-8, newlines translated).
    start, end : int
        The sentence's offsets in `source_text`.
    text : str
        The sentence as the answer gives it.

    Examples
    --------
    >>> src = "Gzip is a simple\\ncompressor: each file\\nis compressed alone.\\n"
    >>> is_fragment(src, 0, 16, "Gzip is a simple")
    True
    >>> is_fragment(src, 17, 38, "compressor: each file")
    True
    >>> is_fragment(src, 0, 59, "Gzip is a simple compressor: each file is compressed alone.")
    False
    """
    tail = text.rstrip()
    if tail and tail[-1].isalnum() or tail.endswith(","):
        m = re.match(r"[ \t]*\n[ \t]*(\S)", source_text[end : end + 200])  # one line break, then the same paragraph
        if m and (m.group(1).islower() or m.group(1) in "(,;"):
            return True
    m = re.search(r"(\S)[ \t]*\n[ \t]*$", source_text[max(0, start - 200) : start])
    return bool(m and (m.group(1).isalnum() or m.group(1) in ",;(") and text[:1].islower())


def source_reader(docs: Path) -> Callable[[str], str | None]:
    """``source -> text`` of .md/.rst/.txt files under `docs` (None for other kinds or unreadable files), cached.

    A source is looked up under `docs` by its path as qa reports it, then by its
    bare name (the checker's lookup; the same file in a flat ``docs/``).
    """
    texts: dict[str, str | None] = {}

    def read(source: str) -> str | None:
        if source not in texts:
            text = None
            for f in (docs / source, docs / Path(source).name):
                if f.suffix.lower() in _WRAP_SOURCES and f.is_file():
                    try:
                        text = f.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError):
                        text = None
                    break
            texts[source] = text
        return texts[source]

    return read


def measure(questions, answers: Mapping[str, Mapping], read_source: Callable[[str], str | None]) -> dict:
    """Score answers with the reference checker's rules.

    Parameters
    ----------
    questions : sequence of Question
    answers : mapping of str to dict
        Question id -> the ``qa answer`` object (`qa.serve.render.answer_to_dict`):
        ``answer``, ``abstained``, ``reason_code``, ``sentences[{text, passage,
        start, end}]``, ``passages[{source}]``. A question without an answer is
        reported and left out of every figure.
    read_source : callable
        ``source -> text`` of a .md/.rst/.txt source file, or None: the text
        the sentence offsets are checked in for `is_fragment`.

    Returns
    -------
    dict
        ``figures`` (each of `FIGURES`: shares rounded to 3 decimals, counts as
        ints), ``counts`` (the numerators and denominators) and ``failures``
        (``{"id", "figure", "line"}`` per miss, ``line`` as the checker prints
        it; a whole answer without a phrase is listed too, under ``whole_has``).

    Examples
    --------
    >>> qs = [Question("a", "Who?", True, "x.md", ("ada",)), Question("b", "Why?", False, near=False)]
    >>> ans = {"a": {"answer": "Ada wrote it.", "abstained": False, "passages": [{"source": "x.md"}],
    ...              "sentences": [{"text": "Ada wrote it.", "passage": 1, "start": 0, "end": 13}]},
    ...        "b": {"answer": "", "abstained": True, "sentences": [], "passages": []}}
    >>> got = measure(qs, ans, lambda source: None)
    >>> got["figures"]["first_has"], got["figures"]["abstained_off"], got["figures"]["sentences"], got["failures"]
    (1.0, 1.0, 1, [])
    """
    n = dict.fromkeys(
        (
            "ans",
            "answered",
            "top3",
            "first",
            "whole",
            "near",
            "near_ab",
            "off",
            "off_ab",
            "sentences",
            "markup",
            "fragment",
        ),
        0,
    )
    failures: list[dict] = []

    def fail(qid: str, figure: str, line: str) -> None:
        failures.append({"id": qid, "figure": figure, "line": line})

    for q in questions:
        a = answers.get(q.qid)
        if a is None:
            fail(q.qid, "missing", f"{q.qid}: no answer line")
            continue
        sentences = a.get("sentences") or []
        passages = a.get("passages") or []
        if not q.answerable:
            key = "near" if q.near else "off"
            n[key] += 1
            if a.get("abstained") is True:
                n[key + "_ab"] += 1
            else:
                said = (a.get("answer") or "")[:100]
                fail(q.qid, f"abstained_{key}", f"{q.qid} ({key}): answered instead of abstaining: {said!r}")
            continue
        n["ans"] += 1
        if a.get("abstained"):
            fail(q.qid, "answered", f"{q.qid}: abstained on an answerable question ({a.get('reason_code')})")
            continue
        n["answered"] += 1
        top = [str(p.get("source", "")) for p in passages[:3]]
        names = [Path(s).name for s in top]
        if q.source in names or q.source in top:
            n["top3"] += 1
        else:
            fail(q.qid, "source_top3", f"{q.qid}: {q.source} not in the top 3 ({names})")
        phrases = [text_key(p) for p in q.answer_has]
        first = text_key(sentences[0]["text"]) if sentences else ""
        if any(p in first for p in phrases):
            n["first"] += 1
        else:
            wanted = q.answer_has[0] if q.answer_has else None
            fail(q.qid, "first_has", f"{q.qid}: first sentence lacks {wanted!r}: {first[:110]!r}")
        whole = text_key(a.get("answer") or "")
        if any(p in whole for p in phrases):
            n["whole"] += 1
        else:
            wanted = q.answer_has[0] if q.answer_has else None
            fail(q.qid, "whole_has", f"{q.qid}: whole answer lacks {wanted!r}: {whole[:110]!r}")
        for s in sentences:
            n["sentences"] += 1
            text = s.get("text", "")
            if MARKUP.search(text):
                n["markup"] += 1
                fail(q.qid, "markup_sentences", f"{q.qid}: markup in an answer sentence: {text[:90]!r}")
            rank, start, end = s.get("passage"), s.get("start"), s.get("end")
            if not (isinstance(rank, int) and 1 <= rank <= len(passages)):
                continue
            source_text = read_source(str(passages[rank - 1].get("source", "")))
            if source_text is not None and isinstance(start, int) and isinstance(end, int):
                if is_fragment(source_text, start, end, text):
                    n["fragment"] += 1
                    fail(q.qid, "fragment_sentences", f"{q.qid}: sentence cut from a wrapped line: {text[:90]!r}")

    def share(num: str, den: str) -> float:
        return round(n[num] / max(n[den], 1), 3)

    figures = {
        "answerable": n["ans"],
        "answered": share("answered", "ans"),
        "source_top3": share("top3", "ans"),
        "first_has": share("first", "ans"),
        "whole_has": share("whole", "ans"),
        "abstained_near": share("near_ab", "near"),
        "abstained_off": share("off_ab", "off"),
        "markup_sentences": n["markup"],
        "fragment_sentences": n["fragment"],
        "sentences": n["sentences"],
    }
    counts = {
        "answerable": n["ans"],
        "answered": n["answered"],
        "source_top3": n["top3"],
        "first_has": n["first"],
        "whole_has": n["whole"],
        "near": n["near"],
        "abstained_near": n["near_ab"],
        "off_topic": n["off"],
        "abstained_off": n["off_ab"],
        "sentences": n["sentences"],
        "markup_sentences": n["markup"],
        "fragment_sentences": n["fragment"],
    }
    return {"figures": figures, "counts": counts, "failures": failures}


def meets(name: str, value) -> bool:
    """Whether a figure reaches its target in `TARGETS`: a share at least it, a sentence count at most it.

    Examples
    --------
    >>> meets("answered", 0.95), meets("first_has", 0.5), meets("markup_sentences", 0), meets("fragment_sentences", 3)
    (True, False, True, False)
    """
    target = TARGETS[name]
    return value <= target if name.endswith("_sentences") else value >= target


def target_text(name: str) -> str:
    """The target of a figure as a table shows it: ``>= 0.95``, ``= 1.00``, ``= 0``."""
    target = TARGETS[name]
    if name.endswith("_sentences"):
        return f"= {target}" if target == 0 else f"<= {target}"
    return "= 1.00" if target >= 1 else f">= {target:.2f}"


# ----------------------------------------------------------------------------- answering


def answer_questions(qset: QuestionSet, *, log: Log | None = None) -> dict:
    """Index a question set's ``docs/`` and answer each question as ``qa index`` + ``qa answer`` do.

    The index is built with `qa.build_index`, saved to a temporary folder and
    loaded back (``qa answer --index`` answers from a saved index); each
    question then goes to `qa.answer` with ``k=ANSWER_K``. A question qa refuses
    (`QuestionError`) is an abstention with ``reason_code`` ``bad_question``.

    Returns
    -------
    dict
        ``answers`` (question id -> the ``qa answer`` object), ``documents``,
        ``passages``, ``warnings`` (the build's), ``index_seconds`` (build and
        save) and ``answer_seconds`` (every question).

    Raises
    ------
    QAError
        ``docs/`` holds nothing qa can index.
    """
    log = log or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="qa-eval-questions-") as tmp:
        start = time.perf_counter()
        built, warnings = build_index([qset.docs])
        save_index(built, Path(tmp) / "index")
        index_seconds = time.perf_counter() - start
        for w in warnings:
            log(f"qa: warning: {w}")
        index = load_index(Path(tmp) / "index")
        documents, passages = describe(index)["documents"], index.n_passages
        answers: dict[str, dict] = {}
        start = time.perf_counter()
        for q in qset.questions:
            try:
                answers[q.qid] = answer_to_dict(answer(index, q.question, k=ANSWER_K))
            except QuestionError as exc:
                answers[q.qid] = refusal_to_dict(q.question, str(exc))
        answer_seconds = time.perf_counter() - start
    return {
        "answers": answers,
        "documents": documents,
        "passages": passages,
        "warnings": list(warnings),
        "index_seconds": index_seconds,
        "answer_seconds": answer_seconds,
    }


def evaluate_question_set(qset: QuestionSet, *, log: Log | None = None) -> dict:
    """Answer a question set with qa and measure the answers (`answer_questions`, then `measure`).

    Returns
    -------
    dict
        ``path``, ``documents``, ``passages``, ``questions``, ``answerable``,
        ``near``, ``off_topic`` (counts), ``answer_k``, ``warnings``,
        ``index_seconds``, ``answer_seconds``, ``figures`` (the checker's
        figures), ``counts``, ``targets`` (figure -> ``{"target", "met"}``) and
        ``failures`` (as `measure`).
    """
    log = log or (lambda message: None)
    run = answer_questions(qset, log=log)
    scored = measure(qset.questions, run["answers"], source_reader(qset.docs))
    figures = scored["figures"]
    entry = {
        "path": str(qset.path),
        "documents": run["documents"],
        "passages": run["passages"],
        "questions": len(qset.questions),
        "answerable": sum(q.answerable for q in qset.questions),
        "near": sum(not q.answerable and bool(q.near) for q in qset.questions),
        "off_topic": sum(not q.answerable and not q.near for q in qset.questions),
        "answer_k": ANSWER_K,
        "warnings": run["warnings"],
        "index_seconds": run["index_seconds"],
        "answer_seconds": run["answer_seconds"],
        "figures": figures,
        "counts": scored["counts"],
        "targets": {k: {"target": t, "met": meets(k, figures[k])} for k, t in TARGETS.items()},
        "failures": scored["failures"],
    }
    met = sum(t["met"] for t in entry["targets"].values())
    log(f"qa eval: {qset.name}: {len(qset.questions)} questions answered; {met} of {len(TARGETS)} targets met")
    return entry


# ----------------------------------------------------------------------------- output


def format_question_set(name: str, entry: dict, *, verbose: bool = False) -> str:
    """A question set's figures beside their targets, as a plain-text table.

    Parameters
    ----------
    name : str
    entry : dict
        As returned by `evaluate_question_set`.
    verbose : bool, default=False
        Also list every miss, one line a question and problem.

    Returns
    -------
    str
    """

    counts = entry["counts"]
    title = (
        f"{name}: {entry['documents']:,} documents, {entry['questions']:,} questions "
        f"({entry['answerable']:,} answerable, {entry['near']:,} near-topic and {entry['off_topic']:,} off-topic "
        f"unanswerable; k={entry['answer_k']}), {counts['sentences']:,} answer sentences"
    )
    rows = []
    for k in TARGETS:
        value = entry["figures"][k]
        shown = str(value) if k.endswith("_sentences") else f"{value:.3f}"
        rows.append([k, shown, target_text(k), "met" if entry["targets"][k]["met"] else "missed"])
    block = f"{title}\n" + text_table(["figure", "value", "target", "status"], rows)
    missed = len(entry["failures"])
    if verbose and missed:
        block += "\n\n" + f"{name}: misses\n" + "\n".join(f["line"] for f in entry["failures"])
    elif missed:
        block += f"\n({missed} per-question problem(s): --verbose prints them, the --json output keeps them)"
    return block


_ROW_FIGURES = ("first_has", "whole_has", "answered", "abstained_near", "abstained_off")


def format_question_sets(entries: Mapping[str, dict]) -> str:
    """Every question set in one table: each figure measured now, and beside it, for a set of the
    pool the answer weights were fitted on, the figure measured leave-one-set-out when they were
    fitted (``bench/fit_answer.py``: weights fitted on the other sets; ``-`` for a set outside the pool).

    Parameters
    ----------
    entries : mapping of str to dict
        Set name -> `evaluate_question_set`'s entry.
    """
    from ..answering.scoring import load_model

    held_out = load_model().meta.get("loso") or {}
    header = ["set", "answerable"] + [f"{f} (held out)" for f in _ROW_FIGURES]
    rows = []
    for name, entry in entries.items():
        loso = held_out.get(name) or {}
        row = [name, str(entry["answerable"])]
        for f in _ROW_FIGURES:
            kept = loso.get(f)
            row.append(f"{entry['figures'][f]:.3f} ({'-' if kept is None else f'{kept:.3f}'})")
        rows.append(row)
    return (
        "every question set: measured now (in brackets: leave-one-set-out, when the weights were fitted)\n"
        + text_table(header, rows)
    )
