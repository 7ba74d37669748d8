"""qa.loader: which files are read, how they are decoded, and what is refused."""

from __future__ import annotations

import json
import os

import pytest

from qa.errors import EmptyCorpusError, SourceError
from qa.ingest.loader import load_documents, read_text_file

PROSE = "Refunds\n\nA refund is paid within ten days of the request.\n"

# (name, bytes on disk). Every one must decode to what open(path, encoding="utf-8").read() gives.
ENCODINGS = [
    ("plain", PROSE.encode("utf-8")),
    ("bom", b"\xef\xbb\xbf" + PROSE.encode("utf-8")),
    ("crlf", PROSE.replace("\n", "\r\n").encode("utf-8")),
    ("lone-cr", PROSE.replace("\n", "\r").encode("utf-8")),
    ("bom-crlf", b"\xef\xbb\xbf" + PROSE.replace("\n", "\r\n").encode("utf-8")),
    ("mixed", b"One\r\n\r\nTwo words.\rThree\n\r\r\nFour.\r"),
    ("unicode", "Caf\u00e9 \u2013 \u4e2d\u6587\u3002\n\n\U0001f600 emoji.\r\n".encode("utf-8")),
]


def write(path, data: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def ids(result):
    return [d.doc_id for d in result.documents]


# --- which files are read ---------------------------------------------------------------------------


def test_folder_is_read_recursively_every_text_file_and_the_rest_named(tiny_corpus):
    result = load_documents(tiny_corpus)
    assert ids(result) == ["a.txt", "b.txt", "data.csv", "sub/c.md"]  # a .csv is text: read as plain text
    (warning,) = result.warnings
    assert "slides.pptx: unsupported file type '.pptx'" in warning
    assert result.root == str(tiny_corpus.resolve())


def test_dot_files_and_dot_folders_are_ignored(tiny_corpus):
    texts = " ".join(d.text for d in load_documents(tiny_corpus).documents)
    assert "never loaded" not in texts


def test_documents_come_in_sorted_path_order(tmp_path):
    for name in ["z.txt", "a/b.md", "m.txt", "a/a.txt"]:
        write(tmp_path / name, f"{name}\n\nbody of {name}.\n")
    assert ids(load_documents(tmp_path)) == ["a/a.txt", "a/b.md", "m.txt", "z.txt"]


def test_single_file_source(tmp_path):
    path = write(tmp_path / "only.txt", PROSE)
    (doc,) = load_documents(path).documents
    assert (doc.doc_id, doc.source, doc.title) == ("only.txt", "only.txt", "Refunds")
    assert doc.text == PROSE


def test_several_sources_share_one_root(tmp_path):
    write(tmp_path / "x" / "one.txt", PROSE)
    write(tmp_path / "y" / "two.md", "# Two\n\nSecond document body.\n")
    result = load_documents([tmp_path / "x", tmp_path / "y" / "two.md"])
    assert ids(result) == ["x/one.txt", "y/two.md"]
    assert result.root == str(tmp_path.resolve())


def test_a_file_named_twice_is_read_once(tmp_path):
    path = write(tmp_path / "a.txt", PROSE)
    assert ids(load_documents([tmp_path, path])) == ["a.txt"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_file_pointing_outside_the_folder_is_read_under_its_link_name(tmp_path):
    target = write(tmp_path / "elsewhere" / "real.txt", PROSE)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    try:
        (corpus / "link.txt").symlink_to(target)
    except OSError:
        pytest.skip("cannot create symlinks here")
    (doc,) = load_documents(corpus).documents
    assert doc.doc_id == "link.txt" and doc.text == PROSE


# --- titles -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, title",
    [
        ("a.txt", "\n\n  First line  \n\nBody.\n", "First line"),
        ("a.md", "Intro line\n\n# Real Title\n\nBody.\n", "Real Title"),
        ("a.md", "## Only a subheading\n\nBody.\n", "Only a subheading"),
        ("a.txt", "\ufeffWith BOM\n\nBody.\n", "With BOM"),
    ],
)
def test_title(tmp_path, name, text, title):
    (doc,) = load_documents(write(tmp_path / name, text)).documents
    assert doc.title == title


# --- decoding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, data", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_text_equals_what_open_reads(tmp_path, name, data):
    # The documented contract: Document.text == open(path, encoding="utf-8").read(),
    # so every offset into it points at the same characters a reader of the file sees.
    path = write(tmp_path / f"{name}.txt", data)
    with open(path, encoding="utf-8") as fh:
        expected = fh.read()
    assert read_text_file(path) == expected
    (doc,) = load_documents(path).documents
    assert doc.text == expected
    assert "\r" not in doc.text


def test_bom_is_kept_as_a_character_so_offsets_match(tmp_path):
    path = write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + PROSE.encode("utf-8"))
    text = load_documents(path).documents[0].text
    assert text[0] == "\ufeff" and text[1:] == PROSE


@pytest.mark.parametrize(
    "data, why",
    [
        (b"GIF89a\x00\x01\x02binary", "binary"),
        (b"\x01\x02\x03\x04\x05\x06 mostly control characters \x07\x0e\x0f\x10\x11\x12\x13", "binary"),
    ],
    ids=["nul-bytes", "controls"],
)
def test_non_text_file_is_skipped_with_a_warning_naming_it(tmp_path, data, why):
    write(tmp_path / "good.txt", PROSE)
    write(tmp_path / "bad.txt", data)
    result = load_documents(tmp_path)
    assert ids(result) == ["good.txt"]
    (warning,) = result.warnings
    assert "bad.txt" in warning and why in warning


def test_read_text_file_refuses_non_text(tmp_path):
    path = write(tmp_path / "bin.txt", b"\x00\x00")
    with pytest.raises(SourceError, match=r"bin\.txt: binary file"):
        read_text_file(path)


def test_empty_file_is_skipped_with_a_warning(tmp_path):
    write(tmp_path / "good.txt", PROSE)
    write(tmp_path / "blank.txt", "  \n\ufeff \n")
    result = load_documents(tmp_path)
    assert ids(result) == ["good.txt"]
    assert len(result.warnings) == 1 and "blank.txt" in result.warnings[0]


# --- corpus.jsonl -------------------------------------------------------------------------------------


def jsonl(*objs) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs)


def test_beir_jsonl_fields(tmp_path):
    path = write(
        tmp_path / "corpus.jsonl",
        jsonl(
            {"_id": "d1", "title": " Refunds ", "text": "A refund is paid.\r\nWithin ten days."},
            {"_id": 7, "text": "An id that is a number becomes a string."},
        ),
    )
    d1, d7 = load_documents(path).documents
    assert (d1.doc_id, d1.source, d1.title, d1.text) == (
        "d1",
        "corpus.jsonl",
        "Refunds",
        "A refund is paid.\nWithin ten days.",
    )
    assert (d7.doc_id, d7.title) == ("7", "")


def test_jsonl_in_a_folder_is_found_by_its_name(tmp_path):
    write(tmp_path / "beir" / "corpus.jsonl", jsonl({"_id": "x", "title": "", "text": "Some text."}))
    write(tmp_path / "beir" / "queries.jsonl", jsonl({"_id": "q", "text": "not a document"}))
    assert ids(load_documents(tmp_path)) == ["x"]


def test_jsonl_accepts_a_bom(tmp_path):
    path = write(tmp_path / "corpus.jsonl", b"\xef\xbb\xbf" + jsonl({"_id": "a", "text": "Text."}).encode("utf-8"))
    assert ids(load_documents(path)) == ["a"]


@pytest.mark.parametrize(
    "bad",
    ["{not json", '{"title": "no id", "text": "x"}', '["a", "list"]', '{"_id": "n", "text": 5}', '"a string"'],
)
def test_malformed_jsonl_line_is_skipped_with_a_warning(tmp_path, bad):
    path = write(tmp_path / "corpus.jsonl", jsonl({"_id": "ok", "text": "Fine."}, bad, ""))
    result = load_documents(path)
    assert ids(result) == ["ok"]
    (warning,) = result.warnings
    assert "corpus.jsonl:2" in warning and "skipped" in warning


def test_jsonl_lines_without_text_or_title_are_dropped_silently(tmp_path):
    path = write(
        tmp_path / "corpus.jsonl", jsonl({"_id": "a", "text": "Text."}, {"_id": "b", "title": " ", "text": ""})
    )
    result = load_documents(path)
    assert ids(result) == ["a"] and result.warnings == ()


def test_non_utf8_jsonl_in_a_folder_is_skipped_with_a_warning(tmp_path):
    write(tmp_path / "good.txt", PROSE)
    write(tmp_path / "corpus.jsonl", b'{"_id": "1", "text": "caf\xe9"}\n')
    result = load_documents(tmp_path)
    assert ids(result) == ["good.txt"]
    (warning,) = result.warnings
    assert "corpus.jsonl" in warning and "UTF-8" in warning


def test_duplicate_document_ids_are_refused(tmp_path):
    path = write(tmp_path / "corpus.jsonl", jsonl({"_id": "a", "text": "One."}, {"_id": "a", "text": "Two."}))
    with pytest.raises(SourceError, match="'a' occurs more than once"):
        load_documents(path)


# --- refusals -----------------------------------------------------------------------------------------


def test_empty_folder(tmp_path):
    with pytest.raises(
        EmptyCorpusError,
        match=r"no readable documents \(\.txt, \.md, \.rst and any other text file .*, \.pdf, \.docx, \.html or corpus\.jsonl\) in",
    ):
        load_documents(tmp_path)


def test_folder_of_only_binary_files_names_the_skipped_file(tmp_path):
    write(tmp_path / "image.txt", b"\x89PNG\x00\x00")
    with pytest.raises(EmptyCorpusError, match=r"1 file\(s\) skipped: skipped .*image\.txt: binary file"):
        load_documents(tmp_path)


def test_folder_of_only_other_file_types(tmp_path):
    write(tmp_path / "slides.pptx", b"PK\x03\x04")
    with pytest.raises(EmptyCorpusError, match="no readable"):
        load_documents(tmp_path)


def test_missing_path(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        load_documents(tmp_path / "nope")


@pytest.mark.parametrize("name", ["slides.pptx", "logo.png", "changelog.Debian.gz"])
def test_unsupported_file_type(tmp_path, name):
    path = write(tmp_path / name, "text")
    with pytest.raises(SourceError, match="unsupported file type"):
        load_documents(path)


@pytest.mark.parametrize("name", ["table.csv", "README", "README.Debian", "METADATA"])
def test_a_text_file_of_any_name_is_read(tmp_path, name):
    path = write(tmp_path / name, PROSE)
    (doc,) = load_documents(path).documents
    assert doc.text == PROSE and doc.doc_id == name


def test_no_source_at_all():
    with pytest.raises(SourceError, match="no source given"):
        load_documents([])
