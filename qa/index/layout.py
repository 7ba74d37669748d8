"""The on-disk layout of an index folder, and reading its live version: the one module that names its files.

An index folder ``DIR``::

    DIR/CURRENT                the live version's name, one line
    DIR/.qa-index              the marker: qa made this folder and may write into it
    DIR/.qa-write.lock         the writer lock (`qa.index.versions.writer_lock`)
    DIR/v-<time>-<ns>-<pid>/   one complete version, either kind:
        manifest.json          a single index (`SINGLE`): format, params, counts, meta, checksums,
        vocab.npy words.npy words_term.npy ... and the arrays `ARRAYS`, `PASSAGE_ARRAYS` (`qa.index.store`)
      or
        shards.json            a sharded index (`SHARDED`): format, params, global counts, the shards
        shard-0000/ ...        one single-index folder each (`qa.index.sharded`, `qa.index.shard_build`)
    DIR/.tmp-v-.../ .tmp-CURRENT-<pid>   a save in progress (or a crashed one's leftovers)

Writing (temporary folders, publishing, the lock) is `qa.index.versions`'; what
each kind holds is `qa.index.store`'s and `qa.index.sharded`'s. Reading starts
here: `read_live` reads ``CURRENT`` and the live version's manifest once,
telling the kinds apart by which manifest it holds, and `open_live` retries
when a concurrent save replaced the version being read. A leaf: imports only
`qa.errors`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from ..errors import IndexFormatError

__all__ = [
    "ARRAYS",
    "CURRENT",
    "KINDS",
    "LEFTOVER",
    "LOAD_ATTEMPTS",
    "LOCK_FILE",
    "MARKER",
    "MAX_JSON_DEPTH",
    "MAX_MANIFEST_BYTES",
    "OWN_TMP",
    "PASSAGE_ARRAYS",
    "SHARDED",
    "SINGLE",
    "TERM_FILES",
    "VERSION_NAME",
    "VOCAB_FILE",
    "WORDS_FILE",
    "WORDS_TERM_FILE",
    "IndexKind",
    "LiveVersion",
    "current_version",
    "is_index_dir",
    "json_depth_ok",
    "live_kind",
    "npy",
    "open_live",
    "outdated_manifest",
    "read_live",
    "read_manifest",
    "shard_dir",
    "stage_dir",
    "version_dir",
]

CURRENT = "CURRENT"
MARKER = ".qa-index"  # written into every folder qa writes an index into: how --out knows it may write there
LOCK_FILE = ".qa-write.lock"
VERSION_NAME = re.compile(r"v-\d{8}T\d{6}-\d{9}-\d+")
OWN_TMP = re.compile(r"\.tmp-(?:v-.*|CURRENT)-(\d+)")  # a save's temporary folder or pointer, with its pid
LEFTOVER = re.compile(r"\.tmp-(?:v-.*|CURRENT-\d+)")  # a crashed save's: does not make a folder "not empty"


@dataclass(frozen=True, slots=True)
class IndexKind:
    """One kind of index version: its manifest's file name and format, and how errors name it."""

    manifest: str
    format: str
    format_version: int
    what: str  # "index", "sharded index"
    rebuild: str  # the command that makes a new one


SINGLE = IndexKind("manifest.json", "qa-index", 5, "index", "qa index")  # 5: reading text and passage layouts
SHARDED = IndexKind("shards.json", "qa-sharded-index", 1, "sharded index", "qa index --shards")
KINDS = (SINGLE, SHARDED)

# The files of a single index's version (besides its manifest).
VOCAB_FILE, WORDS_FILE, WORDS_TERM_FILE = "vocab.npy", "words.npy", "words_term.npy"  # terms; surface words
TERM_FILES = (VOCAB_FILE, WORDS_FILE, WORDS_TERM_FILE)
ARRAYS = ("idf", "indptr", "indices", "weights", "tokens", "token_ptr", "term_max", "tf")
PASSAGE_ARRAYS = (
    "passage_doc",
    "passage_num",
    "passage_start",
    "passage_end",
    "passage_section",
    "passage_page",
    *(f"{n}_{part}" for n in ("text", "doc_id", "source", "title", "sections", "layout") for part in ("data", "ptr")),
)

MAX_MANIFEST_BYTES = 64 << 20  # a manifest is a few KB; its meta a few hundred bytes a document
MAX_JSON_DEPTH = 100  # a manifest nests 4 deep
LOAD_ATTEMPTS = 5  # reads of an index that a concurrent save keeps replacing


def npy(array: str) -> str:
    """The file name of one of a single index's arrays."""
    return f"{array}.npy"


def shard_dir(j: int) -> str:
    """The folder of shard `j` in a sharded index's version."""
    return f"shard-{j:04d}"


def stage_dir(j: int) -> str:
    """The staging folder of partition `j` while a sharded index is built (removed before publishing)."""
    return f"stage-{j:04d}"


def is_index_dir(path) -> bool:
    """True if `path` looks like a qa index folder (it has a ``CURRENT`` pointer)."""
    return (Path(path) / CURRENT).is_file()


def current_version(path) -> str | None:
    """The name of the live version folder of the index in `path` (changes with every save), or None."""
    try:
        return (Path(path) / CURRENT).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def version_dir(path: Path) -> Path:
    """The live version folder of the index folder `path`; `IndexFormatError` saying what is wrong if none."""
    if not path.exists():
        raise IndexFormatError(f"{path}: no index here; build one with: qa index SOURCE --out {path}")
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        raise IndexFormatError(f"{path}: the index folder cannot be read (permission denied)")
    if not is_index_dir(path):
        raise IndexFormatError(
            f"{path}: not a qa index (no CURRENT file); build one with: qa index SOURCE --out {path}"
        )
    try:
        name = (path / CURRENT).read_text(encoding="utf-8", errors="replace").strip()
    except OSError as exc:
        raise IndexFormatError(f"{path}: CURRENT cannot be read ({exc.strerror or exc})") from None
    version = path / name
    if not name.startswith("v-") or "/" in name or not version.is_dir():
        raise IndexFormatError(f"{path}: CURRENT names {name!r}, which is missing; rebuild with qa index")
    return version


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


def _read_checked(path, version: Path, kind: IndexKind) -> dict:
    """The manifest of `kind` in the version folder `version` of `path`, checked for format and version."""
    name, rebuild = kind.manifest, kind.rebuild
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
    if not isinstance(manifest, dict) or manifest.get("format") != kind.format:
        raise IndexFormatError(f"{path}: not a qa {kind.what} manifest; rebuild with {rebuild}")
    if manifest.get("format_version") != kind.format_version:
        raise IndexFormatError(
            f"{path}: {kind.what} format version {manifest.get('format_version')!r}, but this qa reads version "
            f"{kind.format_version}; rebuild it with {rebuild}"
        )
    return manifest


@dataclass(frozen=True)
class LiveVersion:
    """The live version of an index folder, as read once: where it is, its kind, its manifest.

    Attributes
    ----------
    folder : Path
        The index folder (as given).
    dir : Path
        The version folder ``CURRENT`` named when it was read.
    kind : IndexKind
        `SINGLE` or `SHARDED`: which manifest the version holds.
    manifest : dict
        That manifest, parsed and checked for format and version.
    """

    folder: Path
    dir: Path
    kind: IndexKind
    manifest: dict


def read_live(path, kinds: tuple[IndexKind, ...] = KINDS) -> LiveVersion:
    """Read ``CURRENT`` and the live version's manifest of the index folder `path`, once.

    The kind is the first of `kinds` whose manifest the version holds (else the first of
    `kinds`, whose missing manifest is then reported).

    Raises
    ------
    IndexFormatError
        No index there, or its manifest is unreadable, of another format or version.
    """
    path = Path(path)
    version = version_dir(path)
    kind = next((k for k in kinds if (version / k.manifest).is_file()), kinds[0])
    return LiveVersion(path, version, kind, _read_checked(path, version, kind))


def read_manifest(path, kind: IndexKind = SINGLE) -> dict:
    """The manifest of the live version of `path`, of `kind`, checked for format and version."""
    return read_live(path, (kind,)).manifest


_T = TypeVar("_T")


def open_live(path, open_version: Callable[[LiveVersion], _T], kinds: tuple[IndexKind, ...] = KINDS) -> _T:
    """``open_version(read_live(path, kinds))``, again if a save replaced the version meanwhile.

    A save in another thread or process may replace the live version, and remove the old
    one, while it is read. Reading then fails on a vanished file; as ``CURRENT`` has moved
    on, the new version is read instead (up to `LOAD_ATTEMPTS` times). A failure while
    ``CURRENT`` stays put is the index's own fault and is raised.
    """
    path = Path(path)
    for attempt in range(LOAD_ATTEMPTS):
        before = current_version(path)
        try:
            return open_version(read_live(path, kinds))
        except IndexFormatError:
            if attempt + 1 == LOAD_ATTEMPTS or current_version(path) == before:
                raise
    raise AssertionError("unreachable")  # the last attempt returns or raises


def live_kind(path) -> IndexKind | None:
    """The kind of the live version of the index folder `path` (by the manifest it holds), or None
    when there is none; nothing is parsed."""
    name = current_version(path)
    if not name or not name.startswith("v-") or "/" in name:
        return None
    return next((k for k in KINDS if (Path(path) / name / k.manifest).is_file()), None)


def outdated_manifest(path) -> dict | None:
    """The manifest of the live single index in `path` if a qa of another format version wrote it, else None.

    For upgrades: the manifest's ``meta`` says what the index was made from, so
    its owner can rebuild it. Any other problem (no index, an unreadable
    manifest) gives None, and is reported by the loader as usual.
    """
    try:
        manifest = json.loads((version_dir(Path(path)) / SINGLE.manifest).read_text(encoding="utf-8"))
    except (IndexFormatError, OSError, ValueError, RecursionError):
        return None
    if (
        isinstance(manifest, dict)
        and manifest.get("format") == SINGLE.format
        and manifest.get("format_version") != SINGLE.format_version
    ):
        return manifest
    return None
