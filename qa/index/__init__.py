"""Stage 2, index: passages -> a searchable, saved index.

`index` holds the vocabulary, IDF and postings (`Index`, `IndexParams`);
`weighting` the BM25 weights; `passages` the passage table; `spelling` the
speller over the vocabulary; `ranking` scores the arrays of one index
(`postings`: BM25, MaxScore, the rerank, expansion, top k); `protocol` is what
any index offers the rest of qa (`SearchIndex`). `layout` names the files of
an index folder and reads its live version; `store` saves and loads one index
and `versions` writes and publishes the version folders it and the sharded
index use; `sharded`, `shard_build` and `cluster` are the sharded index
(overview: `shards`); `folders` opens or saves either kind (`load_index`,
`save_index`); `build` turns sources into an index; `default` opens an index
folder or the cached index of the default corpus.
Imports `qa.ingest`, never a later stage.
"""
