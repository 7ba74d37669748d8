"""`qa eval`: retrieval, answer and abstention figures on BEIR-layout datasets.

A dataset is a folder holding ``corpus.jsonl`` (``{"_id", "title", "text"}`` a
line), ``queries.jsonl`` (``{"_id", "text"}`` a line, optionally with SQuAD's
``answerable`` and ``answers``) and ``qrels/test.tsv`` (``query-id corpus-id
score``, with a header; score > 0 is relevant).

For each dataset and system the corpus is indexed (timed), every judged query
is run alone (timed) for its top `TOP_K` documents, and the rankings are scored
with `qa.metrics` (`METRICS`; queries without a relevant document are skipped,
as BEIR does). Systems:

===================  =====================================================================
``qa``               `qa.build_index` + `qa.search_documents`
``qa+prf``           the same index, ``search_documents(..., expand=True)`` (feedback terms)
``bm25s``            bm25s, Snowball English stemmer (PyStemmer), its English stop words
``tantivy``          tantivy, ``title`` and ``body`` fields with its ``en_stem`` tokenizer
``sklearn-default``  ``TfidfVectorizer()`` defaults, cosine similarity
===================  =====================================================================

The peers (bm25s, tantivy; matplotlib for the chart) are optional, installed
with ``pip install .[bench]``: a missing one is skipped with a note. They are
never imported by the rest of ``qa``.

Datasets whose queries say whether they are answerable (SQuAD 2.0) also get
answer figures for ``qa`` (`answer_quality`), and every dataset's queries are
asked of the other datasets' ``qa`` indexes and of the default corpus to
measure out-of-domain abstention (`abstention`).

A question-set folder (``docs/`` and ``questions.jsonl``, `qa.questionset`)
may be given among the datasets: `load_dataset` tells the two layouts apart,
and `evaluate` hands question sets to `qa.questionset.evaluate_question_set`
(qa's answers to every question, scored as the reference checker does, beside
`qa.questionset.TARGETS`).
"""

from __future__ import annotations

import datetime
import functools
import importlib.util
import inspect
import json
import os
import platform
import re
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from . import questionset
from .tables import text_table
from ..index.build import build_index, default_corpus
from ..errors import QAError, QuestionError
from ..files import atomic_file, atomic_write
from .metrics import average_precision_at, ndcg_at, recall_at, reciprocal_rank_at
from ..answering.search import search_documents
from ..answering.summarize import answer

__all__ = [
    "ANSWER_K", "METRICS", "SYSTEMS", "TOP_K", "Dataset", "EvalQuery", "abstention", "answer_quality", "evaluate",
    "format_table", "load_beir", "load_dataset", "machine_info", "parse_systems", "plot", "rank_metrics",
    "read_corpus", "require_matplotlib", "run_bm25s", "run_qa",
    "run_sklearn_default", "run_tantivy", "system_unavailable", "write_json",
]

TOP_K = 100  # documents ranked per query
ANSWER_K = 5  # passages per answer, as `qa ask`
SYSTEMS = ("qa", "qa+prf", "bm25s", "tantivy", "sklearn-default")
METRICS = ("nDCG@10", "MAP@100", "R@1", "R@5", "R@20", "R@100", "MRR@10")
ANSWER_FIGURES = ("answer_first", "answer_any", "answered", "unanswerable_abstained")
BENCH_HINT = "pip install .[bench]"

Log = Callable[[str], None]


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class EvalQuery:
    """One query of a dataset.

    Attributes
    ----------
    qid : str
    text : str
    answerable : bool or None
        SQuAD's ``answerable``; None when the dataset does not say.
    answers : tuple of str
        Gold answer strings (empty when unanswerable or unknown).
    """

    qid: str
    text: str
    answerable: bool | None = None
    answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """A BEIR-layout dataset, as read by `load_beir`.

    Attributes
    ----------
    name : str
        The folder's name (``cranfield``, ``squad2``).
    path : Path
        The folder.
    corpus : Path
        Its ``corpus.jsonl``.
    queries : tuple of EvalQuery
        Every query, in file order.
    qrels : mapping of str to mapping of str to int
        Query id -> {document id: gain}, for the queries that are in ``queries``.
    """

    name: str
    path: Path
    corpus: Path
    queries: tuple[EvalQuery, ...]
    qrels: Mapping[str, Mapping[str, int]]

    @property
    def judged(self) -> tuple[EvalQuery, ...]:
        """The queries with at least one judgment: the ones run for the ranking metrics."""
        return tuple(q for q in self.queries if q.qid in self.qrels)

    @property
    def has_answers(self) -> bool:
        """Whether the queries say whether they are answerable (SQuAD 2.0 style)."""
        return any(q.answerable is not None for q in self.queries)


def _read_lines(path: Path, what: str):
    try:
        fh = open(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise QAError(f"{path}: missing; a BEIR dataset folder needs {what}") from None
    except OSError as exc:
        raise QAError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        try:
            yield from enumerate(fh, 1)
        except UnicodeDecodeError:
            raise QAError(f"{path}: not UTF-8 text") from None


def _read_queries(path: Path) -> tuple[EvalQuery, ...]:
    out: list[EvalQuery] = []
    seen: set[str] = set()
    for lineno, line in _read_lines(path, 'queries.jsonl ({"_id", "text"} a line)'):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            qid, text = str(obj["_id"]), obj["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
            answers = obj.get("answers")
            answers = () if answers is None else tuple(str(a) for a in answers)
            if "answerable" in obj:
                answerable = bool(obj["answerable"])
            else:
                answerable = bool(answers) if "answers" in obj else None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise QAError(f'{path}:{lineno}: not a {{"_id", "text"}} JSON object') from None
        if qid in seen:
            raise QAError(f"{path}:{lineno}: query id {qid!r} appears twice")
        seen.add(qid)
        out.append(EvalQuery(qid=qid, text=text, answerable=answerable, answers=answers))
    if not out:
        raise QAError(f"{path}: holds no query")
    return tuple(out)


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    first = True
    for lineno, line in _read_lines(path, "qrels/test.tsv (query-id, corpus-id, score; tab-separated, with a header)"):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) != 3:
            parts = line.split()
        try:
            if len(parts) != 3:
                raise ValueError
            score = int(parts[2])
        except ValueError:
            if first:  # the header line
                first = False
                continue
            raise QAError(f"{path}:{lineno}: not a 'query-id<TAB>corpus-id<TAB>score' line") from None
        first = False
        qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = score
    return qrels


def load_beir(directory) -> Dataset:
    """Read a BEIR-layout dataset folder.

    Parameters
    ----------
    directory : path-like
        A folder with ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv``.

    Returns
    -------
    Dataset
        Judgments of query ids missing from ``queries.jsonl`` are dropped.

    Raises
    ------
    QAError
        The folder or one of its files is missing or malformed, or no query has
        a relevant document.
    """
    path = Path(directory)
    if not path.is_dir():
        raise QAError(f"{path}: not a folder; give a BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    corpus = path / "corpus.jsonl"
    if not corpus.is_file():
        raise QAError(f'{corpus}: missing; a BEIR folder needs corpus.jsonl ({{"_id", "title", "text"}} a line)')
    queries = _read_queries(path / "queries.jsonl")
    known = {q.qid for q in queries}
    qrels = {qid: judged for qid, judged in _read_qrels(path / "qrels" / "test.tsv").items() if qid in known}
    if not any(g > 0 for judged in qrels.values() for g in judged.values()):
        raise QAError(f"{path / 'qrels' / 'test.tsv'}: no query of queries.jsonl has a relevant document (score > 0)")
    return Dataset(name=path.resolve().name, path=path, corpus=corpus, queries=queries, qrels=qrels)


def load_dataset(directory):
    """Read a dataset folder: a question set (`qa.questionset.load_question_set`) when it holds
    ``questions.jsonl`` and ``docs/``, else a BEIR dataset (`load_beir`).

    A folder with ``questions.jsonl`` but neither ``docs/`` nor ``corpus.jsonl``
    is read as a question set, so the error names the missing ``docs/``.

    Returns
    -------
    Dataset or qa.questionset.QuestionSet

    Raises
    ------
    QAError
        As `load_beir` or `qa.questionset.load_question_set`.
    """
    path = Path(directory)
    if questionset.is_question_set(path) or (
        (path / "questions.jsonl").is_file() and not (path / "corpus.jsonl").is_file()
    ):
        return questionset.load_question_set(path)
    return load_beir(directory)


def read_corpus(path) -> list[tuple[str, str, str]]:
    """``[(doc_id, title, text)]`` of a ``corpus.jsonl``, for the peer systems.

    Raises
    ------
    QAError
        A line is not a ``{"_id", "title", "text"}`` object.
    """
    path = Path(path)
    docs = []
    for lineno, line in _read_lines(path, 'corpus.jsonl ({"_id", "title", "text"} a line)'):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            docs.append((str(obj["_id"]), str(obj.get("title") or ""), str(obj.get("text") or "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise QAError(f'{path}:{lineno}: not a {{"_id", "title", "text"}} JSON object') from None
    return docs


# ----------------------------------------------------------------------------- metrics


def rank_metrics(runs: Mapping[str, list], qrels: Mapping[str, Mapping[str, int]]) -> dict:
    """Mean ranking metrics over the queries that have a relevant document.

    Parameters
    ----------
    runs : mapping of str to list of str
        Query id -> ranked document ids, best first. A query missing here has
        an empty ranking.
    qrels : mapping of str to mapping of str to int
        Query id -> {document id: gain}; gain > 0 is relevant.

    Returns
    -------
    dict
        Each of `METRICS` (nDCG@10, MAP@100 = mean AP@100, Recall@1/5/20/100,
        MRR@10), averaged over the ``queries`` judged queries with a relevant
        document (0.0 when there is none), and ``queries``.

    Examples
    --------
    >>> m = rank_metrics({"q1": ["a", "b"], "q2": ["c"]}, {"q1": {"b": 1}, "q2": {"d": 1}, "q3": {"e": 0}})
    >>> m["queries"], m["R@1"], m["R@5"], m["MRR@10"]
    (2, 0.0, 0.5, 0.25)
    """
    scored = [qid for qid, judged in qrels.items() if any(g > 0 for g in judged.values())]
    fns = {
        "nDCG@10": lambda r, j: ndcg_at(r, j, 10),
        "MAP@100": lambda r, j: average_precision_at(r, j, 100),
        "R@1": lambda r, j: recall_at(r, j, 1),
        "R@5": lambda r, j: recall_at(r, j, 5),
        "R@20": lambda r, j: recall_at(r, j, 20),
        "R@100": lambda r, j: recall_at(r, j, 100),
        "MRR@10": lambda r, j: reciprocal_rank_at(r, j, 10),
    }
    out: dict = {}
    for name, fn in fns.items():
        values = [fn(list(runs.get(qid, ())), qrels[qid]) for qid in scored]
        out[name] = sum(values) / len(values) if values else 0.0
    out["queries"] = len(scored)
    return out


# ----------------------------------------------------------------------------- systems


def _accepts(fn, keyword: str) -> bool:
    try:
        return keyword in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def system_unavailable(name: str) -> str | None:
    """Why a system cannot run here (a one-line note), or None when it can."""
    if name == "qa+prf" and not _accepts(search_documents, "expand"):
        return "qa+prf skipped: qa.search_documents does not take expand= in this version"
    needs = {"bm25s": ("bm25s", "Stemmer"), "tantivy": ("tantivy",), "sklearn-default": ("sklearn",)}
    for module in needs.get(name, ()):
        if importlib.util.find_spec(module) is None:
            package = {"Stemmer": "PyStemmer", "sklearn": "scikit-learn"}.get(module, module)
            return f"{name} skipped: {package} not installed: {BENCH_HINT}"
    return None


def parse_systems(systems) -> tuple[str, ...]:
    """Validate system names: a comma-separated string or a sequence; duplicates dropped.

    Raises
    ------
    QAError
        A name is not one of `SYSTEMS`, or none is given.

    Examples
    --------
    >>> parse_systems("qa, bm25s,qa")
    ('qa', 'bm25s')
    """
    names = systems.split(",") if isinstance(systems, str) else list(systems)
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise QAError(f"no system named; choose from {', '.join(SYSTEMS)}")
    for n in names:
        if n not in SYSTEMS:
            raise QAError(f"unknown system {n!r}; choose from {', '.join(SYSTEMS)}")
    return tuple(dict.fromkeys(names))


def _timed_queries(queries, rank) -> tuple[dict[str, list[str]], float]:
    """Run ``rank(text) -> [doc_id]`` on each query alone; the rankings and the total seconds."""
    runs: dict[str, list[str]] = {}
    start = time.perf_counter()
    for q in queries:
        runs[q.qid] = rank(q.text)
    return runs, time.perf_counter() - start


@functools.lru_cache(maxsize=None)
def _warm_up_qa() -> None:
    """Pay qa's one-off start-up costs (word lists for stop words and spelling) before any timing.

    The peers' equivalent costs are paid at import, which is not timed either.
    """
    with tempfile.TemporaryDirectory(prefix="qa-eval-warm-") as tmp:
        Path(tmp, "warm.txt").write_text("Warm-up\n\nHoney bees make honey in hives.\n", encoding="utf-8")
        index, _warnings = build_index([tmp])
        for question in ("Where do honey bees live?", "Where do hunny bees live?"):
            search_documents(index, question, k=TOP_K)
            answer(index, question, k=ANSWER_K)


def _qa_index(dataset: Dataset, cache: dict | None):
    """The qa index of a dataset and the seconds it took to build, built once per cache."""
    if cache is not None and dataset.name in cache:
        return cache[dataset.name]
    _warm_up_qa()
    start = time.perf_counter()
    index, _warnings = build_index([dataset.corpus])
    built = (index, time.perf_counter() - start)
    if cache is not None:
        cache[dataset.name] = built
    return built


def run_qa(dataset: Dataset, *, expand: bool = False, cache: dict | None = None):
    """qa: `qa.build_index` over ``corpus.jsonl``, then `qa.search_documents` per query.

    Parameters
    ----------
    dataset : Dataset
    expand : bool, default=False
        Pass ``expand=True`` (pseudo-relevance feedback) to `qa.search_documents`.
    cache : dict, optional
        Dataset name -> (index, index seconds): reuse an index built earlier.

    Returns
    -------
    rankings : dict of str to list of str
        Judged query id -> its top `TOP_K` document ids. A question qa refuses
        (`QuestionError`, e.g. only stop words) has an empty ranking.
    index_seconds : float
    query_seconds : float
    """
    index, index_seconds = _qa_index(dataset, cache)
    kwargs = {"expand": True} if expand else {}

    def rank(text):
        try:
            return [d for d, _ in search_documents(index, text, k=TOP_K, **kwargs)]
        except QuestionError:
            return []

    runs, query_seconds = _timed_queries(dataset.judged, rank)
    return runs, index_seconds, query_seconds


def _top(scores, k: int) -> list[int]:
    """Positions of the k best positive scores, best first; ties go to the earlier document."""
    pos = np.flatnonzero(scores > 0)
    order = np.lexsort((pos, -scores[pos]))
    return [int(i) for i in pos[order[:k]]]


def run_bm25s(dataset: Dataset):
    """bm25s (Lucene BM25, k1=1.5, b=0.75) over title + " " + text, English stemmer and stop words.

    Returns
    -------
    rankings, index_seconds, query_seconds
        As `run_qa`. Queries are tokenized and retrieved one at a time.
    """
    import bm25s
    import Stemmer

    docs = read_corpus(dataset.corpus)
    ids = [d for d, _, _ in docs]
    stemmer = Stemmer.Stemmer("english")
    start = time.perf_counter()
    tokens = bm25s.tokenize([f"{t} {x}" for _, t, x in docs], stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    index_seconds = time.perf_counter() - start
    k = min(TOP_K, len(ids))

    def rank(text):
        q = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)
        if not q[0]:
            return []
        found, scores = retriever.retrieve(q, k=k, show_progress=False, n_threads=0)
        return [ids[int(i)] for i, s in zip(found[0], scores[0]) if s > 0]

    runs, query_seconds = _timed_queries(dataset.judged, rank)
    return runs, index_seconds, query_seconds


_NOT_WORD = re.compile(r"[^\w]+")


def run_tantivy(dataset: Dataset):
    """tantivy (BM25) with ``title`` and ``body`` fields, ``en_stem`` tokenizer, in a temporary folder.

    Query syntax characters are replaced by spaces and the query lowercased (so
    AND/OR/NOT are words, not operators); a query that still fails to parse
    has an empty ranking.

    Returns
    -------
    rankings, index_seconds, query_seconds
        As `run_qa`.
    """
    import tantivy

    docs = read_corpus(dataset.corpus)
    with tempfile.TemporaryDirectory(prefix="qa-eval-tantivy-") as tmp:
        start = time.perf_counter()
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=False, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
        index = tantivy.Index(builder.build(), path=tmp)
        writer = index.writer()
        for doc_id, title, text in docs:
            writer.add_document(tantivy.Document(id=doc_id, title=title, body=text))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        searcher = index.searcher()
        index_seconds = time.perf_counter() - start

        def rank(text):
            cleaned = _NOT_WORD.sub(" ", text).strip().lower()
            if not cleaned:
                return []
            try:
                query = index.parse_query(cleaned, ["title", "body"])
            except ValueError:
                return []
            return [searcher.doc(address)["id"][0] for _, address in searcher.search(query, TOP_K).hits]

        runs, query_seconds = _timed_queries(dataset.judged, rank)
    return runs, index_seconds, query_seconds


def run_sklearn_default(dataset: Dataset):
    """scikit-learn ``TfidfVectorizer()`` with its defaults on title + " " + text; cosine similarity.

    Returns
    -------
    rankings, index_seconds, query_seconds
        As `run_qa`. Documents scoring 0 are not ranked.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    docs = read_corpus(dataset.corpus)
    ids = [d for d, _, _ in docs]
    start = time.perf_counter()
    vectorizer = TfidfVectorizer()
    matrix = vectorizer.fit_transform([f"{t} {x}" for _, t, x in docs])  # rows are L2-normalised
    index_seconds = time.perf_counter() - start

    def rank(text):
        scores = linear_kernel(vectorizer.transform([text]), matrix).ravel()
        return [ids[i] for i in _top(scores, TOP_K)]

    runs, query_seconds = _timed_queries(dataset.judged, rank)
    return runs, index_seconds, query_seconds


# ----------------------------------------------------------------------------- answers and abstention


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def _ask(index, text: str, expand: bool):
    """The Answer, or None when qa refuses the question (QuestionError)."""
    try:
        return answer(index, text, k=ANSWER_K, **({"expand": True} if expand else {}))
    except QuestionError:
        return None


def answer_quality(index, queries, *, expand: bool = False) -> dict:
    """How often qa's summary holds a gold answer, and how often it abstains.

    Parameters
    ----------
    index : Index
    queries : sequence of EvalQuery
        Those whose ``answerable`` is None are ignored.
    expand : bool, default=False
        Pass ``expand=True`` to `qa.answer`.

    Returns
    -------
    dict
        ``answer_first``: share of answerable questions whose first summary
        sentence contains a gold answer (case-insensitive, whitespace
        normalised); ``answer_any``: the same for the whole summary;
        ``answered``: share of answerable questions not abstained on;
        ``unanswerable_abstained``: share of unanswerable ones abstained on
        (None when there is no such question). Abstentions, and questions qa
        refuses, count as misses. Also ``answerable``, ``unanswerable``
        (counts) and ``seconds``.
    """
    first = anywhere = answered = refused = n_yes = n_no = 0
    start = time.perf_counter()
    for q in queries:
        if q.answerable is None:
            continue
        result = _ask(index, q.text, expand)
        abstained = result is None or result.abstained or not result.sentences
        if not q.answerable:
            n_no += 1
            refused += abstained
            continue
        n_yes += 1
        if abstained:
            continue
        answered += 1
        gold = [g for g in (_normalise(a) for a in q.answers) if g]
        head = _normalise(result.sentences[0].text)
        whole = _normalise(" ".join(s.text for s in result.sentences))
        first += any(g in head for g in gold)
        anywhere += any(g in whole for g in gold)
    share = lambda n, d: n / d if d else None  # noqa: E731
    return {
        "answer_first": share(first, n_yes),
        "answer_any": share(anywhere, n_yes),
        "answered": share(answered, n_yes),
        "unanswerable_abstained": share(refused, n_no),
        "answerable": n_yes,
        "unanswerable": n_no,
        "seconds": time.perf_counter() - start,
    }


def abstention(index, queries) -> dict:
    """Share of questions qa abstains on (a refused question counts as abstained).

    Returns
    -------
    dict
        ``abstained`` (share, None when there is no question) and ``asked``.
    """
    n = refused = 0
    for q in queries:
        result = _ask(index, q.text, False)
        n += 1
        refused += result is None or result.abstained or not result.sentences
    return {"abstained": refused / n if n else None, "asked": n}


# ----------------------------------------------------------------------------- the whole evaluation


_RUNNERS = {
    "qa": lambda d, cache: run_qa(d, cache=cache),
    "qa+prf": lambda d, cache: run_qa(d, expand=True, cache=cache),
    "bm25s": lambda d, cache: run_bm25s(d),
    "tantivy": lambda d, cache: run_tantivy(d),
    "sklearn-default": lambda d, cache: run_sklearn_default(d),
}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """Platform, Python, CPU count, and the versions of qa and the packages it is compared with."""
    from .. import __version__

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "qa_version": __version__,
        "packages": {p: _version(p) for p in ("numpy", "scikit-learn", "PyStemmer", "bm25s", "tantivy", "matplotlib")},
    }


def evaluate(datasets, systems=SYSTEMS, *, ood_corpus=None, command=None, log: Log | None = None) -> dict:
    """Evaluate systems on datasets: ranking metrics, timings, answers and abstention.

    Parameters
    ----------
    datasets : sequence of Dataset or qa.questionset.QuestionSet
        Their names must differ. Question sets are answered by ``qa`` alone
        and need the ``qa`` system; they take no part in the ranking metrics
        or in out-of-domain abstention.
    systems : str or sequence of str, default=SYSTEMS
        Names from `SYSTEMS`. A peer whose package is missing is skipped with a note.
    ood_corpus : path-like, optional
        The corpus every dataset's questions are also asked of, to measure
        out-of-domain abstention. Default: `qa.build.default_corpus`.
    command : str, optional
        The command line, recorded in the results.
    log : callable, optional
        Called with one line of progress at a time.

    Returns
    -------
    dict
        ``date``, ``command``, ``machine`` (`machine_info`), ``systems``,
        ``metrics``, ``notes`` (skipped systems), ``datasets`` (name ->
        ``documents``, ``queries``, ``judged``, ``retrieval`` (system -> each
        metric, ``queries``, ``index_seconds``, ``query_seconds``,
        ``queries_per_second``) and ``answers`` (system -> `answer_quality`)),
        and ``ood`` (list of ``{"queries", "corpus", "system", "abstained",
        "asked"}``). Answer and abstention figures need the ``qa`` system.
        With question sets, also ``question_sets`` (name ->
        `qa.questionset.evaluate_question_set`).

    Raises
    ------
    QAError
        An unknown system name, no dataset, two datasets of the same name, or
        an unreadable corpus.
    """
    systems = parse_systems(systems)
    given = list(datasets)
    if not given:
        raise QAError("no dataset given")
    datasets = [d for d in given if not isinstance(d, questionset.QuestionSet)]
    qsets = [d for d in given if isinstance(d, questionset.QuestionSet)]
    names = [d.name for d in given]
    for name in names:
        if names.count(name) > 1:
            raise QAError(f"two datasets are named {name!r}; give each dataset folder once, with distinct names")
    log = log or (lambda message: None)
    notes: list[str] = []
    runnable = []
    for s in systems:
        why = system_unavailable(s)
        if why:
            notes.append(why)
            log(f"qa: note: {why}")
        else:
            runnable.append(s)
    prf_answers = "qa+prf" in runnable and _accepts(answer, "expand")
    if "qa+prf" in runnable and not prf_answers:
        why = "qa+prf: qa.answer does not take expand= in this version; its answer figures are skipped"
        notes.append(why)
        log(f"qa: note: {why}")

    cache: dict = {}
    results: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": command,
        "machine": machine_info(),
        "systems": list(systems),
        "metrics": list(METRICS),
        "top_k": TOP_K,
        "answer_k": ANSWER_K,
        "notes": notes,
        "datasets": {},
        "ood": [],
    }
    for d in datasets:
        entry = {
            "path": str(d.path),
            "documents": len(read_corpus(d.corpus)),
            "queries": len(d.queries),
            "judged": len(d.judged),
            "retrieval": {},
            "answers": {},
        }
        results["datasets"][d.name] = entry
        for s in runnable:
            runs, index_seconds, query_seconds = _RUNNERS[s](d, cache)
            figures = rank_metrics(runs, d.qrels)
            n = len(runs)
            figures.update(
                index_seconds=index_seconds,
                query_seconds=query_seconds,
                queries_per_second=n / query_seconds if query_seconds > 0 else None,
            )
            entry["retrieval"][s] = figures
            log(
                f"qa eval: {d.name} / {s}: nDCG@10 {figures['nDCG@10']:.3f}, index {index_seconds:.2f} s, "
                f"{n} queries at {figures['queries_per_second'] or 0:,.0f} q/s"
            )
        if d.has_answers and "qa" in runnable:
            index = _qa_index(d, cache)[0]
            entry["answers"]["qa"] = answer_quality(index, d.queries)
            if prf_answers:
                entry["answers"]["qa+prf"] = answer_quality(index, d.queries, expand=True)
            log(f"qa eval: {d.name}: answer figures done")
    if "qa" in runnable and datasets:
        results["ood"] = _out_of_domain(datasets, cache, ood_corpus, log)
    if qsets:
        results["question_sets"] = {}
        if "qa" in runnable:
            for q in qsets:
                results["question_sets"][q.name] = questionset.evaluate_question_set(q, log=log)
        else:
            why = "question sets skipped: they measure the qa system, which is not among the systems"
            notes.append(why)
            log(f"qa: note: {why}")
    return results


def _out_of_domain(datasets, cache: dict, ood_corpus, log: Log) -> list[dict]:
    out = []
    for a in datasets:
        for b in datasets:
            if a is not b:
                figures = abstention(_qa_index(b, cache)[0], a.queries)
                out.append({"queries": a.name, "corpus": b.name, "system": "qa", **figures})
    corpus = Path(ood_corpus) if ood_corpus is not None else default_corpus()
    index, _warnings = build_index([corpus])
    label = "default corpus" if ood_corpus is None else corpus.name
    for a in datasets:
        figures = abstention(index, a.queries)
        out.append({"queries": a.name, "corpus": label, "corpus_path": str(corpus), "system": "qa", **figures})
    log("qa eval: out-of-domain abstention done")
    return out


# ----------------------------------------------------------------------------- output


def _fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(results: dict, *, verbose: bool = False) -> str:
    """The results as plain-text tables: one per dataset, then answers, abstention and question sets.

    Parameters
    ----------
    results : dict
        As returned by `evaluate`.
    verbose : bool, default=False
        List each question set's misses, one line a question and problem.

    Returns
    -------
    str
    """
    blocks = []
    for name, d in results["datasets"].items():
        judged = next(iter(d["retrieval"].values()), {}).get("queries")
        title = (
            f"{name}: {d['documents']:,} documents, {d['judged']:,} judged queries"
            + (f" ({judged:,} with a relevant document)" if judged is not None else "")
        )
        rows = [
            [s, *(_fmt(f[m]) for m in METRICS), _fmt(f["index_seconds"], 2),
             "-" if f["queries_per_second"] is None else f"{f['queries_per_second']:,.0f}"]
            for s, f in d["retrieval"].items()
        ]
        table = text_table(["system", *METRICS, "index s", "q/s"], rows) if rows else "(no system ran)"
        blocks.append(f"{title}\n{table}")
        if d["answers"]:
            any_answers = next(iter(d["answers"].values()))
            rows = [[s, *(_fmt(a[k]) for k in ANSWER_FIGURES)] for s, a in d["answers"].items()]
            blocks.append(
                f"{name} answers (k={results.get('answer_k', ANSWER_K)}): {any_answers['answerable']:,} answerable, "
                f"{any_answers['unanswerable']:,} unanswerable questions\n" + text_table(["system", *ANSWER_FIGURES], rows)
            )
    if results["ood"]:
        rows = [[o["queries"], o["corpus"], f"{o['asked']:,}", _fmt(o["abstained"])] for o in results["ood"]]
        header = ["questions of", "asked of", "asked", "ood_abstained"]
        blocks.append("out-of-domain abstention (qa)\n" + text_table(header, rows))
    for name, entry in results.get("question_sets", {}).items():
        blocks.append(questionset.format_question_set(name, entry, verbose=verbose))
    for note in results.get("notes", ()):
        blocks.append(f"note: {note}")
    return "\n\n".join(blocks) + "\n"


def write_json(results: dict, path) -> None:
    """Write the results as JSON, atomically (`qa.files.atomic_write`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def require_matplotlib() -> None:
    """Raise QAError saying how to install matplotlib when it is missing."""
    try:
        found = importlib.util.find_spec("matplotlib") is not None
    except ValueError:  # sys.modules["matplotlib"] is None
        found = False
    if not found:
        raise QAError(f"--plot needs matplotlib, which is not installed: {BENCH_HINT}")


def plot(results: dict, path) -> None:
    """A grouped bar chart of every metric per system, one panel per dataset; qa highlighted.

    Saved as PNG, atomically.

    Raises
    ------
    QAError
        matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise QAError(f"--plot needs matplotlib, which is not installed: {BENCH_HINT}") from None

    datasets = [(n, d) for n, d in results["datasets"].items() if d["retrieval"]]
    if not datasets:
        raise QAError("nothing to plot: no system produced figures")
    peer_colours = ["#8c8c8c", "#b3b3b3", "#5f6f7f", "#d0d0d0"]
    fig, axes = plt.subplots(len(datasets), 1, figsize=(11, 3.6 * len(datasets)), squeeze=False)
    for ax, (name, d) in zip(axes[:, 0], datasets):
        systems = list(d["retrieval"])
        width = 0.8 / len(systems)
        peers = iter(peer_colours * 2)
        for i, s in enumerate(systems):
            if s == "qa":
                style = {"color": "#d62728", "edgecolor": "black", "linewidth": 1.2, "zorder": 3}
            elif s.startswith("qa"):
                style = {"color": "#ff9896", "edgecolor": "black", "linewidth": 0.6, "zorder": 3}
            else:
                style = {"color": next(peers), "edgecolor": "none", "zorder": 2}
            xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(METRICS))]
            ax.bar(xs, [d["retrieval"][s][m] for m in METRICS], width, label=s, **style)
        ax.set_xticks(range(len(METRICS)), METRICS)
        ax.set_ylim(0, 1)
        ax.set_ylabel("score")
        ax.set_title(f"{name} ({d['documents']:,} documents, {d['judged']:,} judged queries)")
        ax.grid(axis="y", alpha=0.3, zorder=0)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_file(target, binary=True) as fh:
            fig.savefig(fh, format="png", dpi=110)
    finally:
        plt.close(fig)
