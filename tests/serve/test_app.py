"""The Streamlit page, run headless with AppTest.

Every test gives the page a tmp data folder (``$QA_DATA``) and a tmp cache
(``$QA_CACHE_DIR``), so the user's files are never read or written; most also
name an index built in a tmp folder (``$QA_INDEX``), which the page copies into
its data folder on first start. Streamlit's in-process caches are cleared so no
test sees another's index.
"""

import sqlite3
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from pages import APP, _ask, _page, _tab, _texts, documents_table

import qa
import qa.answering.rephrase
import qa.index.layout
from qa.serve.library import Library
from qa.serve.uploads import MAX_UPLOAD_BYTES
from qa.serve.render import escape, file_name
from qa.answering.suggest import suggest_questions

ROOT = Path(__file__).resolve().parents[2]
SEED_QUESTION = "Where do I go to pay social security myself?"
pytestmark = pytest.mark.usefixtures("isolated_page")  # tmp data folder and cache, Streamlit caches cleared

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


@pytest.fixture
def seed_index(saved_corpus_index, monkeypatch) -> Path:
    """The corpus's index, built once per session: the page copies it and never writes it."""
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    return saved_corpus_index


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
    assert any(c.value in ("Confidence: High", "Confidence: Medium", "Confidence: Low") for c in at.caption)
    assert _passages_shown(at) == len(expected.hits)
    bodies = " ".join(_texts(at))
    details = next(v for v in _texts(at) if 'class="qa-table qa-details"' in v)  # the owner's "Details"
    for hit in expected.hits:
        assert f'id="passage-{hit.rank}"' in bodies
        assert escape(file_name(hit.passage.source)) in bodies
        assert escape(f"{hit.passage.start}\u2013{hit.passage.end}") in details and f"{hit.score:.3f}" in details
    assert 'class="qa-cited"' in bodies and "<mark>" in bodies


def test_unanswerable_question_abstains(seed_index):
    at = _ask(_page(), "What is the capital of France?")
    assert not at.exception and not at.error
    assert len(at.warning) == 1
    warning = at.warning[0].value
    assert "The documents do not say." in warning
    assert escape("None of the question's words appear in them.") in warning  # the reason, in plain words
    assert "Searched for: capital, france" in warning
    assert not any('class="qa-answer"' in v for v in _texts(at))


@pytest.mark.parametrize(
    "question",
    ["", "   \t ", "?!? ... ,", "what is the", "a" * 100_000],
    ids=["empty", "whitespace", "punctuation", "stop-words", "100k-chars"],
)
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


DIRECTIVES = (
    "Can I get a :red[refund] at the :material/home: desk $\\LaTeX$?\n\n"
    "Refunds are paid :red[within ten days] at the :material/home: desk by the refund office, "
    "see $\\LaTeX$ and $$x^2$$, :blue-background[note], ~~gone~~, [more](javascript:alert(1)) "
    "and <img src=x onerror=alert(1)>.\n"
)


def test_streamlit_directives_in_a_document_are_shown_as_text(tmp_path, monkeypatch):
    """Markdown and Streamlit's own syntax (colours, icons, maths, links) in a heading, which becomes
    an example-question button, and in a passage, which becomes the answer and a passage."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "refunds :red[x].md").write_text("# Refunds :red[now] $x$\n\n" + DIRECTIVES, encoding="utf-8")
    monkeypatch.setenv("QA_INDEX", str(_index(corpus, tmp_path / "index")))
    at = _page()
    example = suggest_questions(qa.load_index(tmp_path / "index"))[0]
    assert ":red[refund]" in example and at.button(key="example-0").label == escape(example)
    at = _ask(at, "Who pays refunds at the desk and when?")
    assert not at.exception and not at.error and _passages_shown(at) >= 1
    texts = [v for v in _texts(at) if not v.startswith("<style>")]
    for raw in (":red[", ":material/", ":blue-background[", "$", "~~", "](javascript", "<img"):
        assert not any(raw in v for v in texts), raw
    shown = " ".join(texts)
    assert escape(":red[within ten days]") in shown and escape("$\\LaTeX$") in shown
    assert escape(":material/home:") in shown
    # Markdown in a .md document is read (its reading text): the link shows as its text, the tag is gone.
    assert "javascript" not in shown and "onerror" not in shown and "more" in shown


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


def test_a_new_index_version_is_picked_up_without_a_restart(tmp_path, monkeypatch):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    seed = _index(corpus, tmp_path / "ix")
    monkeypatch.setenv("QA_INDEX", str(seed))
    at = _ask(_page(), "When does the canteen open?")
    assert at.warning and "do not say" in at.warning[0].value
    # Another session (or process) changes the page's own index meanwhile.
    (corpus / "canteen.txt").write_text("Canteen\n\nThe canteen opens at noon.\n", encoding="utf-8")
    data_index = tmp_path / "data" / "index"
    updated, _ = qa.index.build.update_index(qa.load_index(data_index), add=[corpus / "canteen.txt"])
    qa.save_index(updated, data_index)
    at = _ask(at, "When does the canteen open?")  # the same session: no restart
    assert not at.exception and not at.warning
    assert any("noon" in v for v in _texts(at))
    assert list(qa.load_index(seed).passages.doc_id) == ["pay.txt"]  # $QA_INDEX was copied, never written


# -- the data folder, uploads, the corpus view ----------------------------------------------------------

CANTEEN = b"Canteen\n\nThe canteen opens at noon and closes at three in the afternoon.\n"
PARKING = b"# Parking\n\nStaff park in the north garage. Visitors park on level two.\n"


def _upload(at: AppTest, files) -> AppTest:
    if not at.file_uploader:
        _tab(at, "Documents")
    at.file_uploader[0].set_value(files)
    at.button(key="add").click()
    return at.run()


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _documents(at: AppTest) -> list[tuple]:
    """The documents table's rows: (title, file, passages, uploaded), read from its HTML."""
    return [(r[0], r[1], int(r[2].replace(",", "")), r[4] == "yes") for r in documents_table(at)]


def test_first_start_copies_qa_index_into_the_data_folder(seed_index, tmp_path):
    at = _page()
    assert not at.exception and not at.error
    data = tmp_path / "data"
    assert qa.index.layout.is_index_dir(data / "index") and (data / "uploads").is_dir()
    assert qa.describe(qa.load_index(data / "index"))["passages"] == qa.describe(qa.load_index(seed_index))["passages"]
    assert [t.label for t in at.tabs] == ["Ask", "Documents"]
    assert not at.file_uploader and not documents_table(at)  # the closed tab does not run
    at = _tab(at, "Documents")
    assert not at.exception and not at.text_input
    assert at.file_uploader[0].accept_multiple_files
    assert at.file_uploader[0].allowed_type == []  # any name: README, FAQ, METADATA are read as qa index reads them
    limits = " ".join(c.value for c in at.caption)
    assert "Up to 20 files at a time, at most 20 MB each" in limits
    rows = Library.documents(qa.load_index(seed_index))
    assert _documents(at) == [(r.title, r.source, r.n_passages, False) for r in rows]


def test_an_uploaded_file_can_be_asked_about_at_once(seed_index, tmp_path):
    at = _upload(_page(), [("canteen.txt", CANTEEN, "text/plain"), ("parking.md", PARKING, "text/markdown")])
    assert not at.exception and not at.error
    assert any("Added 2 documents" in s.value and "canteen.txt" in s.value for s in at.success)
    assert at.file_uploader[0].value == []  # a fresh uploader
    assert ("Canteen", "canteen.txt", 1, True) in _documents(at)
    assert at.sidebar.metric[0].value == str(qa.describe(qa.load_index(seed_index))["documents"] + 2)
    assert any("Indexed just now" in m.value for m in at.sidebar.markdown)  # the upload, said as people say it
    at = _ask(at, "When does the canteen open?")
    assert not at.exception and not at.warning
    answer_md = next(v for v in _texts(at) if 'class="qa-answer"' in v)
    assert "noon" in answer_md
    assert sorted(p.name for p in (tmp_path / "data" / "uploads").iterdir()) == ["canteen.txt", "parking.md"]


def test_upload_errors_are_shown_and_nothing_is_written(seed_index, tmp_path):
    at = _page()
    version = qa.index.layout.current_version(tmp_path / "data" / "index")
    before = _files(tmp_path)
    at = _upload(at, [("../../big.txt", b"a" * (MAX_UPLOAD_BYTES + 1), "text/plain")])
    assert not at.exception
    assert len(at.error) == 1 and "Nothing was added" in at.error[0].value
    assert "over the 20 MB limit" in at.error[0].value
    at = _upload(at, [("bin.txt", b"\x00\x01 not text", "text/plain")])
    assert len(at.error) == 1 and "bin.txt" in at.error[0].value and "binary" in at.error[0].value
    at = _upload(at, [(f"f{i}.txt", b"x", "text/plain") for i in range(21)])
    assert len(at.error) == 1 and "at most 20" in at.error[0].value
    at.file_uploader[0].set_value(None)
    at.button(key="add").click()
    at.run()
    assert len(at.error) == 1 and "no file chosen" in at.error[0].value
    assert _files(tmp_path) == before  # nothing written anywhere, the uploads folder included
    assert qa.index.layout.current_version(tmp_path / "data" / "index") == version
    assert not at.success


def test_a_file_name_is_never_a_path(seed_index, tmp_path):
    at = _page()
    before = _files(tmp_path)
    at = _upload(
        at,
        [
            ("../../../../outside.txt", CANTEEN, "text/plain"),
            ("<img src=x onerror=alert(1)>.md", PARKING, "text/markdown"),
        ],
    )
    assert not at.exception and not at.error
    new = _files(tmp_path) - before
    assert {f for f in new if not f.startswith(("data/uploads/", "data/index/"))} <= {"data/.lock"}
    saved = sorted(p.name for p in (tmp_path / "data" / "uploads").iterdir())
    assert saved == ["img srcx onerroralert1.md", "outside.txt"]
    assert not any("<img" in v for v in _texts(at) if not v.startswith("<style>"))


def test_the_corpus_view_removes_an_uploaded_document_after_confirmation(seed_index, tmp_path):
    at = _upload(_page(), [("canteen.txt", CANTEEN, "text/plain")])
    seed_docs = len(Library.documents(qa.load_index(seed_index)))
    assert len(_documents(at)) == seed_docs + 1
    removes = [b for b in at.button if b.label == "Remove"]
    assert len(removes) == 1  # only uploaded documents can be removed
    removes[0].click()
    at.run()
    assert len(_documents(at)) == seed_docs + 1  # not yet: it asks first
    next(b for b in at.button if b.label == "Cancel").click()
    at.run()
    next(b for b in at.button if b.label == "Remove").click()
    at.run()
    next(b for b in at.button if b.label == "Yes, remove it").click()
    at.run()
    assert not at.exception and not at.error
    assert any("Removed Canteen" in s.value for s in at.success)
    assert len(_documents(at)) == seed_docs and not any(b.label == "Remove" for b in at.button)
    assert list((tmp_path / "data" / "uploads").iterdir()) == []
    at = _ask(at, "When does the canteen open?")
    assert at.warning and "do not say" in at.warning[0].value


def test_after_a_removal_on_the_page_no_example_or_suggestion_comes_from_the_removed_document(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    monkeypatch.setenv("QA_INDEX", str(_index(corpus, tmp_path / "index")))
    at = _upload(
        _page(),
        [
            (
                "canteen.txt",
                b"When does the canteen open?\n\nThe canteen opens at noon and closes at three.\n",
                "text/plain",
            ),
            (
                "parking.md",
                b"# Where do visitors park?\n\nVisitors park on level two of the north garage.\n",
                "text/markdown",
            ),
        ],
    )

    def offered(at, kind):
        return [b.label.lower() for b in at.button if b.key and b.key.startswith(f"{kind}-")]

    at = _tab(at, "Ask")
    assert any("canteen" in q for q in offered(at, "example")) and any("park" in q for q in offered(at, "example"))
    at = _tab(at, "Documents")
    next(b for b in at.button if b.label == "Remove").click()  # canteen.txt, the first upload listed
    at.run()
    next(b for b in at.button if b.label == "Yes, remove it").click()
    at.run()
    assert any("Removed When does the canteen open?" in s.value for s in at.success)
    at = _ask(at, "What is the capital of France?")
    assert offered(at, "example") and offered(at, "suggestion")
    assert not any("canteen" in q for q in offered(at, "example") + offered(at, "suggestion"))
    assert any("park" in q for q in offered(at, "example"))


# -- reading a citation, feedback, history, suggestions -----------------------------------------------


def test_show_in_source_highlights_the_passage_in_its_document(seed_index):
    at = _ask(_page(), SEED_QUESTION)
    expected = qa.answer(qa.load_index(seed_index), SEED_QUESTION, k=5)
    toggles = [t for t in at.toggle if t.label == "Show in source"]
    assert len(toggles) == len(expected.hits)
    assert not any("qa-context" in v for v in _texts(at) if not v.startswith("<style>"))
    toggles[0].set_value(True)
    at.run()
    assert not at.exception
    (context,) = [v for v in _texts(at) if v.startswith('<div class="qa-context">')]
    hit = expected.hits[0]
    assert '<span class="qa-context-passage">' in context and '<span class="qa-cited">' in context
    source = (ROOT / "corpus" / hit.passage.source).read_text(encoding="utf-8")
    before = source[max(0, hit.passage.start - 300) : hit.passage.start]
    assert escape(before.split("\n")[-1][-40:]) in context  # text from before the passage is shown
    assert any(c.value.startswith(escape(hit.passage.source)) for c in at.caption)


def test_a_thumbs_click_records_a_row_and_thanks(seed_index, tmp_path):
    at = _ask(_page(), SEED_QUESTION)
    assert len(at.feedback) == 1
    at.feedback[0].set_value(1)
    at.run()
    assert not at.exception and not at.error
    assert any(c.value == "Thanks, recorded." for c in at.caption)
    db = tmp_path / "data" / "feedback.sqlite"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT question, rating, index_version, answer, passages_json FROM feedback").fetchall()
    assert len(rows) == 1
    question, rating, version, answer_json, passages = rows[0]
    assert (question, rating) == (SEED_QUESTION, 1)
    assert version == qa.index.layout.current_version(tmp_path / "data" / "index")
    expected = qa.answer(qa.load_index(seed_index), SEED_QUESTION, k=5)
    assert expected.sentences[0].text in answer_json and expected.hits[0].passage.text[:50] in passages
    at.text_input(key=f"{at.feedback[0].key}-comment").input("Good, but name the office's hours")
    next(b for b in at.button if b.label == "Send comment").click()
    at.run()
    assert any("with your comment" in c.value for c in at.caption)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT comment FROM feedback").fetchall() == [("Good, but name the office's hours",)]
    assert any("1 rating stored" in c.value for c in at.sidebar.caption)
    assert at.sidebar.download_button[0].label == "Export feedback (CSV)"
    at.feedback[0].set_value(0)  # changed to thumbs down: a second row
    at.run()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT rating, comment FROM feedback ORDER BY id").fetchall() == [
            (1, "Good, but name the office's hours"),
            (0, None),
        ]
    assert any(c.value == "Thanks, recorded." for c in at.caption)


def test_a_link_with_a_question_asks_it_once(seed_index, tmp_path):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["q"] = SEED_QUESTION
    at.run()
    assert not at.exception and at.text_input(key="question").value == SEED_QUESTION
    assert any('class="qa-answer"' in v for v in _texts(at))
    at.sidebar.slider(key="top_k").set_value(2)
    at.run()
    with sqlite3.connect(tmp_path / "data" / "feedback.sqlite") as con:
        assert con.execute("SELECT question FROM history").fetchall() == [(SEED_QUESTION,)]


def test_recent_questions_are_listed_and_re_asked(seed_index, tmp_path):
    at = _ask(_page(), SEED_QUESTION)
    at = _ask(at, "What is the capital of France?")

    def recent():
        return [b.label for b in at.sidebar.button if b.key.startswith("recent-")]

    assert recent() == [escape("What is the capital of France?"), escape(SEED_QUESTION)]  # at once
    at.sidebar.slider(key="top_k").set_value(3)  # a rerun is not a new question
    at.run()
    assert recent() == [escape("What is the capital of France?"), escape(SEED_QUESTION)]
    with sqlite3.connect(tmp_path / "data" / "feedback.sqlite") as con:
        assert con.execute("SELECT question, abstained FROM history ORDER BY id").fetchall() == [
            (SEED_QUESTION, 0),
            ("What is the capital of France?", 1),
        ]
    at = _tab(at, "Documents")
    at.sidebar.button(key="recent-1").click()  # from another tab: back to Ask, and asked
    at.run()
    assert at.session_state["tab"] == "Ask"
    assert at.text_input(key="question").value == SEED_QUESTION
    assert any('class="qa-answer"' in v for v in _texts(at))


def test_no_answer_shows_what_was_searched_and_suggestions(seed_index):
    at = _ask(_page(), "What is the capital of France?")
    assert not at.exception and not at.error
    assert "Searched for: capital, france" in at.warning[0].value
    suggestions = [b for b in at.button if b.key.startswith("suggestion-")]
    assert 1 <= len(suggestions) <= 5
    expected = qa.answering.rephrase.suggest_rephrasings(
        qa.load_index(seed_index), qa.answer(qa.load_index(seed_index), "What is the capital of France?")
    )
    above = {b.label for b in at.button if b.key.startswith("example-")}
    expected = [q for q in expected if escape(q) not in above] or expected  # not again the examples above
    assert [b.label for b in suggestions] == [escape(q) for q in expected]
    suggestions[0].click()
    at.run()
    assert at.text_input(key="question").value == expected[0]


# -- the page serves what it is given, and follows a served folder's edits -------------------------------


def test_a_page_started_with_another_index_serves_that_index(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    (b / "canteen.txt").write_text("Canteen\n\nThe canteen opens at noon.\n", encoding="utf-8")
    monkeypatch.setenv("QA_INDEX", str(_index(a, tmp_path / "ix-a")))  # qa ui --index A
    at = _ask(_page(), "When does the canteen open?")
    assert at.warning and "do not say" in at.warning[0].value
    monkeypatch.setenv("QA_INDEX", str(_index(b, tmp_path / "ix-b")))  # qa ui --index B, the same data folder
    at = _ask(_page(), "When does the canteen open?")
    assert not at.exception and not at.warning
    assert any("noon" in v for v in _texts(at))
    assert list(qa.load_index(tmp_path / "data" / "index").passages.doc_id) == ["canteen.txt"]


def test_an_edit_to_the_served_folder_reaches_the_next_answer(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "canteen.txt").write_text("Canteen\n\nThe canteen opens at noon.\n", encoding="utf-8")
    (docs / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    monkeypatch.delenv("QA_INDEX", raising=False)
    monkeypatch.setenv("QA_CORPUS", str(docs))  # qa ui --corpus DOCS
    monkeypatch.setattr("qa.serve.library.FOLLOW_EVERY", 0.0)
    at = _ask(_page(), "When does the canteen open?")
    assert any("noon" in v for v in _texts(at)) and not at.toast
    (docs / "canteen.txt").write_text("Canteen\n\nThe canteen opens at seven in the morning.\n", encoding="utf-8")
    at = _ask(at, "When does the canteen open?")  # the same session: no restart
    assert not at.exception and not at.warning
    assert any("seven in the morning" in v for v in _texts(at))
    assert [t.value for t in at.toast] == ["Re-indexed 1 changed file"]


def test_indexed_times_are_said_as_people_say_them_and_messages_start_with_a_capital():
    from qa.serve.page import ago, capitalised

    now = 1_800_000_000
    stamp = lambda seconds: time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now - seconds))
    assert ago(stamp(20), now) == "just now"
    assert ago(stamp(5 * 60 + 3), now) == "5 minutes ago" and ago(stamp(60), now) == "1 minute ago"
    assert ago(stamp(3 * 3600), now) == "3 hours ago" and ago(stamp(2 * 86400), now) == "2 days ago"
    assert ago(None) == "at an unknown time" and ago("yesterday") == "yesterday"
    assert capitalised("the question is empty") == "The question is empty"
    assert capitalised("readme.md: cannot be read") == "readme.md: cannot be read"  # a file name stays
    assert capitalised("qa: no index") == "qa: no index"


def test_a_corrected_no_answer_says_searched_for_once(seed_index):
    at = _ask(_page(), "What is the capitel of Frence?")
    shown = " ".join(_texts(at))
    assert at.warning and shown.count("Searched for") == 1, shown
