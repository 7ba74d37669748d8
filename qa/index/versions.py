"""Version folders: how every index folder is written, published and read back.

An index folder ``DIR`` holds ``CURRENT`` (the live version's name, one line)
and one ``v-<time>-<pid>/`` folder per complete version. A save fills a
``.tmp-*`` folder (`prepare_version`), fsyncs it, renames it into place and
only then swaps ``CURRENT`` (`publish_version`), so a reader sees the old
version or the new one, never half of either. Both kinds of index use it: one
index (`qa.index.store`, ``manifest.json``) and a sharded one
(`qa.index.shards`, ``shards.json``). A leaf: imports only `qa.errors` and
`qa.files`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from ..errors import IndexFormatError
from ..files import fsync_dir

__all__ = ["current_version", "file_checksums", "is_index_dir", "live_holds", "prepare_version", "publish_version",
           "read_manifest", "sampled_sha256", "sha256", "version_dir"]

MAX_MANIFEST_BYTES = 64 << 20  # a manifest is a few KB; its meta a few hundred bytes a document
MAX_JSON_DEPTH = 100  # a manifest nests 4 deep
_SAMPLE_BLOCK = 1 << 16
_SAMPLE_COUNT = 64


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sampled_sha256(path: Path) -> str:
    """sha256 of `_SAMPLE_COUNT` blocks spread evenly over the file, first and last included."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as fh:
        for i in range(_SAMPLE_COUNT):
            fh.seek(max(0, (size - _SAMPLE_BLOCK) * i // (_SAMPLE_COUNT - 1)))
            h.update(fh.read(_SAMPLE_BLOCK))
    return h.hexdigest()


def is_index_dir(path) -> bool:
    """True if `path` looks like a qa index folder (it has a ``CURRENT`` pointer)."""
    return (Path(path) / "CURRENT").is_file()


def file_checksums(folder: Path, names) -> dict:
    """``{name: {"sha256", "sampled_sha256", "bytes"}}`` of files in `folder`, as manifests record them."""
    return {
        f: {"sha256": sha256(folder / f), "sampled_sha256": sampled_sha256(folder / f),
            "bytes": (folder / f).stat().st_size}
        for f in names
    }


def prepare_version(out) -> tuple[Path, str]:
    """A new, empty temporary version folder in the index folder `out`, and the name it will be
    published under (`publish_version`). Checks that `out` may be written and removes what a
    crashed save left there."""
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
    return tmp, name


def publish_version(out, tmp: Path, name: str) -> Path:
    """Make the complete folder `tmp` the live version of `out`: fsync every file in it, rename it
    to `name`, swap ``CURRENT`` atomically, then remove older versions. Returns the version folder."""
    out = Path(out)
    try:
        for f in tmp.rglob("*"):  # np.save does not fsync
            if f.is_file() and not f.is_symlink():
                with open(f, "rb+") as fh:
                    os.fsync(fh.fileno())
        for d in [*(d for d in tmp.rglob("*") if d.is_dir()), tmp]:
            fsync_dir(d)
        final = out / name
        os.rename(tmp, final)
        pointer = out / f".tmp-CURRENT-{os.getpid()}"
        with open(pointer, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, out / "CURRENT")
        fsync_dir(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in out.glob("v-*"):  # readers that mapped an old version keep their open files
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def version_dir(path: Path) -> Path:
    if not path.exists():
        raise IndexFormatError(f"{path}: no index here; build one with: qa index SOURCE --out {path}")
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        raise IndexFormatError(f"{path}: the index folder cannot be read (permission denied)")
    if not is_index_dir(path):
        raise IndexFormatError(f"{path}: not a qa index (no CURRENT file); build one with: qa index SOURCE --out {path}")
    try:
        name = (path / "CURRENT").read_text(encoding="utf-8", errors="replace").strip()
    except OSError as exc:
        raise IndexFormatError(f"{path}: CURRENT cannot be read ({exc.strerror or exc})") from None
    version = path / name
    if not name.startswith("v-") or "/" in name or not version.is_dir():
        raise IndexFormatError(f"{path}: CURRENT names {name!r}, which is missing; rebuild with qa index")
    return version


def current_version(path) -> str | None:
    """The name of the live version folder of the index in `path` (changes with every save), or None."""
    try:
        return (Path(path) / "CURRENT").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def json_depth_ok(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if the JSON `text` nests at most `limit` arrays and objects deep (checked before parsing,
    so a crafted file cannot exhaust the parser's recursion)."""
    if text.count("[") + text.count("{") <= limit:
        return True
    depth, in_string, escaped = 0, False, False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > limit:
                return False
        elif c in "]}":
            depth -= 1
    return True


def read_manifest(path, *, name: str, fmt: str, fmt_version: int, what: str,
                  rebuild: str) -> dict:
    """The manifest of the live index in `path`, checked for format and version.

    The keywords name the kind of manifest (`qa.index.store`'s or `qa.index.shards`'s): its file name,
    format, version, and how errors call it and say to rebuild it.
    """
    version = version_dir(Path(path))
    try:
        size = (version / name).stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ValueError(f"{size} bytes, more than the {MAX_MANIFEST_BYTES} a manifest may have")
        text = (version / name).read_text(encoding="utf-8")
        if not json_depth_ok(text):
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} deep")
        manifest = json.loads(text)
    except (OSError, ValueError, RecursionError) as exc:
        raise IndexFormatError(f"{path}: {name} is unreadable ({exc}); rebuild with {rebuild}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise IndexFormatError(f"{path}: not a qa {what} manifest; rebuild with {rebuild}")
    if manifest.get("format_version") != fmt_version:
        raise IndexFormatError(
            f"{path}: {what} format version {manifest.get('format_version')!r}, but this qa reads version "
            f"{fmt_version}; rebuild it with {rebuild}"
        )
    manifest["_dir"] = str(version)
    return manifest


def live_holds(path, manifest: str) -> bool:
    """True if the live version of the index folder `path` holds the file `manifest` (how a
    sharded index, ``shards.json``, is told from a single one, ``manifest.json``)."""
    name = current_version(path)
    return bool(name) and name.startswith("v-") and "/" not in name and (Path(path) / name / manifest).is_file()
