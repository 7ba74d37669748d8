"""The Streamlit page, run headless with AppTest.

Every test points the page at an index built in a tmp folder (``$QA_INDEX``)
and at a tmp cache (``$QA_CACHE_DIR``), so the user's cache is never read or
written, and clears Streamlit's in-process caches so no test sees another's index.
"""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import qa
from qa.render import escape, hit_location
from qa.suggest import suggest_questions

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
SEED_QUESTION = "Where do I go to pay social security myself?"

NASTY = (
    "Refund rules <script>alert(1)</script> **bold**\n\n"
    "Refund office <img src=x onerror=alert(1)>\n\n"
    "Refunds are paid by the refund office within ten days. "
    "Ask for <script>alert(1)</script> and <img src=x onerror=alert(1)> and [click](javascript:alert(1)) "
    "and **bold** at the refund desk.\n"
)


def _index(corpus: Path, out: Path) -> Path:
    index, _ = qa.build_index(corpus)
    qa.save_index(index, out)
    return out


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QA_INDEX", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def seed_index(tmp_path, monkeypatch) -> Path:
    out = _index(ROOT / "corpus", tmp_path / "seed-index")
    monkeypatch.setenv("QA_INDEX", str(out))
    return out


def _page() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30).run()


def _ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="question").input(question)
    next(b for b in at.button if b.label == "Ask").click()
    return at.run()


def _texts(at: AppTest) -> list[str]:
    """Every string the page shows that Markdown renders: bodies and labels, main area and sidebar."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "warning", "error", "info", "success"):
        out += [e.value for e in getattr(at, kind)]
    out += [b.label for b in at.button] + [e.label for e in at.expander] + [m.label for m in at.metric]
    return out


def _passages_shown(at: AppTest) -> int:
    return sum(v.count('id="passage-') for v in _texts(at))


def test_empty_page_shows_corpus_facts(seed_index):
    at = _page()
    assert not at.exception
    assert not at.error
    facts = qa.describe(qa.load_index(seed_index))
    metrics = {m.label: m.value for m in at.sidebar.metric}
    assert metrics == {"Documents": str(facts["documents"]), "Passages": str(facts["passages"])}
    sidebar_md = " ".join(m.value for m in at.sidebar.markdown)
    assert escape(facts["root"]) in sidebar_md and escape(facts["built_at"]) in sidebar_md
    assert at.sidebar.slider(key="top_k").value == 5
    assert _passages_shown(at) == 0 and not at.warning


def test_seed_question_answered_with_citations_and_passages(seed_index):
    at = _ask(_page(), SEED_QUESTION)
    assert not at.exception and not at.error and not at.warning
    expected = qa.answer(qa.load_index(seed_index), SEED_QUESTION, k=5)
    assert not expected.abstained
    answer_md = next(v for v in _texts(at) if 'class="qa-answer"' in v)
    for s in expected.sentences:
        assert f'href="#passage-{s.rank}" class="qa-cite">&#91;{s.rank}&#93;</a>' in answer_md
    assert escape(expected.sentences[0].text) in answer_md
    assert any(c.value.startswith("Confidence ") for c in at.caption)
    assert _passages_shown(at) == len(expected.hits)
    bodies = " ".join(_texts(at))
    for hit in expected.hits:
        assert f'id="passage-{hit.rank}"' in bodies
        assert escape(hit_location(hit)) in bodies
    assert 'class="qa-cited"' in bodies and "<mark>" in bodies


def test_unanswerable_question_abstains(seed_index):
    at = _ask(_page(), "What is the capital of France?")
    assert not at.exception and not at.error
    assert len(at.warning) == 1
    warning = at.warning[0].value
    assert "No answer in these documents" in warning
    assert "capital" in warning and "france" in warning  # the reason and what was searched for
    assert not any('class="qa-answer"' in v for v in _texts(at))


@pytest.mark.parametrize("question", ["", "   \t ", "?!? ... ,", "what is the", "a" * 100_000],
                         ids=["empty", "whitespace", "punctuation", "stop-words", "100k-chars"])
def test_bad_question_shows_an_error_not_a_traceback(seed_index, question):
    at = _ask(_page(), question)
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value
    assert _passages_shown(at) == 0


def test_document_html_and_markdown_are_shown_as_text(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "nasty.txt").write_text(NASTY, encoding="utf-8")
    monkeypatch.setenv("QA_INDEX", str(_index(corpus, tmp_path / "index")))
    at = _ask(_page(), "Who pays refunds and where is the refund desk?")
    assert not at.exception and not at.error
    texts = [v for v in _texts(at) if not v.startswith("<style>")]  # all but the page's own CSS
    shown = " ".join(texts)
    assert _passages_shown(at) >= 1
    for raw in ("<script", "<img", "javascript:", "](", "**bold**"):
        assert not any(raw in v for v in texts), raw
    assert "&#60;script&#62;" in shown and "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;" in shown
    assert "javascript&#58;alert" in shown and "&#42;&#42;bold&#42;&#42;" in shown


def test_example_question_button_asks_it(seed_index):
    at = _page()
    examples = suggest_questions(qa.load_index(seed_index))
    assert examples
    assert at.button(key="example-0").label == escape(examples[0])
    at.button(key="example-0").click()
    at.run()
    assert not at.exception and not at.error
    assert at.text_input(key="question").value == examples[0]
    expected = qa.answer(qa.load_index(seed_index), examples[0], k=5)
    assert _passages_shown(at) == len(expected.hits) > 0


def test_top_k_changes_the_passages_shown(seed_index):
    at = _ask(_page(), SEED_QUESTION)
    index = qa.load_index(seed_index)
    counts = {}
    for k in (5, 1, 10):
        at.sidebar.slider(key="top_k").set_value(k)
        at.run()
        assert not at.exception
        counts[k] = _passages_shown(at)
        assert counts[k] == len(qa.answer(index, SEED_QUESTION, k=k).hits)
    assert counts[1] < counts[5] < counts[10]


def _truncate_weights(index_dir: Path) -> None:
    version = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    weights = version / "weights.npy"
    weights.write_bytes(weights.read_bytes()[:-8])


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_unloadable_index_shows_an_error(tmp_path, monkeypatch, damage):
    index_dir = _index(ROOT / "corpus", tmp_path / "index")
    if damage == "truncated":
        _truncate_weights(index_dir)
    else:
        index_dir = tmp_path / "no-such-index"
    monkeypatch.setenv("QA_INDEX", str(index_dir))
    at = _page()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Cannot load the index:")
    assert "rebuild" in at.error[0].value or "build one" in at.error[0].value
    assert not at.text_input  # the page stopped


def test_empty_default_corpus_shows_an_error(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("QA_CORPUS", str(empty))
    at = _page()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Cannot load the index:")


def test_default_corpus_is_indexed_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CORPUS", str(ROOT / "corpus"))
    at = _ask(_page(), SEED_QUESTION)
    assert not at.exception and not at.error
    assert any(p.name == "CURRENT" for p in (tmp_path / "cache").rglob("CURRENT"))
    assert any('class="qa-answer"' in v for v in _texts(at))


def test_a_re_indexed_corpus_is_picked_up_without_a_restart(tmp_path, monkeypatch):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    out = _index(corpus, tmp_path / "ix")
    monkeypatch.setenv("QA_INDEX", str(out))
    at = _ask(_page(), "When does the canteen open?")
    assert at.warning and "No answer" in at.warning[0].value
    (corpus / "canteen.txt").write_text("Canteen\n\nThe canteen opens at noon.\n", encoding="utf-8")
    updated, _ = qa.build.update_index(qa.load_index(out), add=[corpus / "canteen.txt"])
    qa.save_index(updated, out)
    at = _ask(at, "When does the canteen open?")  # the same session: no restart
    assert not at.exception and not at.warning
    assert any("noon" in v for v in _texts(at))
