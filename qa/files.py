"""Writing files so that a reader or a crash never sees half of one.

Every writer of a result file (the index store, the command line's ``--json`` and
``--out`` files, the page's uploads, `qa eval`, ``bench/``) goes through
`atomic_file` (or `atomic_write`): the bytes go to a temporary file beside the
target, are flushed and fsynced, and replace the target in one ``os.replace``.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_file", "atomic_write", "fsync_dir", "save_json", "write_json"]

_UMASK = os.umask(0o022)  # read once, at import (setting it later would race other threads)
os.umask(_UMASK)


def fsync_dir(path) -> None:
    """fsync a folder, so a rename in it survives a crash (a no-op where folders cannot be opened)."""
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


@contextmanager
def atomic_file(
    path, *, binary: bool = False, encoding: str = "utf-8", prefix: str | None = None, suffix: str = ".tmp"
):
    """Open a temporary file beside `path` for writing; when the block ends without an error it is
    flushed, fsynced and renamed over `path` (``os.replace``), else removed. The folder must exist.

    The file gets the permissions `open` would give (``0o666`` less the umask), not ``mkstemp``'s
    ``0o600``. `prefix` and `suffix` name the temporary file (default ``.<name>.XXXX.tmp``), for
    callers that clean up what a crash left.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}." if prefix is None else prefix, suffix=suffix)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": encoding})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write(path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write `data` to `path` atomically (`atomic_file`). Returns `path`."""
    path = Path(path)
    with atomic_file(path, binary=isinstance(data, bytes), encoding=encoding) as fh:
        fh.write(data)
    return path


def write_json(path, obj) -> None:
    """Write `obj` as compact JSON (UTF-8, not ASCII-escaped) to a new file, fsynced: a file inside a
    version folder that is itself published atomically (the index store)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())


def save_json(path, obj) -> Path:
    """Replace the results file `path` with `obj` as indented JSON, atomically (`atomic_write`),
    creating its folder: `qa eval --json` and ``bench/`` results. Values JSON cannot hold (paths,
    dates) are written as their text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
