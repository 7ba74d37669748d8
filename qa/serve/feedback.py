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
import logging
import os
import re
import sqlite3
import threading
import time
import unicodedata
from contextlib import closing, contextmanager
from pathlib import Path

from ..errors import QAError

__all__ = [
    "FeedbackError",
    "record_feedback",
    "add_comment",
    "record_question",
    "recent_questions",
    "export_csv",
    "count_feedback",
    "MAX_COMMENT_CHARS",
    "MAX_STORED_QUESTION_CHARS",
    "TIMEOUT",
]

TIMEOUT = 30.0  # seconds a writer waits for another's transaction
MAX_COMMENT_CHARS = 2_000
MAX_STORED_QUESTION_CHARS = 2_000  # longer questions are stored cut to this
# Characters a spreadsheet may start a formula with (after NFKC, so fullwidth and small forms count too).
_FORMULA_START = frozenset("=+-@|%\u2212")
log = logging.getLogger(__name__)

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
    abstained INTEGER NOT NULL,
    reason TEXT,
    passages_json TEXT
);
CREATE INDEX IF NOT EXISTS history_question ON history (question);
"""
# Columns added to history after its first release: (name, type); older databases gain them on open.
_HISTORY_ADDED = (("reason", "TEXT"), ("passages_json", "TEXT"))
_ready: set[str] = set()  # databases whose schema this process has created
_ready_lock = threading.Lock()


class FeedbackError(QAError):
    """The feedback database cannot be opened or written, or a value is invalid."""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _inode(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _set_aside(path: Path, why: str, inode=None) -> None:
    """Rename `path` (and its ``-wal`` and ``-shm`` files) to ``<name>.<why>-<UTC time>``; never deletes.

    Only if it is still the file `inode` found damaged (another thread may have set it aside and
    made a new one meanwhile)."""
    if inode is not None and _inode(path) != inode:
        return
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{time.time_ns() % 10**9:09d}"
    for suffix in ("", "-wal", "-shm"):
        f = Path(str(path) + suffix)
        if f.exists():
            try:
                os.replace(f, f.with_name(f"{path.name}.{why}-{stamp}{suffix}"))
            except OSError as exc:
                raise FeedbackError(
                    f"{path}: the feedback database is {why} and cannot be set aside ({exc.strerror or exc})"
                ) from None
    log.warning(
        "%s: the feedback database was %s; set aside as %s.%s-%s and recreated", path, why, path.name, why, stamp
    )


def _damaged(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT")


def _read_only(path: Path) -> bool:
    return path.exists() and (not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK))


@contextmanager
def _connect(db, *, write: bool = True):
    """One connection for one transaction: committed on success, rolled back on error, then closed.

    A database that is not SQLite, corrupt, or lost its tables (emptied while in use) is set
    aside (renamed to ``<name>.corrupt-<time>`` or ``.emptied-<time>``, with its WAL; never
    deleted) and recreated, with a warning; a removed one is recreated with a warning. A read-only one is opened
    read-only (``mode=ro``) for reading; writing to it is a `FeedbackError`.
    """
    path = Path(db)
    if not write and _read_only(path):
        with _connect_read_only(path) as con:
            yield con
        return
    for attempt in (0, 1):
        existed = path.exists()
        inode = _inode(path)
        key = str(path.resolve())
        if not existed and key in _ready:
            log.warning("%s: the feedback database was removed; recreating it", path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(path, timeout=TIMEOUT, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackError(f"{path}: cannot open the feedback database ({exc})") from None
        with closing(con):
            try:
                if key not in _ready or not existed:
                    with _ready_lock:
                        con.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the file
                        con.executescript(_SCHEMA)
                        _migrate(con)
                        _ready.add(key)
                con.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
                con.execute("SELECT 1 FROM feedback, history LIMIT 0")  # emptied since? "no such table"
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                heal = _damaged(exc) or "no such table" in str(exc)
                if getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY":
                    raise FeedbackError(
                        f"{path}: the feedback database is read-only; ratings cannot be stored"
                    ) from None
                if not heal or attempt:
                    raise FeedbackError(f"{path}: feedback database error ({exc})") from None
                _ready.discard(key)
                why = "corrupt" if _damaged(exc) else "emptied"  # not SQLite or corrupt; or its tables gone
            else:
                try:
                    try:
                        yield con
                    except BaseException:
                        con.execute("ROLLBACK")
                        raise
                    con.execute("COMMIT")
                except sqlite3.DatabaseError as exc:
                    if getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY":
                        raise FeedbackError(
                            f"{path}: the feedback database is read-only; ratings cannot be stored"
                        ) from None
                    raise FeedbackError(f"{path}: feedback database error ({exc})") from None
                return
        # Set it aside (with its WAL, which may hold the last ratings), then retry with a new one.
        with _ready_lock:
            _set_aside(path, why, inode)


@contextmanager
def _connect_read_only(path: Path):
    """A read-only connection (``mode=ro``; ``immutable=1`` if even that needs a write, as in a read-only folder)."""
    uri = path.resolve().as_uri()
    last = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        try:
            con = sqlite3.connect(f"{uri}?{options}", uri=True, timeout=TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            last = exc
            continue
        with closing(con):
            try:
                con.execute("SELECT COUNT(*) FROM feedback").fetchone()
            except sqlite3.DatabaseError as exc:
                last = exc
                if "no such table" in str(exc) or _damaged(exc):
                    break
                continue
            yield con
            return
    raise FeedbackError(f"{path}: the feedback database is read-only and cannot be read ({last})")


def _migrate(con) -> None:
    """Add the history columns an older database lacks (its rows keep NULL there)."""
    have = {row[1] for row in con.execute("PRAGMA table_info(history)")}
    for name, kind in _HISTORY_ADDED:
        if name not in have:
            try:
                con.execute(f"ALTER TABLE history ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise


def _answer_dict(answer_obj) -> dict:
    if isinstance(answer_obj, dict):
        return answer_obj
    from .render import answer_to_dict

    return answer_to_dict(answer_obj)


def _question(question) -> str:
    if not isinstance(question, str):
        raise FeedbackError(f"the question must be text, not {type(question).__name__}")
    return question.strip()[:MAX_STORED_QUESTION_CHARS]


def record_feedback(
    db, question: str, answer_obj, index_version: str | None, rating: int, comment: str | None = None
) -> int:
    """Store one rating of an answer; returns the row's id.

    Parameters
    ----------
    db : path-like
        The SQLite file (created with its tables if missing).
    question : str
    answer_obj : qa.Answer or dict
        The answer rated, or its `qa.serve.render.answer_to_dict` object.
    index_version : str or None
        The version of the index that answered (`qa.index.layout.current_version`).
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
            (
                _now(),
                _question(question),
                json.dumps(data, ensure_ascii=False),
                json.dumps(passages, ensure_ascii=False),
                index_version,
                int(rating),
                comment,
            ),
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


def record_question(db, question: str, abstained: bool, reason: str | None = None, passages=None) -> None:
    """Add a question to the history, with why it got no answer (`reason`) and the passages it got
    (`passages`: a list of ``{rank, source, title, ...}`` dicts, or an `Answer` whose passages are taken)."""
    if passages is not None and not isinstance(passages, list):
        passages = _answer_dict(passages).get("passages", [])
    got = json.dumps(
        [{k: p.get(k) for k in ("rank", "source", "title", "section", "start", "end")} for p in passages or ()],
        ensure_ascii=False,
    )
    with _connect(db) as con:
        con.execute(
            "INSERT INTO history (created_at, question, abstained, reason, passages_json) VALUES (?, ?, ?, ?, ?)",
            (_now(), _question(question), int(bool(abstained)), reason, got),
        )


def recent_questions(db, n: int = 10) -> list[str]:
    """The `n` most recently asked distinct questions, newest first ([] if none or no database yet)."""
    if not Path(db).exists():
        return []
    with _connect(db, write=False) as con:
        rows = con.execute(
            "SELECT question FROM history WHERE question <> '' GROUP BY question ORDER BY MAX(id) DESC LIMIT ?",
            (max(0, int(n)),),
        ).fetchall()
    return [q for (q,) in rows]


_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be by can could do does did for from how i if in is it me my of on or
should the there this to was what when where which who whom whose why will with would you your""".split()
)


def question_key(question: str) -> str:
    """The words that make a question, as one key: its content words, lower-cased, each once, sorted
    ("Where do I pay?" and "pay: where" share one). Chinese runs are kept whole."""
    words = {w for w in _WORD.findall(question.casefold()) if w not in _STOP}
    return " ".join(sorted(words)) or question.strip().casefold()


def missing_questions(db, limit: int = 200) -> list[dict]:
    """What the documents are missing: the questions that got no answer and those rated down,
    grouped by `question_key`, newest group first. Each group: ``key, question`` (its newest
    wording), ``asked`` (times), ``unanswered``, ``rated_down``, ``last`` (time), ``reason`` (the
    newest), ``passages`` (those the newest one got: ``[{rank, source, title, ...}]``)."""
    if not Path(db).exists():
        return []
    with _connect(db, write=False) as con:
        cols = {row[1] for row in con.execute("PRAGMA table_info(history)")}
        extra = ", reason, passages_json" if {"reason", "passages_json"} <= cols else ", NULL, NULL"
        asked = con.execute(
            f"SELECT created_at, 0, id, question, 'unanswered'{extra} FROM history WHERE abstained = 1"
            " AND question <> ''"
        ).fetchall()
        rated = con.execute(
            "SELECT created_at, 1, id, question, 'rated_down', answer, passages_json FROM feedback WHERE rating = 0"
        ).fetchall()
    groups: dict[str, dict] = {}
    for seq, (created, _, _, question, kind, reason, passages) in enumerate(sorted(asked + rated)):
        if kind == "rated_down":
            try:
                reason = json.loads(reason).get("reason") or "rated down"
            except (ValueError, AttributeError):
                reason = "rated down"
        try:
            got = json.loads(passages) if passages else []
        except ValueError:
            got = []
        g = groups.setdefault(
            question_key(question), {"key": question_key(question), "asked": 0, "unanswered": 0, "rated_down": 0}
        )
        g["asked"] += 1
        g[kind] += 1
        g.update(
            question=question, last=created, seq=seq, reason=reason or "", passages=got if isinstance(got, list) else []
        )
    return sorted(groups.values(), key=lambda g: g.pop("seq"), reverse=True)[: max(0, int(limit))]


def export_missing_csv(db) -> str:
    """`missing_questions` as CSV (every field quoted, formula-like fields prefixed with ``'``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["question", "words", "asked", "unanswered", "rated_down", "last", "reason", "passages"])
    for g in missing_questions(db, limit=10_000):
        got = "; ".join(f"[{p.get('rank')}] {p.get('source')}" for p in g["passages"] if isinstance(p, dict))
        writer.writerow(
            [
                _cell(v)
                for v in (
                    g["question"],
                    g["key"],
                    g["asked"],
                    g["unanswered"],
                    g["rated_down"],
                    g["last"],
                    g["reason"],
                    got,
                )
            ]
        )
    return out.getvalue()


def count_feedback(db) -> int:
    """Rows in the feedback table (0 if no database yet)."""
    if not Path(db).exists():
        return 0
    with _connect(db, write=False) as con:
        return int(con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])


def _formula_like(text: str) -> bool:
    """True if a spreadsheet could read `text` as a formula: its first character other than a
    plain space is a formula starter (``=``, ``+``, ``-``, ``@``, ``|``, ``%``, their fullwidth or
    small forms) or any other whitespace or control character (tab, CR, LF, U+2028, ...)."""
    rest = text.lstrip(" ")
    if not rest:
        return False
    first = rest[0]
    if first.isspace() or unicodedata.category(first)[0] in "CZ":
        return True
    return first in _FORMULA_START or any(c in _FORMULA_START for c in unicodedata.normalize("NFKC", first))


def _cell(value):
    """A CSV cell that a spreadsheet will not run as a formula (a leading ' is added, see `_formula_like`)."""
    if value is None:
        return ""
    value = str(value)
    return "'" + value if _formula_like(value) else value


def export_csv(db) -> str:
    """Every feedback row as CSV text with a header line, oldest first.

    Columns: id, created_at, question, answer_text, rating, comment,
    index_version, answer, passages_json. ``answer_text`` is the summary;
    ``answer`` the whole stored JSON object. Every field is quoted (so a line
    break inside one, CR, LF or U+2028, never starts a record), and a field
    whose first non-space character could start a formula (``=``, ``+``,
    ``-``, ``@``, a tab, a line break, fullwidth ``＝``, ...) is prefixed with
    ``'`` so spreadsheets show it as text. The text reads back whole with
    Python's `csv` module.
    """
    header = [
        "id",
        "created_at",
        "question",
        "answer_text",
        "rating",
        "comment",
        "index_version",
        "answer",
        "passages_json",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    if not Path(db).exists():
        return out.getvalue()
    with _connect(db, write=False) as con:
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
