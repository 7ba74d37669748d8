"""The qa question page: ask a question of a folder of documents, read a cited answer.

Run with ``qa ui`` (`qa.serve.server`: this page and the JSON API) or ``streamlit run
ui/app.py`` (the page script of a source checkout, which calls `main`). It is in the
package so that an installed ``qa ui`` has it. The page keeps its own data
folder (``$QA_DATA``, default ``~/.local/share/qa``; see `qa.serve.library`): its index
(made on first start from ``$QA_INDEX`` if set, else the default corpus), the
files uploaded here, and ``feedback.sqlite``. This file only lays out widgets:
answering, uploads, feedback, example questions and HTML escaping all live in
``qa``. Visitors ask; the owner (`qa.serve.access`: the owner's password, or no password
and a request proven local) also uploads, removes, exports feedback and sees the server's paths.
Each session's recent questions are its own (``st.session_state``). Every string taken
from a document or a user goes through ``qa.serve.render.escape`` (directly or via the
render helpers) before it reaches Markdown.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time

import streamlit as st

from qa.answering.search import MAX_QUESTION_CHARS
from qa.answering.summarize import answer
from qa.errors import QAError, QuestionError
from qa.serve.access import admin_password, owner_without_password, password_matches
from qa.index.build import describe
from qa.index.default import open_index
from qa.serve.feedback import (
    add_comment,
    count_feedback,
    export_csv,
    export_missing_csv,
    missing_questions,
    recent_questions,
    record_feedback,
    record_question,
)
from qa.answering.rephrase import suggest_rephrasings
from qa.ingest.kinds import ACCEPTED
from qa.serve.context import CONTEXT_RADIUS, context_html
from qa.serve.library import Library
from qa.serve.uploads import MAX_FILE_MB, MAX_FILES, UploadError
from qa.serve.labels import confidence_word, labels, plain_reason, reason_text
from qa.serve.render import (
    answer_html,
    details_html,
    escape,
    file_name,
    hits_in_citation_order,
    passage_heading,
    passage_html,
    passage_place,
    table_html,
    unmatched_words,
)
from qa.answering.suggest import suggest_questions

log = logging.getLogger("qa.ui")

DEFAULT_K = 5
RECENT = 8  # recent questions listed in the sidebar
WRONG_PASSWORD_DELAY = 1.0  # seconds a wrong owner's password costs
LIMITS = (
    f"Up to {MAX_FILES} files at a time, at most {MAX_FILE_MB} MB each: "
    f"{ACCEPTED}. A file uploaded again under the same name replaces its earlier version."
)
CSS = """<style>
.stApp, [data-testid="stMarkdownContainer"], [data-testid="stWidgetLabel"], .stButton button, .stTextInput input,
[data-testid="stCaptionContainer"], [data-testid="stAlertContentWarning"] {
  font-family: "Source Sans", "Source Sans Pro", system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans SC", "PingFang SC", "Hiragino Sans GB",
    "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif !important;
}
.stTextInput [data-baseweb="input"]:focus-within { border-color: rgba(64, 140, 255, .9) !important; }
[id^="passage-"] { scroll-margin-top: 5rem; }
[id^="passage-"]:target { background: rgba(255, 208, 0, .35); border-radius: 4px; outline: 2px solid rgba(255, 170, 0, .8);
  transition: background .3s; }
[data-testid="stHorizontalBlock"], [data-testid="stLayoutWrapper"] { flex-wrap: wrap; }
.stButton button p { white-space: normal; text-align: left; }
mark { background: rgba(255, 208, 0, .45); color: inherit; padding: 0 .1em; border-radius: 2px; }
.qa-cited { background: rgba(64, 140, 255, .16); border-bottom: 2px solid rgba(64, 140, 255, .7); }
.qa-cite { font-size: .8em; font-weight: 600; vertical-align: super; text-decoration: none; }
.qa-answer { font-size: 1.1em; line-height: 1.6; }
.qa-head { font-weight: 600; }
.qa-meta { color: grey; font-size: .85em; margin: .2em 0 .5em; }
.qa-passage { line-height: 1.55; }
.qa-context { line-height: 1.55; font-size: .95em; }
.qa-context-passage { background: rgba(120, 120, 120, .14); border-left: 3px solid rgba(120, 120, 120, .5); }
/* A compact header: the answer's first sentence is in view after asking, on a phone too (390x844). */
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; }
h1.qa-title { font-size: 1.9rem; padding: 0 0 .4rem; margin: 0; }
@media (max-width: 640px) {
  h1.qa-title { font-size: 1.45rem; }
  [data-testid="stMainBlockContainer"] { padding-top: 3rem; }
}
.qa-table { border-collapse: collapse; width: 100%; font-size: .9em; table-layout: auto; }
.qa-table th, .qa-table td { text-align: left; vertical-align: top; padding: .3em .5em; overflow-wrap: break-word; }
.qa-table th { font-weight: 600; white-space: nowrap; }
.qa-documents td:nth-child(2), .qa-details td { overflow-wrap: anywhere; }  /* file names: long, no spaces */
.qa-documents td:nth-child(n+3) { white-space: nowrap; }
.qa-table-wrap { max-width: 100%; overflow-x: auto; }
@media (max-width: 640px) { .qa-table { font-size: .8em; } .qa-table th, .qa-table td { padding: .25em .3em; } }
</style>"""


@st.cache_resource(show_spinner="Loading the index…", max_entries=2)
def cached_index(index_dir: str | None, version: str | None):
    """The index, loaded once per version: every save (an upload, a removal) makes a
    new version, so the page picks it up on the next rerun."""
    return open_index(index_dir, mmap=True, log=log.warning)


@st.cache_data(show_spinner=False, max_entries=4)
def example_questions(index_dir: str | None, version: str | None) -> tuple[str, ...]:
    """Questions this version of the index answers (`suggest_questions` asks each one), once per version."""
    return suggest_questions(cached_index(index_dir, version))


@st.cache_data(show_spinner=False, max_entries=4)
def question_pool(index_dir: str | None, version: str | None) -> tuple[str, ...]:
    """More example questions, asked alike, to suggest when there is no answer."""
    return suggest_questions(cached_index(index_dir, version), n=20)


@st.cache_data(show_spinner=False, max_entries=4)
def document_rows(index_dir: str | None, version: str | None) -> list[tuple]:
    return [tuple(r) for r in Library.documents(cached_index(index_dir, version))]


def text(message: str) -> str:
    """A message (which may quote file names or paths) as Markdown that shows it literally."""
    return "  \n".join(escape(line) for line in str(message).splitlines()) or " "


def capitalised(message: str) -> str:
    """A message starting with a capital ("the question is empty" -> "The question is empty"), unless
    its first word is a name that must stay as it is (a file name, a path, "qa")."""
    message = str(message)
    first = message.split(" ", 1)[0].rstrip(":,")
    if not first[:1].islower() or not first.isalpha() or first in ("qa",):
        return message
    return message[0].upper() + message[1:]


def ago(stamp: str | None, now: float | None = None) -> str:
    """A time such as ``2026-12-01T01:11:36+0000`` as people say it: "just now", "5 minutes ago",
    "3 hours ago", "2 days ago" (the stamp itself if it cannot be read)."""
    from datetime import datetime

    if not stamp:
        return "at an unknown time"
    try:
        then = datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        try:
            then = datetime.fromisoformat(str(stamp)).timestamp()
        except ValueError:
            return str(stamp)
    seconds = max(0, (time.time() if now is None else now) - then)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def key_of(*parts) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def set_state_if_absent(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def notify(kind: str, message: str) -> None:
    """A message shown at the top of the page on the next run (after a rerun)."""
    st.session_state.setdefault("notices", []).append((kind, message))


def show_notices() -> None:
    for kind, message in st.session_state.pop("notices", []):
        getattr(st, kind)(text(capitalised(message)))


def password() -> str | None:
    try:
        return admin_password()
    except QAError as exc:
        log.warning("%s", exc)
        return None


def is_owner() -> bool:
    """May this session upload, remove, export and see the server's paths? With a password set:
    once it was entered here. Without one: only if the server serves loopback names alone and this
    session's request reached it as loopback (`qa.serve.access.owner_without_password`)."""
    if not _password_configured():
        return owner_without_password(request_headers())
    return bool(st.session_state.get("owner"))


def request_headers() -> dict[str, str] | None:
    """The headers of this session's request (``st.context.headers``); None with no request (AppTest)."""
    headers = st.context.headers
    return {name: headers[name] for name in headers} if len(headers) else None


def _password_configured() -> bool:
    """A password is configured even if its file cannot be read now: then nobody is the owner."""
    return bool(os.environ.get("QA_ADMIN_PASSWORD") or os.environ.get("QA_ADMIN_PASSWORD_FILE"))


def sign_in() -> None:
    given = st.session_state.get("owner-password") or ""
    st.session_state["owner-password"] = ""  # never kept in the session
    if password_matches(given, password()):
        st.session_state.owner = True
        notify("success", "Signed in as the owner.")
    else:
        time.sleep(WRONG_PASSWORD_DELAY)
        log.warning("a wrong owner's password was entered")
        notify("error", "Wrong password.")


def sign_out() -> None:
    st.session_state.owner = False


def public_error(owner: bool, prefix: str, exc: Exception) -> str:
    """The message a session is shown: the owner sees the error (it may name server paths); a
    visitor does not, and it goes to the log."""
    if owner:
        return f"{prefix}: {exc}"
    log.warning("%s: %s", prefix, exc)
    return f"{prefix}: the details are in the server log."


# -- callbacks: they run before the page script, so the page shows their effect at once -------------


def ask_typed() -> None:
    st.session_state.asked = st.session_state.question
    st.session_state.tab = "Ask"
    st.session_state.record = True
    st.query_params["q"] = st.session_state.question  # the address bar now links to this question


def ask_example(question: str) -> None:
    st.session_state.tab = "Ask"  # a recent question can be re-asked from any tab
    st.session_state.question = question
    st.session_state.asked = question
    st.session_state.record = True
    st.query_params["q"] = question


def rate(key: str, db: str, question: str, result, version: str | None) -> None:
    """The thumbs widget's callback: store the rating with the answer it rates."""
    rating = st.session_state.get(key)
    if rating is None:  # the rating was taken back
        return
    try:
        st.session_state[f"{key}-row"] = record_feedback(db, question, result, version, rating)
        st.session_state.pop(f"{key}-commented", None)  # a changed rating is a new row, without a comment
    except QAError as exc:
        log.warning("recording feedback failed: %s", exc)
        notify("error", public_error(is_owner(), "Could not record the rating", exc))


def comment(key: str, db: str) -> None:
    try:
        add_comment(db, st.session_state[f"{key}-row"], st.session_state.get(f"{key}-comment") or "")
    except QAError as exc:
        notify("error", public_error(is_owner(), "Could not record the comment", exc))
    else:
        st.session_state[f"{key}-commented"] = True


def remove_document(lib: Library, doc_id: str, title: str) -> None:
    if not is_owner():
        notify("error", "Only the owner can remove documents.")
        return
    try:
        lib.remove(doc_id)
    except QAError as exc:
        notify("error", f"Could not remove {doc_id}: {exc}")
    except Exception:
        log.exception("removing %r failed", doc_id)
        notify("error", f"Could not remove {doc_id}: an unexpected error occurred (details in the server log).")
    else:
        notify("success", f"Removed {title or doc_id}.")


# -- the page -----------------------------------------------------------------------------------------


def sidebar(index, lib: Library, owner: bool):
    """Corpus facts, the top-k control, the owner's sign-in and views (paths, feedback export,
    everyone's recent questions); returns k and a place for this session's recent questions,
    filled after the question of this run is recorded."""
    facts = describe(index)
    indexed = facts["updated_at"] or facts["built_at"]  # the last upload or removal, else the build
    with st.sidebar:
        st.header("Corpus")
        left, right = st.columns(2)
        left.metric("Documents", facts["documents"])
        right.metric("Passages", facts["passages"])
        where = (
            (
                f"<br>Corpus root <code>{escape(str(facts['root'] or 'unknown'))}</code><br>"
                f"Page data <code>{escape(str(lib.root))}</code>"
            )
            if owner
            else ""
        )
        st.markdown(
            f'<div class="qa-meta" title="{escape(str(indexed or ""))}">Indexed {escape(ago(indexed))}{where}</div>',
            unsafe_allow_html=True,
        )
        k = st.slider("Passages to show", 1, 10, DEFAULT_K, key="top_k")
        history = st.container()
        if owner:
            owner_views(lib)
        owner_sign_in(owner)
    return k, history


def owner_sign_in(owner: bool) -> None:
    """The owner's sign-in (only when a password is set) or sign-out."""
    if not _password_configured():
        if not owner:
            st.caption(
                "Uploads, removals and the feedback export are off: this page is served beyond this "
                "machine with no owner's password set."
            )
        return
    st.subheader("Owner")
    if owner:
        st.button("Sign out", key="sign-out", on_click=sign_out)
        return
    with st.form("owner", border=False):
        st.text_input("Owner's password", type="password", key="owner-password")
        st.form_submit_button("Sign in", on_click=sign_in)


def owner_views(lib: Library) -> None:
    try:
        rated = count_feedback(lib.db_path)
    except QAError as exc:
        log.warning("reading the feedback failed: %s", exc)
        rated = 0
    st.subheader("Feedback")
    st.caption(f"{rated} rating{'s' if rated != 1 else ''} stored in {escape(str(lib.db_path))}")
    st.download_button(
        "Export feedback (CSV)",
        data=lambda: export_csv(lib.db_path),
        file_name="qa-feedback.csv",
        mime="text/csv",
        key="export",
    )
    try:
        everyone = recent_questions(lib.db_path, RECENT)
    except QAError as exc:
        log.warning("reading the history failed: %s", exc)
        everyone = []
    if everyone:
        with st.expander("Everyone's recent questions", expanded=False):
            for question in everyone:
                st.caption(escape(question))
    missing_view(lib)


def missing_view(lib: Library) -> None:
    """The owner's view of what the documents are missing: questions with no answer or rated down,
    grouped by their words, counted, newest first, with the passages each one got; a CSV export."""
    try:
        groups = missing_questions(lib.db_path)
    except QAError as exc:
        log.warning("reading the unanswered questions failed: %s", exc)
        groups = []
    st.subheader("Unanswered questions")
    if not groups:
        st.caption("No question has gone unanswered or been rated down yet.")
        return
    st.caption(
        f"{len(groups)} question{'s' if len(groups) != 1 else ''} without a good answer, newest first: "
        "what the documents may be missing."
    )
    with st.expander("Questions without a good answer", expanded=True):
        for g in groups:
            counts = [f"asked {g['asked']}\u00d7"]
            if g["rated_down"]:
                counts.append(f"rated down {g['rated_down']}\u00d7")
            got = ", ".join(f"[{p.get('rank')}] {p.get('source')}" for p in g["passages"] if isinstance(p, dict))
            st.markdown(
                f'<div class="qa-missing"><b>{escape(g["question"])}</b><br>'
                f'<span class="qa-meta">{escape(", ".join(counts))} &#183; {escape(g["reason"] or "")}'
                f"<br>{escape('Passages: ' + got) if got else 'No passages'}</span></div>",
                unsafe_allow_html=True,
            )
    st.download_button(
        "Export unanswered questions (CSV)",
        data=lambda: export_missing_csv(lib.db_path),
        file_name="qa-unanswered.csv",
        mime="text/csv",
        key="export-missing",
    )


def remember(question: str) -> None:
    """Add a question to this session's recent questions (newest first, each once)."""
    question = question.strip()
    if not question:
        return
    mine = [q for q in st.session_state.get("recent", []) if q != question]
    st.session_state.recent = [question, *mine][:RECENT]


def show_recent() -> None:
    """This session's recent questions: other visitors' are never shown here."""
    recent = st.session_state.get("recent", [])
    if recent:
        st.subheader("Recent questions")
        for i, question in enumerate(recent):
            st.button(escape(question), key=f"recent-{i}", on_click=ask_example, args=(question,), type="tertiary")


def show_examples(questions: tuple[str, ...], asked: bool = False, language: str = "en") -> None:
    """The example questions: under the question box until one is asked; then below the answer,
    folded, so the answer is what the asker sees first (on a phone too)."""
    if not questions:
        return
    if asked:
        with st.expander(labels(language)["more_examples"], expanded=False):
            example_buttons(questions)
        return
    st.caption("Examples from these documents:")
    example_buttons(questions)


def example_buttons(questions: tuple[str, ...]) -> None:
    with st.container(horizontal=True):
        for i, question in enumerate(questions):
            st.button(escape(question), key=f"example-{i}", on_click=ask_example, args=(question,))


def show_answer(result, index, lib: Library, version: str | None, pool: tuple[str, ...], owner: bool) -> None:
    """The cited summary and its passages, or the abstention, suggestions and the closest passages.
    A visitor reads words only; the owner may open the engine's figures under "Details"."""
    analyzer = index.analyzer
    qkey = key_of(version, result.question)
    t = labels(result.language)
    if result.corrections and not result.abstained:  # an abstention says what was searched for itself
        fixed = ", ".join(f"<b>{escape(b)}</b> ({t['you_typed']} {escape(a)})" for a, b in result.corrections)
        st.markdown(f'<div class="qa-meta">{t["searched_for"]} {fixed}</div>', unsafe_allow_html=True)
    if result.abstained:
        typed = {b: a for a, b in result.corrections}
        terms = (
            escape(", ".join(f"{w} ({t['you_typed']} {typed[w]})" if w in typed else w for w in result.query_terms))
            or t["nothing"]
        )
        why = plain_reason(result, unmatched_words(result, analyzer))
        st.warning(f"**{t['not_said']}** {escape(why)}\n\n{t['searched_for']}: {terms}")
        shown = set(st.session_state.get("examples-shown", ()))  # not again what the examples list
        suggestions = suggest_rephrasings(index, result, examples=pool)
        suggestions = [q for q in suggestions if q not in shown] or suggestions
        if suggestions:
            st.caption(t["try_asking"])
            with st.container(horizontal=True):
                for i, question in enumerate(suggestions):
                    st.button(escape(question), key=f"suggestion-{i}", on_click=ask_example, args=(question,))
        show_feedback(qkey, lib, result, version)
        if result.hits:
            st.subheader(t["closest"])
            st.caption(t["closest_note"])
            show_passages(result, index, lib, qkey, analyzer)
        show_details(result, analyzer, owner)
        return
    st.subheader(t["answer"])
    st.markdown(f'<div class="qa-answer">{answer_html(result)}</div>', unsafe_allow_html=True)
    st.caption(t["confidence"].format(confidence_word(result)))
    show_feedback(qkey, lib, result, version)
    st.subheader(t["passages"])
    show_passages(result, index, lib, qkey, analyzer)
    show_details(result, analyzer, owner)


def show_details(result, analyzer, owner: bool) -> None:
    """The owner's view of the engine's figures for this answer (scores, offsets, the summary's reason)."""
    if owner:
        with st.expander("Details", expanded=False):
            st.markdown(f'<div class="qa-table-wrap">{details_html(result, analyzer)}</div>', unsafe_allow_html=True)


def show_feedback(qkey: str, lib: Library, result, version: str | None) -> None:
    """Thumbs up/down for this answer; after a rating, thanks and an optional comment."""
    key = f"feedback-{qkey}"
    t = labels(result.language)
    st.feedback("thumbs", key=key, on_change=rate, args=(key, str(lib.db_path), result.question, result, version))
    if f"{key}-row" not in st.session_state:
        return
    if st.session_state.get(f"{key}-commented"):
        st.caption(t["thanks_comment"])
        return
    st.caption(t["thanks"])
    with st.form(f"{key}-form", border=False):
        st.text_input(t["comment"], key=f"{key}-comment", placeholder=t["comment_hint"])
        st.form_submit_button(t["send"], on_click=comment, args=(key, str(lib.db_path)))


def show_passages(result, index, lib: Library, qkey: str, analyzer) -> None:
    """Each hit, in the order the page numbers them (the answer's citations first): its heading, the
    document's title, file name and page, the text with the question's words marked, and a switch
    that shows the source around it."""
    t = labels(result.language)
    for number, hit in hits_in_citation_order(result):
        with st.container(border=True):
            st.markdown(
                f'<div id="passage-{number}" class="qa-head">[{number}] {escape(passage_heading(hit))}</div>'
                f'<div class="qa-meta">{escape(passage_place(hit, result.language))}</div>'
                f'<div class="qa-passage">{passage_html(hit, result, analyzer)}</div>',
                unsafe_allow_html=True,
            )
            if st.toggle(t["show_source"], key=f"source-{qkey}-{hit.rank}"):
                show_source(result, hit, index, lib)


def show_source(result, hit, index, lib: Library) -> None:
    p = hit.passage
    t = labels(result.language)
    doc_text = lib.source_text(index, p)
    if doc_text is None:
        st.caption(t["source_unreadable"].format(escape(file_name(p.source))))
    else:
        st.caption(t["source_context"].format(escape(file_name(p.source)), CONTEXT_RADIUS))
    st.markdown(f'<div class="qa-context">{context_html(doc_text, p, result)}</div>', unsafe_allow_html=True)


def documents_tab(index, lib: Library, version: str | None, owner: bool) -> None:
    """List the documents; for the owner, upload files and remove uploaded ones."""
    if owner:
        add_documents(lib)
    rows = document_rows(str(lib.index_dir), version)
    uploads = lib.uploads(index)
    st.subheader(f"Documents ({len(rows):,})")
    # A real table, not a canvas: a screen reader, a search in the page and a test can read it.
    st.markdown(
        '<div class="qa-table-wrap">'
        + table_html(
            ("Title", "File", "Passages", "Language", "Uploaded"),
            [
                (title or file_name(source), file_name(source), f"{n:,}", language, "yes" if doc_id in uploads else "")
                for doc_id, source, title, n, language in rows
            ],
            "qa-table qa-documents",
        )
        + "</div>",
        unsafe_allow_html=True,
    )
    if owner:
        uploaded_documents(lib, rows, uploads)


def add_documents(lib: Library) -> None:
    st.subheader("Add documents")
    st.caption(escape(LIMITS))
    set_state_if_absent("uploader", 0)
    files = st.file_uploader(
        "Files to add",
        type=None,  # any name: text files are read whatever they are called
        accept_multiple_files=True,
        max_upload_size=MAX_FILE_MB,
        key=f"uploader-{st.session_state.uploader}",
    )
    if st.button("Add to the index", type="primary", key="add"):
        bar = st.progress(0.0, text="Starting…")
        try:
            added, problems = lib.add_uploads(
                [(f.name, f.getvalue()) for f in files or ()],
                progress=lambda fraction, message: bar.progress(fraction, text=message),
            )
        except QAError as exc:
            bar.empty()
            st.error(text(f"Nothing was added. {exc}" if isinstance(exc, UploadError) else f"Nothing was added: {exc}"))
        except Exception:
            bar.empty()
            log.exception("adding uploads failed")
            st.error("Nothing was added: an unexpected error occurred (details in the server log).")
        else:
            notify(
                "success",
                f"Added {len(added)} document{'s' if len(added) != 1 else ''} to the index: "
                f"{', '.join(added)}. Ask about them now.",
            )
            for problem in problems:
                notify("error", problem)
            st.session_state.uploader += 1  # a fresh, empty uploader
            st.rerun()


def uploaded_documents(lib: Library, rows, uploads) -> None:
    uploaded = [r for r in rows if r[0] in uploads]
    if not uploaded:
        st.caption("No uploaded documents yet.")
        return
    st.subheader("Uploaded here")
    for doc_id, source, title, n, _ in uploaded:
        dkey = key_of(doc_id)
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(
                f'<span class="qa-head">{escape(title or source)}</span> '
                f'<span class="qa-meta">{escape(source)} &#183; {n} passage{"s" if n != 1 else ""}</span>',
                unsafe_allow_html=True,
            )
            if st.session_state.get(f"confirm-{dkey}"):
                st.button(
                    "Yes, remove it",
                    key=f"remove-{dkey}",
                    type="primary",
                    on_click=remove_document,
                    args=(lib, doc_id, title),
                )
                st.button(
                    "Cancel",
                    key=f"cancel-{dkey}",
                    on_click=st.session_state.__setitem__,
                    args=(f"confirm-{dkey}", False),
                )
            else:
                st.button(
                    "Remove",
                    key=f"ask-remove-{dkey}",
                    on_click=st.session_state.__setitem__,
                    args=(f"confirm-{dkey}", True),
                )


def ask_tab(index, lib: Library, version: str | None, examples, k: int, owner: bool) -> None:
    with st.form("ask"):
        st.text_input(
            "Question",
            key="question",
            placeholder="Type a question about these documents",
            max_chars=MAX_QUESTION_CHARS,
        )  # the server's limit, not the widget's
        st.form_submit_button("Ask", type="primary", on_click=ask_typed)
    st.session_state["examples-shown"] = tuple(examples)  # "Try asking" does not repeat them

    question = st.session_state.asked
    if question is None:
        show_examples(examples)
        return
    try:
        with st.spinner("Searching…"):
            result = answer(index, question, k=k)
    except QuestionError as exc:
        st.session_state.pop("record", None)
        st.error(text(capitalised(str(exc))))
        show_examples(examples)
        return
    except Exception:
        st.session_state.pop("record", None)
        log.exception("answering %r failed", question[:200])
        st.error("Something went wrong while answering (details in the server log). Try another question.")
        show_examples(examples)
        return
    if st.session_state.pop("record", False):
        remember(question)
        try:
            record_question(
                lib.db_path, question, result.abstained, reason_text(result) if result.abstained else None, result
            )
        except QAError as exc:
            log.warning("recording the question failed: %s", exc)
    show_answer(result, index, lib, version, question_pool(str(lib.index_dir), version), owner)
    show_examples(examples, asked=True, language=result.language)


def main() -> None:
    st.set_page_config(page_title="Ask the documents", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    st.markdown('<h1 class="qa-title">Ask the documents</h1>', unsafe_allow_html=True)

    try:
        lib = Library()
        version = lib.ensure_index(log=log.warning)
        followed = lib.follow_edits(log=log.warning)  # a served folder's edits, checked every few seconds
        if followed:
            st.toast(followed)
            version = lib.version()
        index_dir = str(lib.index_dir)
        index = cached_index(index_dir, version)
        version = describe(index)["version_dir"] or version  # newer if an upload saved meanwhile
        examples = example_questions(index_dir, version)
    except QAError as exc:
        message = public_error(is_owner(), "Cannot load the index", exc)
        st.error("Cannot load the index: " + text(message.removeprefix("Cannot load the index: ")))
        st.stop()
    except Exception:
        log.exception("loading the index failed")
        st.error("Cannot load the index: an unexpected error occurred (details in the server log).")
        st.stop()

    shared = st.query_params.get("q")  # a link such as /?q=Where+do+I+pay asks at once
    if shared and "asked" not in st.session_state:
        st.session_state.record = True
    set_state_if_absent("question", shared or "")
    set_state_if_absent("asked", shared or None)
    show_notices()
    owner = is_owner()
    k, history = sidebar(index, lib, owner)
    # Tabs that track their state: only the open one runs (the document list can be long).
    ask, documents = st.tabs(["Ask", "Documents"], key="tab", on_change="rerun")
    if ask.open is not False:
        with ask:
            ask_tab(index, lib, version, examples, k, owner)
    if documents.open is not False:
        with documents:
            documents_tab(index, lib, version, owner)
    with history:
        show_recent()


if __name__ == "__main__":  # run as a script: by qa ui (st.App) or streamlit run
    main()
