"""Stage 2, index: passages -> a searchable, saved index.

`index` holds the vocabulary, IDF and postings (`Index`, `IndexParams`);
`weighting` the BM25 weights; `passages` the passage table; `spelling` the
speller over the vocabulary; `ranking` scores one index (BM25, MaxScore, the
rerank, expansion, top k); `protocol` is what any index offers the rest of qa
(`SearchIndex`). `store` saves and loads one index and `versions` the version
folders it and the sharded index publish; `sharded`, `shard_build` and
`cluster` are the sharded index (overview: `shards`); `folders` opens or saves
either kind; `build` turns sources into an index and opens the cached one.
Imports `qa.ingest`, never a later stage.
"""
