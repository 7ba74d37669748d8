"""bench/synthetic.py: the benchmark's corpus and questions are deterministic and shaped as documented."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from qa.text import STOP_WORDS

_PATH = Path(__file__).resolve().parents[2] / "bench" / "synthetic.py"
_spec = importlib.util.spec_from_file_location("bench_synthetic", _PATH)
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)

VOCAB = 3000  # small sizes keep these tests fast
WORDS = 40


def corpus(n, seed=0, words=WORDS):
    return list(synthetic.generate(n, words_per_passage=words, vocab_size=VOCAB, seed=seed))


def sentences(text):
    return [s for s in re.split(r"(?<=\.) ", text)]


def test_same_seed_same_corpus_other_seed_other_corpus():
    assert corpus(50) == corpus(50)
    assert corpus(50, seed=1) != corpus(50)


def test_a_smaller_corpus_is_a_prefix_of_a_larger_one():
    n = synthetic.CHUNK + 30  # crosses a chunk boundary
    small, large = corpus(n - 60), corpus(n)
    assert large[: n - 60] == small
    assert [p["_id"] for p in large] == [f"d{i}" for i in range(n)]


@pytest.mark.parametrize("words", [WORDS, 80, 21, 8, 3])
def test_passages_have_the_word_count_and_sentence_shape(words):
    vocab = set(synthetic.vocabulary(VOCAB))
    for p in corpus(40, words=words):
        assert set(p) == {"_id", "title", "text"}
        tokens = p["text"].replace(".", "").split()
        assert len(tokens) == words
        assert {t.lower() for t in tokens} <= vocab
        parts = sentences(p["text"])
        assert all(s.endswith(".") and s[0].isupper() for s in parts)
        lengths = [len(s.split()) for s in parts]
        assert sum(lengths) == words
        if words >= synthetic.MIN_SENTENCE:
            assert all(synthetic.MIN_SENTENCE <= n <= synthetic.MAX_SENTENCE for n in lengths), lengths
        assert 2 <= len(p["title"].split()) <= 5


def test_vocabulary_is_fixed_distinct_and_free_of_stop_words():
    words = synthetic.vocabulary(VOCAB)
    assert len(words) == len(set(words)) == VOCAB
    assert all(3 <= len(w) <= 10 and w.isascii() and w.isalpha() and w.islower() for w in words)
    assert not set(words) & STOP_WORDS
    assert [len(w) for w in words] == sorted(len(w) for w in words)  # frequent words are short
    synthetic.vocabulary.cache_clear()
    assert synthetic.vocabulary(VOCAB) == words


def test_words_follow_zipf_most_frequent_first():
    from collections import Counter

    counts = Counter(w.lower() for p in corpus(300) for w in p["text"].replace(".", "").split())
    vocab = synthetic.vocabulary(VOCAB)
    top = [w for w, _ in counts.most_common(3)]
    assert top[0] == vocab[0]
    # rank 1 against rank 2: (2/1) ** 1.1 = 2.14, give or take sampling noise
    assert 1.6 < counts[vocab[0]] / counts[vocab[1]] < 2.8


def test_write_corpus_streams_valid_jsonl(tmp_path):
    out = tmp_path / "c" / "corpus.jsonl"
    size = synthetic.write_corpus(out, 25, words_per_passage=WORDS, vocab_size=VOCAB)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert size == out.stat().st_size
    assert [json.loads(line) for line in lines] == corpus(25)
    assert [f.name for f in out.parent.iterdir()] == ["corpus.jsonl"]  # no temporary file left


def test_questions_are_deterministic_and_hit_their_passage():
    n = 1500
    qs = synthetic.questions(200, 0, n_passages=n, words_per_passage=WORDS, vocab_size=VOCAB)
    assert qs == synthetic.questions(200, 0, n_passages=n, words_per_passage=WORDS, vocab_size=VOCAB)
    assert qs != synthetic.questions(200, 1, n_passages=n, words_per_passage=WORDS, vocab_size=VOCAB)
    passages = {p["_id"]: p for p in corpus(n)}
    common = set(synthetic.vocabulary(VOCAB)[: synthetic.COMMON_RANKS])
    for i, q in enumerate(qs):
        assert q["_id"] == f"q{i}" and q["text"].endswith("?")
        words = q["text"][:-1].lower().split()
        assert 3 <= len(words) <= 8
        prefix = next(p for p in synthetic._PREFIXES if q["text"].lower().startswith(p + " "))
        content = words[len(prefix.split()) :]
        text_words = set(passages[q["passage"]]["text"].lower().replace(".", "").split())
        assert len(content) >= 2 and set(content) <= text_words
        assert len(set(content) & common) == 1  # one common word, the rest mid/low frequency
