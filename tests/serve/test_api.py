"""The JSON API (`qa.serve.api`): its routes through Starlette's TestClient, no server or browser;
the index it answers from; and `qa ui`'s own errors (bad data folder, port in use)."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import qa
import qa.serve.api as api
from qa.cli import main
from qa.index.layout import current_version

ROOT = Path(__file__).resolve().parents[2]
SEED_QUESTION = "Where do I go to pay social security myself?"
CONTRACT = {"question", "answer", "abstained", "reason", "confidence", "sentences", "passages"}
PASSAGE_CONTRACT = {"rank", "id", "doc_id", "source", "title", "section", "text", "start", "end", "score"}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Never the user's cache or data folder."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("QA_DATA", str(tmp_path / "user-data"))
    monkeypatch.delenv("QA_INDEX", raising=False)


def _client(get_index) -> TestClient:
    return TestClient(Starlette(routes=api.make_routes(get_index)))


@pytest.fixture
def index_copy(saved_corpus_index, tmp_path) -> Path:
    """A copy of the seed index that a test may re-index."""
    out = tmp_path / "idx"
    shutil.copytree(saved_corpus_index, out)
    return out


@pytest.fixture
def client(index_copy) -> TestClient:
    return _client(api.IndexSource(lambda: index_copy))


def test_ask_returns_the_qa_ask_json_object(client, index_copy, capsys):
    r = client.get("/api/ask", params={"q": SEED_QUESTION, "k": 3})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    obj = r.json()
    assert CONTRACT <= set(obj) and not obj["abstained"]
    assert "household registration" in obj["answer"]
    assert all(PASSAGE_CONTRACT <= set(p) for p in obj["passages"])
    assert all(1 <= s["passage"] <= len(obj["passages"]) for s in obj["sentences"])
    # exactly what `qa ask --json` prints for the same index, question and k
    assert main(["ask", SEED_QUESTION, "--index", str(index_copy), "--top-k", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == obj


def test_k_defaults_to_5_and_bounds_the_passages(client):
    assert len(client.get("/api/ask", params={"q": "social security"}).json()["passages"]) == api.DEFAULT_K
    assert len(client.get("/api/ask", params={"q": "social security", "k": 1}).json()["passages"]) >= 1
    assert len(client.get("/api/ask", params={"q": "social security", "k": 50}).json()["passages"]) > api.DEFAULT_K


@pytest.mark.parametrize(
    "params, words",
    [
        ({}, "empty"),
        ({"q": "   "}, "empty"),
        ({"q": "?!?"}, "no words"),
        ({"q": "pay " * 5000}, "long"),
        ({"q": "pay", "k": "0"}, "1 to 50"),
        ({"q": "pay", "k": "51"}, "1 to 50"),
        ({"q": "pay", "k": "five"}, "whole number"),
        ({"q": "pay", "k": "2.5"}, "whole number"),
    ],
)
def test_a_bad_question_or_k_is_400_with_an_error(client, params, words):
    r = client.get("/api/ask", params=params)
    assert r.status_code == 400
    assert set(r.json()) == {"error"} and words in r.json()["error"]


def test_an_unanswerable_question_is_200_and_abstains(client):
    obj = client.get("/api/ask", params={"q": "What is the boiling point of tungsten?"}).json()
    assert obj["abstained"] and obj["reason"] and obj["sentences"] == []


def test_health(client, index_copy):
    r = client.get("/api/health")
    assert r.status_code == 200
    index = qa.load_index(index_copy)
    assert r.json() == {
        "status": "ok",
        "documents": index.passages.n_documents,
        "passages": index.n_passages,
        "index_version": current_version(index_copy),
    }


def test_only_get(client):
    assert client.post("/api/ask", params={"q": "pay"}).status_code == 405


def test_index_is_loaded_once_and_reloaded_after_reindexing(client, index_copy, tmp_path, monkeypatch):
    loads = []
    real_open = api.open_index
    monkeypatch.setattr(api, "open_index", lambda *a, **kw: loads.append(a) or real_open(*a, **kw))
    for _ in range(3):
        client.get("/api/ask", params={"q": SEED_QUESTION})
    client.get("/api/health")
    assert len(loads) == 1
    before = client.get("/api/health").json()

    doc = tmp_path / "parking.txt"
    doc.write_text("Parking\n\nResidents apply for a parking permit at the town hall kiosk.\n", encoding="utf-8")
    updated, _ = qa.index.build.update_index(qa.load_index(index_copy), add=[doc])
    qa.save_index(updated, index_copy)

    health = client.get("/api/health").json()
    assert health["documents"] == before["documents"] + 1
    assert health["index_version"] == current_version(index_copy) != before["index_version"]
    obj = client.get("/api/ask", params={"q": "Where do I apply for a parking permit?"}).json()
    assert "town hall kiosk" in obj["answer"]
    assert len(loads) == 2


def test_a_missing_index_is_503_with_an_error(tmp_path):
    client = _client(api.IndexSource(lambda: tmp_path / "missing"))
    r = client.get("/api/health")
    assert r.status_code == 503 and r.json()["status"] == "error" and "index" in r.json()["error"]
    r = client.get("/api/ask", params={"q": "pay"})
    assert r.status_code == 503 and "error" in r.json()


def test_routes_take_any_function_returning_an_index(corpus_index):
    client = _client(lambda: corpus_index)
    assert client.get("/api/health").json()["passages"] == corpus_index.n_passages
    assert client.get("/api/ask", params={"q": SEED_QUESTION}).status_code == 200


def test_index_source_follows_the_located_folder(saved_corpus_index, tiny_corpus, tmp_path):
    other = tmp_path / "other"
    qa.save_index(qa.build_index(tiny_corpus)[0], other)
    where = [saved_corpus_index]
    source = api.IndexSource(lambda: where[0])
    first = source()
    where[0] = other
    assert source() is not first and source.current()[1] == current_version(other)


def test_a_save_while_the_source_loads_is_reported_with_the_version_it_read(index_copy, corpus_index, monkeypatch):
    """/api/health's version always names the index whose counts it gives, and the next
    request does not load the same version again."""
    source = api.IndexSource(lambda: index_copy)
    real_open = api.open_index
    loads = []

    def open_after_a_save(*args, **kwargs):
        if not loads:  # an upload saves between the version check and the load
            qa.save_index(corpus_index, index_copy)
        loads.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(api, "open_index", open_after_a_save)
    index, version = source.current()
    assert version == current_version(index_copy) == index.meta["version_dir"]
    assert source.current() == (index, version) and len(loads) == 1


# Where the API's index lives: the page's, read from the same environment.


def test_the_page_index_is_the_librarys_and_follows_edits(monkeypatch, tmp_path):
    calls = []

    class Library:
        def __init__(self, root=None):
            self.index_dir = Path(root) / "index"

        def ensure_index(self, log=None):
            calls.append(("ensure", self.index_dir))

        def follow_edits(self, log=None):
            calls.append(("follow", self.index_dir))

    monkeypatch.setattr(api, "Library", Library)
    monkeypatch.setenv("QA_DATA", str(tmp_path / "data"))
    index_dir = tmp_path / "data" / "index"
    assert api.page_index_dir() == str(index_dir) and calls == [("ensure", index_dir), ("follow", index_dir)]


def test_the_api_answers_from_the_pages_library_index(monkeypatch, saved_corpus_index, tmp_path):
    from qa.serve import library

    monkeypatch.setenv("QA_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    client = _client(api.IndexSource())
    lib = library.Library(tmp_path / "data")
    health = client.get("/api/health").json()
    assert health["index_version"] == lib.version() is not None  # made on the first request, as the page would
    if not hasattr(lib, "add_uploads"):
        return
    lib.add_uploads([("parking.txt", b"Parking\n\nResidents apply for a parking permit at the town hall kiosk.\n")])
    assert client.get("/api/health").json()["documents"] == health["documents"] + 1
    obj = client.get("/api/ask", params={"q": "Where do I apply for a parking permit?"}).json()
    assert "town hall kiosk" in obj["answer"]


def test_server_script_is_an_asgi_app_streamlit_run_serves():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "qa" / "serve" / "server.py")  # what qa ui runs
    assert found.is_asgi_app and found.app_name == "app"


# qa ui: errors are one line and exit 1, before anything is served.


@pytest.fixture
def no_exec(monkeypatch):
    def refuse(*args):
        raise AssertionError(f"qa ui should have stopped before starting the server: {args}")

    monkeypatch.setattr("os.execv", refuse)


def test_ui_refuses_a_port_in_use(capsys, saved_corpus_index, no_exec):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["ui", "--index", str(saved_corpus_index), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and f"port {port}" in err and "--port" in err


def test_ui_refuses_a_data_path_that_is_a_file(capsys, saved_corpus_index, tmp_path, no_exec):
    (tmp_path / "f").write_text("x")
    code = main(["ui", "--index", str(saved_corpus_index), "--data", str(tmp_path / "f")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("qa: error:") and "not a folder" in err


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_ui_refuses_a_bad_port_number(capsys, port, no_exec):
    with pytest.raises(SystemExit) as exc:
        main(["ui", "--port", port])
    assert exc.value.code == 2 and "qa: error:" in capsys.readouterr().err


def test_ui_sets_the_pages_environment_and_starts_the_combined_server(
    monkeypatch, saved_corpus_index, tmp_path, capsys
):
    started = {}
    for name in ("QA_INDEX", "QA_DATA"):  # set, then unset: monkeypatch restores whatever qa ui sets
        monkeypatch.setenv(name, "unused")
        monkeypatch.delenv(name)

    def fake_exec(path, argv):
        started.update(argv=argv, index=os.environ.get("QA_INDEX"), data=os.environ.get("QA_DATA"))
        raise SystemExit(0)

    monkeypatch.setattr("os.execv", fake_exec)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SystemExit):
        main(["ui", "--index", str(saved_corpus_index), "--port", str(port), "--data", str(tmp_path / "data")])
    argv = started["argv"]
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("qa/serve/server.py")
    assert argv[argv.index("--server.port") + 1] == str(port)
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert started["index"] == str(saved_corpus_index.resolve())
    assert started["data"] == str((tmp_path / "data").resolve()) and (tmp_path / "data").is_dir()
    assert f"http://127.0.0.1:{port}" in capsys.readouterr().err
