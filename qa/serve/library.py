"""The page's own document library: its data folder, index, uploads, and display helpers.

No Streamlit here: ``qa/serve/page.py`` lays out what these functions return.

The data folder (`data_dir`: ``$QA_DATA``, else ``$XDG_DATA_HOME/qa``, i.e.
``~/.local/share/qa``) holds::

    uploads/          files added through the page, under sanitised names
    index/            the page's index (a qa index folder)
    page-state.json   where the index was made from, and a served folder's files (`qa.serve.state`)
    feedback.sqlite   ratings and question history (qa.feedback)
    .lock             taken while the index is changed
    page.lock         held by the live ``qa ui`` serving this folder, for its life (`qa.serve.hold`)

`Library.ensure_index` makes ``index/`` from the source this start serves: the default
corpus (`qa.index.default.default_corpus`, ``$QA_CORPUS``: ``qa ui --corpus``) or, if
``$QA_INDEX`` is set (``qa ui --index``), by loading that index and saving a copy, so
uploads never change the index it was started from. ``page-state.json`` records the source
(and the source index's version); an index made from another source (another ``--index``,
a new version of it, another corpus), or with no state beside it, is rebuilt from this one
with every file of ``uploads/`` re-added, never kept.
A served corpus folder is followed (`Library.follow_edits`, at most every
`FOLLOW_EVERY` seconds): files changed, added or removed since the state recorded them
(size, mtime, sha256) are re-indexed incrementally.
Uploads and removals then change ``index/`` incrementally (`qa.index.build.update_index`),
never by a rebuild; each save is atomic, so a page answering meanwhile sees the
old index or the new one. The files in ``uploads/`` are the truth about what was uploaded:
a document of the index whose file is there is an upload (`Library.uploads`).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..index.build import build_index, describe, update_index
from ..index.default import default_corpus, open_index
from ..errors import EmptyCorpusError, QAError
from ..files import atomic_file
from .hold import DataFolderInUse, holder
from .state import PageState, read_state, write_state
from .uploads import LibraryError, UploadError, check_uploads, safe_name
from ..index.folders import load_index, save_index
from ..index.layout import current_version, is_index_dir, outdated_manifest
from ..index.versions import writer_lock
from ..index.versions import sha256
from ..ingest.kinds import refusal
from ..ingest.reading import read
from ..text import detect_language

__all__ = ["DocumentRow", "Library", "data_dir"]

_CURRENT_FORMAT: set[tuple[str, str]] = set()  # (index folder, version) known to be of this qa's format

FOLLOW_EVERY = 3.0  # seconds between two checks of a served folder for edits (per data folder)
_last_follow: dict[str, float] = {}
_UPLOADS: dict[tuple, dict[str, str]] = {}  # (uploads folder, its mtime, index folder, version) -> uploads

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _file_sha256(path: Path) -> str | None:
    try:
        return sha256(path)
    except OSError:
        return None


class DocumentRow(NamedTuple):
    """One indexed document, for the corpus view."""

    doc_id: str
    source: str
    title: str
    n_passages: int
    language: str = "en"  # by script, from the title and first passage (`qa.text.detect_language`)


def data_dir() -> Path:
    """``$QA_DATA``, else ``$XDG_DATA_HOME/qa`` (``~/.local/share/qa``)."""
    env = os.environ.get("QA_DATA")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "qa"


class Library:
    """The page's data folder: its index, uploaded files and feedback database.

    Parameters
    ----------
    root : path-like, optional
        The data folder (created if missing); default `data_dir()`.
    """

    def __init__(self, root=None):
        self.root = Path(root).expanduser() if root is not None else data_dir()
        self.uploads_dir = self.root / "uploads"
        self.index_dir = self.root / "index"
        self.db_path = self.root / "feedback.sqlite"
        try:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(
                f"{self.root}: cannot create the data folder ({exc.strerror or exc}); set QA_DATA to a writable folder"
            ) from None

    def __repr__(self) -> str:
        return f"Library({str(self.root)!r})"

    @contextmanager
    def _locked(self):
        """Exclusive use of the index, between threads of this process and between processes: the
        data folder's ``.lock``, then the index folder's writer lock (`qa.index.versions.writer_lock`),
        which `qa index --add` and every other writer take too; load, change and save happen under it."""
        key = str(self.root.resolve())
        with _thread_locks_guard:
            lock = _thread_locks.setdefault(key, threading.Lock())
        with lock, open(self.root / ".lock", "a+b") as fh:
            try:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - not POSIX: threads are still serialised
                pass
            with writer_lock(self.index_dir):  # the index folder's own lock, which every writer takes (CLI too)
                yield

    # -- the index --------------------------------------------------------------------------

    def version(self) -> str | None:
        """The live version of the page's index (changes with every save), or None if there is none."""
        return current_version(self.index_dir)

    def ensure_index(self, log=None) -> str:
        """Make the page's index if it does not exist yet, if a qa of another index format made it,
        or if it was made from another source than the one this start serves (another ``$QA_INDEX``,
        a new version of it, or another corpus); its uploads are indexed again from ``uploads/``.
        Returns its version.

        The source is ``$QA_INDEX`` (loaded and saved here: a copy) if set, else the default
        corpus (`qa.index.default.open_index`, which reuses the corpus's cached index); the page's
        state (`qa.serve.state`) records it, and the source index's version. Raises `qa.QAError`
        (an unloadable ``$QA_INDEX``, an empty corpus) unchanged.
        """
        version = self.version()
        if version is not None and self._outdated(version) is None and self._same_source():
            return version
        with self._locked():
            version = self.version()
            if is_index_dir(self.index_dir) and self._outdated(version) is None and self._same_source():
                return version  # another session made it meanwhile
            origin, seed_version = self._wanted()
            other = holder(self.root)
            if other is not None:  # a live qa ui serves this folder from its source: never undo its index
                raise DataFolderInUse(self.root.resolve(), other)
            if is_index_dir(self.index_dir) and log:  # another source, another format, or no state
                log(f"qa: rebuilding {self.index_dir} from {origin['index'] or origin['corpus']}")
            files = None
            if origin["index"]:
                index = load_index(origin["index"])
            else:
                scanned = self._scan(Path(origin["corpus"]), None)  # before the build: an edit meanwhile is seen later
                files = {rel: [size, mtime, _file_sha256(path)] for rel, (path, size, mtime) in scanned.items()}
                index = open_index(None, log=log)
            index = self._readd_uploads(index, log)  # the files of uploads/, if any: they are the truth
            save_index(index, self.index_dir)
            write_state(self.root, PageState(seed=origin, seed_version=seed_version, files=files))
            return self.version()

    @staticmethod
    def _wanted() -> tuple[dict, str | None]:
        """The source this start serves: ``({"index": path, "corpus": None}, its version)`` for
        ``$QA_INDEX``, else ``({"index": None, "corpus": path}, None)`` for the default corpus."""
        seed = os.environ.get("QA_INDEX") or None
        if seed:
            path = Path(seed).resolve()
            return {"index": str(path), "corpus": None}, current_version(path)
        return {"index": None, "corpus": str(default_corpus().resolve())}, None

    def _same_source(self) -> bool:
        """True if the page's state says its index was made from the source this start serves."""
        state = read_state(self.root)
        if state is None:
            return False
        origin, seed_version = self._wanted()
        followed = origin["index"] is not None or isinstance(state.files, dict)
        return state.seed == origin and state.seed_version == seed_version and followed

    # -- following edits to a served folder ----------------------------------------------------

    def _scan(self, corpus: Path, root) -> dict[str, tuple[Path, int, int]]:
        """The files a build of `corpus` reads (as `DocumentStream` finds them), outside this data
        folder: ``{path relative to root: (path, size, mtime_ns)}``."""
        from ..ingest.loader import DocumentStream

        if not corpus.exists():
            return {}
        stream = DocumentStream([corpus], root=root)
        mine = self.root.resolve()
        out = {}
        for path, rel in stream.files():
            if refusal(path.name):  # an image or archive beside the documents: never read, so never a change
                continue
            try:
                real = path.resolve()
                if real == mine or mine in real.parents:
                    continue
                st = path.stat()
            except OSError:
                continue
            out[rel] = (path, st.st_size, st.st_mtime_ns)
        return out

    def follow_edits(self, log=None, every: float | None = None) -> str | None:
        """Re-index the files of the served corpus folder that changed, were added or removed since
        the page's index was made (checked by size and mtime, then sha256), incrementally
        (`qa.index.build.update_index`), under the writer lock. Checks at most every `every`
        seconds (default `FOLLOW_EVERY`) per data folder; does nothing when the page serves an
        index (``$QA_INDEX``). Returns a sentence for the page ("Re-indexed 1 changed file"), or None.
        """
        every = FOLLOW_EVERY if every is None else every
        key = str(self.root.resolve())
        now = time.monotonic()
        if now - _last_follow.get(key, -1e18) < every:
            return None
        _last_follow[key] = now
        origin, _ = self._wanted()
        if origin["index"]:
            return None
        state = read_state(self.root)
        if state is None or state.seed != origin or not isinstance(state.files, dict):
            return None
        if not self._changes(Path(origin["corpus"]), state.files)[0]:
            return None
        with self._locked():
            state = read_state(self.root)
            if state is None or state.seed != origin or not isinstance(state.files, dict):
                return None
            index = load_index(self.index_dir)
            changes, table = self._changes(Path(origin["corpus"]), state.files)
            if not changes:
                return None
            changed, added, removed = changes["changed"], changes["added"], changes["removed"]
            # A changed file's document is replaced by id (added first, then the removed files' documents
            # are taken out); a changed corpus.jsonl (which may drop documents) means a rebuild.
            uploads = self.uploads(index)
            add = [table[rel][0] for rel in [*changed, *added]]
            try:
                try:
                    if any(Path(rel).name == "corpus.jsonl" for rel in changed):
                        raise ValueError("a changed corpus.jsonl may drop documents")  # rebuilt, below
                    updated, warnings = update_index(index, add=add) if add else (index, ())
                    now = updated.passages
                    remove_ids = [
                        now.doc_id[d]
                        for d in range(now.n_documents)
                        if now.source[d] in set(removed) and now.doc_id[d] not in uploads
                    ]
                    if remove_ids:
                        updated, more = update_index(updated, remove=remove_ids)
                        warnings = (*warnings, *more)
                except ValueError:  # the index's add/remove cannot replace every document: build it again
                    if log:
                        log(f"qa: rebuilding the index of {origin['corpus']}")
                    updated, warnings = build_index([Path(origin["corpus"])])
                    updated = self._readd_uploads(updated, log)
            except (QAError, ValueError) as exc:
                if log:
                    log(f"qa: the edited files were not re-indexed: {exc}")
                return None
            for w in warnings:
                if log:
                    log(f"qa: warning: {w}")
            files = {rel: [size, mtime, _file_sha256(path)] for rel, (path, size, mtime) in table.items()}
            save_index(updated, self.index_dir)
            write_state(self.root, PageState(seed=state.seed, seed_version=state.seed_version, files=files))
        parts = []
        for n, what in ((len(changed), "changed"), (len(added), "added"), (len(removed), "removed")):
            if n:
                parts.append(f"{n} {what} file{'s' if n != 1 else ''}")
        return "Re-indexed " + ", ".join(parts)

    def _changes(self, corpus: Path, recorded: dict) -> tuple[dict | None, dict]:
        """What changed in `corpus` since its files were `recorded` (`qa.serve.state.PageState.files`)."""
        table = self._scan(corpus, None)
        changed, added = [], []
        for rel, (path, size, mtime) in table.items():
            was = recorded.get(rel)
            if not was:
                added.append(rel)
            elif [size, mtime] != list(was[:2]) and _file_sha256(path) != was[2]:
                changed.append(rel)
        removed = [rel for rel in recorded if rel not in table]
        if not (changed or added or removed):
            return None, table
        return {"changed": changed, "added": added, "removed": removed}, table

    def _outdated(self, version: str | None) -> dict | None:
        """The manifest of the live index if an older qa wrote it (`qa.index.layout.outdated_manifest`).
        The page calls this on every rerun, so a version once found current is not read again:
        a version folder is never rewritten, and any save makes a new one."""
        key = (str(self.index_dir), version)
        if version is None or key in _CURRENT_FORMAT:
            return None
        old = outdated_manifest(self.index_dir)
        if old is None:
            _CURRENT_FORMAT.add(key)
        return old

    def _upload_files(self) -> list[Path]:
        """The files of ``uploads/`` (not the temporary or backup files an interrupted upload left)."""
        try:
            entries = sorted(self.uploads_dir.iterdir())
        except OSError:
            return []
        return [p for p in entries if not p.name.startswith(".") and p.name == safe_name(p.name) and p.is_file()]

    def _readd_uploads(self, index, log=None, paths=None):
        """`index` with every file of ``uploads/`` (or those of `paths`) added (the index is being made again)."""
        paths = self._upload_files() if paths is None else paths
        if not paths:
            return index
        try:
            updated, warnings = update_index(index, add=paths)
        except QAError as exc:
            if log:
                log(f"qa: uploads not re-indexed after the upgrade: {exc}")
            return index
        for w in warnings:
            if log:
                log(f"qa: warning: {w}")
        return updated

    def readd_missing_uploads(self, log=None) -> list[str]:
        """Add to the page's index every file of ``uploads/`` it lacks (a crash between saving the
        file and the index, or a save by another page that did not know it), incrementally, under
        the lock. Returns the file names added; a file that cannot be read is logged and left."""
        with self._locked():
            index = load_index(self.index_dir)
            paths = self._upload_files()
            known = set(index.passages.doc_id) if paths else set()
            missing = [p for p, d in zip(paths, self._doc_ids(index, paths)) if d not in known]
            if not missing:
                return []
            updated = self._readd_uploads(index, log, missing)
            added = [
                p.name for p, d in zip(missing, self._doc_ids(index, missing)) if d in set(updated.passages.doc_id)
            ]
            if added:
                save_index(updated, self.index_dir)
        if added and log:
            log(
                f"qa: re-added {len(added)} file(s) of {self.uploads_dir} missing from the page's index: "
                + ", ".join(added)
            )
        return added

    def uploads(self, index) -> dict[str, str]:
        """Uploaded documents of `index`: document id -> file name in ``uploads/``. A document is an
        upload when its file is in ``uploads/`` (the files are the truth; the index need not say)."""
        try:
            stamp = self.uploads_dir.stat().st_mtime_ns
        except OSError:
            return {}
        facts = describe(index)
        key = (str(self.uploads_dir), stamp, facts["index_dir"], facts["version_dir"], id(index))
        if facts["version_dir"] is None:  # never saved: nothing tells two such indexes apart
            _UPLOADS.pop(key, None)
        if key not in _UPLOADS:
            paths = self._upload_files()
            known = set(index.passages.doc_id) if paths else set()
            found = {d: p.name for d, p in zip(self._doc_ids(index, paths), paths) if d in known}
            if len(_UPLOADS) > 64:
                _UPLOADS.clear()
            _UPLOADS[key] = found
        return dict(_UPLOADS[key])

    @staticmethod
    def documents(index) -> list[DocumentRow]:
        """Every document of `index`, in index order, with its passage count."""
        table = index.passages
        n = table.n_documents
        doc = np.asarray(table.doc, dtype=np.int64)
        counts = np.bincount(doc, minlength=n) if n else np.zeros(0, np.int64)
        first = np.zeros(n, dtype=np.int64)
        first[doc[::-1]] = np.arange(doc.size - 1, -1, -1)  # each document's first passage
        return [
            DocumentRow(
                table.doc_id[d],
                table.source[d],
                table.title[d],
                int(counts[d]),
                detect_language(f"{table.title[d]}\n{table.text[int(first[d])][:500]}") if counts[d] else "en",
            )
            for d in range(n)
        ]

    # -- uploads ------------------------------------------------------------------------------

    def _upload_path(self, name: str) -> Path:
        path = self.uploads_dir / name
        if path.parent != self.uploads_dir or name != safe_name(name) or name.startswith("."):
            raise UploadError(f"{name!r} is not a plain file name")  # safe_name makes this unreachable
        return path

    def _doc_ids(self, index, paths: list[Path]) -> list[str]:
        """The ids `update_index` gives these files: relative to the index's corpus root when they
        are inside it, else to the uploads folder (their common folder)."""
        uploads = self.uploads_dir.resolve()
        root = describe(index)["root"]
        base = uploads
        if root:
            r = Path(root).resolve()
            if uploads == r or r in uploads.parents:
                base = r
        return [(uploads / p.name).relative_to(base).as_posix() for p in paths]

    def _write(self, path: Path, data: bytes) -> Path | None:
        """Write `data` to `path` atomically (`qa.files.atomic_file`, as ``.tmp-*``, which a later
        start removes if a crash left it); returns a backup of the file it replaced, if any."""
        backup = None
        try:
            with atomic_file(path, binary=True, prefix=".tmp-", suffix=path.suffix) as fh:
                fh.write(data)
                if path.exists():
                    backup = self.uploads_dir / f".bak-{uuid.uuid4().hex}{path.suffix}"
                    try:
                        os.link(path, backup)
                    except OSError:
                        shutil.copy2(path, backup)
        except BaseException:
            if backup is not None:
                backup.unlink(missing_ok=True)
            raise
        return backup

    @classmethod
    def _undo_all(cls, written: list[tuple[Path, Path | None]]) -> None:
        """Put back what `_write` replaced, last written first."""
        for path, backup in reversed(written):
            cls._undo(path, backup)

    @staticmethod
    def _undo(path: Path, backup: Path | None) -> None:
        if backup is not None:
            os.replace(backup, path)
        else:
            path.unlink(missing_ok=True)

    def _clean(self, message: str) -> str:
        """A loader message with the uploads folder's path taken out of file names."""
        for prefix in {str(self.uploads_dir) + os.sep, str(self.uploads_dir.resolve()) + os.sep}:
            message = message.replace(prefix, "")
        return re.sub(r"(^|: )skipped ", r"\1", message, flags=re.MULTILINE)

    @staticmethod
    def _why_unreadable(paths: list[Path]) -> str:
        """One line per file the loader could not read (when none of an upload was readable)."""
        from ..ingest.loader import DocumentStream

        lines = []
        for path in paths:
            stream = DocumentStream([path])
            try:
                for _ in stream:
                    pass
            except QAError as exc:
                lines.extend(stream.warnings or [str(exc)])
        return "\n".join(lines) or "no file holds readable text"

    def add_uploads(self, files, progress=None) -> tuple[list[str], list[str]]:
        """Save uploaded files in ``uploads/`` and add them to the index, incrementally.

        Parameters
        ----------
        files : sequence of (name, bytes)
            The user's file names (reduced to `safe_name`) and contents.
        progress : callable(fraction, message), optional
            Called as the work advances, fraction in [0, 1].

        Returns
        -------
        added : list of str
            Ids of the documents added (or replaced: a file uploaded again under
            the same name updates its document).
        warnings : list of str
            One per file not added (unreadable, or repeating indexed text); that
            file is not kept.

        Raises
        ------
        UploadError
            The files are refused (see `check_uploads`), one would replace a
            document that was not uploaded, or none could be indexed. Nothing
            is then changed.
        """
        report = progress or (lambda fraction, message: None)
        checked = check_uploads(files)
        n = len(checked)
        report(0.0, f"Checking {n} file(s)")
        with self._locked():
            for stale in (*self.uploads_dir.glob(".tmp-*"), *self.uploads_dir.glob(".bak-*")):
                stale.unlink(missing_ok=True)  # left by a crash; no other change runs under the lock
            index = load_index(self.index_dir)
            uploads = self.uploads(index)
            known = set(index.passages.doc_id)
            paths = [self._upload_path(name) for name, _ in checked]
            ids = self._doc_ids(index, paths)
            clashes = [
                f"{name}: a document {doc_id!r} that was not uploaded here is already indexed; rename the file"
                for (name, _), doc_id in zip(checked, ids)
                if doc_id in known and doc_id not in uploads
            ]
            if clashes:
                raise UploadError("\n".join(clashes))
            written: list[tuple[Path, Path | None]] = []
            try:
                for i, ((name, data), path) in enumerate(zip(checked, paths)):
                    report(0.05 + 0.25 * i / n, f"Saving {name}")
                    written.append((path, self._write(path, data)))
                report(0.35, f"Reading and indexing {n} file(s)")
                updated, warnings = update_index(index, add=paths)
            except QAError as exc:
                message = self._why_unreadable(paths) if isinstance(exc, EmptyCorpusError) else str(exc)
                self._undo_all(written)
                raise UploadError(self._clean(message)) from None
            except BaseException:
                self._undo_all(written)
                raise
            now = set(updated.passages.doc_id)
            messages = [self._clean(w) for w in warnings]
            added, failed = [], []
            for (name, _), doc_id, (path, _backup) in zip(checked, ids, written):
                named = any(
                    str(path) in w or str(path.resolve()) in w or w.startswith(f"skipped {doc_id}: ") for w in warnings
                )  # the loader names files, the passage limit documents
                if doc_id in now and not named:
                    added.append(doc_id)
                else:
                    failed.append(path)
                    if not named:
                        messages.append(f"{name}: not added: all its text is already in the index")
            try:
                if not added:
                    raise UploadError("\n".join(messages) or "no file could be added")
                report(0.85, "Saving the index")
                save_index(updated, self.index_dir)
            except BaseException:
                self._undo_all(written)
                raise
            for path, backup in written:  # the index is saved: keep the new files, or the old for failures
                if path in failed:
                    self._undo(path, backup)
                elif backup is not None:
                    backup.unlink(missing_ok=True)
        report(1.0, f"Added {len(added)} document(s)")
        return added, messages

    def remove(self, doc_id: str) -> None:
        """Remove a document from the index, and its file from ``uploads/`` if it was uploaded."""
        with self._locked():
            index = load_index(self.index_dir)
            uploads = self.uploads(index)
            if doc_id not in set(index.passages.doc_id):
                raise LibraryError(f"{doc_id!r} is not in the index (removed already?)")
            try:
                updated, _ = update_index(index, remove=[doc_id])
            except (ValueError, EmptyCorpusError):  # the last document
                raise LibraryError(f"{doc_id!r} is the last document; the index cannot be empty") from None
            name = uploads.get(doc_id)
            save_index(updated, self.index_dir)
            if name:
                try:
                    self._upload_path(name).unlink(missing_ok=True)
                except (UploadError, OSError):
                    pass  # the index no longer names it; a stray file is harmless

    # -- reading a citation -------------------------------------------------------------------

    def source_text(self, index, passage) -> str | None:
        """The text of the passage's document, re-read from its file, or None.

        For any readable format (the text of a PDF, DOCX or HTML file is its
        extracted text, which the offsets index) found in the uploads folder or
        under the index's corpus root, and only if the file still holds the
        passage at its offsets (it may have changed since indexing).
        """
        from ..ingest.loader import read_document

        uploaded = self.uploads(index).get(passage.doc_id)
        if uploaded:
            path = self.uploads_dir / uploaded
        else:
            root = describe(index)["root"]
            if not root:
                return None
            root = Path(root).resolve()
            path = (root / passage.source).resolve()
            if root not in path.parents:
                return None
        if refusal(path.name) or not path.is_file():  # every file the loader reads: offsets index its text
            return None
        try:
            document = read_document(path, passage.doc_id)
        except QAError:
            return None
        # The file still reads as it did when indexed: the passage's span reads as its text.
        return document.text if read(document).of(passage.start, passage.end) == passage.text else None
