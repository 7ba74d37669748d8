"""A sharded index: built on a Dask cluster, searched shard by shard, scored as one index.

When a corpus outgrows one machine, `build_sharded` splits it into contiguous
*partitions* (whole files, and ``corpus.jsonl`` files cut at line starts) and
builds one shard per partition on a `dask.distributed` cluster (a
``LocalCluster`` by default, or a scheduler's address). Workers are sent file
names and byte ranges, never text: each reads and chunks its own files.

Scores equal a single-machine build's (``tests/test_shards.py``) because every
statistic a score uses is global:

0. **Scan**: each partition's passages are chunked and their repeat keys
   (`qa.chunking.passage_key`) returned. A passage that repeats an earlier one
   *anywhere in the corpus* (corpus order: partitions in order) is dropped, as
   `qa.chunking.iter_passages` drops it in a single build; so a paragraph
   repeated across shards is indexed once, in the first shard that holds it.
1. **Count**: each partition is tokenised into a staging index (local term
   numbers) and returns its document frequencies, passage count and summed
   passage length. The driver merges them into one vocabulary, IDF and BM25
   mean passage length.
2. **Write**: each staging index is renumbered to the global vocabulary and
   weighed with the global IDF and mean length (`BM25Transformer` with those
   statistics), and saved as an ordinary index (`qa.store`), one folder each.

Tokenising, the slow part, happens once (pass 1); pass 2 is numpy. Pass 0
re-reads and chunks the files, which is cheap next to tokenising.

Layout (an index folder like `qa.store`'s, whose version holds shards)::

    DIR/CURRENT                  the live version's name
    DIR/v-<time>-<pid>/
        shards.json              the manifest: format, params, global counts, the shards, checksums
        shard-0000/ ...          one qa.store index each: global term numbers, globally weighed

Everything is written in a temporary version folder and published by one
atomic swap of ``CURRENT`` (`qa.index.versions.publish_version`), so a crash leaves the
previous index live.

Search (`ShardedIndex`): a question is parsed once against the global
vocabulary; each shard returns its best passages by BM25 (`top_passages`,
in-process and memory-mapped, or on the Dask workers that hold the shards
after `ShardedIndex.connect`); the lists are merged, and the rerank bonus
(`qa.index.ranking.rerank_bonus`) and the summary see the merged candidates, exactly
as for one index. Passage numbers are global (shard offset + local number), in
corpus order, so ties break as in a single build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import EmptyCorpusError, IndexFormatError, QAError, SourceError, positive_int
from ..files import write_json
from ..ingest.chunking import passage_key
from ..ingest.loader import fingerprint_update, read_files
from ..types import Query
from . import ranking
from .index import Index, IndexParams, _gather
from .store import load_index, save_index
from .versions import prepare_version, publish_version, read_manifest

__all__ = ["MANIFEST", "ShardedIndex", "build_sharded", "dask_client", "load_sharded", "plan_partitions",
           "save_sharded"]

MANIFEST = "shards.json"
FORMAT = "qa-sharded-index"
FORMAT_VERSION = 1


# -- planning: which bytes each partition reads ------------------------------------------------


def _line_start(path: Path, offset: int) -> int:
    """The first line start at or after byte `offset` of `path`."""
    if offset <= 0:
        return 0
    with open(path, "rb") as fh:
        fh.seek(offset - 1)
        fh.readline()  # the rest of the line holding byte offset - 1 (nothing if that byte ends a line)
        return fh.tell()


def plan_partitions(sources, n: int) -> tuple[str, list[list[tuple]]]:
    """Split the files of `sources` into `n` contiguous partitions of about equal bytes.

    Returns
    -------
    root : str
        The corpus root document paths are relative to (as `qa.loader.DocumentStream`).
    partitions : list of list of tuple
        ``(path, rel)`` for a whole file, ``(path, rel, start, end)`` for the
        bytes of a ``corpus.jsonl`` (cut at line starts) -- what
        `qa.loader.read_files` reads. In corpus order: read one after another,
        they give the documents of a single build in its order. Some may be
        empty when there are fewer files than partitions.
    """
    from ..ingest.loader import DocumentStream

    positive_int(n, "the number of shards")
    stream = DocumentStream(sources)  # checks the sources, as a single build does
    files = [(f, rel, f.stat().st_size) for f, rel in stream.files()]
    total = max(sum(size for _, _, size in files), 1)
    parts: list[list[tuple]] = [[] for _ in range(n)]
    at = 0
    for f, rel, size in files:
        if f.suffix.lower() == ".jsonl" and size:
            # Cut where the partition boundaries fall inside the file, each cut moved to a line start.
            cuts = sorted({0, size, *(
                _line_start(f, total * i // n - at) for i in range(1, n) if at < total * i // n < at + size)})
            for a, b in zip(cuts, cuts[1:]):
                if a < b:
                    parts[min(n - 1, (at + a) * n // total)].append((str(f), rel, a, b))
        else:  # a whole file goes where its middle falls
            parts[min(n - 1, int((at + size / 2) * n // total))].append((str(f), rel))
        at += size
    return stream.root, parts


# -- the three passes, run on workers ----------------------------------------------------------


def _passages(pieces, params: IndexParams, warnings: list[str], drop=None):
    """The passages of a partition in corpus order, all of them, or without the positions in `drop`."""
    chunker = params.chunker()
    dropped = set(np.asarray(drop).tolist()) if drop is not None and len(drop) else ()
    i = 0
    for doc in read_files(pieces, warnings):
        for p in chunker.chunk(doc):
            if i not in dropped:
                yield p
            i += 1


def _scan(pieces, params: IndexParams) -> dict:
    """Pass 0: every passage's repeat key and every document id's digest, in order."""

    warnings: list[str] = []
    chunker = params.chunker()
    keys, doc_keys = [], []
    digest = hashlib.sha256()
    for doc in read_files(pieces, warnings):
        fingerprint_update(digest, doc)
        doc_keys.append(hashlib.blake2b(doc.doc_id.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        keys.extend(passage_key(p.text) for p in chunker.chunk(doc))
    return {
        "keys": np.array(keys, dtype="S16"), "doc_keys": np.array(doc_keys, dtype="S16"),
        "warnings": warnings, "fingerprint": digest.hexdigest(),
    }


def _doc_id_at(pieces, position: int) -> str:
    """The id of the document at `position` of a partition (to name a repeated id)."""
    for i, doc in enumerate(read_files(pieces, [])):
        if i == position:
            return doc.doc_id
    return "?"


def _count(pieces, params: IndexParams, drop: np.ndarray, stage: str) -> dict:
    """Pass 1: tokenise a partition into a staging index; return its statistics for the merge."""
    index = Index.fit(_passages(pieces, params, [], drop), params)
    save_index(index, stage)
    terms = [None] * index.n_terms
    for t, i in index.vocabulary.items():
        terms[i] = t
    return {
        "terms": terms, "df": np.diff(index.indptr), "n_passages": index.n_passages,
        "n_documents": index.passages.n_documents,
        # Passage lengths are whole numbers, so this float64 sum is exact and the mean equals a single build's.
        "length": float(np.asarray(index.tf, dtype=np.float64).sum()),
        "words": list(index.words), "words_term": np.fromiter(index.words.values(), np.int32, len(index.words)),
    }


def _write(stage: str, out: str, remap: np.ndarray, shared: dict) -> int:
    """Pass 2: renumber a staging index to the global vocabulary, weigh it globally, save it as a shard."""
    from .weighting import BM25Transformer
    import scipy.sparse as sp

    local = load_index(stage, mmap=True, verify=False)
    n_terms = len(shared["terms"])
    order = np.argsort(remap)  # local terms in global order; remap is one-to-one
    tf, ptr = _gather(np.asarray(local.tf), np.asarray(local.indptr), order)
    rows, _ = _gather(np.asarray(local.indices), np.asarray(local.indptr), order)
    df = np.zeros(n_terms, dtype=np.int64)
    df[remap] = np.diff(local.indptr)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    bm25 = BM25Transformer(k1=local.params.k1, b=local.params.b)
    bm25.idf_, bm25.avglen_, bm25.n_docs_ = shared["idf"], shared["avglen"], shared["n_passages"]
    weights = bm25.transform(sp.csc_matrix((tf, rows, indptr), shape=(local.n_passages, n_terms))).data
    term_max = np.zeros(n_terms, dtype=np.float32)
    held = df > 0  # a shard holds only some of the terms: the others' postings are empty
    if weights.size:
        term_max[held] = np.maximum.reduceat(weights, indptr[:-1][held])
    tokens = np.asarray(local.tokens)
    shard = Index(
        params=local.params, passages=local.passages, vocabulary=dict(zip(shared["terms"], range(n_terms))),
        idf=shared["idf"].astype(np.float32), indptr=indptr, indices=rows.astype(np.int32),
        weights=weights.astype(np.float32, copy=False), words=dict(zip(shared["words"], shared["words_term"].tolist())),
        tokens=np.where(tokens >= 0, remap[np.maximum(tokens, 0)], -1).astype(np.int32),
        token_ptr=np.asarray(local.token_ptr), meta={}, tf=tf, _term_max=term_max,
    )
    save_index(shard, out)
    return local.n_passages


# -- the cluster --------------------------------------------------------------------------------


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int = 1):
    """A `dask.distributed.Client`: of the scheduler at `scheduler`, or of a ``LocalCluster`` of
    ``min(n_workers, cpu count)`` single-threaded worker processes (dashboard on a free port), shut down on exit."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a dependency
        raise QAError("sharding needs Dask: pip install 'dask[distributed]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise QAError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # Tokenising is pure Python: Dask's statistical profiler (a stack sample every 10 ms) and GIL
    # monitor slowed it by a third on a worker, so this cluster runs without them.
    quiet = {"distributed.worker.profile.enabled": False, "distributed.admin.system-monitor.gil.enabled": False}
    with dask.config.set(quiet):
        cluster = LocalCluster(
            n_workers=max(1, min(n_workers, os.cpu_count() or 1)), threads_per_worker=1, processes=True,
            dashboard_address=":0", host="127.0.0.1",  # a free port: parallel runs never collide
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _timed(fn, *args):
    """``fn(*args)`` and the CPU seconds the worker spent on it (unlike wall time, not inflated
    by other work on the machine)."""
    start = time.process_time()
    return fn(*args), time.process_time() - start


def _gather_all(client, fn, *iterables) -> tuple[list, float]:
    """``[fn(*args)]`` for the zipped `iterables`, one Dask task each, results in order; and the
    workers' CPU seconds in all."""
    futures = [client.submit(_timed, fn, *args, pure=False) for args in zip(*iterables)]
    done = client.gather(futures)
    return [r for r, _ in done], sum(cpu for _, cpu in done)


def build_sharded(sources, out, n_shards: int, *, scheduler: str | None = None, client=None,
                  params: IndexParams | None = None, log=None) -> Path:
    """Build a sharded index of `sources` in the folder `out` on a Dask cluster.

    Parameters
    ----------
    sources : path-like or sequence of path-like
        As for `qa.build.build_index`.
    out : path-like
        The index folder; it must be on a filesystem every worker sees. An
        index already there stays live until the new one is complete.
    n_shards : int
        Partitions, hence shards (fewer when the corpus has fewer files).
    scheduler : str, optional
        A Dask scheduler's address; without it (and without `client`) a
        ``LocalCluster`` of ``min(n_shards, cpu count)`` workers runs the build.
    client : dask.distributed.Client, optional
        An open client to use instead.
    log : callable, optional
        Called with progress lines.

    Returns
    -------
    Path
        The published version folder.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    sources = [Path(s) for s in sources]
    params = params or IndexParams()
    root, parts = plan_partitions(sources, n_shards)
    if client is None:
        with dask_client(scheduler, n_shards) as c:
            return build_sharded(sources, out, n_shards, client=c, params=params, log=log)
    say = log or (lambda _: None)
    started = time.perf_counter()
    passes: dict[str, dict] = {}

    def done(step: str, cpu: float | None, line: str) -> None:
        wall = time.perf_counter() - started - sum(p["wall_s"] for p in passes.values())
        passes[step] = {"wall_s": round(wall, 3), **({"worker_cpu_s": round(cpu, 3)} if cpu is not None else {})}
        say(f"qa: {line} ({wall:.1f} s{f', workers {cpu:.1f} s CPU' if cpu is not None else ''})")

    tmp, name = prepare_version(out)
    try:
        scans, cpu = _gather_all(client, _scan, parts, [params] * len(parts))
        drops, kept = _global_repeats(client, parts, scans)
        live = [i for i, k in enumerate(kept) if k]  # an empty partition makes no shard
        if not live:
            raise EmptyCorpusError(f"no readable passages in {', '.join(map(str, sources))}")
        done("scan", cpu, f"pass 0 (scan): {sum(len(s['keys']) for s in scans):,} passages, "
                          f"{sum(len(d) for d in drops):,} repeats dropped")
        stages = [str(tmp / f"stage-{j:04d}") for j in range(len(live))]
        counts, cpu = _gather_all(client, _count, [parts[i] for i in live], [params] * len(live),
                                  [drops[i] for i in live], stages)
        done("count", cpu, f"pass 1 (count): {sum(c['n_passages'] for c in counts):,} passages")
        shared, remaps = _merge(counts)
        done("merge", None, f"merged: {len(shared['terms']):,} terms")
        [shared_future] = client.scatter([shared], broadcast=True)  # one copy per worker, not one per task
        shard_dirs = [f"shard-{j:04d}" for j in range(len(live))]
        _, cpu = _gather_all(client, _write, stages, [str(tmp / d) for d in shard_dirs], remaps,
                             [shared_future] * len(live))
        for s in stages:
            shutil.rmtree(s, ignore_errors=True)
        done("write", cpu, f"pass 2 (write): {len(live)} shard(s)")
        warnings = [w for s in scans for w in s["warnings"]]
        meta = {
            "root": root, "sources": [str(s.resolve()) for s in sources],
            "fingerprint": hashlib.sha256("".join(s["fingerprint"] for s in scans).encode()).hexdigest(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "n_documents": sum(len(s["doc_keys"]) for s in scans),  # documents read, as a single build counts them
            "warnings": warnings, "passes": passes,
        }
        _write_manifest(tmp, params, shared, shard_dirs, counts, meta)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return publish_version(out, tmp, name)


def _global_repeats(client, parts, scans) -> tuple[list[np.ndarray], list[int]]:
    """Per partition, the positions of passages that repeat an earlier one anywhere in the corpus,
    and how many passages it keeps. Also refuses a document id that occurs twice."""
    doc_keys = np.concatenate([s["doc_keys"] for s in scans])
    uniq, first, counts = np.unique(doc_keys, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1][0]
        where = np.flatnonzero(doc_keys == dup)[1]
        sizes = np.cumsum([len(s["doc_keys"]) for s in scans])
        p = int(np.searchsorted(sizes, where, side="right"))
        doc_id = client.submit(_doc_id_at, parts[p], int(where - (sizes[p - 1] if p else 0))).result()
        raise SourceError(f"document id {doc_id!r} occurs more than once; document ids must be unique")
    keys = np.concatenate([s["keys"] for s in scans])
    keep = np.zeros(keys.size, dtype=bool)
    if keys.size:  # np.unique's first index is each key's first occurrence: that passage is kept
        keep[np.unique(keys, return_index=True)[1]] = True
    drops, kept, at = [], [], 0
    for s in scans:
        mine = keep[at : at + len(s["keys"])]
        drops.append(np.flatnonzero(~mine))
        kept.append(int(mine.sum()))
        at += len(s["keys"])
    return drops, kept


def _merge(counts: list[dict]) -> tuple[dict, list[np.ndarray]]:
    """One vocabulary (terms numbered in order of first appearance, partition by partition), its
    document frequencies, IDF and mean passage length; and each partition's term renumbering."""

    vocabulary: dict[str, int] = {}
    remaps = []
    for c in counts:
        remaps.append(np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in c["terms"]),
                                  dtype=np.int64, count=len(c["terms"])))
    df = np.zeros(len(vocabulary), dtype=np.int64)
    for c, remap in zip(counts, remaps):
        df[remap] += c["df"]
    words: dict[str, int] = {}
    for c, remap in zip(counts, remaps):
        for w, t in zip(c["words"], remap[c["words_term"]].tolist()):
            words.setdefault(w, t)
    n = sum(c["n_passages"] for c in counts)
    shared = {
        "terms": list(vocabulary), "df": df, "idf": ranking.bm25_idf(df, n), "n_passages": n,
        "avglen": sum(c["length"] for c in counts) / n,
        "words": list(words), "words_term": np.fromiter(words.values(), np.int32, len(words)),
    }
    return shared, remaps


def _write_manifest(folder: Path, params: IndexParams, shared: dict, shard_dirs, counts, meta) -> None:
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "params": params.to_dict(),
        "n_passages": shared["n_passages"], "n_terms": len(shared["terms"]), "avglen": shared["avglen"],
        "shards": [{"dir": d, "n_passages": c["n_passages"], "n_documents": c["n_documents"]}
                   for d, c in zip(shard_dirs, counts)],
        "meta": meta,
    }
    write_json(folder / MANIFEST, manifest)


# -- reading and searching -----------------------------------------------------------------------


class _Concat(Sequence):
    """Several sequences read as one (the shards' string tables as the corpus's)."""

    def __init__(self, parts):
        self.parts = list(parts)
        self.ends = np.cumsum([len(p) for p in self.parts])

    def __len__(self) -> int:
        return int(self.ends[-1]) if self.ends.size else 0

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i) + (len(self) if int(i) < 0 else 0)
        if not 0 <= i < len(self):
            raise IndexError(f"item {i} out of range (0..{len(self) - 1})")
        s = int(np.searchsorted(self.ends, i, side="right"))
        return self.parts[s][i - (int(self.ends[s - 1]) if s else 0)]


def _column(name: str):
    """A string column of every shard's passage table, read as one."""
    return cached_property(lambda self: _Concat(getattr(p, name) for p in self.parts))


class _ShardedPassages(_Concat):
    """The passages of all shards as one table, by global passage number (what `qa.answering.search`,
    `qa.library` and `qa.suggest` read of `Index.passages`)."""

    @property
    def n_documents(self) -> int:
        return len(self.doc_id)

    @cached_property
    def doc(self) -> np.ndarray:
        """Global document number of each passage."""
        starts = np.concatenate([[0], np.cumsum([p.n_documents for p in self.parts])[:-1]])
        return np.concatenate([np.asarray(p.doc, dtype=np.int64) + s for p, s in zip(self.parts, starts)])

    text = _column("text")
    doc_id = _column("doc_id")
    source = _column("source")
    title = _column("title")
    sections = _column("sections")


class ShardedIndex:
    """Shards that answer as one index. Load with `load_sharded` (or `qa.load_index`, which
    recognises a sharded folder); build with `build_sharded`.

    It offers what `qa.answering` and the page read of an index (`qa.index.protocol.SearchIndex`)
    (vocabulary, global document frequencies, passages by global number, the
    analyzer and speller), and ranks through `ranked`, which `qa.answering.search.ranked`
    hands a sharded index to. It cannot be updated in place (`qa.build.update_index`).

    Attributes
    ----------
    shards : list of Index
        Each an ordinary index over its passages, with the global vocabulary and weights.
    offsets : ndarray of int64
        Global number of each shard's first passage, and the total at the end.
    doc_freq : ndarray
        Passages per term across all shards.
    """

    def __init__(self, shards: list[Index], doc_freq: np.ndarray, meta: dict, manifest: dict | None = None):
        self.shards = shards
        self.doc_freq = doc_freq
        self.meta = meta
        self.manifest = manifest or {}
        self.offsets = np.concatenate([[0], np.cumsum([s.n_passages for s in shards])]).astype(np.int64)
        first = shards[0]
        self.params, self.vocabulary, self.words, self.idf = first.params, first.vocabulary, first.words, first.idf
        self.passages = _ShardedPassages(s.passages for s in shards)
        self._remote = None

    @property
    def n_passages(self) -> int:
        return int(self.offsets[-1])

    @property
    def n_terms(self) -> int:
        return len(self.vocabulary)

    @property
    def analyzer(self):
        return self.params.analyzer()

    @cached_property
    def speller(self):
        from .spelling import Speller

        return Speller(self.words, self.doc_freq)

    @property
    def passage_doc(self):
        return self.passages.doc, self.passages.doc_id

    def _split(self, ids: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """``(shard, positions in ids, local numbers)`` for each shard holding some of the global `ids`."""
        shard = np.searchsorted(self.offsets, ids, side="right") - 1
        return [(s, pos, ids[pos] - self.offsets[s])
                for s in np.unique(shard).tolist() for pos in [np.flatnonzero(shard == s)]]

    def _scores(self, weights: dict, depth: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Every shard's best passages by BM25 (or all matching ones), merged: global numbers ascending."""
        if self._remote is not None:
            parts = self._remote.top(weights, depth)
        else:
            parts = [_shard_top(s, weights, depth) for s in self.shards]
        ids = np.concatenate([p[0] + off for p, off in zip(parts, self.offsets)])
        return ids, np.concatenate([p[1] for p in parts])

    def ranked(self, query: Query, expand: bool = False, depth: int | None = None):
        """As `qa.index.ranking.ranked`: matching passages (global numbers) and final scores. The rerank
        runs once, on the best candidates of all shards merged."""
        weights = dict.fromkeys(query.term_ids, 1.0)
        if not weights:
            return np.empty(0, np.int64), np.empty(0)
        ids, scores = self._scores(weights, max(depth, ranking.RERANK_DEPTH) if depth is not None and not expand else None)
        if expand and ids.size:
            weights = self._expansion(query, ids, scores)
            if len(weights) > len(query.term_ids):
                ids, scores = self._scores(weights, None)
        if ids.size:
            top = ranking.top_positions(ids, scores, min(ids.size, ranking.RERANK_DEPTH))
            bonus = np.zeros(top.size)
            for s, pos, local in self._split(ids[top]):
                bonus[pos] = ranking.rerank_bonus(self.shards[s], query, local)
            scores = scores.copy()
            scores[top] += scores[top[0]] * bonus
        return ids, scores

    def _expansion(self, query: Query, ids: np.ndarray, scores: np.ndarray) -> dict[int, float]:
        """`qa.index.ranking.expansion_weights` over the merged candidates: the feedback passages' token
        sequences are gathered from their shards into one small table first."""
        from types import SimpleNamespace

        top = np.sort(ids[ranking.top_positions(ids, scores, min(ids.size, ranking.FEEDBACK_PASSAGES))])  # global order kept for ties
        seqs = [None] * top.size
        for s, pos, local in self._split(top):
            shard = self.shards[s]
            for p, i in zip(pos.tolist(), local.tolist()):
                seqs[p] = np.asarray(shard.tokens[shard.token_ptr[i] : shard.token_ptr[i + 1]])
        ptr = np.concatenate([[0], np.cumsum([q.size for q in seqs])]).astype(np.int64)
        view = SimpleNamespace(tokens=np.concatenate(seqs), token_ptr=ptr, n_terms=self.n_terms)
        return ranking.expansion_weights(view, query, np.arange(top.size), scores[np.searchsorted(ids, top)])

    def matched(self, query: Query, passage_ids: np.ndarray) -> list[list[int]]:
        """As `qa.index.ranking.matched`, for global passage numbers."""
        out: list[list[int]] = [[] for _ in range(len(passage_ids))]
        for s, pos, local in self._split(np.asarray(passage_ids, dtype=np.int64)):
            for p, m in zip(pos.tolist(), ranking.matched(self.shards[s], query, local)):
                out[p] = m
        return out

    def connect(self, scheduler: str, *, optional: bool = False) -> "ShardedIndex":
        """Score questions on the Dask workers of `scheduler`, each holding some shards in memory
        (loaded from this index's folder, which the workers must see at the same path).
        Passages, the rerank and the summary stay in this process (memory-mapped)."""
        version = Path(self.meta["index_dir"]) / self.meta["version_dir"]
        self._remote = _RemoteShards(scheduler, [str(version / s["dir"]) for s in self.manifest["shards"]])
        return self

    def with_meta(self, **changes) -> "ShardedIndex":
        """A new sharded index over the same shards with ``{**meta, **changes}`` as its meta."""
        return ShardedIndex(self.shards, self.doc_freq, {**self.meta, **changes}, self.manifest)

    def check_updatable(self) -> None:
        """A sharded index is rebuilt, never updated in place."""
        raise IndexFormatError(
            f"{self.meta.get('index_dir', 'this index')} is a sharded index, which cannot be updated in place; "
            "rebuild it with qa index SOURCE --out DIR --shards N"
        )

    def close(self) -> None:
        """Release the remote shards, if connected."""
        if self._remote is not None:
            self._remote.close()
            self._remote = None


def _shard_top(shard: Index, weights: dict, depth: int | None) -> tuple[np.ndarray, np.ndarray]:
    """A shard's best `depth` passages by BM25 (`top_passages`), or all matching ones: local numbers."""
    df = shard.doc_freq  # computed once per shard
    weights = {t: w for t, w in weights.items() if df[t]}  # a shard holds only some terms: skip the others
    if not weights:
        return np.empty(0, np.int64), np.empty(0)
    if depth is None:
        query = Query(text="", words=(), terms=(), term_ids=tuple(weights), idf=(), unknown=(), corrections=(),
                      total_idf=0.0)
        return ranking.score_passages(shard, query, weights)
    return ranking.top_passages(shard, weights, depth)


class _ShardActor:
    """A Dask actor: one shard loaded into a worker's memory, scoring questions on it."""

    def __init__(self, path: str):
        self.index = load_index(path, mmap=False)

    def top(self, weights: dict, depth):
        return _shard_top(self.index, weights, depth)


class _RemoteShards:
    """Actors for every shard, spread over a cluster's workers; `top` asks all of them at once."""

    def __init__(self, scheduler: str, paths: list[str]):
        self._context = dask_client(scheduler)
        client = self._context.__enter__()
        workers = sorted(client.scheduler_info()["workers"])
        # Shards round-robin over the workers; each actor keeps its shard in that worker's memory.
        try:
            futures = [client.submit(_ShardActor, p, actor=True,
                                     workers=[workers[i % len(workers)]] if workers else None)
                       for i, p in enumerate(paths)]
            self.actors = [f.result() for f in futures]  # a worker that cannot open its shard raises here
        except BaseException:
            self._context.__exit__(None, None, None)
            raise

    def top(self, weights: dict, depth):
        calls = [a.top(weights, depth) for a in self.actors]
        return [c.result() for c in calls]

    def close(self) -> None:
        self.actors = []
        self._context.__exit__(None, None, None)


def load_sharded(path, *, mmap: bool = True, verify="sample") -> ShardedIndex:
    """Load the sharded index in folder `path` (each shard with `qa.index.store.load_index`).

    Raises
    ------
    IndexFormatError
        The manifest is unreadable or of another version, or a shard is missing or corrupt.
    """
    path = Path(path)
    manifest = read_manifest(path, name=MANIFEST, fmt=FORMAT, fmt_version=FORMAT_VERSION, what="sharded index",
                             rebuild="qa index --shards")
    version = Path(manifest.pop("_dir"))
    try:
        entries = manifest["shards"]
        shards: list[Index] = []
        for s in entries:  # the shards share one vocabulary: parsed once, with shard 0
            first = shards[0] if shards else None
            shards.append(load_index(version / s["dir"], mmap=mmap, verify=verify, share_terms=first))
    except (KeyError, TypeError) as exc:
        raise IndexFormatError(f"{path}: {MANIFEST} is incomplete ({exc}); rebuild with qa index --shards") from None
    if (not shards
            or any(len(s.vocabulary) != manifest["n_terms"] or s.n_passages != e["n_passages"]
                   for s, e in zip(shards, entries))):
        raise IndexFormatError(f"{path}: the shards disagree with {MANIFEST}; rebuild with qa index --shards")
    # Every shard's postings span the global vocabulary, so their lengths add up to the corpus's
    # document frequencies (for evidence weights and spelling correction).
    doc_freq = np.sum([s.doc_freq for s in shards], axis=0)
    meta = dict(manifest.get("meta") or {})
    meta.update(index_dir=str(path.resolve()), version_dir=version.name, shards=len(shards))
    return ShardedIndex(shards, doc_freq, meta, manifest)


def save_sharded(index: ShardedIndex, out) -> Path:
    """Copy a sharded index to the folder `out` (hard links where the filesystem allows: shard files
    are never changed once written), with its current `meta`; atomically, as `qa.index.store.save_index`."""
    source = Path(index.meta["index_dir"]) / index.meta["version_dir"]
    tmp, name = prepare_version(out)
    try:
        for f in source.rglob("*"):
            target = tmp / f.relative_to(source)
            if f.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if f.name == MANIFEST:
                continue
            try:
                os.link(f, target)
            except OSError:
                shutil.copy2(f, target)
        manifest = {k: v for k, v in index.manifest.items()}
        manifest["meta"] = {k: v for k, v in index.meta.items() if k not in ("index_dir", "version_dir", "shards")}
        write_json(tmp / MANIFEST, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return publish_version(out, tmp, name)
