"""qa.feedback: ratings and question history in SQLite (WAL), safe from many threads."""

import csv
import io
import json
import sqlite3
import threading

import pytest

import qa
from qa.serve.feedback import (
    FeedbackError,
    add_comment,
    count_feedback,
    export_csv,
    record_feedback,
    record_question,
    recent_questions,
)
from qa.serve.render import answer_to_dict

QUESTION = "Where do I go to pay social security myself?"


@pytest.fixture(scope="module")
def result(corpus_index):
    r = qa.answer(corpus_index, QUESTION, k=3)
    assert not r.abstained and r.hits
    return r


@pytest.fixture
def db(tmp_path):
    return tmp_path / "sub" / "feedback.sqlite"


def _rows(db, sql):
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


def test_a_rating_is_stored_with_its_answer_passages_and_index_version(db, result):
    row = record_feedback(db, QUESTION, result, "v-1", 1)
    assert row == 1
    ((question, answer, passages, version, rating, comment, created),) = _rows(
        db, "SELECT question, answer, passages_json, index_version, rating, comment, created_at FROM feedback"
    )
    expected = answer_to_dict(result)
    assert (question, version, rating, comment) == (QUESTION, "v-1", 1, None)
    assert json.loads(passages) == expected.pop("passages")
    assert json.loads(answer) == expected
    assert created.endswith("Z") and created[:4].isdigit()


def test_the_database_is_in_wal_mode_with_both_tables(db, result):
    record_question(db, QUESTION, False)
    assert _rows(db, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in _rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"feedback", "history"} <= tables
    columns = [c[1] for c in _rows(db, "PRAGMA table_info(feedback)")]
    assert columns == ["id", "created_at", "question", "answer", "passages_json", "index_version", "rating", "comment"]
    assert [c[1] for c in _rows(db, "PRAGMA table_info(history)")] == [
        "id",
        "created_at",
        "question",
        "abstained",
        "reason",
        "passages_json",
    ]


def test_a_thumbs_down_with_a_dict_answer_and_a_comment(db, result):
    record_feedback(db, QUESTION, answer_to_dict(result), None, 0, comment="  wrong office  ")
    assert _rows(db, "SELECT rating, comment, index_version FROM feedback") == [(0, "wrong office", None)]


@pytest.mark.parametrize("rating", [2, -1, True, "1", None])
def test_a_rating_other_than_0_or_1_is_refused(db, result, rating):
    with pytest.raises(FeedbackError, match="rating"):
        record_feedback(db, QUESTION, result, "v", rating)


def test_a_comment_can_be_added_to_a_rating(db, result):
    row = record_feedback(db, QUESTION, result, "v", 0)
    add_comment(db, row, "It should name the street office")
    assert _rows(db, "SELECT comment FROM feedback") == [("It should name the street office",)]
    with pytest.raises(FeedbackError):
        add_comment(db, row + 1, "no such row")
    with pytest.raises(FeedbackError, match="empty"):
        add_comment(db, row, "   ")


def test_recent_questions_are_distinct_newest_first(db):
    assert recent_questions(db) == []  # no database yet: nothing, and no file made
    assert not db.exists()
    for q, abstained in [("a?", False), ("b?", True), ("a?", False), ("c?", False), ("  ", False)]:
        record_question(db, q, abstained)
    assert recent_questions(db) == ["c?", "a?", "b?"]
    assert recent_questions(db, n=2) == ["c?", "a?"]
    assert _rows(db, "SELECT question, abstained FROM history ORDER BY id")[:2] == [("a?", 0), ("b?", 1)]


def test_export_csv_has_a_header_and_every_row(db, result):
    assert export_csv(db).splitlines() == [  # every field quoted
        '"id","created_at","question","answer_text","rating","comment","index_version","answer","passages_json"'
    ]
    record_feedback(db, QUESTION, result, "v-1", 1)
    record_feedback(db, '=HYPERLINK("http://x")', result, "v-2", 0, comment='-bad, "quoted"\nnew line')
    rows = list(csv.DictReader(io.StringIO(export_csv(db))))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["question"] == QUESTION and rows[0]["answer_text"] == result.text and rows[0]["rating"] == "1"
    assert json.loads(rows[0]["passages_json"])[0]["text"] == result.hits[0].passage.text
    assert rows[1]["question"] == '\'=HYPERLINK("http://x")'  # not run as a formula by a spreadsheet
    assert rows[1]["comment"] == '\'-bad, "quoted"\nnew line' and rows[1]["index_version"] == "v-2"
    assert count_feedback(db) == 2


def test_twenty_threads_writing_at_once_lose_nothing(db, result):
    data = answer_to_dict(result)
    errors = []
    start = threading.Barrier(20)

    def work(i):
        try:
            start.wait()
            for j in range(10):
                record_feedback(db, f"q{i}-{j}", data, f"v{i}", j % 2)
                record_question(db, f"q{i}-{j}", j % 3 == 0)
                recent_questions(db, 5)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT question) FROM feedback") == [(200, 200)]
    assert _rows(db, "SELECT COUNT(*) FROM history") == [(200,)]
    assert len(recent_questions(db, 1000)) == 200


def test_an_unusable_database_path_is_a_feedback_error(tmp_path, result):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FeedbackError, match="cannot open"):
        record_question(blocker / "feedback.sqlite", "q", False)
    garbage = tmp_path / "garbage.sqlite"  # not a database: set aside and made anew (tests/system/test_failures.py)
    garbage.write_bytes(b"not a database" * 100)
    assert record_feedback(garbage, "q", result, "v", 1) == 1
    assert [f.read_bytes() for f in tmp_path.glob("garbage.sqlite.corrupt-*")] == [b"not a database" * 100]
    assert isinstance(FeedbackError("x"), qa.QAError)


def test_unanswered_and_rated_down_questions_are_grouped_by_their_words(db, result):
    from qa.serve.feedback import export_missing_csv, missing_questions

    record_question(db, "Where do I pay for unicorns?", True, "No word matched.", [{"rank": 1, "source": "a.txt"}])
    record_question(db, "Pay for unicorns: where?", True, "No word matched.", [])
    record_question(db, "Who pays the insurance?", False)  # answered: not listed
    record_feedback(db, "What is the deadline?", result, "v1", 0)
    groups = missing_questions(db)
    assert [g["question"] for g in groups] == ["What is the deadline?", "Pay for unicorns: where?"]  # newest first
    assert groups[1]["asked"] == groups[1]["unanswered"] == 2 and groups[1]["key"] == "pay unicorns"
    assert groups[0]["rated_down"] == 1 and groups[0]["passages"]
    rows = list(csv.reader(io.StringIO(export_missing_csv(db))))
    assert rows[0][:3] == ["question", "words", "asked"] and len(rows) == 3


def test_an_old_history_table_gains_the_new_columns(tmp_path):
    from qa.serve.feedback import missing_questions

    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as con:
        con.execute(
            "CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,"
            " question TEXT NOT NULL, abstained INTEGER NOT NULL)"
        )
        con.execute(
            "INSERT INTO history (created_at, question, abstained) VALUES ('2026-01-01T00:00:00+0000', 'Old?', 1)"
        )
    assert [g["question"] for g in missing_questions(old)] == ["Old?"]
    record_question(old, "New unicorns?", True, "No word matched.")
    assert [g["question"] for g in missing_questions(old)] == ["New unicorns?", "Old?"]
