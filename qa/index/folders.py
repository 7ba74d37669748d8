"""An index folder, whichever kind of index it holds: the one place that tells them apart.

`load_index` reads the live version's manifest once (`qa.index.layout.read_live`)
and opens a single index (`qa.index.store`, ``manifest.json``) or a sharded one
(`qa.index.sharded`, ``shards.json``); both satisfy `qa.index.protocol.SearchIndex`,
so nothing after this point asks which kind it holds. `save_index` writes either
kind back. These two are THE public pair (`qa.load_index`, `qa.save_index`).
"""

from __future__ import annotations

from pathlib import Path

from . import sharded, store
from .index import Index
from .layout import SHARDED, LiveVersion, live_kind, open_live
from .protocol import SearchIndex

__all__ = ["is_sharded", "load_index", "save_index"]


def is_sharded(path) -> bool:
    """True if `path` is an index folder whose live version is a sharded index (a ``shards.json``
    manifest, `qa.index.shard_build`) rather than a single one."""
    return live_kind(path) is SHARDED


def load_index(path, *, mmap: bool = False, verify="sample", share_terms: Index | None = None) -> SearchIndex:
    """Load the index saved in folder `path`, single or sharded (see `qa.index.store.load_single`
    for the parameters). Shards are always memory-mapped: they can be large."""
    store.check_verify(verify)

    def open_version(live: LiveVersion) -> SearchIndex:
        if live.kind is SHARDED:
            return sharded.open_sharded(live, verify=verify)
        return store.open_single(live, mmap=mmap, verify=verify, share_terms=share_terms)

    return open_live(path, open_version)


def save_index(index: SearchIndex, out) -> Path:
    """Write `index` to the folder `out` atomically and return the version folder
    (`qa.index.store.save_single`, or `qa.index.sharded.save_sharded` for a sharded index)."""
    if isinstance(index, sharded.ShardedIndex):
        return sharded.save_sharded(index, out)
    return store.save_single(index, out)
