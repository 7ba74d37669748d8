"""Building a sharded index on a Dask cluster: `plan_partitions` and `build_sharded`; the result is
read by `qa.index.sharded.load_sharded` (`ShardedIndex`, which searches it shard by shard and scores
as one index), and `qa.index.cluster.dask_client` connects to the cluster.

When a corpus outgrows one machine, `build_sharded` splits it into contiguous
*partitions* (whole files, and ``corpus.jsonl`` files cut at line starts) and
builds one shard per partition on a `dask.distributed` cluster (a
``LocalCluster`` by default, or a scheduler's address). Workers are sent file
names and byte ranges, never text: each reads and chunks its own files.

Scores equal a single-machine build's (``tests/index/test_shards.py``) because every
statistic a score uses is global:

0. **Scan**: each partition's passages are chunked and their repeat keys
   (`qa.ingest.chunking.passage_key`) returned. A passage that repeats an earlier one
   *anywhere in the corpus* (corpus order: partitions in order) is dropped, as
   `qa.ingest.chunking.iter_passages` drops it in a single build; so a paragraph
   repeated across shards is indexed once, in the first shard that holds it.
1. **Count**: each partition is tokenised into a staging index (local term
   numbers) and returns its document frequencies, passage count and summed
   passage length. The driver merges them into one vocabulary, IDF and BM25
   mean passage length.
2. **Write**: each staging index is renumbered to the global vocabulary and
   weighed with the global IDF and mean length (`BM25Transformer` with those
   statistics), and saved as an ordinary index (`qa.index.store`), one folder each.

Tokenising, the slow part, happens once (pass 1); pass 2 is numpy. Pass 0
re-reads and chunks the files, which is cheap next to tokenising.

Layout (an index folder like `qa.index.store`'s, whose version holds shards; named in `qa.index.layout`)::

    DIR/CURRENT                  the live version's name
    DIR/v-<time>-<pid>/
        shards.json              the manifest: format, params, global counts, the shards, checksums
        shard-0000/ ...          one single index each: global term numbers, globally weighed

Everything is written in a temporary version folder and published by one
atomic swap of ``CURRENT`` (`qa.index.versions.publish_version`), so a crash leaves the
previous index live.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import numpy as np

from ..errors import EmptyCorpusError, SourceError, positive_int
from ..files import write_json
from ..ingest.chunking import passage_key
from ..ingest.loader import fingerprint_update, read_files
from . import ranking
from .cluster import dask_client
from .index import Index, IndexParams, gather_ragged
from .layout import SHARDED, shard_dir, stage_dir
from .store import load_single, save_single
from .versions import check_writable, prepare_version, publish_version, writer_lock

__all__ = ["build_sharded", "plan_partitions"]


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
        The corpus root document paths are relative to (as `qa.ingest.loader.DocumentStream`).
    partitions : list of list of tuple
        ``(path, rel)`` for a whole file, ``(path, rel, start, end)`` for the
        bytes of a ``corpus.jsonl`` (cut at line starts) -- what
        `qa.ingest.loader.read_files` reads. In corpus order: read one after another,
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
            cuts = sorted(
                {
                    0,
                    size,
                    *(_line_start(f, total * i // n - at) for i in range(1, n) if at < total * i // n < at + size),
                }
            )
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
        "keys": np.array(keys, dtype="S16"),
        "doc_keys": np.array(doc_keys, dtype="S16"),
        "warnings": warnings,
        "fingerprint": digest.hexdigest(),
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
    save_single(index, stage)
    terms = [None] * index.n_terms
    for t, i in index.vocabulary.items():
        terms[i] = t
    return {
        "terms": terms,
        "df": np.diff(index.indptr),
        "n_passages": index.n_passages,
        "n_documents": index.passages.n_documents,
        # Passage lengths are whole numbers, so this float64 sum is exact and the mean equals a single build's.
        "length": float(np.asarray(index.tf, dtype=np.float64).sum()),
        "words": list(index.words),
        "words_term": np.fromiter(index.words.values(), np.int32, len(index.words)),
    }


def _write(stage: str, out: str, remap: np.ndarray, shared: dict) -> int:
    """Pass 2: renumber a staging index to the global vocabulary, weigh it globally, save it as a shard."""
    from .weighting import BM25Transformer
    import scipy.sparse as sp

    local = load_single(stage, mmap=True, verify=False)
    n_terms = len(shared["terms"])
    order = np.argsort(remap)  # local terms in global order; remap is one-to-one
    tf, ptr = gather_ragged(np.asarray(local.tf), np.asarray(local.indptr), order)
    rows, _ = gather_ragged(np.asarray(local.indices), np.asarray(local.indptr), order)
    df = np.zeros(n_terms, dtype=np.int64)
    df[remap] = np.diff(local.indptr)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    bm25 = BM25Transformer.from_statistics(
        idf=shared["idf"], avglen=shared["avglen"], n_docs=shared["n_passages"], k1=local.params.k1, b=local.params.b
    )
    weights = bm25.transform(sp.csc_matrix((tf, rows, indptr), shape=(local.n_passages, n_terms))).data
    term_max = np.zeros(n_terms, dtype=np.float32)
    held = df > 0  # a shard holds only some of the terms: the others' postings are empty
    if weights.size:
        term_max[held] = np.maximum.reduceat(weights, indptr[:-1][held])
    tokens = np.asarray(local.tokens)
    shard = Index(
        params=local.params,
        passages=local.passages,
        vocabulary=dict(zip(shared["terms"], range(n_terms))),
        idf=shared["idf"].astype(np.float32),
        indptr=indptr,
        indices=rows.astype(np.int32),
        weights=weights.astype(np.float32, copy=False),
        words=dict(zip(shared["words"], shared["words_term"].tolist())),
        tokens=np.where(tokens >= 0, remap[np.maximum(tokens, 0)], -1).astype(np.int32),
        token_ptr=np.asarray(local.token_ptr),
        meta={},
        tf=tf,
        _term_max=term_max,
    )
    save_single(shard, out)
    return local.n_passages


# -- the build ---------------------------------------------------------------------------------


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


def build_sharded(
    sources,
    out,
    n_shards: int,
    *,
    scheduler: str | None = None,
    client=None,
    params: IndexParams | None = None,
    log=None,
) -> Path:
    """Build a sharded index of `sources` in the folder `out` on a Dask cluster.

    Parameters
    ----------
    sources : path-like or sequence of path-like
        As for `qa.index.build.build_index`.
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
    check_writable(out)  # before any work: a folder qa did not make is refused, untouched
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

    with writer_lock(out):
        tmp, name = prepare_version(out)
        try:
            scans, cpu = _gather_all(client, _scan, parts, [params] * len(parts))
            drops, kept = _global_repeats(client, parts, scans)
            live = [i for i, k in enumerate(kept) if k]  # an empty partition makes no shard
            if not live:
                raise EmptyCorpusError(f"no readable passages in {', '.join(map(str, sources))}")
            done(
                "scan",
                cpu,
                f"pass 0 (scan): {sum(len(s['keys']) for s in scans):,} passages, "
                f"{sum(len(d) for d in drops):,} repeats dropped",
            )
            stages = [str(tmp / stage_dir(j)) for j in range(len(live))]
            counts, cpu = _gather_all(
                client, _count, [parts[i] for i in live], [params] * len(live), [drops[i] for i in live], stages
            )
            done("count", cpu, f"pass 1 (count): {sum(c['n_passages'] for c in counts):,} passages")
            shared, remaps = _merge(counts)
            done("merge", None, f"merged: {len(shared['terms']):,} terms")
            [shared_future] = client.scatter([shared], broadcast=True)  # one copy per worker, not one per task
            shard_dirs = [shard_dir(j) for j in range(len(live))]
            _, cpu = _gather_all(
                client, _write, stages, [str(tmp / d) for d in shard_dirs], remaps, [shared_future] * len(live)
            )
            for s in stages:
                shutil.rmtree(s, ignore_errors=True)
            done("write", cpu, f"pass 2 (write): {len(live)} shard(s)")
            warnings = [w for s in scans for w in s["warnings"]]
            meta = {
                "root": root,
                "sources": [str(s.resolve()) for s in sources],
                "fingerprint": hashlib.sha256("".join(s["fingerprint"] for s in scans).encode()).hexdigest(),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "n_documents": sum(len(s["doc_keys"]) for s in scans),  # documents read, as a single build counts them
                "warnings": warnings,
                "passes": passes,
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
        remaps.append(
            np.fromiter(
                (vocabulary.setdefault(t, len(vocabulary)) for t in c["terms"]), dtype=np.int64, count=len(c["terms"])
            )
        )
    df = np.zeros(len(vocabulary), dtype=np.int64)
    for c, remap in zip(counts, remaps):
        df[remap] += c["df"]
    words: dict[str, int] = {}
    for c, remap in zip(counts, remaps):
        for w, t in zip(c["words"], remap[c["words_term"]].tolist()):
            words.setdefault(w, t)
    n = sum(c["n_passages"] for c in counts)
    shared = {
        "terms": list(vocabulary),
        "df": df,
        "idf": ranking.bm25_idf(df, n),
        "n_passages": n,
        "avglen": sum(c["length"] for c in counts) / n,
        "words": list(words),
        "words_term": np.fromiter(words.values(), np.int32, len(words)),
    }
    return shared, remaps


def _write_manifest(folder: Path, params: IndexParams, shared: dict, shard_dirs, counts, meta) -> None:
    manifest = {
        "format": SHARDED.format,
        "format_version": SHARDED.format_version,
        "params": params.to_dict(),
        "n_passages": shared["n_passages"],
        "n_terms": len(shared["terms"]),
        "avglen": shared["avglen"],
        "shards": [
            {"dir": d, "n_passages": c["n_passages"], "n_documents": c["n_documents"]}
            for d, c in zip(shard_dirs, counts)
        ],
        "meta": meta,
    }
    write_json(folder / SHARDED.manifest, manifest)
