"""A sharded index as the rest of qa sees it: `ShardedIndex`, `load_sharded`, `save_sharded`.

Shards that answer as one index (`qa.index.protocol.SearchIndex`): a question is
parsed once against the global vocabulary; each shard returns its best passages
by BM25 (`qa.index.ranking.top_passages`, in this process and memory-mapped, or
on the Dask workers that hold the shards after `ShardedIndex.connect`); the lists
are merged, and the rerank bonus and the summary see the merged candidates,
exactly as for one index. Passage numbers are global (shard offset + local
number), in corpus order, so ties break as in a single build. How the shards are
built is `qa.index.shard_build`; the layout is in `qa.index.shard_build`.
"""

from __future__ import annotations

import os
import shutil
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import IndexFormatError
from ..files import write_json
from ..types import DocumentHeadings, Query
from . import ranking
from .cluster import dask_client
from .index import Index
from .layout import SHARDED, SINGLE, LiveVersion, open_live
from .postings import Postings
from .store import check_verify, load_single, open_single
from .versions import prepare_version, publish_version, writer_lock

__all__ = ["ShardedIndex", "load_sharded", "open_sharded", "save_sharded"]


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
    """The passages of all shards as one table, by global passage number (what `qa.answering.search`
    and `qa.serve.library` read of `Index.passages`)."""

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
    hands a sharded index to. It cannot be updated in place (`qa.index.build.update_index`).

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
        return [
            (s, pos, ids[pos] - self.offsets[s])
            for s in np.unique(shard).tolist()
            for pos in [np.flatnonzero(shard == s)]
        ]

    def _scores(self, weights: dict, depth: int | None, documents: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every shard's best passages by BM25 (or all matching ones), merged: global numbers ascending.

        With `documents`, each shard keeps what ranks its own best `documents` documents: a
        document's passages are all in one shard (document numbers are per shard, offset), so the
        corpus's best documents are among the shards' best."""
        if self._remote is not None:
            parts = self._remote.top(weights, depth, documents)
        else:
            parts = [_shard_top(s, weights, depth, documents) for s in self.shards]
        ids = np.concatenate([p[0] + off for p, off in zip(parts, self.offsets)])
        return ids, np.concatenate([p[1] for p in parts])

    def ranked(self, query: Query, expand: bool = False, depth: int | None = None, documents: int | None = None):
        """As `qa.index.ranking.ranked`: matching passages (global numbers) and final scores. The rerank
        runs once, on the best candidates of all shards merged."""
        weights = dict.fromkeys(query.term_ids, 1.0)
        if not weights:
            return np.empty(0, np.int64), np.empty(0)
        pruned = (depth is not None or documents is not None) and not expand
        ids, scores = self._scores(
            weights, max(depth or 0, ranking.RERANK_DEPTH) if pruned else None, documents if pruned else None
        )
        if expand and ids.size:
            weights = self._expansion(query, ids, scores)
            if len(weights) > len(query.term_ids):
                ids, scores = self._scores(weights, None)
        if ids.size:
            top = ranking.top_positions(ids, scores, min(ids.size, ranking.RERANK_DEPTH))
            bonus = np.zeros(top.size)
            for s, pos, local in self._split(ids[top]):
                bonus[pos] = ranking.rerank_bonus(self.shards[s].scoring, query, local)
            scores = scores.copy()
            scores[top] += scores[top[0]] * bonus
        return ids, scores

    def _expansion(self, query: Query, ids: np.ndarray, scores: np.ndarray) -> dict[int, float]:
        """`qa.index.ranking.expansion_weights` over the merged candidates: the feedback passages' token
        sequences are gathered from their shards into one small table first."""
        top = np.sort(
            ids[ranking.top_positions(ids, scores, min(ids.size, ranking.FEEDBACK_PASSAGES))]
        )  # global order kept for ties
        seqs = [None] * top.size
        for s, pos, local in self._split(top):
            shard = self.shards[s]
            for p, i in zip(pos.tolist(), local.tolist()):
                seqs[p] = np.asarray(shard.tokens[shard.token_ptr[i] : shard.token_ptr[i + 1]])
        ptr = np.concatenate([[0], np.cumsum([q.size for q in seqs])]).astype(np.int64)
        view = Postings.of_tokens(np.concatenate(seqs), ptr, self.n_terms)
        return ranking.expansion_weights(view, query, np.arange(top.size), scores[np.searchsorted(ids, top)])

    def matched(self, query: Query, passage_ids: np.ndarray) -> list[list[int]]:
        """As `qa.index.ranking.matched`, for global passage numbers."""
        out: list[list[int]] = [[] for _ in range(len(passage_ids))]
        for s, pos, local in self._split(np.asarray(passage_ids, dtype=np.int64)):
            for p, m in zip(pos.tolist(), ranking.matched(self.shards[s].scoring, query, local)):
                out[p] = m
        return out

    def document_headings(self, max_passages: int, max_headings: int) -> list[DocumentHeadings]:
        """As `Index.document_headings`, shard after shard (corpus order): `max_passages` in all,
        `max_headings` (document, heading) pairs read in each shard."""
        out: list[DocumentHeadings] = []
        left = max_passages
        for shard in self.shards:
            if left <= 0:
                break
            out += shard.document_headings(left, max_headings)
            left -= shard.n_passages
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


def _shard_top(
    shard: Index, weights: dict, depth: int | None, documents: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A shard's best `depth` passages by BM25 (`top_passages`, with what ranks its best `documents`
    documents), or all matching ones: local numbers."""
    df = shard.doc_freq  # computed once per shard
    weights = {t: w for t, w in weights.items() if df[t]}  # a shard holds only some terms: skip the others
    if not weights:
        return np.empty(0, np.int64), np.empty(0)
    if depth is None:
        query = Query(
            text="", words=(), terms=(), term_ids=tuple(weights), idf=(), unknown=(), corrections=(), total_idf=0.0
        )
        return ranking.score_passages(shard.scoring, query, weights)
    return ranking.top_passages(shard.scoring, weights, depth, documents)


class _ShardActor:
    """A Dask actor: one shard loaded into a worker's memory, scoring questions on it."""

    def __init__(self, path: str):
        self.index = load_single(path, mmap=False)

    def top(self, weights: dict, depth, documents=None):
        return _shard_top(self.index, weights, depth, documents)


class _RemoteShards:
    """Actors for every shard, spread over a cluster's workers; `top` asks all of them at once."""

    def __init__(self, scheduler: str, paths: list[str]):
        self._context = dask_client(scheduler)
        client = self._context.__enter__()
        workers = sorted(client.scheduler_info()["workers"])
        # Shards round-robin over the workers; each actor keeps its shard in that worker's memory.
        try:
            futures = [
                client.submit(_ShardActor, p, actor=True, workers=[workers[i % len(workers)]] if workers else None)
                for i, p in enumerate(paths)
            ]
            self.actors = [f.result() for f in futures]  # a worker that cannot open its shard raises here
        except BaseException:
            self._context.__exit__(None, None, None)
            raise

    def top(self, weights: dict, depth, documents=None):
        calls = [a.top(weights, depth, documents) for a in self.actors]
        return [c.result() for c in calls]

    def close(self) -> None:
        self.actors = []
        self._context.__exit__(None, None, None)


def load_sharded(path, *, mmap: bool = True, verify="sample") -> ShardedIndex:
    """Load the sharded index in folder `path` (each shard with `qa.index.store.load_single`).

    Raises
    ------
    IndexFormatError
        The manifest is unreadable or of another version, or a shard is missing or corrupt.
    """
    check_verify(verify)
    return open_live(path, lambda live: open_sharded(live, mmap=mmap, verify=verify), (SHARDED,))


def open_sharded(live: LiveVersion, *, mmap: bool = True, verify="sample") -> ShardedIndex:
    """The sharded index of the live version `live` (read by `qa.index.layout.read_live`)."""
    path, version, manifest = live.folder, live.dir, dict(live.manifest)
    try:
        entries = manifest["shards"]
        shards: list[Index] = []
        first_files = None  # shard 0's manifest's checksums: each later shard compares its terms' with them
        for s in entries:  # the shards share one vocabulary: parsed once, with shard 0
            first = shards[0] if shards else None

            def open_shard(shard: LiveVersion, first=first, first_files=first_files) -> tuple[Index, dict]:
                return (
                    open_single(shard, mmap=mmap, verify=verify, share_terms=first, share_files=first_files),
                    shard.manifest.get("files") or {},
                )

            index, files = open_live(version / s["dir"], open_shard, (SINGLE,))
            shards.append(index)
            first_files = files if first_files is None else first_files
    except (KeyError, TypeError) as exc:
        raise IndexFormatError(
            f"{path}: {SHARDED.manifest} is incomplete ({exc}); rebuild with qa index --shards"
        ) from None
    if not shards or any(
        len(s.vocabulary) != manifest["n_terms"] or s.n_passages != e["n_passages"] for s, e in zip(shards, entries)
    ):
        raise IndexFormatError(f"{path}: the shards disagree with {SHARDED.manifest}; rebuild with qa index --shards")
    # Every shard's postings span the global vocabulary, so their lengths add up to the corpus's
    # document frequencies (for evidence weights and spelling correction).
    doc_freq = np.sum([s.doc_freq for s in shards], axis=0)
    meta = dict(manifest.get("meta") or {})
    meta.update(index_dir=str(path.resolve()), version_dir=version.name, shards=len(shards))
    return ShardedIndex(shards, doc_freq, meta, manifest)


def save_sharded(index: ShardedIndex, out) -> Path:
    """Copy a sharded index to the folder `out` (hard links where the filesystem allows: shard files
    are never changed once written), with its current `meta`; atomically, as `qa.index.store.save_single`."""
    source = Path(index.meta["index_dir"]) / index.meta["version_dir"]
    with writer_lock(out):
        tmp, name = prepare_version(out)
        try:
            for f in source.rglob("*"):
                target = tmp / f.relative_to(source)
                if f.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                if f.name == SHARDED.manifest:
                    continue
                try:
                    os.link(f, target)
                except OSError:
                    shutil.copy2(f, target)
            manifest = {k: v for k, v in index.manifest.items()}
            manifest["meta"] = {k: v for k, v in index.meta.items() if k not in ("index_dir", "version_dir", "shards")}
            write_json(tmp / SHARDED.manifest, manifest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return publish_version(out, tmp, name)
