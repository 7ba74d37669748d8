"""Every text file is read (issue 23): any name, any common encoding, terminal output read through.

Real files in tests/data/textfiles (each as found, except FAQ.utf16):
- gzip.1.txt: ``MAN_KEEP_FORMATTING=1 man -P cat gzip`` (backspace overstrike: bold and underline);
- gzip.1.sgr.txt: the same page from ``GROFF_SGR=1 groff -man -Tutf8 -rcR=1`` (ANSI escapes);
- fr.tmac: groff's French localisation, a Latin-1 file;
- FAQ.utf16: man-db's FAQ from /usr/share/doc, saved as UTF-16 with its byte-order mark (``iconv -t UTF-16``);
- README: GNU Nettle's README from /usr/share/doc, no extension;
- METADATA: a wheel's metadata (setuptools 41.2.0's dist-info).

The properties: passages of sniffed, re-encoded and terminal files read back from their source spans
(``reading.of(start, end) == passage.text``, the offsets contract) and hold no ESC, backspace,
U+FFFD or NUL.
"""

import codecs
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qa.errors import SourceError
from qa.ingest.chunking import Chunker
from qa.ingest.decoding import decode
from qa.ingest.loader import load_documents, read_document
from qa.ingest.reading import read
from qa.ingest.terminal import residue, without
from qa.types import Document

DATA = Path(__file__).resolve().parents[1] / "data" / "textfiles"
RESIDUE = ("\x1b", "\x08", "\ufffd", "\x00")
SETTINGS = settings(
    max_examples=int(os.environ.get("QA_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def passages_of(doc: Document, max_chars: int = 300):
    reading = read(doc)
    passages = Chunker(max_chars=max_chars, min_chars=min(50, max_chars)).chunk(doc)
    for p in passages:
        assert reading.of(p.start, p.end) == p.text  # the offsets contract
        assert not any(c in p.text for c in RESIDUE), repr(p.text)
    return passages


# --- real files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gzip.1.txt", "gzip.1.sgr.txt"])
def test_a_man_page_rendered_for_a_terminal_reads_as_its_words(name):
    doc = read_document(DATA / name, name)
    assert doc.format == "man" and doc.title == "gzip, gunzip, zcat - compress or expand files"
    reading = read(doc)
    text = reading.text
    assert not any(c in text for c in RESIDUE)
    assert "In particular, it will ignore symbolic links." in text  # "In par-" / "ticular" joined
    assert "sometimes able to detect a bad .Z file" in text  # "some-" / "times"
    if name == "gzip.1.txt":  # man's run hyphenates "MS-" / "DOS" at a line end (groff's alone does not):
        assert "For MSDOS, CR LF is converted" in text  # joined, as the page writes MSDOS elsewhere (and its source)
    # Option entries are items (the option and its description): answers can come from them.
    items = [text[b.start : b.end] for b in reading.blocks if b.kind == "item"]
    assert "-d --decompress --uncompress Decompress." in items
    assert any(i.startswith("-k --keep Keep (don't delete) input files") for i in items)
    headings = [text[b.start : b.end] for b in reading.blocks if b.kind == "heading"]
    assert headings[:4] == ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"]
    # Every reading character maps to its own source character: the bold "N" of NAME is the second of "N\bN".
    at = text.index("NAME")
    assert doc.text[reading.offsets[at]] == "N" and doc.text[reading.offsets[at] - 1] in "\bm"  # "N\bN", "ESC[1mN"
    passages_of(doc)


@pytest.mark.parametrize("name", ["gzip.1.txt", "gzip.1.sgr.txt"])
def test_show_in_source_leaves_a_man_pages_escapes_out(name):
    from types import SimpleNamespace

    from qa.serve.context import context_html

    doc = read_document(DATA / name, name)
    passages = passages_of(doc)
    p = next(p for p in passages if "--keep" in p.text)
    for radius in (0, 17, 600):
        html = context_html(doc.text, p, SimpleNamespace(sentences=(), hits=()), radius=radius)
        assert "\x1b" not in html and "\b" not in html and "[1m" not in html and "[22m" not in html
        assert "Keep &#40;don&#39;t delete" in html


def test_the_overstruck_and_the_ansi_page_read_alike():
    over, sgr = (read(read_document(DATA / name, name)) for name in ("gzip.1.txt", "gzip.1.sgr.txt"))
    # The two runs break lines differently ("MS-" / "DOS" in one, "MSDOS" in the other) but read as the
    # same blocks: the same headings, option entries and paragraphs.
    assert [b.kind for b in over.blocks] == [b.kind for b in sgr.blocks]
    assert [over.text[b.start : b.end] for b in over.blocks if b.kind == "heading"] == [
        sgr.text[b.start : b.end] for b in sgr.blocks if b.kind == "heading"
    ]


def test_a_latin1_file_is_indexed_with_offsets_into_the_decoded_text():
    doc = read_document(DATA / "fr.tmac", "fr.tmac")
    raw = (DATA / "fr.tmac").read_bytes()
    assert doc.text == raw.decode("latin-1")  # cp1252 and Latin-1 agree on every byte of it
    assert "Fabrice Ménard" in doc.text
    passages = passages_of(doc)
    assert any("Ménard" in p.text for p in passages)


def test_a_utf16_file_with_its_bom_is_indexed():
    raw = (DATA / "FAQ.utf16").read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)
    doc = read_document(DATA / "FAQ.utf16", "FAQ.utf16")
    assert doc.text == raw.decode("utf-16")  # the codec drops the mark: offsets index the decoded text
    assert doc.title == "Frequently Asked Questions"
    assert any("man" in p.text for p in passages_of(doc))


def test_a_readme_without_extension_and_a_wheel_metadata_are_read(tmp_path):
    result = load_documents([DATA / "README", DATA / "METADATA"])
    assert [d.doc_id for d in result.documents] == ["README", "METADATA"] and result.warnings == ()
    readme, metadata = result.documents
    assert "Nettle is a cryptographic library" in read(readme).text
    assert metadata.title == "setuptools: Easily download, build, install, upgrade, and uninstall Python packages"
    reading = read(metadata)  # the headers are table rows (searchable, never answers), the body rst
    rows = [reading.text[b.start : b.end] for b in reading.blocks if b.kind == "table"]
    assert (
        rows[:2] == ["Metadata-Version: 2.1", "Name: setuptools"]
        and "Requires-Python: >=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*" in rows
    )
    assert any(
        b.kind == "text" and "Installation Instructions" in reading.text[b.start : b.end] for b in reading.blocks
    )
    for doc in result.documents:
        passages_of(doc)


def test_a_folder_names_every_file_it_does_not_read(tmp_path):
    for name in ("README", "METADATA", "gzip.1.txt"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "data.bin.x").write_bytes(bytes(range(256)))
    (tmp_path / "changelog.Debian.gz").write_bytes(b"\x1f\x8b\x08\x00")
    (tmp_path / "questions.jsonl").write_text('{"q": 1}\n', encoding="utf-8")
    result = load_documents(tmp_path)
    assert sorted(d.doc_id for d in result.documents) == ["METADATA", "README", "gzip.1.txt"]
    named = {Path(w.split(": ")[0].removeprefix("skipped ")).name: w for w in result.warnings}
    assert sorted(named) == ["changelog.Debian.gz", "data.bin.x", "logo.png", "questions.jsonl"]
    assert "binary file" in named["data.bin.x"] and "unsupported file type '.png'" in named["logo.png"]
    assert "unsupported file type '.gz'" in named["changelog.Debian.gz"]


def test_rst_roles_show_their_displayed_text_only():
    src = "Call :meth:`~pkg.Client.send` or :class:`!Plain`; see :class:`the session <~pkg.Session>`.\n"
    text = read(Document(doc_id="a", source="a", title="", text=src, format="rst")).text
    assert text == "Call send or Plain; see the session."


# --- decoding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16", "utf-32", "utf-8-sig", "utf-16-le"])
def test_encodings_are_found(encoding):
    text = "Les employés reçoivent leur salaire à la fin du mois, après déduction des cotisations.\n"
    raw = text.encode(encoding)
    got = decode(raw).text
    assert got == ("\ufeff" + text if encoding == "utf-8-sig" else text)


@pytest.mark.parametrize("raw", [bytes(range(256)), b"\x7fELF\x02\x01\x01\x00\x00\x00", b"\x01\x02\x03\x04\x05 x"])
def test_binary_is_refused(raw):
    with pytest.raises(SourceError, match="binary file"):
        decode(raw, "f")


# --- properties ---------------------------------------------------------------------------------------

WORDS = ["leave", "pay", "card", "café", "Größe", "naïve", "社保", "employés", "de-", "pendent", "-a, --all", "NAME"]
ANSI = ["\x1b[1m", "\x1b[0m", "\x1b[4m", "\x1b[24m", "\x1b[22m", "\x1b]8;;http://x\x1b\\", "\x1b", "\x1b[38;5;2m"]
pieces = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(ANSI),
    st.sampled_from(["\n", "\n\n", "\n       ", " ", "\t", "-\n   ", "\u2010\n       ", "\x00", "\ufffd", "\x08"]),
    st.builds(lambda c: f"{c}\b{c}", st.sampled_from("NAMEabc-")),  # bold overstrike
    st.builds(lambda c: f"_\b{c}", st.sampled_from("filex")),  # underline overstrike
    st.text(min_size=0, max_size=10),
)
texts = st.lists(pieces, min_size=1, max_size=50).map("".join)


HEADERS = ["", "Metadata-Version: 2.1\nName: x\nSummary: a\n  b\n", "From: a\nSubject: b\nDate: c\n\n"]


@SETTINGS
@given(
    st.sampled_from(HEADERS),
    texts,
    st.sampled_from(["plain", "man", "markdown", "rst"]),
    st.integers(min_value=30, max_value=300),
)
def test_terminal_text_reads_back_from_its_source_spans(head, text, fmt, max_chars):
    text = (head + text).replace("\r\n", "\n").replace("\r", "\n")
    passages_of(Document(doc_id="t", source="t", title="t", text=text, format=fmt), max_chars)


@SETTINGS
@given(texts)
def test_residue_left_out_maps_every_kept_character(text):
    spans = residue(text)
    clean, kept = without(text, spans)
    assert len(clean) == len(kept) and all(text[k] == c for k, c in zip(kept.tolist(), clean))
    assert "\x1b" not in clean and "\x08" not in clean and "\ufffd" not in clean and "\x00" not in clean


@SETTINGS
@given(
    st.lists(st.sampled_from(WORDS + ["\n", "\n\n", "."]), min_size=1, max_size=40).map(" ".join),  # words, spaced
    st.sampled_from(["cp1252", "utf-16", "utf-32", "utf-8", "utf-8-sig"]),
)
def test_re_encoded_and_sniffed_files_read_back_from_their_spans(tmp_path_factory, text, encoding):
    assume(text.strip())
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:  # Chinese has no cp1252 bytes
        assume(False)
    path = tmp_path_factory.mktemp("enc") / "NOTES"  # no extension: sniffed
    path.write_bytes(raw)
    doc = read_document(path, "NOTES")
    assert doc.text.lstrip("\ufeff") == text
    passages_of(doc)
