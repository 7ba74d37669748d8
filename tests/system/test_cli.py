"""The CLI contract (issue 2/3): `qa index / ask --json / search / answer / ui`, and its errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.cli import main

ROOT = Path(__file__).resolve().parents[2]

DOCS = {
    "leave.md": "# Leave policy\n\n## Annual leave\n\nStaff get 25 days of annual leave a year. "
    "Unused days expire on 31 March.\n\n## Sick leave\n\nReport sickness to your manager before 10 am.\n",
    "sub/pay.txt": "Pay\n\nSalaries are paid on the last working day of each month by bank transfer.\n",
}


@pytest.fixture()
def corpus(tmp_path):
    root = tmp_path / "docs"
    for name, text in DOCS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture()
def index_dir(corpus, tmp_path):
    out = tmp_path / "index"
    assert main(["index", str(corpus), "--out", str(out)]) == 0
    return out


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_reports_what_it_indexed(corpus, tmp_path, capsys):
    code, _, err = run(capsys, "index", str(corpus), "--out", str(tmp_path / "ix"))
    assert code == 0 and "2 document(s)" in err and (tmp_path / "ix" / "CURRENT").is_file()


def test_ask_json_has_the_contract_fields(index_dir, corpus, capsys):
    code, out, _ = run(
        capsys, "ask", "How many days of annual leave do staff get?", "--index", str(index_dir), "--json"
    )
    assert code == 0
    obj = json.loads(out)
    assert {"question", "answer", "abstained", "reason", "confidence", "sentences", "passages"} <= set(obj)
    assert obj["abstained"] is False and "25 days" in obj["answer"]
    assert obj["answer"] == " ".join(s["text"] for s in obj["sentences"])
    for p in obj["passages"]:
        assert {"rank", "id", "doc_id", "source", "title", "section", "text", "start", "end", "score"} <= set(p)
        assert (corpus / p["source"]).read_text(encoding="utf-8")[p["start"] : p["end"]] == p["text"]
    assert obj["passages"][0]["section"] == "Annual leave" and obj["passages"][0]["source"] == "leave.md"
    for s in obj["sentences"]:
        assert s["text"] in obj["passages"][s["passage"] - 1]["text"]


def test_ask_top_k_limits_the_passages(index_dir, capsys):
    _, out, _ = run(capsys, "ask", "leave salaries sickness", "--index", str(index_dir), "--json", "--top-k", "1")
    obj = json.loads(out)
    assert len(obj["passages"]) == max([1] + [s["passage"] for s in obj["sentences"]])


def test_ask_prints_readable_text_without_json(index_dir, capsys):
    code, out, _ = run(capsys, "ask", "When are salaries paid?", "--index", str(index_dir))
    assert code == 0 and "last working day" in out and "[1]" in out and "pay.txt" in out


def test_ask_abstains_on_an_unanswerable_question(index_dir, capsys):
    _, out, _ = run(capsys, "ask", "What is the capital of France?", "--index", str(index_dir), "--json")
    obj = json.loads(out)
    assert obj["abstained"] is True and obj["reason"] and obj["sentences"] == [] and obj["answer"] == ""


def test_ask_without_index_uses_and_caches_the_default_corpus(corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    code, out, _ = run(capsys, "ask", "When are salaries paid?", "--json")
    assert code == 0 and json.loads(out)["passages"][0]["source"] == "sub/pay.txt"
    cached = list((tmp_path / "cache").glob("index-*/CURRENT"))
    assert len(cached) == 1
    version = cached[0].read_text().strip()
    run(capsys, "ask", "When are salaries paid?", "--json")
    assert cached[0].read_text().strip() == version  # reused, not rebuilt
    (corpus / "new.txt").write_text("New\n\nThe canteen opens at noon.\n", encoding="utf-8")
    _, out, err = run(capsys, "ask", "When does the canteen open?", "--json")
    assert "changed" in err and "canteen" in json.loads(out)["answer"]


def test_search_writes_one_ranked_line_per_query(index_dir, tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"_id": "q1", "text": "annual leave days", "extra": 1}\n{"_id": "q2", "text": "bank transfer salary"}\n'
        '{"_id": "q3", "text": "???"}\n',
        encoding="utf-8",
    )
    run_file = tmp_path / "run.jsonl"
    code, _, err = run(capsys, "search", "--index", str(index_dir), "--queries", str(queries), "--out", str(run_file))
    assert code == 0 and "q3" in err
    lines = [json.loads(line) for line in run_file.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    assert lines[0]["hits"][0]["id"] == "leave.md" and lines[1]["hits"][0]["id"] == "sub/pay.txt"
    ids = [h["id"] for h in lines[0]["hits"]]
    assert len(ids) == len(set(ids))  # each document once
    scores = [h["score"] for h in lines[0]["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert lines[2]["hits"] == []


def test_answer_writes_the_ask_object_plus_id(index_dir, tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"_id": "a", "text": "When are salaries paid?"}\n{"_id": "b", "text": " "}\n', encoding="utf-8")
    code, out, _ = run(capsys, "answer", "--index", str(index_dir), "--queries", str(queries))
    assert code == 0
    a, b = [json.loads(line) for line in out.splitlines()]
    assert a["id"] == "a" and "last working day" in a["answer"] and "passages" in a
    assert b["id"] == "b" and b["abstained"] is True and "empty" in b["reason"]


@pytest.mark.parametrize(
    "question, message",
    [("", "empty"), ("   ", "empty"), ("x " * 50_000, "limit"), ("?!?!", "no words"), ("what is it", "no words")],
)
def test_bad_questions_give_one_clear_line_and_exit_1(index_dir, capsys, question, message):
    code, out, err = run(capsys, "ask", question, "--index", str(index_dir), "--json")
    assert code == 1 and out == ""
    assert err.startswith("qa: error:") and message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_empty_corpus_folder_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "index", str(tmp_path / "empty"), "--out", str(tmp_path / "ix"))
    assert code == 1 and "no readable" in err and not (tmp_path / "ix").exists()


def test_binary_file_in_the_corpus_is_skipped_with_a_warning(corpus, tmp_path, capsys):
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    code, _, err = run(capsys, "index", str(corpus), "--out", str(tmp_path / "ix"))
    assert code == 0 and "photo.txt" in err and "binary" in err


def test_truncated_index_is_refused(index_dir, capsys):
    version = index_dir / (index_dir / "CURRENT").read_text().strip()
    weights = version / "weights.npy"
    weights.write_bytes(weights.read_bytes()[:-7])
    code, _, err = run(capsys, "ask", "annual leave", "--index", str(index_dir))
    assert code == 1 and "weights.npy" in err and "rebuild" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "leave", "--index", "/nonexistent/ix"], "no index"),
        (["search", "--index", "/nonexistent/ix", "--queries", "q.jsonl"], "no index"),
        (["index", "/nonexistent/docs", "--out", "/tmp/never"], "no such file"),
    ],
)
def test_missing_paths_are_named(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ask"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["ask", "q", "--top-k", "0"])
    assert exc.value.code == 2


def test_python_dash_m_and_the_console_script_agree(index_dir):
    a = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "annual leave days", "--index", str(index_dir), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    b = subprocess.run(
        [str(Path(sys.executable).parent / "qa"), "ask", "annual leave days", "--index", str(index_dir), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_ui_refuses_a_bad_index_before_starting(capsys, tmp_path):
    code, _, err = run(capsys, "ui", "--index", str(tmp_path / "missing"))
    assert code == 1 and "no index" in err


def test_index_add_and_remove_update_in_place(corpus, index_dir, tmp_path, capsys):
    (corpus / "canteen.txt").write_text("Canteen\n\nThe canteen opens at noon on weekdays.\n", encoding="utf-8")
    code, _, err = run(capsys, "index", str(corpus / "canteen.txt"), "--out", str(index_dir), "--add")
    assert code == 0 and "updated" in err and "3 document(s)" in err
    _, out, _ = run(capsys, "ask", "When does the canteen open?", "--index", str(index_dir), "--json")
    assert "noon" in json.loads(out)["answer"]
    code, _, err = run(capsys, "index", "--out", str(index_dir), "--remove", "canteen.txt")
    assert code == 0 and "2 document(s)" in err
    _, out, _ = run(capsys, "ask", "When does the canteen open?", "--index", str(index_dir), "--json")
    assert json.loads(out)["abstained"] is True
    code, _, err = run(capsys, "index", "--out", str(index_dir), "--remove", "canteen.txt")
    assert code == 1 and "not in the index" in err


# Issue 16: progress on a terminal (stderr only), one summary line at the end.


def _run_on_pty(argv, cwd):
    """Run ``python -m qa ARGV`` with stderr on a pseudo-terminal (stdout a pipe): (code, stdout, terminal text)."""
    import os
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa", *argv], cwd=cwd, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        out = proc.stdout.read().decode()
        proc.wait(timeout=120)
    finally:
        os.close(master)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")


def test_index_draws_a_progress_bar_on_a_terminal_only(corpus, tmp_path):
    code, out, tty = _run_on_pty(["index", str(corpus), "--out", str(tmp_path / "a")], tmp_path)
    assert code == 0 and out == ""
    assert "\rindexing [" in tty.replace("\x1b[K", "") and "/2 documents" in tty and "passages" in tty and "/s" in tty
    assert "qa: indexed 2 document(s)" in tty
    piped = subprocess.run(
        [sys.executable, "-m", "qa", "index", str(corpus), "--out", str(tmp_path / "b")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0 and piped.stdout == ""
    assert "\r" not in piped.stderr and "indexing [" not in piped.stderr and "\x1b" not in piped.stderr
    assert piped.stderr.count("\n") == 1  # the summary line only


def test_index_summary_line_says_what_happened(corpus, tmp_path, capsys):
    (corpus / "blob.txt").write_bytes(b"\x00\x01\x02binary\xff" * 20)
    out = tmp_path / "ix"
    code, stdout, err = run(capsys, "index", str(corpus), "--out", str(out))
    assert code == 0 and stdout == ""
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("qa: indexed 2 document(s), ")
    assert " passage(s), " in summary and f"into {out}" in summary and " s into " in summary
    assert "skipped 1 file(s): " in summary and "blob.txt" in summary.split("skipped 1 file(s): ")[1]


def test_search_and_answer_show_progress_on_a_terminal_only(index_dir, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text("".join(json.dumps({"_id": str(i), "text": "annual leave days"}) + "\n" for i in range(30)))
    for command, label in (("search", "searching"), ("answer", "answering")):
        argv = [command, "--index", str(index_dir), "--queries", str(queries)]
        code, out, tty = _run_on_pty(argv, tmp_path)
        assert code == 0 and f"\r\x1b[K{label} [" in tty and "/30 queries" in tty
        piped = subprocess.run(
            [sys.executable, "-m", "qa", *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert piped.returncode == 0 and piped.stderr == "" and piped.stdout == out  # stdout unchanged
        assert [json.loads(line)["id"] for line in out.splitlines()] == [str(i) for i in range(30)]
