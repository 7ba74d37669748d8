"""Version folders: how every index folder is written and published (read back: `qa.index.layout`).

An index folder ``DIR`` holds ``CURRENT`` (the live version's name, one line)
and one ``v-<time>-<pid>/`` folder per complete version. A save fills a
``.tmp-*`` folder (`prepare_version`), fsyncs it, renames it into place and
only then swaps ``CURRENT`` (`publish_version`), so a reader sees the old
version or the new one, never half of either. Both kinds of index use it: one
index (`qa.index.store`, ``manifest.json``) and a sharded one
(`qa.index.shard_build`, ``shards.json``). The names of the files are
`qa.index.layout`'s. Imports only `qa.errors`, `qa.files` and the layout.

One writer at a time (issue 15): every writer (`qa index --out`, ``--add``,
``--remove``, the page's uploads, `qa.save_index`, the sharded build) holds
`writer_lock` on the folder, an ``fcntl.flock`` on ``DIR/.qa-write.lock``
(which names the holder: pid, host, time). The kernel drops it when its
holder dies, so a killed writer never blocks the next. Readers take no lock.
A save removes only what it made: its own ``.tmp-*`` on failure, leftovers of
dead writers (``.tmp-v-*``/``.tmp-CURRENT-*`` whose pid is gone), and old
``v-*`` versions replaced more than `KEEP_REPLACED_SECONDS` ago (the live one
and the one before it always stay), so a reader that has just read
``CURRENT`` still finds its files. It writes only into a folder that is empty
or that qa made (the ``.qa-index`` marker, or a live qa manifest).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import IndexFormatError, QAError
from ..files import fsync_dir
from .layout import CURRENT, KINDS, LEFTOVER, LOCK_FILE, MARKER, OWN_TMP, VERSION_NAME, current_version

__all__ = [
    "IndexBusyError",
    "IndexWriteError",
    "KEEP_REPLACED_SECONDS",
    "check_writable",
    "file_checksums",
    "prepare_version",
    "publish_version",
    "sampled_sha256",
    "sha256",
    "writer_lock",
]

KEEP_REPLACED_SECONDS = 120.0  # a replaced version stays this long for readers that read CURRENT before the swap


class IndexBusyError(QAError):
    """Another writer held an index folder's writer lock for longer than the wait allowed."""


class IndexWriteError(QAError, OSError):
    """An index folder cannot be created or locked (permissions, a read-only disk). An `OSError` too,
    so callers that carry on without writing (the default corpus's cache) still do."""


def _lock_timeout() -> float:
    try:
        return float(os.environ.get("QA_LOCK_TIMEOUT", "600"))
    except ValueError:
        return 600.0


_held = threading.local()  # resolved folder -> how many times this thread holds its writer lock


def _holder(lock: Path) -> str:
    try:
        text = lock.read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        text = []
    if len(text) >= 3:
        return f"pid {text[0]} on {text[1]}, since {text[2]}"
    return "another process"


def check_writable(out) -> Path:
    """`out` as a Path if qa may write an index there: missing, empty (apart from qa's own lock file
    and leftovers), or made by qa. Otherwise `IndexFormatError`, and nothing in it is touched."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise IndexFormatError(f"{out}: exists and is not a folder; choose another --out")
    if not out.is_dir() or (out / MARKER).is_file():
        return out
    others = [f for f in out.iterdir() if f.name != LOCK_FILE and not LEFTOVER.fullmatch(f.name)]
    if others and not _holds_qa_manifest(out):
        raise IndexFormatError(
            f"{out}: folder is not empty and is not a qa index; refusing to write into it "
            "(choose an empty or new folder for --out)"
        )
    return out


def _holds_qa_manifest(out: Path) -> bool:
    """True if ``CURRENT`` names a version folder holding a manifest qa wrote (an index made before
    the marker existed)."""
    name = current_version(out)
    if not name or not VERSION_NAME.fullmatch(name):
        return False
    for kind in KINDS:
        try:
            with open(out / name / kind.manifest, encoding="utf-8") as fh:
                data = json.loads(fh.read(1 << 20))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(data, dict) and data.get("format") in {k.format for k in KINDS}:
            return True
    return False


@contextmanager
def writer_lock(out, *, timeout: float | None = None, log=None):
    """Hold the writer lock of the index folder `out` (created if missing) while the block runs.

    Re-entrant within a thread (a `save_index` inside an ``--add``'s lock). Waits for another
    holder, saying so once through `log` (default: standard error), naming it; after `timeout`
    seconds (default ``$QA_LOCK_TIMEOUT`` or 600) raises `IndexBusyError`. Refuses a folder qa
    did not make (`check_writable`) before writing anything into it.
    """
    out = check_writable(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        key = str(out.resolve())
    except OSError as exc:
        raise IndexWriteError(f"{out}: cannot create the index folder ({exc.strerror or exc})") from None
    held = getattr(_held, "paths", None)
    if held is None:
        held = _held.paths = {}
    if held.get(key):
        held[key] += 1
        try:
            yield out
        finally:
            held[key] -= 1
        return
    import fcntl

    lock = out / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        raise IndexWriteError(
            f"{out}: cannot take the writer lock ({exc.strerror or exc}); is the folder writable?"
        ) from None
    try:
        limit = _lock_timeout() if timeout is None else timeout
        deadline = time.monotonic() + limit
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"{out}: another writer holds the index ({_holder(lock)}); gave up after "
                        f"{limit:g} s (set QA_LOCK_TIMEOUT to wait longer)"
                    ) from None
                if not said:
                    say = log or (lambda m: print(m, file=sys.stderr, flush=True))
                    say(f"qa: waiting for {out}: another writer holds the index ({_holder(lock)})")
                    said = True
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {socket.gethostname()} {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n".encode(), 0)
        if not (out / MARKER).is_file():
            (out / MARKER).write_text("a qa index folder (qa index --out); qa writes into it\n", encoding="utf-8")
        held[key] = 1
        try:
            yield out
        finally:
            del held[key]
    finally:
        os.close(fd)  # releases the flock


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


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


def file_checksums(folder: Path, names) -> dict:
    """``{name: {"sha256", "sampled_sha256", "bytes"}}`` of files in `folder`, as manifests record them."""
    return {
        f: {
            "sha256": sha256(folder / f),
            "sampled_sha256": sampled_sha256(folder / f),
            "bytes": (folder / f).stat().st_size,
        }
        for f in names
    }


def prepare_version(out) -> tuple[Path, str]:
    """A new, empty temporary version folder in the index folder `out`, and the name it will be
    published under (`publish_version`). Checks that `out` may be written and removes what a
    crashed save left there."""
    out = check_writable(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".tmp-*"):  # left by a crashed save: a version folder or a CURRENT pointer
        m = OWN_TMP.fullmatch(stale.name)
        if stale.name.startswith(".tmp-v-") and not m:  # an older qa's name, without its pid
            m = None
        elif not m or _pid_alive(int(m.group(1))):
            continue  # not qa's, or a live writer's: never touched
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
    to `name`, swap ``CURRENT`` atomically, then remove versions no reader can still be opening
    (`_remove_replaced`). Returns the version folder."""
    out = Path(out)
    previous = current_version(out)
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
        os.replace(pointer, out / CURRENT)
        fsync_dir(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_replaced(out, keep={name, previous})
    return final


def _remove_replaced(out: Path, keep: set) -> None:
    """Remove qa's version folders of `out` replaced more than `KEEP_REPLACED_SECONDS` ago, never
    one in `keep` (the live one and the one before it). A version's replacement time is when the
    next one was completed (its folder's mtime). Readers that mapped an old version keep their
    open files; one that read ``CURRENT`` just before a swap still finds the version it names."""
    versions = []
    for v in out.glob("v-*"):
        if VERSION_NAME.fullmatch(v.name) and v.is_dir() and not v.is_symlink():
            try:
                versions.append((v.stat().st_mtime, v))
            except OSError:
                pass
    versions.sort()
    now = time.time()
    for (_, old), (replaced_at, _) in zip(versions, versions[1:]):
        if old.name not in keep and now - replaced_at > KEEP_REPLACED_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
