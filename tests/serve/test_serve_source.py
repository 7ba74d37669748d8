"""Issue 16: a real `qa ui` serves the index it is given, on a data folder made from another one.

(The same, in-process and faster, is in tests/serve/test_library.py and tests/serve/test_app.py.)
"""

from __future__ import annotations

import os
import socket
import urllib.parse

import pytest
from serving import get_json, qa_ui

import qa
from qa.cli import main


def _index(tmp_path, name: str, text: str):
    docs = tmp_path / f"{name}-docs"
    docs.mkdir()
    (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    index, _ = qa.build_index(docs)
    qa.save_index(index, tmp_path / f"{name}-index")
    return tmp_path / f"{name}-index"


def test_qa_ui_with_another_index_serves_it(tmp_path):
    a = _index(tmp_path, "pay", "Pay\n\nSalaries are paid on the last day of the month.\n")
    b = _index(tmp_path, "canteen", "Canteen\n\nThe canteen opens at noon.\n")
    data = tmp_path / "data"
    q = "/api/ask?" + urllib.parse.urlencode({"q": "When does the canteen open?"})
    with qa_ui(tmp_path, a, data) as server:  # qa ui --index A
        status, obj = get_json(server["base"] + q, timeout=60)
        assert status == 200 and obj["abstained"]
    with qa_ui(tmp_path, b, data) as server:  # then qa ui --index B on the same data folder
        status, obj = get_json(server["base"] + q, timeout=60)
        assert status == 200 and not obj["abstained"] and "noon" in str(obj)


def test_ui_corpus_serves_a_folder_instead_of_qa_index(monkeypatch, tmp_path, saved_corpus_index):
    started = {}
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("QA_CORPUS", "QA_DATA"):
        monkeypatch.setenv(name, "unused")
        monkeypatch.delenv(name)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Cats\n\nCats purr when they are content.\n", encoding="utf-8")

    def fake_exec(path, argv):
        started.update(index=os.environ.get("QA_INDEX"), corpus=os.environ.get("QA_CORPUS"))
        raise SystemExit(0)

    monkeypatch.setattr("os.execv", fake_exec)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SystemExit):
        main(["ui", "--corpus", str(docs), "--port", str(port), "--data", str(tmp_path / "data")])
    assert started == {"index": None, "corpus": str(docs.resolve())}
    assert list(qa.load_index(tmp_path / "data" / "index").passages.doc_id) == ["a.txt"]


def test_ui_refuses_both_index_and_corpus(capsys, saved_corpus_index, tmp_path):
    code = main(["ui", "--index", str(saved_corpus_index), "--corpus", str(tmp_path)])
    assert code != 0 and "--index and --corpus" in capsys.readouterr().err
