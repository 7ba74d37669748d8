"""Save and load an `Index` as plain ``.npy`` arrays and JSON. Nothing is pickled.

Layout of an index folder ``DIR``::

    DIR/CURRENT              the name of the live version folder, one line
    DIR/v-<time>-<pid>/      one complete index:
        manifest.json        format, format_version, params, counts, corpus facts,
                             and the sha256 of every other file
        vocab.json           terms, in column order
        words.json           surface word -> term number (for spelling correction)
        passages.jsonl       one passage a line
        idf.npy indptr.npy indices.npy weights.npy   term-major postings
        tokens.npy token_ptr.npy                     passages as term numbers

A save writes a new version folder under a temporary name, fsyncs it, renames
it into place, and only then replaces ``CURRENT`` (an atomic ``os.replace``).
A reader therefore sees the old index or the new one, never half of either; a
crash mid-save leaves the old index live and a ``.tmp-*`` folder that the
next save removes. Loading checks the format version and every checksum, so a
truncated or altered file is refused with a message instead of misread.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from .errors import IndexFormatError
from .index import Index, IndexParams
from .types import Passage

__all__ = ["FORMAT_VERSION", "save_index", "load_index", "read_manifest", "is_index_dir"]

FORMAT = "qa-index"
FORMAT_VERSION = 2
_ARRAYS = ("idf", "indptr", "indices", "weights", "tokens", "token_ptr")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_json(path: Path, obj) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())


def is_index_dir(path) -> bool:
    """True if `path` looks like a qa index folder (it has a ``CURRENT`` pointer)."""
    return (Path(path) / "CURRENT").is_file()


def save_index(index: Index, out) -> Path:
    """Write `index` to the folder `out` atomically and return the version folder.

    Parameters
    ----------
    index : Index
    out : path-like
        Created if missing. If it holds an index, that index stays live until the
        new one is complete, then is removed.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise IndexFormatError(f"{out}: exists and is not a folder; choose another --out")
    # Leftovers of a crashed save (.tmp-*) do not make a folder "not empty".
    if out.is_dir() and any(not f.name.startswith(".tmp-") for f in out.iterdir()) and not is_index_dir(out):
        raise IndexFormatError(f"{out}: folder is not empty and is not a qa index; refusing to write into it")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".tmp-*"):  # left by a crashed save: a version folder or a CURRENT pointer
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{os.getpid()}"
    tmp = out / f".tmp-{name}"
    tmp.mkdir()
    try:
        np.save(tmp / "idf.npy", np.ascontiguousarray(index.idf, dtype=np.float32))
        np.save(tmp / "indptr.npy", np.ascontiguousarray(index.indptr, dtype=np.int64))
        np.save(tmp / "indices.npy", np.ascontiguousarray(index.indices, dtype=np.int32))
        np.save(tmp / "weights.npy", np.ascontiguousarray(index.weights, dtype=np.float32))
        np.save(tmp / "tokens.npy", np.ascontiguousarray(index.tokens, dtype=np.int32))
        np.save(tmp / "token_ptr.npy", np.ascontiguousarray(index.token_ptr, dtype=np.int64))
        terms = [None] * len(index.vocabulary)
        for t, i in index.vocabulary.items():
            terms[i] = t
        _write_json(tmp / "vocab.json", terms)
        _write_json(tmp / "words.json", index.words)
        with open(tmp / "passages.jsonl", "w", encoding="utf-8") as fh:
            for p in index.passages:
                fh.write(json.dumps(_passage_to_dict(p), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        files = sorted(f.name for f in tmp.iterdir())
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "params": index.params.to_dict(),
            "n_passages": index.n_passages,
            "n_terms": index.n_terms,
            "meta": index.meta,
            "files": {f: {"sha256": _sha256(tmp / f), "bytes": (tmp / f).stat().st_size} for f in files},
        }
        _write_json(tmp / "manifest.json", manifest)
        for f in tmp.iterdir():  # np.save does not fsync
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        final = out / name
        os.rename(tmp, final)
        pointer = out / f".tmp-CURRENT-{os.getpid()}"
        with open(pointer, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, out / "CURRENT")
        _fsync_dir(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in out.glob("v-*"):  # readers that mapped an old version keep their open files
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def _passage_to_dict(p: Passage) -> dict:
    return {
        "id": p.passage_id,
        "doc_id": p.doc_id,
        "source": p.source,
        "title": p.title,
        "section": p.section,
        "start": p.start,
        "end": p.end,
        "text": p.text,
    }


def _version_dir(path: Path) -> Path:
    if not path.exists():
        raise IndexFormatError(f"{path}: no index here; build one with: qa index SOURCE --out {path}")
    if not is_index_dir(path):
        raise IndexFormatError(f"{path}: not a qa index (no CURRENT file); build one with: qa index SOURCE --out {path}")
    name = (path / "CURRENT").read_text(encoding="utf-8", errors="replace").strip()
    version = path / name
    if not name.startswith("v-") or "/" in name or not version.is_dir():
        raise IndexFormatError(f"{path}: CURRENT names {name!r}, which is missing; rebuild with qa index")
    return version


def read_manifest(path) -> dict:
    """The manifest of the live index in `path`, checked for format and version."""
    version = _version_dir(Path(path))
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{path}: manifest.json is unreadable ({exc}); rebuild with qa index") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path}: not a qa index manifest; rebuild with qa index")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"{path}: index format version {manifest.get('format_version')!r}, but this qa reads version "
            f"{FORMAT_VERSION}; rebuild it with qa index"
        )
    manifest["_dir"] = str(version)
    return manifest


def load_index(path, *, mmap: bool = False, verify: bool = True) -> Index:
    """Load the index saved in folder `path`.

    Parameters
    ----------
    path : path-like
    mmap : bool, default=False
        Memory-map the arrays (``np.load(mmap_mode="r")``) instead of reading them.
    verify : bool, default=True
        Check every file's sha256 against the manifest.

    Raises
    ------
    IndexFormatError
        The folder is not a qa index, is of another format version, or a file is
        missing, truncated or altered.
    """
    path = Path(path)
    manifest = read_manifest(path)
    version = Path(manifest["_dir"])
    files = manifest.get("files") or {}
    for name in ("vocab.json", "words.json", "passages.jsonl") + tuple(f"{a}.npy" for a in _ARRAYS):
        f = version / name
        if name not in files or not f.is_file():
            raise IndexFormatError(f"{path}: {name} is missing; rebuild with qa index")
        if f.stat().st_size != files[name]["bytes"]:
            raise IndexFormatError(f"{path}: {name} has the wrong size (truncated?); rebuild with qa index")
        if verify and _sha256(f) != files[name]["sha256"]:
            raise IndexFormatError(f"{path}: {name} does not match its checksum (corrupt); rebuild with qa index")
    try:
        arrays = {a: np.load(version / f"{a}.npy", mmap_mode="r" if mmap else None, allow_pickle=False) for a in _ARRAYS}
        terms = json.loads((version / "vocab.json").read_text(encoding="utf-8"))
        words = json.loads((version / "words.json").read_text(encoding="utf-8"))
        with open(version / "passages.jsonl", encoding="utf-8") as fh:
            passages = tuple(
                Passage(
                    passage_id=d["id"], doc_id=d["doc_id"], source=d["source"], title=d["title"],
                    section=d["section"], start=d["start"], end=d["end"], text=d["text"],
                )
                for d in map(json.loads, fh)
            )
        params = IndexParams.from_dict(manifest["params"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexFormatError(f"{path}: index files are unreadable ({exc}); rebuild with qa index") from None
    n_terms, n_passages = manifest.get("n_terms"), manifest.get("n_passages")
    if (
        len(terms) != n_terms
        or len(passages) != n_passages
        or arrays["idf"].shape != (n_terms,)
        or arrays["indptr"].shape != (n_terms + 1,)
        or arrays["indices"].shape != arrays["weights"].shape
        or int(arrays["indptr"][-1]) != arrays["indices"].shape[0]
        or arrays["token_ptr"].shape != (n_passages + 1,)
        or int(arrays["token_ptr"][-1]) != arrays["tokens"].shape[0]
    ):
        raise IndexFormatError(f"{path}: index arrays disagree with the manifest; rebuild with qa index")
    meta = dict(manifest.get("meta") or {})
    meta["index_dir"] = str(path.resolve())
    meta["version_dir"] = version.name
    return Index(
        params=params,
        passages=passages,
        vocabulary={t: i for i, t in enumerate(terms)},
        idf=arrays["idf"],
        indptr=arrays["indptr"],
        indices=arrays["indices"],
        weights=arrays["weights"],
        words=words,
        tokens=arrays["tokens"],
        token_ptr=arrays["token_ptr"],
        meta=meta,
    )
