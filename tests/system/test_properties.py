"""Properties that must hold for any input (issue 7): generated documents and questions.

Documents mix unicode, CJK, emoji, CRLF, NUL bytes, blank lines, very long lines and
one-character files. For every one: passage offsets read as the passage text in the
document (`qa.ingest.reading`), passages do not overlap and stay in order, every answer sentence is verbatim
in its cited passage, and search never raises for any string question (only
`QuestionError`, for an unusable one).
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import Index, IndexParams, QuestionError, answer, search
from qa.ingest.chunking import Chunker, chunk_documents
from qa.ingest.reading import read
from qa.text import split_sentences
from qa.types import Document

pytestmark = pytest.mark.slow  # long property runs: left out of make test-fast

EXAMPLES = int(os.environ.get("QA_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["leave", "pay", "card", "insurance", "社保", "医保", "😀", "Ünïcode", "a", "1.", "Q:", "#", "First,", "?"]
pieces = st.one_of(
    st.sampled_from(WORDS),
    st.text(min_size=0, max_size=12),  # any code points, NUL and surrogate-free by default
    st.sampled_from(["\n", "\r\n", "\r", "\n\n", " ", "\t", "\x00", "。", "！", ". ", "? "]),
    st.text(alphabet="ab ", min_size=200, max_size=3000),  # very long lines
)
texts = st.lists(pieces, min_size=1, max_size=60).map("".join)


def _doc(text: str, name: str = "doc.txt") -> Document:
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # what the loader gives for a file
    return Document(doc_id=name, source=name, title=text.strip().split("\n")[0][:50], text=text)


@SETTINGS
@given(texts, st.integers(min_value=20, max_value=400))
def test_offsets_read_as_every_passage_and_passages_never_overlap(text, max_chars):
    doc = _doc(text)
    passages = Chunker(max_chars=max_chars, min_chars=min(50, max_chars)).chunk(doc)
    reading = read(doc)
    last_end = 0
    for p in passages:
        assert reading.of(p.start, p.end) == p.text
        assert p.text.strip()
        assert p.start >= last_end  # in order, no overlap
        last_end = p.end
        assert len(p.text) <= max_chars  # bounded: an over-long run of text is cut, at a space if it has one


@SETTINGS
@given(texts)
def test_sentences_are_stripped_ordered_spans(text):
    last = 0
    for s, e in split_sentences(text):
        assert s >= last and s < e
        assert text[s:e] == text[s:e].strip()
        last = e


@pytest.fixture(scope="module")
def index():
    docs = [
        _doc("Leave\n\nStaff get 25 days of annual leave. Unused days expire in March.\n", "leave.txt"),
        _doc("医保\n\n离职后医保卡里的钱可以继续使用。住院报销只在当月有效。\n", "zh.txt"),
        _doc("Pay\r\n\r\nSalaries are paid monthly 😀 by bank transfer. Q: when? A: the last day.\n", "pay.txt"),
    ]
    return Index.fit(chunk_documents(docs), IndexParams())


@SETTINGS
@given(st.text(max_size=300))
def test_search_and_answer_never_raise_anything_but_a_question_error(index, question):
    try:
        hits = search(index, question, k=5)
        result = answer(index, question, k=5)
    except QuestionError:
        return
    assert len(hits) <= 5
    ranks = {h.rank: h for h in result.hits}
    for s in result.sentences:
        assert s.text in ranks[s.rank].passage.text  # verbatim in the cited passage
    assert 0.0 <= result.confidence <= 1.0
