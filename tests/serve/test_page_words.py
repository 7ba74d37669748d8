"""What a visitor reads on the page (issue 24, item 3): documents, not the engine's internals.

Passages by heading, title, file name and page; no character offsets, scores or evidence
percentages (the owner opens them under "Details"); confidence in words; an abstention in plain
words with the closest passages; the documents list as a real, escaped HTML table; examples
below the answer once a question is asked. English and Chinese seed questions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pages import _ask, _page, _tab, _texts, documents_table

import qa
from qa.serve.labels import CONFIDENCE_LEVELS, confidence_level, confidence_word, or_list, plain_reason
from qa.serve.render import escape, file_name
from qa.types import Answer

pytestmark = pytest.mark.usefixtures("isolated_page")
QUESTION = "Where do I go to pay social security myself?"
QUESTION_ZH = "找到新工作后医保转移由谁办理？"
UNANSWERED = "Is dental treatment covered by the insurance?"
# What the engine's internals look like on a page: offsets ("characters 12–40", "字符"), scores,
# percentages, evidence talk.
INTERNALS = re.compile(r"characters|字符|\bscore\b|得分|\d\s*%|\d+\u2013\d+|evidence|coverage|word weight", re.I)


@pytest.fixture
def visitor(saved_corpus_index, monkeypatch):
    """The seed index, served with an owner's password nobody entered: every session is a visitor."""
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    monkeypatch.setenv("QA_ADMIN_PASSWORD", "a password nobody typed here")
    return saved_corpus_index


def _shown(at) -> str:
    """Everything the page shows (the page's own style sheet aside)."""
    return "\n".join(v for v in _texts(at) if not v.startswith("<style>"))


def _passage_numbers(at) -> list[int]:
    return [int(n) for v in _texts(at) for n in re.findall(r'id="passage-(\d+)"', v)]


@pytest.mark.parametrize("question", [QUESTION, QUESTION_ZH])
def test_a_visitor_reads_no_offsets_scores_or_percentages(visitor, question):
    at = _ask(_page(), question)
    assert not at.exception and not at.error
    shown = _shown(at)
    assert 'class="qa-answer"' in shown
    assert not INTERNALS.search(shown), INTERNALS.search(shown)
    assert "Details" not in [e.label for e in at.expander]
    result = qa.answer(qa.load_index(visitor), question, k=5)
    for hit in result.hits:  # each passage by its file name (never a folder of the server)
        assert escape(file_name(hit.passage.source)) in shown
    numbers = _passage_numbers(at)
    assert numbers == list(range(1, len(result.hits) + 1))  # one order, numbered as shown


def test_confidence_is_a_word_in_the_questions_language(visitor):
    at = _ask(_page(), QUESTION)
    assert [c.value for c in at.caption if c.value.startswith("Confidence")] in (
        ["Confidence: High"],
        ["Confidence: Medium"],
        ["Confidence: Low"],
    )
    at = _ask(at, QUESTION_ZH)
    words = [c.value for c in at.caption if c.value.startswith("置信度")]
    assert words in (["置信度：高"], ["置信度：中"], ["置信度：低"])


def test_an_abstention_says_the_documents_do_not_say_and_shows_the_closest_passages(visitor):
    at = _ask(_page(), UNANSWERED)
    assert not at.exception and not at.error
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("**The documents do not say.** No passage mentions dental, treatment or covered.")
    assert "Searched for: dental, treatment, covered, insurance" in warning
    assert "Closest passages" in [h.value for h in at.subheader]
    assert "They do not answer the question." in [c.value for c in at.caption]
    assert _passage_numbers(at)  # shown, not folded away
    shown = _shown(at)
    assert not INTERNALS.search(shown), INTERNALS.search(shown)
    assert "deal treatment" not in shown.lower()  # "dental" is a word, never respelt


def test_what_no_passage_mentions_is_listed_once_in_chinese(corpus_index):
    from qa.serve.render import unmatched_words

    result = qa.answer(corpus_index, "失业保险金每月能领多少钱？")
    assert result.abstained
    missing = unmatched_words(result, corpus_index.analyzer)
    assert missing and not any(len(w) == 1 and any(w in o for o in missing if o != w) for w in missing)
    assert plain_reason(result, missing) == f"没有段落提到{or_list(missing, 'zh')}。"


def test_a_chinese_abstention_is_plain_chinese(visitor):
    at = _ask(_page(), "今天天气怎么样？")
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("**这些文档中没有答案。**") and "%" not in warning


def test_the_owner_opens_the_engines_figures_under_details(saved_corpus_index, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))  # loopback, no password: the owner
    at = _ask(_page(), QUESTION)
    (details,) = [e for e in at.expander if e.label == "Details"]
    text = " ".join(m.value for m in details.markdown)
    result = qa.answer(qa.load_index(saved_corpus_index), QUESTION, k=5)
    assert f"Confidence {result.confidence:.3f}" in text
    for hit in result.hits:
        assert f"{hit.score:.3f}" in text and escape(f"{hit.passage.start}\u2013{hit.passage.end}") in text
    at = _ask(at, UNANSWERED)
    (details,) = [e for e in at.expander if e.label == "Details"]
    assert escape("weak_evidence") in " ".join(m.value for m in details.markdown)  # the summary's own reason


def test_examples_move_below_the_answer_once_a_question_is_asked(visitor):
    at = _page()
    assert [b.key for b in at.button if (b.key or "").startswith("example-")]
    assert not at.expander
    at = _ask(at, QUESTION)
    (more,) = [e for e in at.expander if e.label == "More questions these documents answer"]
    assert [b.key for b in more.button] == [b.key for b in at.button if (b.key or "").startswith("example-")]


def test_the_documents_list_is_a_readable_escaped_table(visitor, tmp_path):
    from qa.serve.library import Library

    lib = Library(tmp_path / "data")
    lib.ensure_index()
    lib.add_uploads([("tags.txt", b"<b>Bold</b> & [link](javascript:x)\n\nHello there, reader.\n")])
    at = _tab(_page(), "Documents")
    rows = documents_table(at)  # cell texts, entities decoded
    assert len(rows) == 3 and all(len(r) == 5 for r in rows)
    corpus = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "corpus").glob("*.txt"))
    assert sorted(r[1] for r in rows if r[4] == "") == corpus
    (upload,) = [r for r in rows if r[4] == "yes"]
    assert upload == ["<b>Bold</b> & [link](javascript:x)", "tags.txt", "1", "en", "yes"]  # shown as text
    table = next(v for v in _texts(at) if "qa-documents" in v)
    assert "<b>" not in table and "javascript:" not in table  # every cell escaped


# -- the words, one place ------------------------------------------------------------------------------


def _answer(confidence: float, language: str = "en", **kw) -> Answer:
    base = dict(
        question="q",
        sentences=(),
        hits=(),
        abstained=False,
        reason=None,
        reason_code=None,
        query_terms=(),
        corrections=(),
        language=language,
    )
    return Answer(**{**base, "confidence": confidence, **kw})


def test_confidence_words_are_binned_at_0_75_and_0_45():
    assert CONFIDENCE_LEVELS == ((0.75, "high"), (0.45, "medium"), (0.0, "low"))
    assert [confidence_level(p) for p in (1.0, 0.75, 0.7499, 0.45, 0.4499, 0.0)] == [
        "high",
        "high",
        "medium",
        "medium",
        "low",
        "low",
    ]
    assert confidence_word(_answer(1.0)) == "High" and confidence_word(_answer(0.5, "zh")) == "中"


def test_plain_reasons_name_what_is_missing_and_no_figure():
    no_match = _answer(0.0, abstained=True, reason_code="no_match", reason="No word ... (searched for: x).")
    assert plain_reason(no_match) == "None of the question's words appear in them."
    hit = object()
    weak = _answer(0.2, abstained=True, reason_code="weak_evidence", hits=(hit,), reason="... 20% ...")
    assert plain_reason(weak, ["dental", "covered"]) == "No passage mentions dental or covered."
    assert plain_reason(weak) == "The passages that share the question's words do not answer it."
    weak_zh = _answer(0.2, "zh", abstained=True, reason_code="weak_evidence", hits=(hit,))
    assert plain_reason(weak_zh, ["牙科", "报销"]) == "没有段落提到牙科或报销。"
    assert or_list(["a", "b", "c"]) == "a, b or c" and or_list(["a"]) == "a" and or_list([]) == ""


def test_a_passage_is_placed_by_title_file_name_and_page_never_a_folder_or_offset():
    from qa.serve.render import passage_heading, passage_place, table_html
    from qa.types import Hit, Passage

    p = Passage("d#1", "d", "/srv/qa/uploads/Guide.pdf", "The Guide", "Fees", 1200, 1400, "x", page=3)
    hit = Hit(1, p, 7.5, (), 0.5)
    assert passage_heading(hit) == "Fees"
    assert passage_place(hit) == "from The Guide · Guide.pdf · page 3"
    assert passage_place(hit, "zh") == "出自 The Guide · Guide.pdf · 第 3 页"
    untitled = Hit(1, Passage("d#1", "d", "sub\\notes.txt", "", "", 0, 4, "x"), 1.0, (), 0.5)
    assert (passage_heading(untitled), passage_place(untitled)) == ("notes.txt", "notes.txt")
    same = Hit(1, Passage("d#1", "d", "a.md", "Leave", "", 0, 4, "x"), 1.0, (), 0.5)
    assert (passage_heading(same), passage_place(same)) == ("Leave", "a.md")  # the title once
    assert table_html(["<h>"], [["a&b", "<script>"]]) == (
        '<table class="qa-table"><thead><tr><th>&#60;h&#62;</th></tr></thead>'
        "<tbody><tr><td>a&#38;b</td><td>&#60;script&#62;</td></tr></tbody></table>"
    )
