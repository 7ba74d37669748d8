"""Stage 2, index: passages -> a searchable, saved index.

`index` holds the vocabulary, IDF and postings (`Index`, `IndexParams`);
`weighting` the BM25 weights; `passages` the passage table; `spelling` the
speller over the vocabulary; `ranking` scores one index (BM25, MaxScore, the
rerank, expansion, top k); `protocol` is what any index offers the rest of qa
(`SearchIndex`). `store` saves and loads one index and `versions` the version
folders it and the sharded index publish; `sharded`, `shard_build` and
`cluster` are the sharded index (overview: `shards`); `folders` opens or saves
either kind; `build` turns sources into an index; `default` opens an index
folder or the cached index of the default corpus.
Imports `qa.ingest`, never a later stage.

``from qa.index import Index, IndexParams`` keeps working (the module that was
``qa/index.py`` is now `qa.index.index`).
"""

from .index import *  # noqa: F401,F403
from .index import Index, IndexParams

__all__ = ["Index", "IndexParams"]
