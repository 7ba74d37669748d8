"""A sharded index: built on a Dask cluster, searched shard by shard, scored as one index.

When a corpus outgrows one machine, `build_sharded` splits it into contiguous
*partitions* (whole files, and ``corpus.jsonl`` files cut at line starts) and
builds one shard per partition on a `dask.distributed` cluster (a
``LocalCluster`` by default, or a scheduler's address). Workers are sent file
names and byte ranges, never text: each reads and chunks its own files.

Scores equal a single-machine build's (``tests/test_shards.py``) because every
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

Layout (an index folder like `qa.index.store`'s, whose version holds shards)::

    DIR/CURRENT                  the live version's name
    DIR/v-<time>-<pid>/
        shards.json              the manifest: format, params, global counts, the shards, checksums
        shard-0000/ ...          one qa.store index each: global term numbers, globally weighed

Everything is written in a temporary version folder and published by one
atomic swap of ``CURRENT`` (`qa.index.versions.publish_version`), so a crash leaves the
previous index live.

The parts: `qa.index.shard_build` (planning and the passes, on a cluster),
`qa.index.sharded` (`ShardedIndex`, loading and saving) and `qa.index.cluster`
(`dask_client`). This module re-exports them.

Search (`ShardedIndex`): a question is parsed once against the global
vocabulary; each shard returns its best passages by BM25 (`top_passages`,
in-process and memory-mapped, or on the Dask workers that hold the shards
after `ShardedIndex.connect`); the lists are merged, and the rerank bonus
(`qa.index.ranking.rerank_bonus`) and the summary see the merged candidates, exactly
as for one index. Passage numbers are global (shard offset + local number), in
corpus order, so ties break as in a single build.
"""

from __future__ import annotations

from .cluster import dask_client
from .shard_build import build_sharded, plan_partitions
from .sharded import FORMAT, FORMAT_VERSION, MANIFEST, ShardedIndex, load_sharded, save_sharded

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "ShardedIndex",
    "build_sharded",
    "dask_client",
    "load_sharded",
    "plan_partitions",
    "save_sharded",
]
