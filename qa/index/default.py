"""The default corpus and its cached index: what `qa ask` answers from without ``--index``.

`default_corpus` says which folder that is, `default_cache_dir` where its
index is cached, `open_index` opens an index folder or (without one) the
cached index of the default corpus, rebuilding it when the corpus changed
(its stat signature, `qa.index.build.stat_signature`), and `index_version`
says when `open_index` would give another index.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import IndexFormatError
from .build import build_index, stat_signature
from .folders import load_index, save_index
from .protocol import SearchIndex
from .layout import current_version, is_index_dir

__all__ = ["default_cache_dir", "default_corpus", "index_version", "open_index"]


def default_corpus() -> Path:
    """The corpus `qa ask` uses without ``--index``.

    ``$QA_CORPUS`` if set, else ``./corpus`` if it exists, else the sample corpus shipped
    inside the package as ``qa/corpus`` (package data of the wheel; in a source checkout a
    link to the repository's ``corpus/``), so an installed ``qa ask`` works from any folder.
    """
    env = os.environ.get("QA_CORPUS")
    if env:
        return Path(env)
    here = Path("corpus")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "corpus"


def default_cache_dir(corpus: Path) -> Path:
    """Where the default corpus's index is cached: ``$QA_CACHE_DIR`` or ``~/.cache/qa``, per corpus path."""
    base = Path(
        os.environ.get("QA_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"
    )
    key = hashlib.sha256(str(corpus.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return base / f"index-{key}"


def open_index(index_dir=None, *, mmap: bool = False, log=None) -> SearchIndex:
    """The index to answer from.

    With `index_dir`, load it (errors if missing or corrupt). Without, use the
    default corpus, rebuilding its cached index when the corpus files changed,
    the cache is missing or unreadable, or it was made by another format version.
    """
    if index_dir is not None:
        return load_index(index_dir, mmap=mmap)
    corpus = default_corpus()
    cache = default_cache_dir(corpus)
    signature = stat_signature([corpus]) if corpus.exists() else None
    if is_index_dir(cache):
        try:
            index = load_index(cache, mmap=mmap)
            if index.meta.get("stat_signature") == signature:
                return index
            if log:
                log(f"qa: {corpus} changed since it was indexed; re-indexing")
        except IndexFormatError as exc:
            if log:
                log(f"qa: cached index unusable ({exc}); re-indexing")
    index, warnings = build_index([corpus])
    for w in warnings:
        if log:
            log(f"qa: warning: {w}")
    try:
        save_index(index, cache)
    except OSError as exc:  # a read-only home still answers, just without a cache
        if log:
            log(f"qa: could not cache the index in {cache}: {exc}")
    return index


def index_version(index_dir=None) -> str | None:
    """A token that changes whenever `open_index(index_dir)` would give a different index:
    the live version of a saved index, or the default corpus's stat signature. Cheap enough
    to check on every page rerun, so a long-running page picks up a re-indexed corpus."""
    if index_dir is not None:
        return current_version(index_dir)
    corpus = default_corpus()
    return stat_signature([corpus]) if corpus.exists() else None
