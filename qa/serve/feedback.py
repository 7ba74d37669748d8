"""Ratings of answers and the history of questions asked, in one SQLite file. No Streamlit here.

The page (``qa/serve/page.py``) runs every browser session in its own thread, so each
function opens its own connection (``sqlite3`` connections must not cross
threads), does one transaction and closes it. The database is in WAL mode:
readers never block the writer, and concurrent writers wait for each other
(up to `TIMEOUT` seconds) instead of failing with "database is locked".

Tables::

    feedback(id, created_at, question, answer, passages_json, index_version, rating, comment)
    history(id, created_at, question, abstained)

``answer`` is the ``qa ask --json`` object (`qa.serve.render.answer_to_dict`) without its
passages, which are in ``passages_json``; ``rating`` is 1 (thumbs up) or 0 (thumbs
down); ``created_at`` is UTC, ISO 8601.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path

from ..errors import QAError

__all__ = ["FeedbackError", "record_feedback", "add_comment", "record_question", "recent_questions",
           "export_csv", "count_feedback", "MAX_COMMENT_CHARS", "MAX_QUESTION_CHARS", "TIMEOUT"]

TIMEOUT = 30.0  # seconds a writer waits for another's transaction
MAX_COMMENT_CHARS = 2_000
MAX_QUESTION_CHARS = 2_000  # longer questions are stored cut to this
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    passages_json TEXT NOT NULL,
    index_version TEXT,
    rating INTEGER NOT NULL CHECK (rating IN (0, 1)),
    comment TEXT
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    abstained INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS history_question ON history (question);
"""
_ready: set[str] = set()  # databases whose schema this process has created
_ready_lock = threading.Lock()


class FeedbackError(QAError):
    """The feedback database cannot be opened or written, or a value is invalid."""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@contextmanager
def _connect(db):
    """One connection for one transaction: committed on success, rolled back on error, then closed."""
    path = Path(db)
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=TIMEOUT, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise FeedbackError(f"{path}: cannot open the feedback database ({exc})") from None
    with closing(con):
        try:
            key = str(path.resolve())
            if key not in _ready or not existed:
                with _ready_lock:
                    con.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the file
                    con.executescript(_SCHEMA)
                    _ready.add(key)
            con.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise FeedbackError(f"{path}: feedback database error ({exc})") from None


def _answer_dict(answer_obj) -> dict:
    if isinstance(answer_obj, dict):
        return answer_obj
    from .render import answer_to_dict

    return answer_to_dict(answer_obj)


def _question(question) -> str:
    if not isinstance(question, str):
        raise FeedbackError(f"the question must be text, not {type(question).__name__}")
    return question.strip()[:MAX_QUESTION_CHARS]


def record_feedback(db, question: str, answer_obj, index_version: str | None, rating: int,
                    comment: str | None = None) -> int:
    """Store one rating of an answer; returns the row's id.

    Parameters
    ----------
    db : path-like
        The SQLite file (created with its tables if missing).
    question : str
    answer_obj : qa.Answer or dict
        The answer rated, or its `qa.serve.render.answer_to_dict` object.
    index_version : str or None
        The version of the index that answered (`qa.index.store.current_version`).
    rating : int
        1 for thumbs up, 0 for thumbs down.
    comment : str, optional
        Cut to `MAX_COMMENT_CHARS`.
    """
    if rating not in (0, 1) or isinstance(rating, bool):
        raise FeedbackError(f"rating must be 1 (up) or 0 (down), not {rating!r}")
    data = dict(_answer_dict(answer_obj))
    passages = data.pop("passages", [])
    comment = (comment or "").strip()[:MAX_COMMENT_CHARS] or None
    with _connect(db) as con:
        cur = con.execute(
            "INSERT INTO feedback (created_at, question, answer, passages_json, index_version, rating, comment)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_now(), _question(question), json.dumps(data, ensure_ascii=False),
             json.dumps(passages, ensure_ascii=False), index_version, int(rating), comment),
        )
        return int(cur.lastrowid)


def add_comment(db, feedback_id: int, comment: str) -> None:
    """Set the comment of a stored rating (the page asks for it after the thumbs click)."""
    text = (comment or "").strip()[:MAX_COMMENT_CHARS]
    if not text:
        raise FeedbackError("the comment is empty")
    with _connect(db) as con:
        if con.execute("UPDATE feedback SET comment = ? WHERE id = ?", (text, int(feedback_id))).rowcount != 1:
            raise FeedbackError(f"no feedback row {feedback_id}")


def record_question(db, question: str, abstained: bool) -> None:
    """Add a question to the history."""
    with _connect(db) as con:
        con.execute("INSERT INTO history (created_at, question, abstained) VALUES (?, ?, ?)",
                    (_now(), _question(question), int(bool(abstained))))


def recent_questions(db, n: int = 10) -> list[str]:
    """The `n` most recently asked distinct questions, newest first ([] if none or no database yet)."""
    if not Path(db).exists():
        return []
    with _connect(db) as con:
        rows = con.execute(
            "SELECT question FROM history WHERE question <> '' GROUP BY question ORDER BY MAX(id) DESC LIMIT ?",
            (max(0, int(n)),),
        ).fetchall()
    return [q for (q,) in rows]


def count_feedback(db) -> int:
    """Rows in the feedback table (0 if no database yet)."""
    if not Path(db).exists():
        return 0
    with _connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])


def _cell(value):
    """A CSV cell that a spreadsheet will not run as a formula (a leading ' is added to =, +, -, @)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(db) -> str:
    """Every feedback row as CSV text with a header line, oldest first.

    Columns: id, created_at, question, answer_text, rating, comment,
    index_version, answer, passages_json. ``answer_text`` is the summary;
    ``answer`` the whole stored JSON object. A text cell starting with ``=``,
    ``+``, ``-`` or ``@`` is prefixed with ``'`` so spreadsheets show it as text.
    """
    header = ["id", "created_at", "question", "answer_text", "rating", "comment", "index_version", "answer",
              "passages_json"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    if not Path(db).exists():
        return out.getvalue()
    with _connect(db) as con:
        rows = con.execute(
            "SELECT id, created_at, question, answer, rating, comment, index_version, passages_json"
            " FROM feedback ORDER BY id"
        ).fetchall()
    for id_, created, question, answer, rating, comment, version, passages in rows:
        try:
            text = json.loads(answer).get("answer", "")
        except (ValueError, AttributeError):
            text = ""
        writer.writerow([_cell(v) for v in (id_, created, question, text, rating, comment, version, answer, passages)])
    return out.getvalue()
