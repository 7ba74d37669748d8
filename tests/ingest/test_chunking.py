"""qa.chunking: passages follow the document's structure and always slice its text exactly."""

from __future__ import annotations

import re

import pytest

from qa.ingest.chunking import HEADING_MAX_CHARS, Chunker, chunk_documents
from qa.ingest.loader import load_documents
from qa.ingest.reading import read
from qa.types import Document

MARKDOWN = """# Travel policy

Intro paragraph that explains what this policy covers for every employee of the company.

## Booking

Book flights through the travel desk at least two weeks before departure, whenever possible.

## Expenses

Keep every receipt. Submit the expense form within thirty days of your return.
"""

CRLF = "Opening hours\r\n\r\nThe office opens at nine.\r\nIt closes at five.\r\n\r\nHolidays\r\n\r\nClosed on public holidays.\r\n"

HUGE = "Intro\n\n" + " ".join(f"Sentence number {i} says something about benefits." for i in range(400)) + "\n"

NO_SENTENCES = "Wall\n\n" + " ".join(["word"] * 2000) + "\n"

ONE_LINE = "Just one line of text without any structure at all."

UNICODE = (
    "Caf\u00e9 guide \u2615\n\n"
    "Le caf\u00e9 est ouvert. \U0001f600 Emoji work too! \u00a0Non-breaking spaces stay.\n\n"
    "\u7b2c\u4e00\u7ae0 \u603b\u5219\n\n"
    "\u672c\u6cd5\u9002\u7528\u4e8e\u6240\u6709\u4eba\u3002\u4f60\u597d\u5417\uff1f\u662f\u7684\uff01" * 60 + "\n"
)

FAQ = (
    "Card FAQ\n\n"
    "Can I still use my card?\n\n"
    "Yes, as long as it holds money you can use it in pharmacies and clinics.\n\n"
    "Where do I pay?\n\n"
    "At the social security center where your household is registered, in person.\n"
)


def doc(text: str, name: str = "doc.txt") -> Document:
    """A document as the loader makes one from a file (doc_id == source)."""
    return Document(doc_id=name, source=name, title="", text=text)


def jsonl_doc(text: str) -> Document:
    """A document from a corpus.jsonl line: no title line inside its text."""
    return Document(doc_id="7", source="corpus.jsonl", title="T", text=text)


def bodies(passages):
    return [" ".join(p.text.split()) for p in passages]


# --- offsets: the invariant everything else relies on ------------------------------------------------

DOCUMENTS = {
    "markdown": MARKDOWN,
    "crlf": CRLF,
    "huge-paragraph": HUGE,
    "no-sentence-ends": NO_SENTENCES,
    "one-line": ONE_LINE,
    "unicode": UNICODE,
    "faq": FAQ,
    "bom": "\ufeffTitle\n\nBody text of a file saved with a byte-order mark.\n",
    "blank-lines-with-spaces": "T\n \t \nA body.\n   \n\n  Indented body.  \n",
}
CHUNKERS = [Chunker(), Chunker(max_chars=60, min_chars=0), Chunker(max_chars=200, min_chars=150)]


@pytest.mark.parametrize("chunker", CHUNKERS, ids=repr)
@pytest.mark.parametrize("name", DOCUMENTS)
def test_passage_text_is_the_reading_of_its_source_span(name, chunker):
    d = doc(DOCUMENTS[name])
    passages = chunker.chunk(d)
    assert passages
    reading = read(d)
    for p in passages:
        assert reading.of(p.start, p.end) == p.text
        assert p.text.strip() and p.doc_id == d.doc_id


@pytest.mark.parametrize("chunker", CHUNKERS, ids=repr)
@pytest.mark.parametrize("name", DOCUMENTS)
def test_passages_are_in_order_and_do_not_overlap(name, chunker):
    passages = chunker.chunk(doc(DOCUMENTS[name]))
    for a, b in zip(passages, passages[1:]):
        assert a.end <= b.start


@pytest.mark.parametrize("chunker", CHUNKERS, ids=repr)
@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_passage_longer_than_max_chars(name, chunker):
    for p in chunker.chunk(doc(DOCUMENTS[name])):
        assert len(p.text) <= chunker.max_chars or len(p.text.split()) == 1


def test_seed_passages_slice_the_seed_file(seed_path, seed_passages):
    with open(seed_path, encoding="utf-8") as fh:
        text = fh.read()
    assert seed_passages
    for p in seed_passages:
        assert text[p.start : p.end] == p.text


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_offsets_of_a_file_with_old_newlines_slice_what_open_reads(tmp_path, newline):
    path = tmp_path / "f.txt"
    path.write_bytes(CRLF.replace("\r\n", newline).encode("utf-8"))
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    passages = chunk_documents(load_documents(path).documents)
    assert [" ".join(text[p.start : p.end].split()) for p in passages] == [" ".join(p.text.split()) for p in passages]
    assert bodies(passages) == ["The office opens at nine. It closes at five.", "Closed on public holidays."]


def test_huge_paragraph_is_cut_at_sentence_ends():
    passages = Chunker().chunk(doc(HUGE))
    assert len(passages) > 1
    assert all(p.text.endswith("benefits.") for p in passages)


def test_a_sentence_longer_than_max_chars_is_cut_between_words():
    passages = Chunker(max_chars=50, min_chars=0).chunk(doc(NO_SENTENCES))
    assert len(passages) > 1
    assert all(set(p.text.split()) == {"word"} for p in passages)


def test_one_word_longer_than_max_chars_is_still_covered():
    text = "Title\n\n" + "x" * 100 + "\n"
    passages = Chunker(max_chars=30, min_chars=0).chunk(doc(text))
    assert "".join(p.text for p in passages) == "x" * 100


def test_single_line_document_is_one_passage():
    (p,) = Chunker().chunk(doc(ONE_LINE))
    assert (p.text, p.section) == (ONE_LINE, "")


# --- structure ---------------------------------------------------------------------------------------


def test_seed_title_line_is_not_a_passage(seed_document, seed_passages):
    title = seed_document.text.split("\n", 1)[0]
    assert title == seed_document.title
    assert all(not p.text.startswith(title) for p in seed_passages)
    assert seed_passages[0].start > len(title)


@pytest.mark.parametrize("ordinal", ["First", "Second", "Third"])
def test_seed_enumerated_lines_become_sections_of_the_passages_below(seed_document, seed_passages, ordinal):
    line = next(ln for ln in seed_document.text.split("\n") if ln.startswith(ordinal + ","))
    at = seed_document.text.index(line)
    below = [p for p in seed_passages if p.section == line]
    assert below, f"no passage has section {line!r}"
    assert all(p.start > at for p in below)
    assert all(line not in p.text for p in seed_passages)


def test_seed_sections_cover_every_passage_after_their_heading(seed_document, seed_passages):
    # Each passage's section is the nearest heading line above it.
    headings = [ln for ln in seed_document.text.split("\n") if re.match(r"(First|Second|Third),", ln)]
    starts = [seed_document.text.index(h) for h in headings]
    for p in seed_passages:
        above = [h for h, s in zip(headings, starts) if s < p.start]
        if above:
            assert p.section == above[-1]


def test_markdown_headings_become_sections():
    passages = Chunker(min_chars=0).chunk(doc(MARKDOWN, "policy.md"))
    assert [p.section for p in passages] == ["Travel policy", "Booking", "Expenses"]
    assert all("#" not in p.text for p in passages)


def test_faq_question_lines_are_headings():
    passages = Chunker(min_chars=0).chunk(doc(FAQ))
    assert [p.section for p in passages] == ["Can I still use my card?", "Where do I pay?"]
    assert bodies(passages)[0].startswith("Yes, as long as")


def test_chinese_chapter_heading_is_a_section():
    passages = Chunker().chunk(doc(UNICODE))
    assert passages[-1].section == "\u7b2c\u4e00\u7ae0 \u603b\u5219"


@pytest.mark.parametrize(
    "line, is_heading",
    [
        ("Chapter 2", True),
        ("III. Benefits", True),
        ("Second: payment", True),
        ("Finally, what if I move abroad?", True),
        ("First, a long opener that goes on " + "and on " * 20 + "?", True),  # too long, but a question
        ("First, a long opener that goes on " + "and on " * 20 + ".", False),
        ("This short line ends like a sentence.", False),
        ("x" * (HEADING_MAX_CHARS + 1), False),
    ],
)
def test_heading_rules(line, is_heading):
    body = "This body paragraph is clearly longer than the line above it, " * 6
    passages = Chunker(min_chars=0).chunk(jsonl_doc(f"{line}\n\n{body}\n"))
    assert (passages[-1].section == " ".join(line.split())) is is_heading


def test_short_line_followed_by_shorter_text_is_not_a_heading():
    passages = Chunker(min_chars=0).chunk(jsonl_doc("A fairly long line without a full stop\n\nShort body.\n"))
    assert [p.section for p in passages] == ["", ""]


def test_jsonl_document_first_line_is_text_not_title():
    (p,) = Chunker().chunk(jsonl_doc("A statement that ends here."))
    assert p.text == "A statement that ends here." and p.section == ""


def test_lone_heading_document_keeps_its_heading_as_a_passage():
    passages = Chunker().chunk(doc("# Only a heading\n", "x.md"))
    assert bodies(passages) == ["Only a heading"]  # its reading text: the marker is markup


# --- merging short paragraphs ------------------------------------------------------------------------

SHORT_PARAS = (
    "Title\n\nOne.\n\nTwo.\n\nThree.\n\nOther section\n\n" + "A body long enough to be a body. " * 2 + "\n\nFour.\n"
)


def test_short_paragraphs_merge_within_a_section():
    passages = Chunker(min_chars=20).chunk(doc(SHORT_PARAS))
    assert bodies(passages)[0] == "One. Two. Three."
    assert passages[0].section == "Title"


def test_short_paragraphs_do_not_merge_across_sections():
    # "Three." is short, but the next paragraph is under another heading: they stay apart.
    passages = Chunker(min_chars=20).chunk(doc(SHORT_PARAS))
    assert [p.section for p in passages] == ["Title", "Other section", "Other section"]
    assert bodies(passages)[0].endswith("Three.")
    assert bodies(passages)[1].startswith("A body")


def test_min_chars_zero_keeps_every_paragraph():
    passages = Chunker(min_chars=0).chunk(doc(SHORT_PARAS))
    assert bodies(passages)[:3] == ["One.", "Two.", "Three."]


def test_merging_never_exceeds_max_chars():
    text = "T\n\n" + "\n\n".join(f"Paragraph {i} is short." for i in range(50))
    chunker = Chunker(max_chars=60, min_chars=59)
    for p in chunker.chunk(doc(text)):
        assert len(p.text) <= 60


# --- duplicates --------------------------------------------------------------------------------------

REPEATED = "Notice: offices close at five on Fridays and on the eve of public holidays."


def test_repeated_paragraph_appears_once():
    a = doc(f"A\n\n{REPEATED}\n\nSomething only in A, which is long enough to stand alone as a body.\n", "a.txt")
    b = doc(f"B\n\n{REPEATED.upper()}\n\n  {'  '.join(REPEATED.split())}\n", "b.txt")
    passages = chunk_documents([a, b], Chunker(min_chars=0))
    keys = [" ".join(p.text.lower().split()) for p in passages]
    assert keys.count(" ".join(REPEATED.lower().split())) == 1
    assert passages[0].doc_id == "a.txt"  # the first occurrence is kept


def test_chunk_documents_keeps_document_order(tiny_corpus):
    documents = load_documents(tiny_corpus).documents
    passages = chunk_documents(documents)
    assert [p.doc_id for p in passages] == [d.doc_id for d in documents]


def test_passage_ids_are_unique(seed_passages):
    ids = [p.passage_id for p in seed_passages]
    assert len(set(ids)) == len(ids)


# --- parameters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_chars": 19}, "max_chars must be an integer >= 20"),
        ({"max_chars": 100.0}, "max_chars must be an integer"),
        ({"min_chars": -1}, r"min_chars must be an integer in \[0, max_chars\]"),
        ({"max_chars": 50, "min_chars": 51}, "min_chars"),
        ({"min_chars": "10"}, "min_chars"),
    ],
)
def test_chunker_parameter_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Chunker(**kwargs)


def test_chunker_params_round_trip():
    c = Chunker(max_chars=300, min_chars=10)
    assert Chunker(**c.params()) == c
