"""What the page knows of its index that the index does not: where it was made from, and the files of
a served folder as they were when it was last indexed.

It lives in its own typed file in the page's data folder (`STATE_FILE`), written atomically by the
page, under the data folder's lock, right after the index it describes is saved: the index's own
``meta`` belongs to the index stage and is never written by the page. Which documents were uploaded
is not stored at all: the files in ``uploads/`` are the truth (`qa.serve.library.Library.uploads`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..files import atomic_write

__all__ = ["STATE_FILE", "PageState", "read_state", "write_state"]

STATE_FILE = "page-state.json"
FORMAT = "qa-page-state"
FORMAT_VERSION = 1
MAX_STATE_BYTES = 64 << 20  # a few hundred bytes a served file


@dataclass(frozen=True)
class PageState:
    """The page's record of its index's source.

    Parameters
    ----------
    seed : dict
        ``{"index": path or None, "corpus": path or None}``: the index (``qa ui --index``) or the
        corpus folder (``--corpus``, or the default corpus) the page's index was made from.
    seed_version : str or None
        The seed index's live version when it was copied (None for a corpus): a new version of it
        means the page's index is made again.
    files : dict or None
        A served corpus folder's files as last indexed: ``{path relative to the folder: [size,
        mtime_ns, sha256]}`` (`qa.serve.library.Library.follow_edits` compares the folder with
        it); None when the page serves an index.
    """

    seed: dict
    seed_version: str | None = None
    files: dict | None = None


def read_state(root) -> PageState | None:
    """The state saved in data folder `root`, or None if there is none or it cannot be read as one
    (the page then makes its index again from its source, which writes a new one)."""
    path = Path(root) / STATE_FILE
    try:
        if path.stat().st_size > MAX_STATE_BYTES:
            return None
        obj = json.loads(path.read_text(encoding="utf-8"))
        if obj.get("format") != FORMAT or obj.get("format_version") != FORMAT_VERSION:
            return None
        seed = obj["seed"]
        files = obj.get("files")
        if not isinstance(seed, dict) or not (files is None or isinstance(files, dict)):
            return None
        version = obj.get("seed_version")
        return PageState(seed=seed, seed_version=version if isinstance(version, str) else None, files=files)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def write_state(root, state: PageState) -> Path:
    """Replace the state file of data folder `root` with `state`, atomically (`qa.files.atomic_write`).
    The caller holds the data folder's lock."""
    obj = {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(state)}
    return atomic_write(Path(root) / STATE_FILE, json.dumps(obj, ensure_ascii=False))
