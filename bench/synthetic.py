"""A deterministic synthetic corpus and question set for `bench/bench.py`.

usage: .venv/bin/python bench/synthetic.py N_PASSAGES OUT/corpus.jsonl [--questions OUT/questions.jsonl]

Words are made-up lowercase pseudo-words (`vocabulary`: `VOCAB_SIZE` words of
3-10 letters, the shortest the most frequent, none of them an English stop
word), drawn with Zipf's law: the word of frequency rank ``r`` has probability
proportional to ``r ** -ZIPF_EXPONENT``. A passage is ``words_per_passage``
words in sentences of 8-20 words, each capitalised and ending with ".", under
a title of 2-5 words.

Passages are made `CHUNK` at a time, chunk ``c`` from ``default_rng([seed,
c])``, so passage ``i`` is the same whatever the corpus size: the corpus of
10,000 passages is the first 10,000 of the corpus of 100,000, and `questions`
can re-create any passage's words without reading the corpus. Nothing is
ever held for more than one chunk, so a million passages stream to disk in
roughly constant memory (`write_corpus`).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "CHUNK",
    "COMMON_RANKS",
    "VOCAB_SIZE",
    "ZIPF_EXPONENT",
    "generate",
    "questions",
    "vocabulary",
    "write_corpus",
    "write_questions",
]

VOCAB_SIZE = 200_000
ZIPF_EXPONENT = 1.1
CHUNK = 1000  # passages per random stream
COMMON_RANKS = 100  # the 100 most frequent words are "common"; the rest mid/low frequency
MIN_SENTENCE, MAX_SENTENCE = 8, 20
_VOCAB_SEED = 20_240_601  # the vocabulary is fixed: it does not depend on the corpus seed
_QUESTION_STREAM = 7_777_777  # questions draw from default_rng([seed, _QUESTION_STREAM, n_passages])
_PREFIXES = ("what is", "what are", "who", "where is", "when did", "how does", "why is", "which")
_CONSONANTS = np.frombuffer(b"bcdfghjklmnprstvwz", dtype=np.uint8)
_VOWELS = np.frombuffer(b"aeiou", dtype=np.uint8)


def _excluded() -> frozenset[str]:
    """English function words, so no pseudo-word is dropped as a stop word by qa or a peer."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from qa.text import FRAME_WORDS, STOP_WORDS

    contractions = "ain aren couldn didn doesn hadn hasn haven isn mightn mustn needn shan shouldn wasn weren won"
    contractions += " wouldn"
    return frozenset(ENGLISH_STOP_WORDS) | STOP_WORDS | FRAME_WORDS | frozenset(contractions.split())


@lru_cache(maxsize=4)
def vocabulary(size: int = VOCAB_SIZE) -> tuple[str, ...]:
    """`size` distinct pseudo-words, most frequent (shortest) first.

    Each word alternates consonants and vowels (so it looks like a word and
    stems like one), is 3-10 letters long, and is not an English stop word.
    The list is the same on every call and machine.

    Examples
    --------
    >>> words = vocabulary(1000)
    >>> len(words), len(set(words)), all(3 <= len(w) <= 10 and w.isalpha() and w.islower() for w in words)
    (1000, 1000, True)
    """
    if size < 1:
        raise ValueError(f"vocab_size must be at least 1, got {size}")
    rng = np.random.default_rng(_VOCAB_SEED)
    excluded = _excluded()
    words: dict[str, None] = {}
    while len(words) < size:
        n = max(2 * size, 10_000)
        lengths = rng.integers(3, 11, size=n)
        vowel_first = rng.random(n) < 0.3
        consonants = _CONSONANTS[rng.integers(0, _CONSONANTS.size, size=(n, 10))]
        vowels = _VOWELS[rng.integers(0, _VOWELS.size, size=(n, 10))]
        is_vowel = (np.arange(10)[None, :] + vowel_first[:, None]) % 2 == 1
        letters = np.where(is_vowel, vowels, consonants).astype(np.uint8)
        for row, length in zip(letters, lengths):
            w = row[:length].tobytes().decode("ascii")
            if w not in excluded:
                words.setdefault(w)
                if len(words) == size:
                    break
    # Zipf's law of abbreviation: frequent words are short. A stable sort keeps the order deterministic.
    return tuple(sorted(words, key=len))


@lru_cache(maxsize=4)
def _zipf_cdf(vocab_size: int) -> np.ndarray:
    p = np.arange(1, vocab_size + 1, dtype=np.float64) ** -ZIPF_EXPONENT
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return cdf


def _chunk_tokens(seed: int, chunk: int, words_per_passage: int, vocab_size: int):
    """The random stream of one chunk and its word ranks (0 = most frequent), ``(CHUNK, words_per_passage)``.

    The tokens are the stream's first draw, so `questions` can re-create them
    without drawing the rest of the chunk.
    """
    rng = np.random.default_rng([seed, chunk])
    u = rng.random((CHUNK, words_per_passage))
    tokens = np.searchsorted(_zipf_cdf(vocab_size), u, side="right").astype(np.int32)
    np.minimum(tokens, vocab_size - 1, out=tokens)  # guards u rounding to the top of the cdf
    return rng, tokens


def _sentence_lengths(draws, n_words: int) -> list[int]:
    """Split n_words into sentences of MIN_SENTENCE..MAX_SENTENCE words using the drawn lengths."""
    if n_words <= MAX_SENTENCE:
        return [n_words]
    out = []
    left = n_words
    for d in draws:
        if left <= MAX_SENTENCE:
            break
        length = min(int(d), left - MIN_SENTENCE)  # never leave fewer than MIN_SENTENCE words
        out.append(length)
        left -= length
    out.append(left)
    return out


def generate(n_passages: int, words_per_passage: int = 80, vocab_size: int = VOCAB_SIZE, seed: int = 0):
    """Yield `n_passages` BEIR-style passages ``{"_id", "title", "text"}``, deterministically.

    Parameters
    ----------
    n_passages : int
    words_per_passage : int, default=80
        Words in each text (the title's words not counted).
    vocab_size : int, default=VOCAB_SIZE
        How many pseudo-words Zipf's law draws from.
    seed : int, default=0

    Yields
    ------
    dict
        ``_id`` is ``"d"`` and the passage number (``d0``, ``d1``, ...).

    Examples
    --------
    >>> [p["_id"] for p in generate(2, words_per_passage=10, vocab_size=500)]
    ['d0', 'd1']
    """
    if n_passages < 0 or words_per_passage < 1:
        raise ValueError(f"need n_passages >= 0 and words_per_passage >= 1, got {n_passages}, {words_per_passage}")
    words = np.asarray(vocabulary(vocab_size), dtype=object)
    capitals = np.asarray([w.capitalize() for w in words], dtype=object)
    max_sentences = words_per_passage // MIN_SENTENCE + 1
    for chunk in range((n_passages + CHUNK - 1) // CHUNK):
        rng, tokens = _chunk_tokens(seed, chunk, words_per_passage, vocab_size)
        draws = rng.integers(MIN_SENTENCE, MAX_SENTENCE + 1, size=(CHUNK, max_sentences))
        title_len = rng.integers(2, 6, size=CHUNK)
        # Titles use words below the most common ones, as titles do.
        title_tokens = np.minimum(
            np.searchsorted(_zipf_cdf(vocab_size), rng.random((CHUNK, 5)), side="right") + COMMON_RANKS,
            vocab_size - 1,
        )
        text_words = words[tokens]
        text_capitals = capitals[tokens]
        titles = capitals[title_tokens]
        first = chunk * CHUNK
        for j in range(min(CHUNK, n_passages - first)):
            row = text_words[j].tolist()
            caps = text_capitals[j]
            sentences = []
            at = 0
            for length in _sentence_lengths(draws[j], words_per_passage):
                sentences.append(" ".join([caps[at], *row[at + 1 : at + length]]) + ".")
                at += length
            yield {"_id": f"d{first + j}", "title": " ".join(titles[j, : title_len[j]]), "text": " ".join(sentences)}


def _atomic_write_lines(path, lines_in_blocks) -> int:
    """Write blocks of text to `path` atomically (`qa.files.atomic_file`); the characters written."""
    from qa.files import atomic_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with atomic_file(path) as fh:
        for block in lines_in_blocks:
            fh.write(block)
            size += len(block)
    return size


def write_corpus(
    path, n_passages: int, words_per_passage: int = 80, vocab_size: int = VOCAB_SIZE, seed: int = 0
) -> int:
    """Write `generate`'s passages to a ``corpus.jsonl`` at `path`, a chunk at a time, atomically.

    Returns
    -------
    int
        Characters written (= bytes: the text is ASCII).
    """

    def blocks():
        lines = []
        for p in generate(n_passages, words_per_passage, vocab_size, seed):
            lines.append(json.dumps(p))
            if len(lines) == CHUNK:
                yield "\n".join(lines) + "\n"
                lines = []
        if lines:
            yield "\n".join(lines) + "\n"

    return _atomic_write_lines(path, blocks())


def questions(
    n: int = 1000, seed: int = 0, *, n_passages: int, words_per_passage: int = 80, vocab_size: int = VOCAB_SIZE
) -> list[dict]:
    """`n` questions of 3-8 words, each built from one passage of the corpus `generate` makes with these arguments.

    A question is a question phrase ("what is", "who", ...), one common word of
    its passage (frequency rank below `COMMON_RANKS`) and one or more of the
    passage's mid/low-frequency words, in random order, ending with "?". So
    every question hits real postings, a long one among them.

    Parameters
    ----------
    n : int, default=1000
    seed : int, default=0
        The corpus's seed; questions draw from their own stream derived from it.
    n_passages, words_per_passage, vocab_size
        As given to `generate`.

    Returns
    -------
    list of dict
        ``{"_id": "q0", "text": ..., "passage": "d123"}``, in order.
    """
    if n_passages < 1:
        raise ValueError("questions need a corpus of at least one passage")
    rng = np.random.default_rng([seed, _QUESTION_STREAM, n_passages])
    pids = rng.integers(0, n_passages, size=n)
    rows: dict[int, np.ndarray] = {}
    for chunk in np.unique(pids // CHUNK):
        _, tokens = _chunk_tokens(seed, int(chunk), words_per_passage, vocab_size)
        for pid in np.unique(pids[pids // CHUNK == chunk]):
            rows[int(pid)] = tokens[int(pid) - int(chunk) * CHUNK].copy()
    words = vocabulary(vocab_size)
    out = []
    for i, pid in enumerate(pids.tolist()):
        distinct = np.unique(rows[pid])
        common = distinct[distinct < COMMON_RANKS]
        rarer = distinct[distinct >= COMMON_RANKS]
        total = int(rng.integers(3, 9))
        fits = [p for p in _PREFIXES if len(p.split()) <= total - 2]
        prefix = fits[int(rng.integers(0, len(fits)))]
        n_rare = total - len(prefix.split()) - 1
        chosen = [int(rng.choice(common)) if common.size else int(rng.integers(0, COMMON_RANKS))]
        if rarer.size:
            chosen += rng.choice(rarer, size=min(n_rare, rarer.size), replace=False).tolist()
        chosen = [chosen[k] for k in rng.permutation(len(chosen))]
        text = f"{prefix} {' '.join(words[t] for t in chosen)}?"
        out.append({"_id": f"q{i}", "text": text[0].upper() + text[1:], "passage": f"d{pid}"})
    return out


def write_questions(path, qs) -> int:
    """Write questions as JSONL (``{"_id", "text", "passage"}`` a line), atomically."""
    return _atomic_write_lines(path, ["".join(json.dumps(q) + "\n" for q in qs)])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Write a synthetic BEIR-style corpus.jsonl (and questions).")
    p.add_argument("n_passages", type=int)
    p.add_argument("out", help="corpus.jsonl to write")
    p.add_argument("--questions", metavar="FILE", help="also write 1,000 questions here")
    p.add_argument("--words", type=int, default=80, help="words per passage (default 80)")
    p.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    write_corpus(args.out, args.n_passages, args.words, args.vocab_size, args.seed)
    if args.questions:
        qs = questions(
            1000, args.seed, n_passages=args.n_passages, words_per_passage=args.words, vocab_size=args.vocab_size
        )
        write_questions(args.questions, qs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
