"""Writing files so that a reader or a crash never sees half of one.

Every writer of a result file (the index store, the command line's ``--json`` and
``--out`` files, the page's uploads, `qa eval`, ``bench/``) goes through
`atomic_write`: the bytes go to a temporary file beside the target, are flushed
and fsynced, and replace the target in one ``os.replace``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "fsync_dir", "write_json"]


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


def atomic_write(path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write `data` to `path` atomically: a temporary file in the same folder, fsynced, then
    ``os.replace``. The folder must exist. Returns `path`."""
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_json(path, obj) -> None:
    """Write `obj` as compact JSON (UTF-8, not ASCII-escaped) to a new file, fsynced."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
