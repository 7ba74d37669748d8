"""Save and load one `Index` as plain ``.npy`` arrays and JSON. Nothing is pickled.

The store knows single indexes only (`save_single`, `load_single`); a folder of
either kind is opened with `qa.index.folders.load_index`. Version folders
(publishing, checksums) are `qa.index.versions`'; the file names and reading
the live manifest `qa.index.layout`'s.

Layout of an index folder ``DIR`` (named in `qa.index.layout`)::

    DIR/CURRENT              the name of the live version folder, one line
    DIR/v-<time>-<pid>/      one complete index:
        manifest.json        format, format_version, params, counts, corpus facts,
                             and the sha256 of every other file
        vocab.npy            terms in column order, UTF-8, one per line
        words.npy words_term.npy   surface words (UTF-8 lines) and their term numbers,
                             for spelling correction
        idf.npy indptr.npy indices.npy weights.npy   term-major postings
        tokens.npy token_ptr.npy                     passages as term numbers
        passage_*.npy, text_*.npy, doc_id_*.npy,     passages by column (qa.passages):
        source_*.npy, title_*.npy, sections_*.npy    numbers, and UTF-8 bytes + offsets

A save writes a new version folder under a temporary name, fsyncs it, renames
it into place, and only then replaces ``CURRENT`` (an atomic ``os.replace``).
A reader therefore sees the old index or the new one, never half of either; a
crash mid-save leaves the old index live and a ``.tmp-*`` folder that the
next save removes. Loading checks the format version, every file's size, and
its sha256 (files over `SAMPLE_ABOVE` bytes are checked on a fixed sample of
blocks, so a million-passage index still opens in well under a second;
``verify="full"`` hashes everything), so a truncated or altered file is
refused with a message instead of misread. With ``mmap=True`` the arrays are
memory-mapped and only the pages a question touches are read.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import IndexFormatError
from ..files import write_json
from .index import Index, IndexParams
from .layout import (
    ARRAYS,
    PASSAGE_ARRAYS,
    SINGLE,
    TERM_FILES,
    VOCAB_FILE,
    WORDS_FILE,
    WORDS_TERM_FILE,
    LiveVersion,
    npy,
    open_live,
    read_manifest,
)
from .passages import PassageTable
from .versions import file_checksums, prepare_version, publish_version, sampled_sha256, sha256, writer_lock

__all__ = ["SAMPLE_ABOVE", "load_single", "open_single", "save_single"]

SAMPLE_ABOVE = 8 << 20


def save_single(index: Index, out) -> Path:
    """Write `index` to the folder `out` atomically and return the version folder.

    Parameters
    ----------
    index : Index
    out : path-like
        Created if missing. If it holds an index, that index stays live until the
        new one is complete (and is removed some time later, `qa.index.versions`).
        Held under the folder's writer lock (`qa.index.versions.writer_lock`); a
        folder that is not empty and was not made by qa is refused.
    """
    with writer_lock(out):
        return _save_single(index, out)


def _save_single(index: Index, out) -> Path:
    tmp, name = prepare_version(out)
    out = Path(out)
    try:
        terms = [None] * len(index.vocabulary)
        for t, i in index.vocabulary.items():
            terms[i] = t
        arrays = {
            npy("idf"): np.ascontiguousarray(index.idf, dtype=np.float32),
            npy("indptr"): np.ascontiguousarray(index.indptr, dtype=np.int64),
            npy("indices"): np.ascontiguousarray(index.indices, dtype=np.int32),
            npy("weights"): np.ascontiguousarray(index.weights, dtype=np.float32),
            npy("tokens"): np.ascontiguousarray(index.tokens, dtype=np.int32),
            npy("token_ptr"): np.ascontiguousarray(index.token_ptr, dtype=np.int64),
            npy("term_max"): np.ascontiguousarray(index.term_max, dtype=np.float32),
            npy("tf"): np.ascontiguousarray(index._counts(), dtype=np.float32),
            **{npy(column): np.ascontiguousarray(array) for column, array in index.passages.arrays().items()},
            VOCAB_FILE: _lines(terms),
            WORDS_FILE: _lines(index.words),
            WORDS_TERM_FILE: np.fromiter(index.words.values(), dtype=np.int32, count=len(index.words)),
        }
        if set(arrays) != {npy(a) for a in ARRAYS + PASSAGE_ARRAYS} | set(TERM_FILES):
            raise AssertionError("the arrays saved differ from the layout's")  # a new array named in one place only

        def write(item):  # and checksum it while its pages are fresh
            file, array = item
            np.save(tmp / file, array)
            return file_checksums(tmp, [file])

        # Two threads: writing and hashing release the GIL, and at a million passages they are
        # seconds of a build's serial end (1M synthetic: 4.3 -> 2.7 s).
        with ThreadPoolExecutor(2) as pool:
            checksums = {
                k: v
                for part in pool.map(write, sorted(arrays.items(), key=lambda kv: -kv[1].nbytes))
                for k, v in part.items()
            }
        manifest = {
            "format": SINGLE.format,
            "format_version": SINGLE.format_version,
            "params": index.params.to_dict(),
            "n_passages": index.n_passages,
            "n_terms": index.n_terms,
            "meta": index.meta,
            "files": dict(sorted(checksums.items())),
        }
        write_json(tmp / SINGLE.manifest, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return publish_version(out, tmp, name)


def _lines(strings) -> np.ndarray:
    """Terms as one UTF-8 array, a line each (terms never hold a line break)."""
    return np.frombuffer("\n".join(strings).encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _unlines(array: np.ndarray) -> list[str]:
    text = array.tobytes().decode("utf-8", "surrogatepass")
    return text.split("\n") if text else []


# numpy reads a .npy header with ast.literal_eval, and CPython 3.11's ast cannot parse in two
# threads at once ("SystemError: AST constructor recursion depth mismatch", python/cpython#106905).
# The page's sessions, the API and an upload load indexes in threads of one server, so loads
# take turns, one array at a time (a memory-mapped array is only its header and a map).
_NPY_LOCK = threading.Lock()


def _check_npy_header(path: Path) -> None:
    """Refuse an ``.npy`` file whose header does not match its size, before `np.load` allocates what
    the header claims (a crafted header may claim 2**40 items): its shape times its item size must be
    exactly the bytes after the header, and its type a plain one (no objects)."""
    with open(path, "rb") as fh:
        try:
            major, _minor = np.lib.format.read_magic(fh)
            if major == 1:
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif major in (2, 3):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unknown .npy version {major}")
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as exc:
            raise ValueError(f"{path.name}: not a valid .npy header ({exc})") from None
        data_bytes = os.fstat(fh.fileno()).st_size - fh.tell()
    if dtype.hasobject:
        raise ValueError(f"{path.name}: holds Python objects")
    items = 1
    for n in shape:
        items *= int(n)
    if items * dtype.itemsize != data_bytes:
        raise ValueError(
            f"{path.name}: its header claims {items} items of {dtype.itemsize} bytes, "
            f"but the file holds {data_bytes} bytes of data"
        )


def _load_array(path: Path, mmap: bool) -> np.ndarray:
    with _NPY_LOCK:
        _check_npy_header(path)
        array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    return array.view(np.ndarray) if mmap else array


def _ptr_ok(ptr: np.ndarray, end: int) -> bool:
    """`ptr` starts at 0, never decreases and ends at `end`."""
    return (
        ptr.ndim == 1
        and ptr.size >= 1
        and int(ptr[0]) == 0
        and int(ptr[-1]) == end
        and bool(np.all(ptr[1:] >= ptr[:-1]))
    )


def _within(values: np.ndarray, n: int, low: int = 0) -> bool:
    """Every value in ``[low, n)``."""
    return values.size == 0 or (int(values.min()) >= low and int(values.max()) < n)


def _same_terms(manifest: dict, other: Index | None, theirs: dict | None = None) -> tuple[dict, dict] | None:
    """`other`'s (vocabulary, words) if its manifest records the same vocabulary and word files as
    `manifest` (whose files are already verified), else None. `theirs`: the file checksums of
    `other`'s manifest, if the caller has them (else its manifest is read again)."""
    if other is None or not other.meta.get("index_dir"):
        return None
    if theirs is None:
        try:
            theirs = read_manifest(other.meta["index_dir"], SINGLE).get("files") or {}
        except IndexFormatError:
            return None
    ours = manifest.get("files") or {}
    if all(n in ours and n in theirs and ours[n]["sha256"] == theirs[n]["sha256"] for n in TERM_FILES):
        return other.vocabulary, other.words
    return None


def load_single(path, *, mmap: bool = False, verify="sample", share_terms: Index | None = None) -> Index:
    """Load the (single) index saved in folder `path`.

    Parameters
    ----------
    path : path-like
    mmap : bool, default=False
        Memory-map the arrays (``np.load(mmap_mode="r")``) instead of reading them.
    verify : {"sample", "full", True, False}, default="sample"
        Check file checksums against the manifest: ``"sample"`` (or True)
        hashes files up to `SAMPLE_ABOVE` bytes whole and larger ones on a
        fixed sample of blocks; ``"full"`` hashes every byte; False checks only
        sizes.
    share_terms : Index, optional
        A loaded index whose vocabulary and surface words to reuse, instead of
        parsing them again, when both manifests record the same checksums for
        them (the shards of one sharded index, `qa.index.shard_build`, hold the same ones).

    Raises
    ------
    IndexFormatError
        The folder is not a qa index, is of another format version, or a file is
        missing, truncated or altered.

    Notes
    -----
    A save in another thread or process may replace the live version while this reads
    it: the new version is read instead (`qa.index.layout.open_live`).
    """
    check_verify(verify)
    return open_live(path, lambda live: open_single(live, mmap=mmap, verify=verify, share_terms=share_terms), (SINGLE,))


def check_verify(verify) -> None:
    """Refuse a `verify` argument other than ``"sample"``, ``"full"``, True or False."""
    if verify not in ("sample", "full", True, False):
        raise ValueError(f"verify must be 'sample', 'full', True or False, not {verify!r}")


def open_single(
    live: LiveVersion, *, mmap: bool, verify, share_terms: Index | None = None, share_files: dict | None = None
) -> Index:
    """The single index of the live version `live` (read by `qa.index.layout.read_live`): its
    files checked against the manifest and loaded (see `load_single` for the parameters).
    `share_files`: the ``files`` of `share_terms`' manifest, when the caller has read it."""
    path, version, manifest = live.folder, live.dir, live.manifest
    files = manifest.get("files") or {}
    names = TERM_FILES + tuple(npy(a) for a in ARRAYS + PASSAGE_ARRAYS)
    for name in names:
        f = version / name
        if name not in files or not f.is_file():
            raise IndexFormatError(f"{path}: {name} is missing; rebuild with qa index")
        try:
            size = f.stat().st_size
            if size != files[name]["bytes"]:
                raise IndexFormatError(f"{path}: {name} has the wrong size (truncated?); rebuild with qa index")
            if verify:
                sampled = verify != "full" and size > SAMPLE_ABOVE
                got = sampled_sha256(f) if sampled else sha256(f)
                if got != files[name]["sampled_sha256" if sampled else "sha256"]:
                    raise IndexFormatError(
                        f"{path}: {name} does not match its checksum (corrupt); rebuild with qa index"
                    )
        except OSError as exc:
            raise IndexFormatError(
                f"{path}: {name} is unreadable ({exc.strerror or exc}); rebuild with qa index"
            ) from None
    try:
        # A memory map viewed as a plain ndarray: the same pages, without np.memmap's per-slice overhead.
        arrays = {a: _load_array(version / npy(a), mmap) for a in ARRAYS}
        columns = {a: _load_array(version / npy(a), mmap) for a in PASSAGE_ARRAYS}
        passages = PassageTable.from_arrays(columns)
        shared = _same_terms(manifest, share_terms, share_files)
        if shared is not None:
            vocabulary, words = shared
        else:
            terms = _unlines(_load_array(version / VOCAB_FILE, False))
            vocabulary = dict(zip(terms, range(len(terms))))
            surface = _unlines(_load_array(version / WORDS_FILE, False))
            words_term = _load_array(version / WORDS_TERM_FILE, False)
            if len(surface) != words_term.size:
                raise ValueError("words and their term numbers differ in length")
            words = dict(zip(surface, words_term.tolist()))
        params = IndexParams.from_dict(manifest["params"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexFormatError(f"{path}: index files are unreadable ({exc}); rebuild with qa index") from None
    n_terms, n_passages = manifest.get("n_terms"), manifest.get("n_passages")
    n_docs = len(passages.doc_id)
    if (
        len(vocabulary) != n_terms
        or len(passages) != n_passages
        or arrays["idf"].shape != (n_terms,)
        or arrays["indptr"].shape != (n_terms + 1,)
        or arrays["indices"].shape != arrays["weights"].shape
        or int(arrays["indptr"][-1]) != arrays["indices"].shape[0]
        or arrays["token_ptr"].shape != (n_passages + 1,)
        or int(arrays["token_ptr"][-1]) != arrays["tokens"].shape[0]
        or arrays["term_max"].shape != (n_terms,)
        or arrays["tf"].shape != arrays["weights"].shape
        or any(columns[c].shape != (n_passages,) for c in PASSAGE_ARRAYS[:6])
        or int(passages.text.ptr[-1]) != passages.text.data.shape[0]
        or len(passages.source) != n_docs
        or len(passages.title) != n_docs
        or passages.layout.ptr.shape != (n_passages + 1,)
        or int(passages.layout.ptr[-1]) != passages.layout.data.shape[0]
        or bool(np.any(np.diff(passages.layout.ptr) % 24))
    ):
        raise IndexFormatError(f"{path}: index arrays disagree with the manifest; rebuild with qa index")
    # Postings and token lists must point inside the index: else it loads and then fails on every question.
    if not (
        _ptr_ok(arrays["indptr"], arrays["indices"].shape[0])
        and _within(arrays["indices"], n_passages)
        and _ptr_ok(arrays["token_ptr"], arrays["tokens"].shape[0])
        and _within(arrays["tokens"], n_terms, low=-1)  # -1: a word that is not a term
        and _ptr_ok(passages.text.ptr, passages.text.data.shape[0])
    ):
        raise IndexFormatError(
            f"{path}: index postings point outside the index (crafted or corrupt); rebuild with qa index"
        )
    meta = dict(manifest.get("meta") or {})
    meta["index_dir"] = str(path.resolve())
    meta["version_dir"] = version.name
    return Index(
        params=params,
        passages=passages,
        vocabulary=vocabulary,
        idf=arrays["idf"],
        indptr=arrays["indptr"],
        indices=arrays["indices"],
        weights=arrays["weights"],
        words=words,
        tokens=arrays["tokens"],
        token_ptr=arrays["token_ptr"],
        meta=meta,
        tf=arrays["tf"],
        _term_max=arrays["term_max"],
    )
