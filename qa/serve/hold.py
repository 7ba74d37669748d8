"""One data folder, one live page: a running ``qa ui`` holds its data folder.

Two pages on one data folder serving different sources would each find the index made from the
other's source and make it again, on every request, each save dropping what the other added. So
``qa ui`` takes an exclusive ``fcntl.flock`` on the folder's `HOLD_FILE` before it touches the
folder and keeps the descriptor open across its ``exec`` of Streamlit: the server process holds it
for its whole life, and the kernel releases it when that process ends, however it ends (kill -9
included), so a stale file never blocks a start. The file names the holder (pid, address, source)
for the one-line refusal a second ``qa ui`` on the folder gets.

The lock is advisory: it binds ``qa ui`` (and `Library.ensure_index`, which will not make the index
again for another source while a live page holds the folder); ``qa index --add`` and other writers
of the index take the index's own writer lock instead, as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import QAError

__all__ = ["HOLD_FILE", "Holder", "DataFolderInUse", "hold_data_folder", "holder", "release"]

HOLD_FILE = "page.lock"
MAX_HOLD_BYTES = 64 << 10

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no hold, as before
    fcntl = None


@dataclass(frozen=True)
class Holder:
    """The ``qa ui`` holding a data folder.

    Parameters
    ----------
    pid : int or None
        Its process id (None if the file could not be read yet: it is being written).
    url : str or None
        Where it serves the page (``http://host:port``).
    source : str or None
        What it serves (the index or corpus folder).
    """

    pid: int | None = None
    url: str | None = None
    source: str | None = None

    def describe(self) -> str:
        """``pid 1234, http://127.0.0.1:8501, serving /path`` (what is known of it)."""
        parts = [f"pid {self.pid}" if self.pid else "pid unknown"]
        if self.url:
            parts.append(self.url)
        if self.source:
            parts.append(f"serving {self.source}")
        return ", ".join(parts)


class DataFolderInUse(QAError):
    """Another live ``qa ui`` holds the data folder."""

    def __init__(self, root: Path, who: Holder):
        self.root, self.holder = root, who
        super().__init__(
            f"{root}: this data folder is in use by another qa ui ({who.describe()}); stop it, or give "
            "this page a folder of its own with --data DIR (or $QA_DATA)"
        )


def _read(path: Path) -> Holder:
    try:
        with open(path, "rb") as fh:
            obj = json.loads(fh.read(MAX_HOLD_BYTES).decode("utf-8"))
        pid = obj.get("pid")
        return Holder(
            pid=pid if isinstance(pid, int) else None,
            url=str(obj.get("url") or "") or None,
            source=str(obj.get("source") or "") or None,
        )
    except (OSError, ValueError, AttributeError):
        return Holder()


def hold_data_folder(root, url: str, source: str) -> int:
    """Hold data folder `root` for this process (and the program it ``exec``s): lock `HOLD_FILE`
    and write who holds it.

    Parameters
    ----------
    root : path-like
        The data folder (it exists).
    url : str
        Where this page will be served, for the refusal another start gets.
    source : str
        What it serves (an index or corpus folder), likewise.

    Returns
    -------
    int
        The open descriptor holding the lock, inheritable so that it survives ``os.execv``; the
        lock lasts until every copy of it is closed (`release`, or the process ends).

    Raises
    ------
    DataFolderInUse
        Another live process holds the folder: the message names it and how to choose another.
    QAError
        The file cannot be opened (an unwritable folder).
    """
    root = Path(root)
    path = root / HOLD_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise QAError(f"{path}: cannot open the data folder's lock ({exc.strerror or exc})") from None
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise DataFolderInUse(root.resolve(), _read(path)) from None
    record = json.dumps({"pid": os.getpid(), "url": url, "source": source}).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, record, 0)
    os.set_inheritable(fd, True)  # held by the server process exec'd next, for its life
    return fd


def holder(root) -> Holder | None:
    """The live process holding data folder `root`, or None if none does (or it is this process)."""
    path = Path(root) / HOLD_FILE
    if fcntl is None or not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:  # held: by this process (qa ui's server) or another
        who = _read(path)
        return None if who.pid == os.getpid() else who
    finally:
        os.close(fd)  # closing releases a lock taken just now
    return None


def release(fd: int) -> None:
    """Close `fd` (from `hold_data_folder`): the hold ends if nothing else has a copy of it."""
    try:
        os.close(fd)
    except OSError:
        pass
