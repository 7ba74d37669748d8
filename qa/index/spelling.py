"""Correct a misspelt question word to a word the corpus contains; list words spelt like it.

Only words that are neither in the corpus nor common English (a Zipf frequency
below `COMMON_ZIPF` in the ``wordfreq`` lists, so "sort" is never "corrected"
to "short", nor "employer" to "employee") are corrected, and only to a corpus word
within one edit (insert, delete, substitute, or swap two neighbours), found
with the symmetric-delete method: every corpus word of at least `MIN_LEN`
letters is filed under itself and each of its one-letter deletions, and a
question word is looked up by the same keys. Among candidates the one whose
term occurs in most passages wins, then the alphabetically first, so the
choice is deterministic. The table is built on first use, once per index.

`Speller.similar` is the looser search the page uses to suggest rephrasings
when qa abstains: corpus words that ``difflib`` finds close (a ratio of at least
0.75), over a bounded sample of the words.
"""

from __future__ import annotations

import difflib

import numpy as np

__all__ = ["Speller", "MIN_LEN"]

MIN_LEN = 4  # shorter words have too many one-edit neighbours to guess safely
COMMON_ZIPF = 3.0  # about once per million words
SCAN_WORDS = 200_000  # words looked at per word, at most (`Speller.similar`)
SAMPLE_WORDS = 20_000  # candidates compared with difflib, at most


def is_common_word(word: str) -> bool:
    """True if `word` is an everyday English word (so not a misspelling)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # without the word lists, correct nothing rather than guess
        return True
    return zipf_frequency(word, "en") >= COMMON_ZIPF


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    return any(a == b[:i] + b[i + 1 :] for i in range(len(b)))


class Speller:
    """One-edit spelling correction against an index's surface words.

    Parameters
    ----------
    words : dict of str to int
        Surface word -> term number (``Index.words``).
    doc_freq : ndarray
        Passages per term number, to prefer common corrections.
    """

    def __init__(self, words: dict[str, int], doc_freq: np.ndarray):
        self._words = words
        self._df = doc_freq
        self._table: dict[str, list[str]] | None = None

    def _build(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        for w in self._words:
            if len(w) >= MIN_LEN and w.isalpha():
                for key in _deletes(w) | {w}:
                    table.setdefault(key, []).append(w)
        return table

    def correct(self, word: str) -> str | None:
        """The corpus word one edit away from `word`, or None if none or `word` is known."""
        if word in self._words or len(word) < MIN_LEN or not word.isalpha() or is_common_word(word):
            return None
        if self._table is None:
            self._table = self._build()
        candidates = set()
        for key in _deletes(word) | {word}:
            candidates.update(self._table.get(key, ()))
        candidates = [c for c in candidates if _one_edit(word, c)]
        if not candidates:
            return None
        return min(candidates, key=lambda c: (-int(self._df[self._words[c]]), c))

    def similar(self, word: str, n: int = 2, cutoff: float = 0.75, is_stop=lambda w: False) -> list[str]:
        """Corpus words spelt like `word` (`difflib.get_close_matches`), over a bounded sample of
        the words: same first letter, similar length, not a stop word (`is_stop`), at most
        `SAMPLE_WORDS` of them among the first `SCAN_WORDS`."""
        word = word.lower()
        if not word:
            return []
        candidates = []
        for i, w in enumerate(self._words):
            if i >= SCAN_WORDS or len(candidates) >= SAMPLE_WORDS:
                break
            if (
                w[:1] == word[:1]
                and abs(len(w) - len(word)) <= 3
                and w != word
                and not is_stop(w)
                and any(c.isalpha() for c in w)
            ):
                candidates.append(w)
        return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)
