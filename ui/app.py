"""The qa question page: ask a question of a folder of documents, read a cited answer.

Run with ``qa ui`` or ``streamlit run ui/app.py``. ``$QA_INDEX`` names an index
folder to answer from; unset, the cached index of the default corpus is used
(built on first start). This file only lays out widgets: retrieval, answering,
example questions and HTML escaping all live in ``qa``. Every string taken from
a document goes through ``qa.render.escape`` (directly or via the render
helpers) before it reaches Markdown.
"""

from __future__ import annotations

import logging
import os

import streamlit as st

from qa import QAError, QuestionError, answer, describe, open_index
from qa.build import index_version
from qa.render import answer_html, escape, hit_location, matched_words, passage_html
from qa.suggest import suggest_questions

log = logging.getLogger("qa.ui")

DEFAULT_K = 5
CSS = """<style>
mark { background: rgba(255, 208, 0, .45); color: inherit; padding: 0 .1em; border-radius: 2px; }
.qa-cited { background: rgba(64, 140, 255, .16); border-bottom: 2px solid rgba(64, 140, 255, .7); }
.qa-cite { font-size: .8em; font-weight: 600; vertical-align: super; text-decoration: none; }
.qa-answer { font-size: 1.1em; line-height: 1.6; }
.qa-head { font-weight: 600; }
.qa-meta { color: grey; font-size: .85em; margin: .2em 0 .5em; }
.qa-passage { line-height: 1.55; }
</style>"""


@st.cache_resource(show_spinner="Loading the index…", max_entries=2)
def load_index(index_dir: str | None, version: str | None):
    """The index, loaded (or, for the default corpus, built) once per version: a re-indexed
    corpus has a new version, so a running page picks it up on the next question."""
    return open_index(index_dir, mmap=True, log=log.warning)


@st.cache_data(show_spinner=False, max_entries=4)
def example_questions(index_dir: str | None, version: str | None) -> tuple[str, ...]:
    return suggest_questions(load_index(index_dir, version))


def set_state_if_absent(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def ask_typed() -> None:
    st.session_state.asked = st.session_state.question
    st.query_params["q"] = st.session_state.question  # the address bar now links to this question


def ask_example(question: str) -> None:
    st.session_state.question = question
    st.session_state.asked = question
    st.query_params["q"] = question


def sidebar(index) -> int:
    """Corpus facts and the top-k control; returns k."""
    facts = describe(index)
    with st.sidebar:
        st.header("Corpus")
        left, right = st.columns(2)
        left.metric("Documents", facts["documents"])
        right.metric("Passages", facts["passages"])
        st.markdown(
            f'<div class="qa-meta">Indexed {escape(str(facts["built_at"] or "at an unknown time"))}<br>'
            f'Corpus root <code>{escape(str(facts["root"] or "unknown"))}</code></div>',
            unsafe_allow_html=True,
        )
        return st.slider("Passages to show", 1, 10, DEFAULT_K, key="top_k")


def show_examples(questions: tuple[str, ...]) -> None:
    if not questions:
        return
    st.caption("Examples from these documents:")
    with st.container(horizontal=True):
        for i, question in enumerate(questions):
            st.button(escape(question), key=f"example-{i}", on_click=ask_example, args=(question,))


def show_answer(result, analyzer) -> None:
    """The cited summary and its passages, or the abstention and the closest passages."""
    if result.corrections:
        fixed = ", ".join(f"<b>{escape(b)}</b> (you typed {escape(a)})" for a, b in result.corrections)
        st.markdown(f'<div class="qa-meta">Searched for {fixed}</div>', unsafe_allow_html=True)
    if result.abstained:
        terms = escape(", ".join(result.query_terms)) or "nothing"
        st.warning(f"**No answer in these documents.** {escape(result.reason or '')}\n\nSearched for: {terms}")
        if result.hits:
            with st.expander(f"Closest passages ({len(result.hits)}, weak matches)", expanded=False):
                show_passages(result, analyzer)
        return
    st.subheader("Answer")
    st.markdown(f'<div class="qa-answer">{answer_html(result)}</div>', unsafe_allow_html=True)
    st.caption(f"Confidence {result.confidence:.0%}")
    st.subheader("Passages")
    show_passages(result, analyzer)


def show_passages(result, analyzer) -> None:
    """Each hit: anchor, rank, title and section, location, score, matched terms, highlighted text."""
    for hit in result.hits:
        p = hit.passage
        matched = escape(", ".join(matched_words(hit, result, analyzer))) or "none"
        with st.container(border=True):
            st.markdown(
                f'<div id="passage-{hit.rank}" class="qa-head">[{hit.rank}] {escape(p.section or p.title)}</div>'
                f'<div class="qa-meta">{escape(p.title)}<br>{escape(hit_location(hit))} &#183; score {hit.score:.3f}'
                f" &#183; matched: {matched}</div>"
                f'<div class="qa-passage">{passage_html(hit, result, analyzer)}</div>',
                unsafe_allow_html=True,
            )


def main() -> None:
    st.set_page_config(page_title="Ask the documents", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    st.title("Ask the documents")

    index_dir = os.environ.get("QA_INDEX") or None
    try:
        version = index_version(index_dir)
        index = load_index(index_dir, version)
        examples = example_questions(index_dir, version)
    except QAError as exc:
        st.error(f"Cannot load the index: {exc}")
        st.stop()
    except Exception:
        log.exception("loading the index failed")
        st.error("Cannot load the index: an unexpected error occurred (details in the server log).")
        st.stop()

    shared = st.query_params.get("q")  # a link such as /?q=Where+do+I+pay asks at once
    set_state_if_absent("question", shared or "")
    set_state_if_absent("asked", shared or None)
    k = sidebar(index)
    with st.form("ask"):
        st.text_input("Question", key="question", placeholder="Type a question about these documents")
        st.form_submit_button("Ask", type="primary", on_click=ask_typed)
    show_examples(examples)

    question = st.session_state.asked
    if question is None:
        return
    try:
        with st.spinner("Searching…"):
            result = answer(index, question, k=k)
    except QuestionError as exc:
        st.error(str(exc))
    except Exception:
        log.exception("answering %r failed", question[:200])
        st.error("Something went wrong while answering (details in the server log). Try another question.")
    else:
        show_answer(result, index.analyzer)


main()
