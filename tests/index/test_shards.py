"""Sharded indexes (issue 9): built on a Dask LocalCluster, they rank and answer exactly like a
single-machine build, with repeats across shards indexed once, and open wherever an index does."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask.distributed")

import qa
from qa.cli import main
from qa.errors import EmptyCorpusError
from qa.ingest.loader import DocumentStream, read_files
from qa.answering.search import search, search_documents
from qa.index.cluster import dask_client
from qa.index.shard_build import build_sharded, plan_partitions
from qa.index.sharded import ShardedIndex, load_sharded
from qa.index.folders import is_sharded, load_index

pytestmark = pytest.mark.slow  # Dask LocalClusters: left out of make test-fast

REPO = Path(__file__).resolve().parents[2]
REPEATED = (
    "Refunds for lost badges are paid by the security office within fourteen days of the claim, "
    "provided the badge was reported lost to the front desk on the day it went missing."
)
QUESTIONS = [
    "Where do I go to pay social security myself?",
    "What do I need to bring to the street office to apply?",
    "Can I still use my medical insurence card?",  # a spelling correction: global word statistics
    "How long is hospitalization reimbursement available after I resign?",
    "who pays refunds for lost badges",
    "security office claim days",
    "What is the tarn velo mesk?",
    "When did orbu pell kast the rimo?",
    "rimo tarn",
    "离职后社保和医保怎么办？",  # the Chinese document of corpus/
    "quantum chromodynamics",  # no match
]


def _jsonl_corpus(path: Path, n: int = 600) -> None:
    """Documents of made-up words drawn from a small vocabulary, so terms recur across shards."""
    rng = np.random.default_rng(9)
    vocab = [
        a + b
        for a in ("tar", "vel", "mes", "orb", "pel", "kas", "rim", "sov", "lun", "dra")
        for b in ("n", "o", "k", "u", "a", "e", "is", "ot")
    ]
    rows = []
    for i in range(n):
        sentences = [" ".join(rng.choice(vocab, size=rng.integers(6, 14))).capitalize() + "." for _ in range(3)]
        rows.append(json.dumps({"_id": f"d{i}", "title": " ".join(rng.choice(vocab, 2)), "text": " ".join(sentences)}))
    rows.insert(300, json.dumps({"_id": "repeat-in-jsonl", "title": "Badges", "text": REPEATED.upper()}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    """The seed corpus, a jsonl of 600 documents, and text files whose paragraph repeats across shards."""
    root = tmp_path_factory.mktemp("shard-corpus") / "docs"
    root.mkdir()
    for f in (REPO / "corpus").iterdir():
        shutil.copy(f, root / f.name)
    (root / "a-badges.txt").write_text(f"Badges\n\n{REPEATED}\n")
    (root / "m").mkdir()
    _jsonl_corpus(root / "m" / "corpus.jsonl")
    (root / "z-copy.txt").write_text(f"Copy\n\n{REPEATED.replace(' ', '  ')}\n")  # the same words, spaced apart
    return root


@pytest.fixture(scope="module")
def client():
    """One LocalCluster of two single-threaded worker processes for the whole module."""
    with dask_client(None, 2) as c:
        yield c


@pytest.fixture(scope="module")
def single_dir(corpus_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single") / "idx"
    assert main(["index", str(corpus_dir), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def sharded_dirs(corpus_dir, client, tmp_path_factory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("sharded")
    out = {}
    for n in (1, 3):
        out[n] = base / f"idx{n}"
        build_sharded([corpus_dir], out[n], n, client=client)
    return out


def _ranked(index, expand=False):
    return [
        [(h.passage.passage_id, h.score, h.matched_terms, h.coverage) for h in search(index, q, k=10, expand=expand)]
        for q in QUESTIONS
    ]


def _same(a, b, path="") -> None:
    """Equal JSON-like values, floats to a relative 1e-6."""
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("expand", [False, True])
def test_rankings_and_scores_equal_the_single_machine_build(single_dir, sharded_dirs, n, expand):
    single, sharded = load_index(single_dir), load_index(sharded_dirs[n])
    assert isinstance(sharded, ShardedIndex) and len(sharded.shards) == n
    assert sharded.n_passages == single.n_passages and sharded.n_terms == single.n_terms
    assert sharded.meta["n_documents"] == single.meta["n_documents"]
    got, want = _ranked(sharded, expand), _ranked(single, expand)
    assert any(want) and any(len(r) == 10 for r in want)
    _same(got, want)
    for q in QUESTIONS:
        _same(search_documents(sharded, q, k=50), search_documents(single, q, k=50))


@pytest.mark.parametrize("k", [1, 5, 50])
def test_pruned_document_rankings_equal_the_single_machine_build(single_dir, sharded_dirs, k, monkeypatch):
    import qa.index.ranking as ranking

    monkeypatch.setattr(ranking, "FULL_SCORE_POSTINGS", 0)  # MaxScore in every shard, however small
    single, sharded = load_index(single_dir), load_index(sharded_dirs[3])
    for q in QUESTIONS:
        _same(search_documents(sharded, q, k=k), search_documents(single, q, k=k))


def test_one_and_three_shards_agree(sharded_dirs):
    _same(_ranked(load_index(sharded_dirs[1])), _ranked(load_index(sharded_dirs[3])))


def test_global_statistics(single_dir, sharded_dirs):
    """IDF, mean length and document frequencies are the corpus's, not each shard's."""
    single, sharded = load_index(single_dir), load_index(sharded_dirs[3])
    order = [single.vocabulary[t] for t in sharded.vocabulary]  # term numbers may differ: compare by term
    np.testing.assert_allclose(sharded.idf, single.idf[order], rtol=1e-6)
    np.testing.assert_array_equal(sharded.doc_freq, single.doc_freq[order])
    for shard in sharded.shards:
        np.testing.assert_array_equal(shard.idf, sharded.idf)
    assert sorted(sharded.words) == sorted(single.words)


def test_ask_json_equals_the_single_machine_build(single_dir, sharded_dirs, capsys):
    for q in QUESTIONS[:-1]:
        answers = []
        for d in (single_dir, sharded_dirs[3]):
            assert main(["ask", q, "--index", str(d), "--json"]) == 0
            answers.append(json.loads(capsys.readouterr().out))
        _same(answers[1], answers[0])
    assert not answers[0]["abstained"] or answers[0]["reason_code"]


def test_a_paragraph_repeated_across_shards_is_indexed_once(corpus_dir, sharded_dirs):
    """As in a single build, the first copy in corpus order is kept: a later shard drops its copy."""
    _, parts = plan_partitions([corpus_dir], 3)
    owner = {item[1]: i for i, part in enumerate(parts) for item in part}
    assert owner["a-badges.txt"] < owner["z-copy.txt"]  # the copies are in different shards
    sharded = load_index(sharded_dirs[3])
    texts = [sharded.passages[i].text for i in range(sharded.n_passages)]
    assert sum(" ".join(t.lower().split()) == " ".join(REPEATED.lower().split()) for t in texts) == 1
    hit = search(sharded, REPEATED, k=1)[0]
    assert hit.passage.doc_id == "a-badges.txt"


def test_partitions_tile_the_corpus_in_order(corpus_dir):
    """A jsonl is cut at line starts; the partitions read in order are the documents of one stream."""
    root, parts = plan_partitions([corpus_dir], 4)
    cut = [item for part in parts for item in part if len(item) == 4]
    assert len(cut) >= 2 and cut[0][2] == 0
    assert all(a[3] == b[2] for a, b in zip(cut, cut[1:]))  # contiguous byte ranges
    data = Path(cut[0][0]).read_bytes()
    assert cut[-1][3] == len(data) and all(data[c[2] - 1 : c[2]] == b"\n" for c in cut[1:])
    got = [d.doc_id for part in parts for d in read_files(part, [])]
    assert got == [d.doc_id for d in DocumentStream([corpus_dir])] and root == DocumentStream([corpus_dir]).root


def test_layout_each_shard_is_an_ordinary_index(sharded_dirs):
    path = sharded_dirs[3]
    assert is_sharded(path)
    version = path / (path / "CURRENT").read_text().strip()
    manifest = json.loads((version / "shards.json").read_text())
    assert [s["dir"] for s in manifest["shards"]] == ["shard-0000", "shard-0001", "shard-0002"]
    shards = [load_index(version / s["dir"]) for s in manifest["shards"]]
    assert sum(s.n_passages for s in shards) == manifest["n_passages"]
    assert not any(p.name.startswith((".tmp-", "stage-")) for p in path.rglob("*"))


def test_shards_share_one_vocabulary_in_memory(sharded_dirs, saved_corpus_index):
    """Opening N shards parses the vocabulary once; an index with other terms never borrows it."""
    sharded = load_index(sharded_dirs[3])
    assert all(s.vocabulary is sharded.vocabulary and s.words is sharded.words for s in sharded.shards)
    other = load_index(saved_corpus_index, share_terms=sharded.shards[0])
    assert other.vocabulary is not sharded.vocabulary
    assert other.vocabulary == load_index(saved_corpus_index).vocabulary != sharded.vocabulary


def test_remote_search_on_workers_equals_local(sharded_dirs, client):
    local = load_index(sharded_dirs[3])
    remote = load_sharded(sharded_dirs[3]).connect(client.scheduler.address)
    try:
        _same(_ranked(remote), _ranked(local))
        assert qa.answer(remote, QUESTIONS[0]).text == qa.answer(local, QUESTIONS[0]).text
    finally:
        remote.close()


def test_cli_scheduler_flag_and_variable(sharded_dirs, single_dir, client, capsys, monkeypatch):
    """--scheduler (or $QA_SCHEDULER) scores on the cluster; the flag on a single index is an error, the
    variable is ignored there (it may be set for a whole session)."""
    address = client.scheduler.address
    outputs = []
    for argv in (["--scheduler", address], []):
        assert main(["ask", QUESTIONS[0], "--index", str(sharded_dirs[3]), "--json", *argv]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    _same(outputs[0], outputs[1])
    assert main(["ask", QUESTIONS[0], "--index", str(single_dir), "--scheduler", address]) == 1
    assert "needs a sharded index" in capsys.readouterr().err
    monkeypatch.setenv("QA_SCHEDULER", address)
    assert main(["ask", QUESTIONS[0], "--index", str(single_dir), "--json"]) == 0
    _same(json.loads(capsys.readouterr().out), outputs[0])


def test_a_sharded_index_is_read_only(sharded_dirs, corpus_dir, capsys):
    assert main(["index", str(corpus_dir / "a-badges.txt"), "--out", str(sharded_dirs[3]), "--add"]) == 1
    assert "sharded index, which cannot be updated in place" in capsys.readouterr().err
    assert main(["index", str(corpus_dir), "--out", "x", "--shards", "2", "--remove", "a.txt"]) == 1
    assert "cannot be updated with --add/--remove" in capsys.readouterr().err


def test_a_failed_build_leaves_the_previous_index_live(sharded_dirs, client, tmp_path):
    out = tmp_path / "idx"
    shutil.copytree(sharded_dirs[1], out)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_text("\n\n   \n")
    with pytest.raises(EmptyCorpusError):
        build_sharded([empty], out, 2, client=client)
    assert load_index(out).n_passages == load_index(sharded_dirs[1]).n_passages
    assert not list(out.glob(".tmp-*"))


def test_the_page_copies_a_sharded_index_and_lists_its_documents(sharded_dirs, tmp_path, monkeypatch):
    from qa.serve.library import Library

    monkeypatch.setenv("QA_INDEX", str(sharded_dirs[3]))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    index = qa.open_index(str(lib.index_dir), mmap=True)
    assert isinstance(index, ShardedIndex)
    rows = Library.documents(index)
    assert len(rows) == index.passages.n_documents and rows[0].n_passages >= 1
    assert sum(r.n_passages for r in rows) == index.n_passages
    with pytest.raises(qa.QAError, match="sharded"):
        qa.index.build.update_index(index, remove=[rows[0].doc_id])
    from qa.serve.uploads import UploadError

    with pytest.raises(UploadError, match="cannot be updated in place"):  # the page says so, and keeps no file
        lib.add_uploads([("new.txt", b"New\n\nA new document about parking permits and their renewal.\n")])
    assert not (lib.uploads_dir / "new.txt").exists()
    assert qa.answer(index, QUESTIONS[0]).text  # and still answers


def test_example_questions_equal_the_single_machine_build(single_dir, sharded_dirs):
    from qa.answering.suggest import candidate_questions, suggest_questions

    single, sharded = load_index(single_dir), load_index(sharded_dirs[3])
    assert candidate_questions(sharded) == candidate_questions(single)
    examples = suggest_questions(sharded, n=6)
    assert examples == suggest_questions(single, n=6) and examples


def test_cli_builds_shards_on_its_own_local_cluster_and_stops_it(corpus_dir, single_dir, tmp_path, capsys):
    psutil = pytest.importorskip("psutil")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    out = tmp_path / "idx"
    assert main(["index", str(corpus_dir), "--out", str(out), "--shards", "2"]) == 0
    assert "(2 shard(s))" in capsys.readouterr().err
    assert {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()} <= before
    _same(_ranked(load_index(out))[:4], _ranked(load_index(single_dir))[:4])


def test_the_page_answers_from_a_sharded_index(corpus_dir, sharded_dirs, single_dir, tmp_path, monkeypatch):
    """`qa ui --index DIR` on a sharded DIR: the page (AppTest) answers as from one index, and lists documents."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from qa.serve.render import escape

    monkeypatch.setenv("QA_INDEX", str(sharded_dirs[3]))
    monkeypatch.setenv("QA_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=60).run()
        at.text_input(key="question").input(QUESTIONS[0])
        next(b for b in at.button if b.label == "Ask").click()
        at.run()
        assert not at.exception and not at.error
        expected = qa.answer(load_index(single_dir), QUESTIONS[0], k=5)
        shown = " ".join(m.value for m in at.markdown)
        assert not expected.abstained and all(escape(s.text) in shown for s in expected.sentences)
        at.session_state["tab"] = "Documents"
        at.run()
        assert not at.exception
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
