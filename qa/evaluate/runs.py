"""`qa eval`'s runs: each system over each dataset, qa's answers and abstention, the whole evaluation.

For each dataset and system the corpus is indexed (timed), every judged query
is run alone (timed) for its top `TOP_K` documents, and the rankings are scored
with `qa.evaluate.metrics.rank_metrics`. The peers are `qa.evaluate.peers`.
"""

from __future__ import annotations

import datetime
import functools
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..answering.search import search_documents
from ..answering.summarize import answer
from ..errors import QAError, QuestionError
from ..index.build import build_index
from ..index.default import default_corpus
from . import peers, questionset
from ..text import text_key
from .datasets import Dataset, read_corpus
from .metrics import METRICS, rank_metrics

__all__ = [
    "ANSWER_FIGURES",
    "ANSWER_K",
    "SYSTEMS",
    "TOP_K",
    "abstention",
    "answer_quality",
    "evaluate",
    "machine_info",
    "parse_systems",
    "run_bm25s",
    "run_qa",
    "run_sklearn_default",
    "run_tantivy",
    "system_unavailable",
]

TOP_K = 100  # documents ranked per query
ANSWER_K = 5  # passages per answer, as `qa ask`
SYSTEMS = ("qa", "qa+prf", "bm25s", "tantivy", "sklearn-default")
ANSWER_FIGURES = ("answer_first", "answer_any", "answered", "unanswerable_abstained")
BENCH_HINT = "pip install .[bench]"

Log = Callable[[str], None]


def system_unavailable(name: str) -> str | None:
    """Why a system cannot run here (a one-line note), or None when it can."""
    package = peers.missing_package(name) if name in ("bm25s", "tantivy", "sklearn-default") else None
    if package:
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
    import Stemmer

    docs = read_corpus(dataset.corpus)
    ids = [d for d, _, _ in docs]
    stemmer = Stemmer.Stemmer("english")
    start = time.perf_counter()
    retriever = peers.bm25s_index([f"{t} {x}" for _, t, x in docs], stemmer=stemmer)
    index_seconds = time.perf_counter() - start
    k = min(TOP_K, len(ids))

    def rank(text):
        q = peers.bm25s_tokenize([text], stemmer=stemmer, return_ids=False)
        if not q[0]:
            return []
        found, scores = retriever.retrieve(q, k=k, show_progress=False, n_threads=0)
        return [ids[int(i)] for i, s in zip(found[0], scores[0]) if s > 0]

    runs, query_seconds = _timed_queries(dataset.judged, rank)
    return runs, index_seconds, query_seconds


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
    docs = read_corpus(dataset.corpus)
    with tempfile.TemporaryDirectory(prefix="qa-eval-tantivy-") as tmp:
        start = time.perf_counter()
        index = peers.tantivy_index(docs, tmp)
        index.reload()
        searcher = index.searcher()
        index_seconds = time.perf_counter() - start

        def rank(text):
            query = peers.tantivy_query(index, text)
            if query is None:
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


def _ask(index, text: str, expand: bool):
    """The Answer, or None when qa refuses the question (QuestionError)."""
    try:
        return answer(index, text, k=ANSWER_K, expand=expand)
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
        gold = [g for g in (text_key(a) for a in q.answers) if g]
        head = text_key(result.sentences[0].text)
        whole = text_key(" ".join(s.text for s in result.sentences))
        first += any(g in head for g in gold)
        anywhere += any(g in whole for g in gold)
    share = lambda n, d: n / d if d else None
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


_RUNNERS = {
    "qa": lambda d, cache: run_qa(d, cache=cache),
    "qa+prf": lambda d, cache: run_qa(d, expand=True, cache=cache),
    "bm25s": lambda d, cache: run_bm25s(d),
    "tantivy": lambda d, cache: run_tantivy(d),
    "sklearn-default": lambda d, cache: run_sklearn_default(d),
}


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
        "packages": {
            p: peers.package_version(p)
            for p in ("numpy", "scikit-learn", "PyStemmer", "bm25s", "tantivy", "matplotlib")
        },
    }


def evaluate(datasets, systems=SYSTEMS, *, ood_corpus=None, command=None, log: Log | None = None) -> dict:
    """Evaluate systems on datasets: ranking metrics, timings, answers and abstention.

    Parameters
    ----------
    datasets : sequence of Dataset or qa.evaluate.questionset.QuestionSet
        Their names must differ. Question sets are answered by ``qa`` alone
        and need the ``qa`` system; they take no part in the ranking metrics
        or in out-of-domain abstention.
    systems : str or sequence of str, default=SYSTEMS
        Names from `SYSTEMS`. A peer whose package is missing is skipped with a note.
    ood_corpus : path-like, optional
        The corpus every dataset's questions are also asked of, to measure
        out-of-domain abstention. Default: `qa.index.default.default_corpus`.
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
        `qa.evaluate.questionset.evaluate_question_set`).

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
    prf_answers = "qa+prf" in runnable

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
