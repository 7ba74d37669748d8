"""Reading the files of a corpus on worker processes (``qa index --jobs N``), in corpus order.

PDFs, Word documents and web pages take milliseconds to seconds each to read (a 100-page PDF about
a second), plain text files microseconds; in a real folder the first dominate. They are read on a
pool of processes, a few at a time ahead of the one the build needs next, and their documents and
warnings come back in the order of the files, so the corpus (and the index built from it) is the
same as a single process's. Text files are read here: sending them costs more than reading them.

The workers are started with 'spawn', so, as with any multiprocessing code, a script calling
``build_index(..., jobs=2)`` must do so under ``if __name__ == "__main__":`` (``qa index`` does).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from .formats import EXTRACTORS
from .loader import DocumentStream, read_files

__all__ = ["read_files_parallel", "ParallelDocumentStream"]

_AHEAD = 4  # files a worker has in hand or queued, so none waits while this process takes results


def _read(item) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(read_files([item], warnings)), warnings


def read_files_parallel(files, warnings: list[str], jobs: int):
    """The documents of `files` as `qa.ingest.loader.read_files` yields them, the extracted formats
    (`qa.ingest.formats.EXTRACTORS`: PDF, DOCX, HTML) read on `jobs` processes.

    Parameters
    ----------
    files : iterable of tuple
        ``(path, rel)`` items (or ``(path, rel, start, end)`` byte ranges of a ``corpus.jsonl``).
    warnings : list of str
        Receives each skipped file's line and each file's notes, in file order.
    jobs : int
        Worker processes; at most ``_AHEAD * jobs`` files are out at a time.
    """
    pool = None
    pending: deque = deque()  # (future, or the result read here), in file order
    try:
        for item in files:
            if Path(item[0]).suffix.lower() in EXTRACTORS:
                if pool is None:
                    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
                pending.append(pool.submit(_read, item))
            else:
                pending.append(_read(item))
            # Hand on what is done at the front; wait on the front when too much is out.
            while pending and (not isinstance(pending[0], Future) or pending[0].done() or len(pending) > _AHEAD * jobs):
                yield from _take(pending.popleft(), warnings)
        while pending:
            yield from _take(pending.popleft(), warnings)
    finally:
        if pool is not None:
            for f in pending:
                if isinstance(f, Future):
                    f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)


def _take(entry, warnings: list[str]):
    docs, notes = entry.result() if isinstance(entry, Future) else entry
    warnings.extend(notes)
    yield from docs


class ParallelDocumentStream(DocumentStream):
    """A `qa.ingest.loader.DocumentStream` whose PDF, DOCX and HTML files are read on `jobs` processes
    (`read_files_parallel`); its documents, their order and its warnings are the same.

    Parameters
    ----------
    sources : path-like or sequence of path-like
        As for `DocumentStream`.
    jobs : int
        Worker processes.
    root : path-like, optional
        As for `DocumentStream`.
    """

    def __init__(self, sources, jobs: int, root=None):
        super().__init__(sources, root=root)
        self.jobs = jobs

    def _documents(self):
        files = self.files()
        self.warnings.extend(self.unread())  # as DocumentStream does: the files a build leaves out, named
        yield from read_files_parallel(files, self.warnings, self.jobs)
