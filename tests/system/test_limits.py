"""Every stated limit (docs/reliability.md, "Limits"), at the limit and one past it.

Limits tested here: passages per document (`qa.ingest.chunking.MAX_PASSAGES_PER_DOCUMENT`), question
length through the API and the page, files per upload at exactly `MAX_FILES`, the loader's
file size and a DOCX's unpacked size at exactly their limits, and the length of what feedback
stores. The others are tested where their module is: upload size (tests/serve/test_library.py),
question length in `qa.answering.search` (tests/answering/test_search.py), ``k`` (tests/serve/test_api.py).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import qa
import qa.serve.api as api
import qa.ingest.chunking as chunking
import qa.ingest.formats as formats
import qa.ingest.loader as loader
from qa.ingest.chunking import MAX_PASSAGES_PER_DOCUMENT, chunk_documents, iter_passages
from qa.cli import main
from qa.serve.library import Library
from qa.serve.uploads import MAX_FILES, UploadError, check_uploads
from qa.answering.search import MAX_QUESTION_CHARS
from qa.types import Document

LIMIT_MESSAGE = "passages, over the limit of {:,} per document; split it into smaller files"


def _paragraphs(n: int, word: str = "rule") -> str:
    """A title and `n` distinct paragraphs of over 100 characters: `n` passages."""
    body = "\n\n".join(
        f"The {word} number {i} applies to every employee on the payroll of the company, "
        f"as the office explained on day {i}."
        for i in range(n)
    )
    return f"Handbook\n\n{body}\n"


def _document(n: int, doc_id: str = "big.txt") -> Document:
    return Document(doc_id=doc_id, source=doc_id, title="Handbook", text=_paragraphs(n))


# -- passages per document ----------------------------------------------------------------------------


def test_a_document_of_exactly_the_passage_limit_is_indexed_and_one_more_is_skipped():
    warnings: list[str] = []
    at = list(iter_passages([_document(MAX_PASSAGES_PER_DOCUMENT, "at.txt")], warnings=warnings))
    assert len(at) == MAX_PASSAGES_PER_DOCUMENT and warnings == []
    past = list(iter_passages([_document(MAX_PASSAGES_PER_DOCUMENT + 1)], warnings=warnings))
    assert past == []
    assert warnings == [
        f"skipped big.txt: {MAX_PASSAGES_PER_DOCUMENT + 1:,} " + LIMIT_MESSAGE.format(MAX_PASSAGES_PER_DOCUMENT)
    ]


def test_without_a_warnings_list_a_document_over_the_limit_is_an_error(monkeypatch):
    monkeypatch.setattr(chunking, "MAX_PASSAGES_PER_DOCUMENT", 3)
    assert len(chunk_documents([_document(3)])) == 3
    with pytest.raises(qa.SourceError, match=r"^big\.txt: 4 " + LIMIT_MESSAGE.format(3)):
        chunk_documents([_document(4)])


@pytest.fixture
def limit_3(monkeypatch):
    monkeypatch.setattr(chunking, "MAX_PASSAGES_PER_DOCUMENT", 3)


def test_a_build_skips_the_document_over_the_limit_with_a_warning(tmp_path, limit_3, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "at.txt").write_text(_paragraphs(3, "canteen"), encoding="utf-8")
    (tmp_path / "docs" / "big.txt").write_text(_paragraphs(4, "parking"), encoding="utf-8")
    index, warnings = qa.build_index(tmp_path / "docs")
    assert warnings == ("skipped big.txt: 4 " + LIMIT_MESSAGE.format(3),)
    assert sorted(set(index.passages.doc_id)) == ["at.txt"] and index.n_passages == 3
    assert qa.describe(index)["documents"] == 1 and index.meta["warnings"] == list(warnings)
    # the CLI says so on stderr and indexes the rest
    assert main(["index", str(tmp_path / "docs"), "--out", str(tmp_path / "idx")]) == 0
    assert "qa: warning: skipped big.txt: 4 passages, over the limit" in capsys.readouterr().err
    assert qa.load_index(tmp_path / "idx").n_passages == 3


def test_a_jsonl_document_over_the_limit_is_named_by_its_id(tmp_path, limit_3):
    rows = [
        {"_id": "d1", "title": "Short", "text": _paragraphs(2)},
        {"_id": "d2", "title": "Long", "text": _paragraphs(5)},
    ]
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    index, warnings = qa.build_index(tmp_path / "corpus.jsonl")
    assert warnings == ("skipped corpus.jsonl, document 'd2': 5 " + LIMIT_MESSAGE.format(3),)
    assert set(index.passages.doc_id) == {"d1"}


def test_when_every_document_is_over_the_limit_the_corpus_is_empty(tmp_path, limit_3, capsys):
    (tmp_path / "big.txt").write_text(_paragraphs(4), encoding="utf-8")
    with pytest.raises(qa.EmptyCorpusError, match=r"no document could be indexed: skipped big\.txt: 4 passages"):
        qa.build_index(tmp_path / "big.txt")
    assert main(["index", str(tmp_path / "big.txt"), "--out", str(tmp_path / "idx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qa: error: no document could be indexed") and "Traceback" not in err
    assert not (tmp_path / "idx").exists()


def test_an_update_over_the_limit_keeps_the_old_version(tmp_path, limit_3):
    doc = tmp_path / "docs" / "rules.txt"
    doc.parent.mkdir()
    doc.write_text(_paragraphs(2, "canteen"), encoding="utf-8")
    (tmp_path / "docs" / "other.txt").write_text(
        "Other\n\nThe library lends books for three weeks.\n", encoding="utf-8"
    )
    index, _ = qa.build_index(doc.parent)

    def texts(ix):
        return [
            ix.passages.text[i] for i in range(ix.n_passages) if ix.passages.doc_id[ix.passages.doc[i]] == "rules.txt"
        ]

    doc.write_text(_paragraphs(4, "parking"), encoding="utf-8")
    updated, warnings = qa.index.build.update_index(index, add=[doc])
    assert warnings == ("skipped rules.txt: 4 " + LIMIT_MESSAGE.format(3),)
    assert texts(updated) == texts(index) and len(texts(index)) == 2 and "canteen" in texts(index)[0]
    doc.write_text(_paragraphs(3, "parking"), encoding="utf-8")  # at the limit: it replaces the old version
    updated, warnings = qa.index.build.update_index(index, add=[doc])
    assert warnings == () and len(texts(updated)) == 3 and all("parking" in t for t in texts(updated))


@pytest.fixture
def lib(tmp_path, monkeypatch, saved_corpus_index):
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    return lib


def test_an_upload_over_the_limit_is_refused_and_nothing_changes(lib, limit_3):
    before = lib.version()
    with pytest.raises(UploadError, match=r"^big\.txt: 4 " + LIMIT_MESSAGE.format(3) + "$"):
        lib.add_uploads([("big.txt", _paragraphs(4).encode())])
    assert lib.version() == before and list(lib.uploads_dir.iterdir()) == []


def test_with_others_an_upload_over_the_limit_is_reported_and_not_kept(lib, limit_3):
    added, problems = lib.add_uploads(
        [("at.txt", _paragraphs(3, "canteen").encode()), ("big.txt", _paragraphs(4, "parking").encode())]
    )
    assert added == ["at.txt"]
    assert problems == ["big.txt: 4 " + LIMIT_MESSAGE.format(3)]
    assert sorted(p.name for p in lib.uploads_dir.iterdir()) == ["at.txt"]


# -- question length: the API and the page ------------------------------------------------------------------


def _question(n: int) -> str:
    return ("canteen " * n)[: n - 1] + "?"


def test_api_question_at_the_length_limit_is_answered_and_one_more_is_400(corpus_index):
    client = TestClient(Starlette(routes=api.make_routes(lambda: corpus_index)))
    at = client.get("/api/ask", params={"q": _question(MAX_QUESTION_CHARS)})
    assert at.status_code == 200 and len(at.json()["question"]) == MAX_QUESTION_CHARS
    past = client.get("/api/ask", params={"q": _question(MAX_QUESTION_CHARS + 1)})
    assert past.status_code == 400
    assert past.json() == {
        "error": f"the question is {MAX_QUESTION_CHARS + 1:,} characters long; "
        f"the limit is {MAX_QUESTION_CHARS:,}. Ask something shorter"
    }


def test_page_question_at_the_length_limit_is_answered_and_one_more_is_an_error(
    saved_corpus_index, tmp_path, monkeypatch
):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    monkeypatch.setenv("QA_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    st.cache_resource.clear()
    st.cache_data.clear()
    app = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")
    at = AppTest.from_file(app, default_timeout=30).run()
    assert at.text_input(key="question").proto.max_chars == MAX_QUESTION_CHARS  # the box takes what the server does
    at.text_input(key="question").input(_question(MAX_QUESTION_CHARS))
    next(b for b in at.button if b.label == "Ask").click()
    at.run()
    assert not at.exception and not at.error
    linked = AppTest.from_file(app, default_timeout=30)  # one more, from a link (?q=): the server's error
    linked.query_params["q"] = _question(MAX_QUESTION_CHARS + 1)
    linked.run()
    assert not linked.exception and len(linked.error) == 1
    assert f"the limit is {MAX_QUESTION_CHARS:,}" in linked.error[0].value
    st.cache_resource.clear()
    st.cache_data.clear()


# -- files per upload, file size, DOCX unpacked size: exactly at the limit ------------------------------


def test_exactly_max_files_are_accepted_and_one_more_refused():
    files = [(f"f{i}.txt", b"text") for i in range(MAX_FILES)]
    assert [name for name, _ in check_uploads(files)] == [name for name, _ in files]
    with pytest.raises(UploadError, match=f"^{MAX_FILES + 1} files chosen; at most {MAX_FILES} can be added at once$"):
        check_uploads(files + [("one-more.txt", b"text")])


@pytest.mark.parametrize("suffix", [".txt", ".html"])
def test_a_file_of_exactly_the_loader_size_limit_is_read_and_one_byte_more_skipped(tmp_path, monkeypatch, suffix):
    text = b"Rules\n\n" + b"The canteen opens at noon. " * 40
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", len(text))
    (tmp_path / f"at{suffix}").write_bytes(text)
    (tmp_path / f"past{suffix}").write_bytes(text + b" ")
    result = qa.load_documents(tmp_path)
    assert [d.doc_id for d in result.documents] == [f"at{suffix}"]
    assert (
        len(result.warnings) == 1
        and f"past{suffix}: {len(text) + 1:,} bytes is over the {len(text):,}-byte limit" in result.warnings[0]
    )


def test_a_docx_unpacking_to_exactly_the_limit_is_read_and_one_byte_over_refused(tmp_path, monkeypatch):
    import docx

    document = docx.Document()
    document.add_paragraph("The canteen opens at noon.")
    document.save(tmp_path / "a.docx")
    with zipfile.ZipFile(tmp_path / "a.docx") as z:
        unpacked = sum(i.file_size for i in z.infolist())
    monkeypatch.setattr(formats, "DOCX_MAX_UNPACKED_BYTES", unpacked)
    assert "The canteen opens at noon." in formats.extract_docx(tmp_path / "a.docx").text
    monkeypatch.setattr(formats, "DOCX_MAX_UNPACKED_BYTES", unpacked - 1)  # the same file is now one byte over
    with pytest.raises(qa.SourceError, match=rf"unpacks to {unpacked:,} bytes, over the {unpacked - 1:,}-byte limit"):
        formats.extract_docx(tmp_path / "a.docx")


# -- what is stored with feedback ----------------------------------------------------------------------------


def test_a_stored_question_and_comment_are_kept_whole_at_the_limit_and_cut_one_past(tmp_path, corpus_index):
    import sqlite3

    from qa.serve.feedback import (
        MAX_COMMENT_CHARS,
        MAX_STORED_QUESTION_CHARS,
        add_comment,
        record_feedback,
        record_question,
    )

    db = tmp_path / "feedback.sqlite"
    result = qa.answer(corpus_index, "Where do I go to pay social security myself?")
    for n in (MAX_STORED_QUESTION_CHARS, MAX_STORED_QUESTION_CHARS + 1):
        row = record_feedback(db, "q" * n, result, None, 1, comment="c" * n)
        add_comment(db, row, "d" * n)
        record_question(db, "q" * n, False)
    with sqlite3.connect(db) as con:
        stored = con.execute("SELECT length(question), length(comment) FROM feedback ORDER BY id").fetchall()
        history = con.execute("SELECT length(question) FROM history ORDER BY id").fetchall()
    assert MAX_COMMENT_CHARS == MAX_STORED_QUESTION_CHARS == 2_000
    assert stored == [(2_000, 2_000), (2_000, 2_000)] and history == [(2_000,), (2_000,)]
