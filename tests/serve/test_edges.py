"""Issue 24, item 6: edges that stay true. Unknown ``/api/`` paths answer 404 JSON (a real server's
is checked in tests/serve/test_one_page_per_folder.py); ``qa --help`` and ``qa index --help`` list the
formats the loader reads, from its one list; the question box takes what the server takes."""

from __future__ import annotations

import pytest
from pages import _page
from starlette.applications import Starlette
from starlette.testclient import TestClient

import qa.serve.api as api
from qa.answering.search import MAX_QUESTION_CHARS
from qa.cli import main
from qa.ingest.loader import DOCUMENT_SUFFIXES


@pytest.fixture
def client(corpus_index) -> TestClient:
    return TestClient(Starlette(routes=api.make_routes(lambda: corpus_index)))


@pytest.mark.parametrize(
    "path", ["/api", "/api/", "/api/nope", "/api/ask/extra", "/api/health/", "/api/../x", "/api/%3Cscript%3E"]
)
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_an_unknown_api_path_is_404_json(client, path, method):
    r = client.request(method, path)
    if path.startswith("/api/../"):  # the client normalises it away: not an /api path at all
        return
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    if method != "HEAD":
        error = r.json()["error"]
        assert "no such API path" in error and "/api/ask" in error and "<script>" not in r.text


@pytest.mark.parametrize("path", ["/api/ask", "/api/health"])
def test_a_known_api_path_with_another_method_is_405_json(client, path):
    for method in ("POST", "PUT", "DELETE"):
        r = client.request(method, path)
        assert r.status_code == 405 and r.json()["error"].startswith(path) and r.headers["allow"] == "GET, HEAD"
    assert client.get(path, params={"q": "pay"}).status_code == 200


@pytest.mark.parametrize("argv", [["--help"], ["index", "--help"]])
def test_help_lists_every_format_the_loader_reads(capsys, argv):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for suffix in DOCUMENT_SUFFIXES:
        assert suffix in shown, f"qa {' '.join(argv)} does not list {suffix}"
    assert "corpus.jsonl" in shown


def test_the_question_box_takes_what_the_server_takes(isolated_page, saved_corpus_index, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    at = _page()
    box = at.text_input(key="question")
    assert box.proto.max_chars == MAX_QUESTION_CHARS
