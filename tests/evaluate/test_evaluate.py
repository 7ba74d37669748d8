"""`qa eval` (issue 4): BEIR loading, metric aggregation, the systems, answers, abstention, the CLI."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

import qa.evaluate.datasets as ev_datasets
import qa.evaluate.metrics as ev_metrics
import qa.evaluate.report as ev_report
import qa.evaluate.runs as ev_runs  # where the runs look up search_documents and answer (patched below)
from qa.cli import main
from qa.errors import QAError

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "beir_tiny"
SEED_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def tiny() -> ev_datasets.Dataset:
    return ev_datasets.load_beir(FIXTURE)


def copy_fixture(tmp_path, name="other") -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / name))


# ----------------------------------------------------------------------------- load_beir


def test_load_beir_reads_the_fixture(tiny):
    assert tiny.name == "beir_tiny" and tiny.corpus == FIXTURE / "corpus.jsonl"
    assert [q.qid for q in tiny.queries] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert [q.qid for q in tiny.judged] == ["q1", "q2", "q3", "q5", "q6"]  # q4 has no judgment
    assert tiny.qrels["q1"] == {"d1": 2, "d2": 1} and tiny.qrels["q6"] == {"d7": 0}
    q1, q4 = tiny.queries[0], tiny.queries[3]
    assert q1.answerable is True and q1.answers == ("2,000", "up to 2,000")
    assert q4.answerable is False and q4.answers == ()
    assert tiny.has_answers
    assert len(ev_datasets.read_corpus(tiny.corpus)) == 8


def test_load_beir_without_answer_fields(tmp_path):
    d = copy_fixture(tmp_path)
    lines = [json.loads(x) for x in (d / "queries.jsonl").read_text().splitlines()]
    (d / "queries.jsonl").write_text("".join(json.dumps({"_id": o["_id"], "text": o["text"]}) + "\n" for o in lines))
    ds = ev_datasets.load_beir(d)
    assert not ds.has_answers and all(q.answerable is None for q in ds.queries)


@pytest.mark.parametrize(
    "remove, message",
    [
        ("corpus.jsonl", "corpus.jsonl: missing"),
        ("queries.jsonl", "queries.jsonl: missing"),
        ("qrels/test.tsv", "test.tsv: missing"),
    ],
)
def test_load_beir_names_the_missing_file(tmp_path, remove, message):
    d = copy_fixture(tmp_path)
    (d / remove).unlink()
    with pytest.raises(QAError, match=message):
        ev_datasets.load_beir(d)


def test_load_beir_refuses_a_missing_folder(tmp_path):
    with pytest.raises(QAError, match="not a folder"):
        ev_datasets.load_beir(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("queries.jsonl", '{"_id": "q1", "text": "ok"}\n{"text": "no id"}\n', r"queries.jsonl:2: not a"),
        ("queries.jsonl", "", "holds no query"),
        ("queries.jsonl", '{"_id": "q1", "text": "a"}\n{"_id": "q1", "text": "b"}\n', "appears twice"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\n", r"test.tsv:2: not a"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\tx\n", r"test.tsv:2: not a"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t0\nzz\td2\t1\n", "no query of queries.jsonl has"),
    ],
)
def test_load_beir_refuses_malformed_files(tmp_path, name, text, message):
    d = copy_fixture(tmp_path)
    (d / name).write_text(text, encoding="utf-8")
    with pytest.raises(QAError, match=message):
        ev_datasets.load_beir(d)


def test_qrels_header_is_optional_and_unknown_queries_are_dropped(tmp_path):
    d = copy_fixture(tmp_path)
    (d / "qrels" / "test.tsv").write_text("q2\td3\t1\nnot-a-query\td1\t1\n", encoding="utf-8")
    assert dict(ev_datasets.load_beir(d).qrels) == {"q2": {"d3": 1}}


# ----------------------------------------------------------------------------- metrics

# Hand-computed on the fixture's judgments (q1: d1=2, d2=1; q2: d3=1; q3: d6=2, d5=1; q5: d8=1;
# q6: d7=0, so q6 is skipped). q5's only relevant document is ranked 12th, past every @10 and @5 cut.
RUNS = {
    "q1": ["d2", "d5", "d1"],  # nDCG (1 + 2/log2 4) / (2 + 1/log2 3) = 0.76019; AP (1/1 + 2/3)/2 = 0.83333
    "q2": ["d3"],  # everything 1
    "q3": ["d7", "d5", "d6"],  # nDCG (1/log2 3 + 2/log2 4) / (2 + 1/log2 3) = 0.61991; AP (1/2 + 2/3)/2; RR 1/2
    "q5": [f"x{i}" for i in range(11)] + ["d8"],  # AP 1/12; R@20 = R@100 = 1; the rest 0
    "q6": ["d7"],
}
EXPECTED = {
    "nDCG@10": (0.7601875 + 1 + 0.6199062 + 0) / 4,  # 0.59502
    "MAP@100": (5 / 6 + 1 + 7 / 12 + 1 / 12) / 4,  # 0.625
    "R@1": (0.5 + 1 + 0 + 0) / 4,
    "R@5": (1 + 1 + 1 + 0) / 4,
    "R@20": 1.0,
    "R@100": 1.0,
    "MRR@10": (1 + 1 + 0.5 + 0) / 4,
}


def test_rank_metrics_hand_computed(tiny):
    got = ev_metrics.rank_metrics(RUNS, tiny.qrels)
    assert got["queries"] == 4
    for name, value in EXPECTED.items():
        assert got[name] == pytest.approx(value, abs=1e-6), name


def test_a_missing_ranking_counts_as_empty(tiny):
    runs = {k: v for k, v in RUNS.items() if k != "q2"}
    got = ev_metrics.rank_metrics(runs, tiny.qrels)
    assert got["queries"] == 4 and got["R@1"] == pytest.approx(0.5 / 4)


def test_rank_metrics_of_no_judged_query():
    assert ev_metrics.rank_metrics({"a": ["x"]}, {"a": {"x": 0}}) == {
        **dict.fromkeys(ev_metrics.METRICS, 0.0),
        "queries": 0,
    }


# ----------------------------------------------------------------------------- systems


def test_parse_systems_rejects_an_unknown_name():
    with pytest.raises(QAError, match=r"unknown system 'bm42'; choose from qa, qa\+prf, bm25s"):
        ev_runs.parse_systems("qa,bm42")
    with pytest.raises(QAError, match="no system"):
        ev_runs.parse_systems(" , ")


def test_run_qa_ranks_every_judged_query(tiny):
    runs, index_seconds, query_seconds = ev_runs.run_qa(tiny)
    assert set(runs) == {q.qid for q in tiny.judged}
    assert runs["q2"][0] == "d3" and runs["q5"][0] == "d8"
    assert all(len(r) == len(set(r)) for r in runs.values())
    assert index_seconds > 0 and query_seconds > 0


def test_run_qa_counts_a_refused_question_as_an_empty_ranking(tiny, tmp_path):
    d = copy_fixture(tmp_path)
    (d / "queries.jsonl").write_text('{"_id": "q2", "text": "What is it?"}\n', encoding="utf-8")  # only stop words
    runs, _, _ = ev_runs.run_qa(ev_datasets.load_beir(d))
    assert runs == {"q2": []}


def test_sklearn_default_system(tiny):
    runs, _, _ = ev_runs.run_sklearn_default(tiny)
    assert runs["q2"][0] == "d3" and ev_metrics.rank_metrics(runs, tiny.qrels)["R@100"] > 0.5


@pytest.mark.parametrize("system, modules", [("bm25s", ("bm25s", "Stemmer")), ("tantivy", ("tantivy",))])
def test_peer_systems(tiny, system, modules):
    for m in modules:
        pytest.importorskip(m)
    runs, index_seconds, query_seconds = {"bm25s": ev_runs.run_bm25s, "tantivy": ev_runs.run_tantivy}[system](tiny)
    assert set(runs) == {q.qid for q in tiny.judged}
    assert runs["q2"][0] == "d3" and runs["q3"][0] == "d6"
    assert ev_metrics.rank_metrics(runs, tiny.qrels)["nDCG@10"] > 0.8


def test_tantivy_survives_query_syntax(tmp_path):
    pytest.importorskip("tantivy")
    d = copy_fixture(tmp_path)
    (d / "queries.jsonl").write_text(
        '{"_id": "q2", "text": "Eiffel: \\"Tower\\" (AND) completed? OR NOT [1889]^2 -"}\n'
        '{"_id": "q3", "text": "?!"}\n',
        encoding="utf-8",
    )
    runs, _, _ = ev_runs.run_tantivy(ev_datasets.load_beir(d))
    assert runs["q2"][0] == "d3" and runs["q3"] == []


def test_a_missing_peer_is_skipped_with_a_note(tiny, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "bm25s" else real(name, *a))
    notes = []
    results = ev_runs.evaluate([tiny], "bm25s,sklearn-default", ood_corpus=SEED_CORPUS, log=notes.append)
    assert list(results["datasets"]["beir_tiny"]["retrieval"]) == ["sklearn-default"]
    assert results["notes"] == ["bm25s skipped: bm25s not installed: pip install .[bench]"]
    assert any("bm25s not installed" in n for n in notes)
    assert results["ood"] == [] and results["datasets"]["beir_tiny"]["answers"] == {}  # both need the qa system


def test_qa_prf_answer_figures_ask_with_expand(tiny, monkeypatch):
    calls = []
    real = ev_runs.answer

    def answer(index, question, k=5, expand=False):
        calls.append(expand)
        return real(index, question, k=k)

    monkeypatch.setattr(ev_runs, "answer", answer)
    results = ev_runs.evaluate([tiny], "qa,qa+prf", ood_corpus=SEED_CORPUS)
    assert set(results["datasets"]["beir_tiny"]["answers"]) == {"qa", "qa+prf"}
    assert True in calls and False in calls


# ----------------------------------------------------------------------------- answers and abstention


def test_answer_quality_on_the_fixture(tiny):
    index = ev_runs._qa_index(tiny, None)[0]
    got = ev_runs.answer_quality(index, tiny.queries)
    assert got["answerable"] == 4 and got["unanswerable"] == 2
    for key in ev_runs.ANSWER_FIGURES:
        assert 0.0 <= got[key] <= 1.0
    assert got["answer_first"] <= got["answer_any"] <= got["answered"]
    assert got["answer_any"] >= 0.75  # four easy questions, each answered in one sentence of its document
    assert got["unanswerable_abstained"] >= 0.5  # the saxophone is in no document


def test_answer_quality_matching_rules(tiny, monkeypatch):
    """Case and spacing do not matter; an abstention is a miss; an unanswerable answered is not abstained."""
    from qa.types import Answer, Sentence

    def fake(index, question, k=5, expand=False):
        if "Eiffel" in question:  # abstains
            return Answer(
                question=question,
                sentences=(),
                hits=(),
                abstained=True,
                reason="x",
                reason_code="no_match",
                confidence=0.0,
                query_terms=(),
                corrections=(),
            )
        text = {"bee": "A queen lays UP  TO\n2,000 eggs.", "Etna": "It is volcanic.|Etna is on the island of sicily."}
        parts = next((v for key, v in text.items() if key in question), "Nothing here.").split("|")
        sentences = tuple(Sentence(text=p, rank=1, start=0, end=len(p), score=1.0) for p in parts)
        return Answer(
            question=question,
            sentences=sentences,
            hits=(),
            abstained=False,
            reason=None,
            reason_code=None,
            confidence=1.0,
            query_terms=(),
            corrections=(),
        )

    monkeypatch.setattr(ev_runs, "answer", fake)
    got = ev_runs.answer_quality(None, tiny.queries)
    # q1 first sentence; q2 abstained (a miss); q3 second sentence only; q5 wrong ("Nothing here.")
    assert got["answer_first"] == 0.25 and got["answer_any"] == 0.5 and got["answered"] == 0.75
    assert got["unanswerable_abstained"] == 0.0  # q4 and q6 were "answered"


def test_abstention_counts_refused_questions(tiny):
    index = ev_runs._qa_index(tiny, None)[0]
    queries = [
        ev_datasets.EvalQuery("a", "What is it?"),
        ev_datasets.EvalQuery("b", "zebra quantum saxophone"),
        ev_datasets.EvalQuery("c", "When was the Eiffel Tower completed?"),
    ]
    assert ev_runs.abstention(index, queries) == {"abstained": pytest.approx(2 / 3), "asked": 3}


# ----------------------------------------------------------------------------- the command


def test_cli_eval_qa_end_to_end(tmp_path, capsys):
    out = tmp_path / "res" / "eval.json"
    code = main(["eval", str(FIXTURE), "--systems", "qa", "--json", str(out), "--ood-corpus", str(SEED_CORPUS)])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    res = json.loads(out.read_text(encoding="utf-8"))
    figures = res["datasets"]["beir_tiny"]["retrieval"]["qa"]
    for name in ev_metrics.METRICS:
        assert 0.0 <= figures[name] <= 1.0, name
    assert figures["queries"] == 4 and figures["index_seconds"] > 0 and figures["queries_per_second"] > 0
    assert figures["R@100"] >= 0.75
    answers = res["datasets"]["beir_tiny"]["answers"]["qa"]
    assert all(0.0 <= answers[k] <= 1.0 for k in ev_runs.ANSWER_FIGURES)
    (ood,) = res["ood"]
    assert ood["queries"] == "beir_tiny" and ood["asked"] == 6
    assert ood["abstained"] >= 0.8  # questions about bees and volcanoes asked of a benefits leaflet
    assert {"platform", "python", "cpu_count", "qa_version"} <= set(res["machine"])
    assert res["command"].startswith("qa eval ") and res["date"]
    assert not list(out.parent.glob(".*.tmp"))  # written atomically, nothing left behind
    for word in (
        "beir_tiny",
        "nDCG@10",
        "MRR@10",
        "index s",
        "q/s",
        "answer_first",
        "unanswerable_abstained",
        "ood_abstained",
    ):
        assert word in stdout


def test_cli_eval_two_datasets_asks_each_of_the_other(tmp_path, capsys):
    other = copy_fixture(tmp_path, "tiny_copy")
    out = tmp_path / "eval.json"
    argv = ["eval", str(FIXTURE), str(other), "--systems", "qa", "--json", str(out), "--ood-corpus", str(SEED_CORPUS)]
    code = main(argv)
    assert code == 0, capsys.readouterr().err
    pairs = [(o["queries"], o["corpus"]) for o in json.loads(out.read_text())["ood"]]
    assert pairs == [
        ("beir_tiny", "tiny_copy"),
        ("tiny_copy", "beir_tiny"),
        ("beir_tiny", "corpus"),
        ("tiny_copy", "corpus"),
    ]


def test_cli_eval_unknown_system(capsys):
    code = main(["eval", str(FIXTURE), "--systems", "qa,lucene"])
    _, err = capsys.readouterr()
    assert code == 1 and err.startswith("qa: error: unknown system 'lucene'")


def test_cli_eval_bad_dataset(tmp_path, capsys):
    code = main(["eval", str(tmp_path), "--systems", "qa"])
    _, err = capsys.readouterr()
    assert code == 1 and "corpus.jsonl: missing" in err


def test_cli_eval_same_dataset_twice(capsys):
    code = main(["eval", str(FIXTURE), str(FIXTURE), "--systems", "qa"])
    assert code == 1 and "two datasets are named 'beir_tiny'" in capsys.readouterr().err


def test_format_table_and_plot(tiny, tmp_path):
    results = ev_runs.evaluate([tiny], "qa,sklearn-default", ood_corpus=SEED_CORPUS)
    table = ev_report.format_table(results)
    assert table.splitlines()[1].split() == ["system", *ev_metrics.METRICS, "index", "s", "q/s"]
    assert table.splitlines()[2].startswith("qa ") and table.splitlines()[3].startswith("sklearn-default ")
    pytest.importorskip("matplotlib")
    png = tmp_path / "out" / "eval.png"
    ev_report.plot(results, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_install(tiny, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(QAError, match=r"matplotlib.*pip install \.\[bench\]"):
        ev_report.plot({"datasets": {}}, tmp_path / "x.png")
    assert main(["eval", str(FIXTURE), "--systems", "qa", "--plot", str(tmp_path / "x.png")]) == 1
    assert "needs matplotlib" in capsys.readouterr().err
