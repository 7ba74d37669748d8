"""Stage 2, index: passages -> a searchable, saved index.

`index` holds the vocabulary, IDF and postings (`Index`, `IndexParams`);
`weighting` the BM25 weights; `passages` the passage table; `spelling` the
speller over the vocabulary; `store` saves and loads one index; `versions` the
version folders both store and `shards` publish; `build` turns folders into an
index and opens the cached one. Imports `qa.ingest`, never a later stage.

``from qa.index import Index, IndexParams`` keeps working (the module that was
``qa/index.py`` is now `qa.index.index`).
"""

from .index import *  # noqa: F401,F403
from .index import Index, IndexParams

__all__ = ["Index", "IndexParams"]
