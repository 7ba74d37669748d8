"""Concurrency (issue 7): many users asking while an upload re-indexes; every rating kept.

The page's upload path (`qa.serve.library.Library.add_uploads`, what the Documents tab calls)
re-indexes the page's data folder again and again from one thread, alternating two versions
of an uploaded file, while

* `CLIENTS` threads ask the real server's ``/api/ask`` (`qa ui` in its own process), and
  store a rating of each answer as the page does (`qa.serve.feedback.record_feedback`);
* `SESSIONS` AppTest sessions of the page ask and rate, at once, in one process.

The answers of every index state the uploads pass through are computed beforehand, by the
same uploads in a scratch data folder. Every response must equal one of them exactly, as a
whole: no error, and no mix of two indexes (say the passages of the old index with the summary
of the new, which no state gives: the test checks the states' answers differ). Every rating
must be in the database afterwards.

``make stress`` runs more clients, sessions and rounds (``QA_CONCURRENCY_CLIENTS``,
``QA_CONCURRENCY_SESSIONS``, ``QA_CONCURRENCY_ROUNDS``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sqlite3
import threading
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import qa
from qa.serve.feedback import count_feedback, record_feedback, record_question
from qa.serve.library import Library
from qa.serve.render import answer_html, answer_to_dict, escape, hits_in_citation_order, passage_place
from serving import get_json, qa_ui

pytestmark = pytest.mark.slow  # many concurrent users and sessions: left out of make test-fast

CLIENTS = int(os.environ.get("QA_CONCURRENCY_CLIENTS", "50"))
SESSIONS = int(os.environ.get("QA_CONCURRENCY_SESSIONS", "4"))
ROUNDS = int(os.environ.get("QA_CONCURRENCY_ROUNDS", "4"))  # uploads while the clients ask
FINAL = 1 + (ROUNDS - 1) % 2  # the index state after the last upload (state 1: first version, 2: second)
K = 5
APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")

CANTEEN = [
    b"Canteen\n\nThe staff canteen opens at noon and closes at two. Lunch is free for interns.\n",
    b"Canteen\n\nThe staff canteen opens at eleven and closes at three. The night shift is run by Marta "
    b"from the kitchen office, and late dinners are served until nine.\n",
]
QUESTIONS = [
    "When does the canteen open?",  # answered differently by each version of the upload
    "Who runs the canteen night shift?",  # only the second version answers it
    "Where do I go to pay social security myself?",  # the seed corpus answers; scores move with the corpus
]


def _upload_all(lib: Library, rounds: int, log: list | None = None) -> None:
    """Upload canteen.txt `rounds` times, alternating its two versions (each replaces the last)."""
    for r in range(rounds):
        lib.add_uploads([("canteen.txt", CANTEEN[r % 2])])
        if log is not None:
            log.append(lib.version())


def _state_answers(lib: Library) -> dict:
    """question -> Answer, from the page's live index."""
    index = qa.load_index(lib.index_dir)
    return {q: qa.answer(index, q, k=K) for q in QUESTIONS}


def _as_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def states(saved_corpus_index, tmp_path_factory):
    """The answers of every index state the uploads go through, made by the same uploads in a
    scratch data folder: state 0 (no upload), then one per version of the upload."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_INDEX", str(saved_corpus_index))
        lib = Library(tmp_path_factory.mktemp("scratch") / "data")
        lib.ensure_index()
        found = [_state_answers(lib)]
        for r in range(4):  # each version, then each again: it must give the same answers again
            lib.add_uploads([("canteen.txt", CANTEEN[r % 2])])
            found.append(_state_answers(lib))
    return found


def test_the_index_states_answer_differently(states):
    """So a response mixing two states would match none of them."""
    dicts = [{q: _as_json(answer_to_dict(a)) for q, a in s.items()} for s in states]
    assert dicts[1] == dicts[3] and dicts[2] == dicts[4]  # re-uploading a version gives its answers again
    old, v1, v2 = dicts[0], dicts[1], dicts[2]
    for q in QUESTIONS:
        assert len({old[q], v1[q], v2[q]}) == 3, q
    assert states[0][QUESTIONS[0]].abstained and "noon" in states[1][QUESTIONS[0]].text
    assert "eleven" in states[2][QUESTIONS[0]].text and "Marta" in states[2][QUESTIONS[1]].text


def _allowed(states, view) -> dict[str, dict[object, set[int]]]:
    """question -> {what a state shows for it (`view` of its Answer): the states showing that}."""
    out = {q: {} for q in QUESTIONS}
    for i, s in enumerate(states[:3]):
        for q, a in s.items():
            out[q].setdefault(view(a), set()).add(i)
    return out


def _while_uploading(lib: Library, users: int, ask) -> tuple[list[list], list[str]]:
    """Let `users` threads call ``ask(user, i)`` (their i-th question) over and over while one
    thread uploads `ROUNDS` times; every user asks once before the first upload and once more
    after the last. Returns what each user's calls returned, in order, and the index versions
    the uploads saved. A call that raises ends that user and fails the test."""
    first_round = threading.Barrier(users + 1)
    done = threading.Event()
    got: list[list] = [[] for _ in range(users)]
    versions: list[str] = []
    errors: list[str] = []

    def user(u: int) -> None:
        try:
            for i in itertools.count():
                last = done.is_set()
                got[u].append(ask(u, i))
                if i == 0:
                    first_round.wait(timeout=300)
                if last:
                    return
        except Exception as exc:  # reported below
            errors.append(f"user {u}: {exc!r}")
            first_round.abort()

    def uploader() -> None:
        try:
            first_round.wait(timeout=300)
            _upload_all(lib, ROUNDS, versions)
        except Exception as exc:
            errors.append(f"uploader: {exc!r}")
        finally:
            done.set()

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)] + [threading.Thread(target=uploader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(set(versions)) == ROUNDS  # every upload saved a new index
    return got, versions


def _check_states(got: list[list], allowed) -> Counter:
    """Every (question, view) in `got` is what some state shows; each user's first is the old
    index's and its last the final one's. Returns how many views each state accounts for."""
    seen = Counter()
    for u, rows in enumerate(got):
        for q, view in rows:
            states = allowed[q].get(view)
            assert states is not None, f"user {u} got for {q!r} what no index state gives: {view}"
            seen.update(states)
        assert 0 in allowed[rows[0][0]][rows[0][1]]  # asked before the first upload
        assert FINAL in allowed[rows[-1][0]][rows[-1][1]]  # asked after the last
    return seen


def test_api_clients_asking_while_uploads_reindex_get_old_or_new_answers(
    states, saved_corpus_index, tmp_path, record_property
):
    allowed = _allowed(states, lambda a: _as_json(answer_to_dict(a)))
    data = tmp_path / "data"
    with qa_ui(tmp_path, saved_corpus_index, data) as server:
        lib = Library(data)  # the server made its index on its first /api/health
        assert lib.version() == server["health"]["index_version"]

        def ask(c: int, i: int):
            q = QUESTIONS[(c + i) % len(QUESTIONS)]
            status, obj = get_json(server["base"] + "/api/ask?" + urllib.parse.urlencode({"q": q, "k": K}), timeout=60)
            if status != 200:
                server["log"].seek(0)
                raise AssertionError(f"{q!r}: {status} {obj}\n{server['log'].read()[-3000:]}")
            # rated as the page's thumbs do: the question, the answer, the index version
            record_feedback(lib.db_path, f"client {c} ask {i}: {q}", obj, lib.version(), (c + i) % 2)
            record_question(lib.db_path, q, obj["abstained"])
            return q, _as_json(obj)

        got, _ = _while_uploading(lib, CLIENTS, ask)
    seen = _check_states(got, allowed)
    record_property("answers", sum(map(len, got)))  # for docs/reliability.md: pytest --junitxml
    record_property("answers_per_state", dict(sorted(seen.items())))

    # every rating stored, with the very answer the client got
    total = sum(map(len, got))
    assert count_feedback(lib.db_path) == total
    stored = {row["question"]: row for row in _feedback_rows(lib.db_path)}
    assert len(stored) == total
    for c, rows in enumerate(got):
        for i, (q, text) in enumerate(rows):
            obj = json.loads(text)
            row = stored[f"client {c} ask {i}: {q}"]
            assert json.loads(row["passages_json"]) == obj.pop("passages")
            assert json.loads(row["answer"]) == obj
            assert row["rating"] == (c + i) % 2


def _feedback_rows(db) -> list[dict]:
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT question, answer, passages_json, rating FROM feedback")]


# -- the page: several AppTest sessions at once ------------------------------------------------------


def _page_view(at: AppTest) -> tuple[str, tuple[str, ...]]:
    """What the page shows of an answer: the summary's HTML and, per passage, where and how it scored."""
    texts = [m.value for m in at.markdown]
    answer = next((v for v in texts if 'class="qa-answer"' in v), "")
    where = tuple(v.split('class="qa-meta">', 1)[1].split("</div>", 1)[0] for v in texts if 'id="passage-' in v)
    return answer, where


def _expected_view(result) -> tuple[str, tuple[str, ...]]:
    answer = "" if result.abstained else f'<div class="qa-answer">{answer_html(result)}</div>'
    where = tuple(
        escape(passage_place(h, result.language)) for _, h in hits_in_citation_order(result)
    )  # the page shows passages as the answer cites them
    return answer, where


@pytest.fixture
def one_server(monkeypatch):
    """Let AppTest sessions run at once in this process, as sessions of one server.

    AppTest runs one session at a time: each run installs its own mock Streamlit runtime and
    config override as process globals and removes them when it ends, under any other run
    still going, and compiles the page itself. A server has one runtime, one config and one
    compiled page (its script cache) for all its sessions, so that is set up here, once.
    The compile matters for another reason too: Streamlit compiles through ast.parse, which
    CPython 3.11 cannot run in two threads at once ("AST constructor recursion depth
    mismatch", python/cpython#106905).
    """
    from unittest.mock import MagicMock

    import streamlit.testing.v1.app_test as app_test
    from streamlit import config
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1.util import build_mock_config_get_option

    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    runtime.dataframe_source_mgr = DataframeSourceManager()
    runtime.cache_storage_manager = MemoryCacheStorageManager()
    runtime.bidi_component_registry = BidiComponentManager()
    runtime.bidi_component_registry.discover_and_register_components(start_file_watching=False)
    monkeypatch.setattr(Runtime, "_instance", runtime)

    class PerRun(Runtime):  # what each AppTest run sets and unsets: no longer the real runtime
        _instance = None

    monkeypatch.setattr(app_test, "Runtime", PerRun)
    monkeypatch.setattr(config, "get_option", build_mock_config_get_option({"global.appTest": True}))
    monkeypatch.setattr(app_test, "patch_config_options", lambda overrides: contextlib.nullcontext())
    compiled = ScriptCache().get_bytecode(APP)
    monkeypatch.setattr(ScriptCache, "get_bytecode", lambda self, script_path: compiled)


@pytest.fixture
def page_env(saved_corpus_index, tmp_path, monkeypatch, one_server):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("QA_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield Library(tmp_path / "data")
    st.cache_resource.clear()
    st.cache_data.clear()


def test_page_sessions_asking_and_rating_while_uploads_reindex(states, page_env, record_property):
    lib = page_env
    allowed = _allowed(states, _expected_view)
    AppTest.from_file(APP, default_timeout=60).run()  # the first start makes the page's index
    sessions = [AppTest.from_file(APP, default_timeout=60) for _ in range(SESSIONS)]
    rated = Counter()

    def ask(s: int, i: int):
        at = sessions[s]
        if i == 0:
            at.run()
        q = QUESTIONS[(s + i) % len(QUESTIONS)]
        at.text_input(key="question").input(q)
        next(b for b in at.button if b.label == "Ask").click()
        at.run()
        assert not at.exception and not at.error, ([e.value for e in at.exception], [e.value for e in at.error])
        view = _page_view(at)
        if at.feedback:  # a thumbs click, as a user's (a change, so the page's rate() stores a row)
            at.feedback[0].set_value(0 if at.feedback[0].value == 1 else 1).run()
            assert not at.exception and not at.error
            rated[s] += 1
        return q, view

    got, _ = _while_uploading(lib, SESSIONS, ask)
    seen = _check_states(got, allowed)
    record_property("answers", sum(map(len, got)))
    record_property("answers_per_state", dict(sorted(seen.items())))
    assert count_feedback(lib.db_path) == sum(rated.values()) > 0
