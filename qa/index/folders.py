"""An index folder, whichever kind of index it holds: the one place that tells them apart.

`load_index` reads the live version's manifest name and opens a single index
(`qa.index.store`, ``manifest.json``) or a sharded one (`qa.index.sharded`,
``shards.json``); both satisfy `qa.index.protocol.SearchIndex`, so nothing
after this point asks which kind it holds. `save_index` writes either kind back.
"""

from __future__ import annotations

from pathlib import Path

from . import sharded, store
from .index import Index
from .protocol import SearchIndex
from .versions import live_holds

__all__ = ["is_sharded", "load_index", "save_index"]


def is_sharded(path) -> bool:
    """True if `path` is an index folder whose live version is a sharded index (a ``shards.json``
    manifest, `qa.index.shards`) rather than a single one."""
    return live_holds(path, sharded.MANIFEST)


def load_index(path, *, mmap: bool = False, verify="sample", share_terms: Index | None = None) -> SearchIndex:
    """Load the index saved in folder `path`, single or sharded (see `qa.index.store.load_index`
    for the parameters). Shards are always memory-mapped: they can be large."""
    if is_sharded(path):
        return sharded.load_sharded(path, verify=verify)
    return store.load_index(path, mmap=mmap, verify=verify, share_terms=share_terms)


def save_index(index: SearchIndex, out) -> Path:
    """Write `index` to the folder `out` atomically and return the version folder
    (`qa.index.store.save_index`, or `qa.index.sharded.save_sharded` for a sharded index)."""
    if isinstance(index, sharded.ShardedIndex):
        return sharded.save_sharded(index, out)
    return store.save_index(index, out)
