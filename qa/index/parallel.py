"""Tokenising a build's passages on worker processes (``qa index --jobs N``).

Tokenising and counting is half of a build's time and needs nothing from the
other passages but the word numbers, so it is what the workers do. This
process reads and chunks the corpus (the passage order, the repeat check and
the fingerprint stay where they are in a single-process build), fills the
passage table, and sends each batch's texts, titles and sections to the pool.

Each worker numbers words and terms in its own dictionaries (`_Builder` as
in a single-process build) and returns, with a batch's counts in its local
term numbers, the words new to it in that batch, in the order the batch
meets them, what it made of each (sentence end, stop word or a local term),
and the terms (stems) new to it. The batches are merged here in passage
order: a word met for the first time in batch ``j`` is new to whichever
worker counted batch ``j``, so it is in that batch's list, in the same order
a single-process build meets it. Numbering the list's words not yet known
here in that order, and their terms on first sight, gives them the
single-process build's numbers; a lookup array per worker then turns its
local term numbers into those. The index is therefore equal, array by array,
to a single-process build's (`tests/index/test_parallel_build.py`).

A worker counts its batches in the order it takes them, which is the order
they were sent, and the merge runs in that order too, so a worker's local
numbers are always known here before a batch using them is merged.

The workers are started with 'spawn', so, as with any multiprocessing code,
a script calling ``build_index(..., jobs=2)`` must do so under
``if __name__ == "__main__":`` (``qa index`` and ``python -m qa`` do).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import NamedTuple

import numpy as np

from ..errors import QAError

__all__ = ["default_jobs", "fit_parallel"]

MAX_DEFAULT_JOBS = 8


def default_jobs() -> int:
    """The processes ``qa index`` builds on unless told: the CPUs this process may run on (its
    affinity, which a container or ``taskset`` narrows, not the host's count), at most
    `MAX_DEFAULT_JOBS`: reading and chunking stay in one process, so workers beyond a few wait
    on it, and each holds its own vocabulary."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_DEFAULT_JOBS))


class _Piece(NamedTuple):
    """What counting reads of a passage (all that is sent to a worker)."""

    text: str
    title: str
    section: str


_worker = None  # this worker's `qa.index.index._Builder`


def _orphaned() -> None:
    """End this worker when the process that started it ends (even killed: then no one else would)."""
    multiprocessing.parent_process().join()
    os._exit(1)


def _start(builder_type, params) -> None:
    """A worker's start: its own builder; Ctrl-C is the parent's to handle (it stops the pool).

    The builder's class comes from the parent (`qa.index.index` calls this module, so this
    module does not import it)."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_orphaned, daemon=True).start()
    _worker = builder_type(params)
    _worker.fresh = []


def _count(pieces: list[tuple[str, str, str]]) -> tuple:
    """Count one batch in this worker's numbers.

    Returns ``(pid, new words, their kinds, new terms, *counts)``: the words new to this worker
    in the order met, each one's local term number (or -1 for a sentence end, -2 for a stop
    word), the terms (stems) new to it in the order numbered, and `_Builder.count_batch`'s
    arrays."""
    b = _worker
    before, terms_before = len(b.surface), len(b.stems)
    counted = b.count_batch([_Piece(*p) for p in pieces])
    fresh, b.fresh = b.fresh, []
    terms = list(islice(reversed(b.stems), len(b.stems) - terms_before))[::-1]  # dicts keep insertion order
    return (os.getpid(), fresh, b.term_of[before:].copy(), terms, *counted)


class _Merge:
    """The parent's side: numbers the words new to the index and renumbers each worker's terms."""

    def __init__(self, builder):
        self.builder = builder
        self.terms: dict[int, list[str]] = {}  # worker pid -> its terms, by its numbers
        self.local: dict[int, np.ndarray] = {}  # worker pid -> its term number -> the index's

    def add(self, result: tuple) -> None:
        pid, words, kinds, new_terms, per_row, cols, counts, seq, seq_len = result
        b = self.builder
        terms = self.terms.setdefault(pid, [])
        terms.extend(new_terms)
        # As `_Builder._number` would number them (the worker classified them the same way and
        # stemmed them already): the words not yet known, in the order met; their terms likewise.
        surface, stems = b.surface, b.stems
        new = [i for i, w in enumerate(words) if w not in surface]
        if new:
            base = len(surface)
            for j, i in enumerate(new):
                surface[words[i]] = base + j
            kind = kinds[new]
            for j in np.flatnonzero(kind >= 0).tolist():
                kind[j] = stems.setdefault(terms[kind[j]], len(stems))
            b.term_of = np.concatenate([b.term_of, kind])
        table = self.local.get(pid, np.empty(0, dtype=np.int32))
        if new_terms:  # every term new to the worker is known here by now: a word of it was just classified
            start = len(terms) - len(new_terms)
            table = np.concatenate(
                [table, np.fromiter(map(stems.__getitem__, terms[start:]), dtype=np.int32, count=len(new_terms))]
            )
            self.local[pid] = table
        cols = table[cols]
        seq = np.where(seq >= 0, table[np.maximum(seq, 0)], seq).astype(np.int32) if seq.size else seq
        b._append((per_row, cols, counts, seq, seq_len))


def fit_parallel(batches, builder, jobs: int) -> None:
    """Count `batches` on `jobs` worker processes into `builder`, as its `add_batch` would.

    Parameters
    ----------
    batches : iterable of list of Passage
        In corpus order; read once.
    builder : qa.index.index._Builder
        A fresh builder: it receives the passage table, the counts and the token sequences,
        numbered as if it had counted every batch itself.
    jobs : int
        Worker processes. At most ``2 * jobs`` batches are out at a time, so memory stays
        bounded whatever the corpus size.

    An error in a worker is raised here, as a single-process build raises it; on any error or
    Ctrl-C the batches not started are dropped and the pool is stopped before this returns.
    """
    # 'spawn' (not 'fork'): a fresh interpreter inherits no lock another thread of this
    # process (a server's, say) might hold.
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(type(builder), builder.params),
    )
    merge = _Merge(builder)
    out: deque = deque()
    merged = 0
    try:
        for batch in batches:
            for p in batch:
                builder.table.add(p)
            out.append(pool.submit(_count, [(p.text, p.title, p.section) for p in batch]))
            if len(out) >= 2 * jobs:
                merge.add(out.popleft().result())
                merged += 1
        while out:
            merge.add(out.popleft().result())
            merged += 1
    except BrokenProcessPool as exc:  # a worker died: its batch is lost, so is the build
        if not merged:  # none ever answered: most likely they could not start
            raise QAError(
                "the build's worker processes stopped before counting anything (their error is on stderr). "
                'A script that builds with jobs > 1 must call it under `if __name__ == "__main__":`; '
                "or build with jobs=1"
            ) from exc
        raise QAError(
            f"a build worker process ended unexpectedly (killed, or out of memory?); the index was "
            f"not written. Try again with fewer processes (--jobs {max(1, jobs // 2)})"
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
