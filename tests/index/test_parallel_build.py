"""A build on several processes (issue 17, ``qa index --jobs N``) gives the very index one process gives.

Workers tokenise batches of passages with their own word numbers; the parent
renumbers them in passage order. These tests build small corpora in many
small batches (so every worker counts several and meets words another worker
met first) and compare the two builds array by array.
"""

import random

import numpy as np
import pytest

from qa import build_index
from qa.cli import main
from qa.index import index as index_module
from qa.index.folders import load_index
from qa.index.index import Index, IndexParams

SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "pe", "zu"]
CHINESE = ["离职后社保怎么办", "医保可以继续缴纳吗", "住房公积金提取流程", "失业保险金的领取条件"]


def corpus(root, n_docs=120, seed=7):
    """Markdown files with headings, plain files, and a corpus.jsonl with titles, some Chinese:
    words recur across batches, and some words appear only in titles or headings."""
    rng = random.Random(seed)
    words = ["".join(rng.choices(SYLLABLES, k=rng.randint(1, 3))) for _ in range(400)]

    def sentence():
        return " ".join(rng.choices(words, k=rng.randint(4, 12))).capitalize() + rng.choice([".", "!", "?"])

    root.mkdir(parents=True, exist_ok=True)
    for i in range(n_docs // 3):
        (root / f"doc{i:03}.md").write_text(
            f"# Title{i} only\n\n{sentence()} {sentence()}\n\n## Heading{i % 7} section\n\n"
            f"{sentence()} The {sentence()}\n",
            encoding="utf-8",
        )
        (root / f"note{i:03}.txt").write_text(f"Note {i}\n\n{sentence()} {sentence()}\n", encoding="utf-8")
    lines = []
    for i in range(n_docs // 3):
        text = " ".join(sentence() for _ in range(3))
        if i % 4 == 0:
            text += " " + rng.choice(CHINESE) + "。" + rng.choice(CHINESE) + "。"
        lines.append(f'{{"_id": "j{i}", "title": "Onlytitle{i % 5} {rng.choice(words)}", "text": "{text}"}}')
    (root / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def assert_same_index(a: Index, b: Index) -> None:
    """Every array, the vocabulary and words in the same order, and the passages, equal."""
    assert list(a.vocabulary.items()) == list(b.vocabulary.items())
    assert list(a.words.items()) == list(b.words.items())
    for name in ("idf", "indptr", "indices", "weights", "tf", "tokens", "token_ptr"):
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert list(a.passages) == list(b.passages)


def test_two_processes_build_the_same_index_as_one(tmp_path):
    root = corpus(tmp_path / "docs")
    one, warnings_one = build_index([root], jobs=1, batch_size=7)
    two, warnings_two = build_index([root], jobs=2, batch_size=7)
    assert one.n_passages > 20 * 7  # many batches, several on each worker
    assert any("离" in w or "医" in w for w in one.words)  # the Chinese text was indexed
    assert "onlytitle3" in one.vocabulary  # a word of titles only
    assert_same_index(one, two)
    assert warnings_one == warnings_two
    assert one.meta["fingerprint"] == two.meta["fingerprint"]


def test_more_workers_than_cores_build_alike(tmp_path):
    """Term numbers follow first appearance batch by batch (a batch's headings first), so the
    same batch size is compared; the number of workers makes no difference."""
    root = corpus(tmp_path / "docs", n_docs=60)
    assert_same_index(build_index([root], batch_size=3)[0], build_index([root], jobs=3, batch_size=3)[0])


@pytest.mark.parametrize(
    "params",
    [
        IndexParams(heading_boost=0),
        IndexParams(heading_boost=2, stem=False),
        IndexParams(stop_words=False, chinese="bigrams"),
    ],
)
def test_every_analyzer_setting_builds_alike(tmp_path, params):
    root = corpus(tmp_path / "docs", n_docs=45)
    assert_same_index(
        build_index([root], params, batch_size=4)[0], build_index([root], params, jobs=2, batch_size=4)[0]
    )


def test_a_small_corpus_is_built_in_process(tmp_path, monkeypatch):
    """Fewer than PARALLEL_BATCHES batches: starting workers would cost more than it saves."""
    monkeypatch.setattr("qa.index.parallel.fit_parallel", lambda *a: pytest.fail("workers started"))
    root = corpus(tmp_path / "docs", n_docs=9)
    build_index([root], jobs=2)


def test_errors_are_the_single_build_errors(tmp_path):
    root = tmp_path / "stop"
    root.mkdir()
    for i in range(30):
        (root / f"{i}.txt").write_text("the and of to. It is.\n", encoding="utf-8")
    for jobs in (1, 2):
        with pytest.raises(ValueError, match="empty vocabulary"):
            build_index([root], jobs=jobs, batch_size=2)


@pytest.mark.parametrize("jobs", [0, -1, "2", 1.5, True])
def test_bad_jobs_are_refused(tmp_path, jobs):
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        build_index([corpus(tmp_path / "docs", n_docs=3)], jobs=jobs)


def test_qa_index_jobs(tmp_path, monkeypatch, capsys):
    root = corpus(tmp_path / "docs")
    fit = Index.fit.__func__
    monkeypatch.setattr(
        index_module.Index,
        "fit",  # small batches, so --jobs 2 starts workers
        classmethod(lambda cls, passages, params=None, **kw: fit(cls, passages, params, **{**kw, "batch_size": 5})),
    )
    assert main(["index", str(root), "--out", str(tmp_path / "one"), "--jobs", "1"]) == 0
    assert main(["index", str(root), "--out", str(tmp_path / "two"), "--jobs", "2"]) == 0
    assert_same_index(load_index(tmp_path / "one"), load_index(tmp_path / "two"))


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_qa_index_refuses_a_bad_jobs(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(["index", str(tmp_path), "--out", str(tmp_path / "ix"), "--jobs", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--jobs" in err and ("out of range" in err or "not a whole number" in err)


def test_jobs_is_for_a_full_build(tmp_path, capsys):
    root = corpus(tmp_path / "docs", n_docs=3)
    assert main(["index", str(root), "--out", str(tmp_path / "ix")]) == 0
    for extra in (["--add"], ["--shards", "2"]):
        assert main(["index", str(root), "--out", str(tmp_path / "ix"), "--jobs", "2", *extra]) == 1
        assert "--jobs sets the processes of a full build" in capsys.readouterr().err


def test_the_default_is_the_usable_cores_at_most_eight(monkeypatch):
    from qa.index import parallel

    for usable, want in ((1, 1), (2, 2), (64, parallel.MAX_DEFAULT_JOBS)):
        monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid, n=usable: set(range(n)), raising=False)
        assert parallel.default_jobs() == want
