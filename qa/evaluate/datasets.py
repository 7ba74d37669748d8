"""BEIR-layout datasets and question-set folders, read for `qa eval`.

A dataset is a folder holding ``corpus.jsonl`` (``{"_id", "title", "text"}`` a
line), ``queries.jsonl`` (``{"_id", "text"}`` a line, optionally with SQuAD's
``answerable`` and ``answers``) and ``qrels/test.tsv`` (``query-id corpus-id
score``, with a header; score > 0 is relevant). `load_dataset` also recognises a
question-set folder (`qa.evaluate.questionset`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import QAError
from . import questionset

__all__ = ["Dataset", "EvalQuery", "load_beir", "load_dataset", "read_corpus", "read_queries"]


@dataclass(frozen=True)
class EvalQuery:
    """One query of a dataset.

    Attributes
    ----------
    qid : str
    text : str
    answerable : bool or None
        SQuAD's ``answerable``; None when the dataset does not say.
    answers : tuple of str
        Gold answer strings (empty when unanswerable or unknown).
    """

    qid: str
    text: str
    answerable: bool | None = None
    answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """A BEIR-layout dataset, as read by `load_beir`.

    Attributes
    ----------
    name : str
        The folder's name (``cranfield``, ``squad2``).
    path : Path
        The folder.
    corpus : Path
        Its ``corpus.jsonl``.
    queries : tuple of EvalQuery
        Every query, in file order.
    qrels : mapping of str to mapping of str to int
        Query id -> {document id: gain}, for the queries that are in ``queries``.
    """

    name: str
    path: Path
    corpus: Path
    queries: tuple[EvalQuery, ...]
    qrels: Mapping[str, Mapping[str, int]]

    @property
    def judged(self) -> tuple[EvalQuery, ...]:
        """The queries with at least one judgment: the ones run for the ranking metrics."""
        return tuple(q for q in self.queries if q.qid in self.qrels)

    @property
    def has_answers(self) -> bool:
        """Whether the queries say whether they are answerable (SQuAD 2.0 style)."""
        return any(q.answerable is not None for q in self.queries)


def _read_lines(path: Path, what: str, missing: str = "a BEIR dataset folder needs"):
    try:
        fh = open(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise QAError(f"{path}: missing; {missing} {what}") from None
    except IsADirectoryError:
        raise QAError(f"{path}: is a folder; {what} is a file") from None
    except OSError as exc:
        raise QAError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        try:
            yield from enumerate(fh, 1)
        except UnicodeDecodeError:
            raise QAError(f"{path}: not UTF-8 text") from None


def read_queries(
    path, *, allow_empty: bool = False, missing: str = "a BEIR dataset folder needs"
) -> tuple[EvalQuery, ...]:
    """The queries of a BEIR ``queries.jsonl`` file (``{"_id", "text"}`` a line; SQuAD's
    ``answerable`` and ``answers`` kept): the one reader of such files, for ``qa eval`` and for
    ``qa search/answer --queries``.

    Parameters
    ----------
    path : str or Path
        The file: UTF-8 (a byte-order mark is skipped), one JSON object a line, blank lines ignored.
    allow_empty : bool
        Whether a file holding no query is accepted (``qa search --queries`` answers it with no
        output); a dataset's queries file must hold one.
    missing : str
        How the error for a missing file says what needed it.

    Raises
    ------
    QAError
        The file is missing, unreadable, not UTF-8, a line is not such an object, an id appears
        twice, or (unless `allow_empty`) it holds no query; one line naming the file and line.
    """
    path = Path(path)
    out: list[EvalQuery] = []
    seen: set[str] = set()
    for lineno, line in _read_lines(path, 'queries.jsonl ({"_id", "text"} a line)', missing):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            qid, text = str(obj["_id"]), obj["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
            answers = obj.get("answers")
            answers = () if answers is None else tuple(str(a) for a in answers)
            if "answerable" in obj:
                answerable = bool(obj["answerable"])
            else:
                answerable = bool(answers) if "answers" in obj else None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise QAError(f'{path}:{lineno}: not a {{"_id", "text"}} JSON object') from None
        if qid in seen:
            raise QAError(f"{path}:{lineno}: query id {qid!r} appears twice")
        seen.add(qid)
        out.append(EvalQuery(qid=qid, text=text, answerable=answerable, answers=answers))
    if not out and not allow_empty:
        raise QAError(f"{path}: holds no query")
    return tuple(out)


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    first = True
    for lineno, line in _read_lines(path, "qrels/test.tsv (query-id, corpus-id, score; tab-separated, with a header)"):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) != 3:
            parts = line.split()
        try:
            if len(parts) != 3:
                raise ValueError
            score = int(parts[2])
        except ValueError:
            if first:  # the header line
                first = False
                continue
            raise QAError(f"{path}:{lineno}: not a 'query-id<TAB>corpus-id<TAB>score' line") from None
        first = False
        qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = score
    return qrels


def load_beir(directory) -> Dataset:
    """Read a BEIR-layout dataset folder.

    Parameters
    ----------
    directory : path-like
        A folder with ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv``.

    Returns
    -------
    Dataset
        Judgments of query ids missing from ``queries.jsonl`` are dropped.

    Raises
    ------
    QAError
        The folder or one of its files is missing or malformed, or no query has
        a relevant document.
    """
    path = Path(directory)
    if not path.is_dir():
        raise QAError(f"{path}: not a folder; give a BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    corpus = path / "corpus.jsonl"
    if not corpus.is_file():
        raise QAError(f'{corpus}: missing; a BEIR folder needs corpus.jsonl ({{"_id", "title", "text"}} a line)')
    queries = read_queries(path / "queries.jsonl")
    known = {q.qid for q in queries}
    qrels = {qid: judged for qid, judged in _read_qrels(path / "qrels" / "test.tsv").items() if qid in known}
    if not any(g > 0 for judged in qrels.values() for g in judged.values()):
        raise QAError(f"{path / 'qrels' / 'test.tsv'}: no query of queries.jsonl has a relevant document (score > 0)")
    return Dataset(name=path.resolve().name, path=path, corpus=corpus, queries=queries, qrels=qrels)


def load_dataset(directory):
    """Read a dataset folder: a question set (`qa.evaluate.questionset.load_question_set`) when it holds
    ``questions.jsonl`` and ``docs/``, else a BEIR dataset (`load_beir`).

    A folder with ``questions.jsonl`` but neither ``docs/`` nor ``corpus.jsonl``
    is read as a question set, so the error names the missing ``docs/``.

    Returns
    -------
    Dataset or qa.evaluate.questionset.QuestionSet

    Raises
    ------
    QAError
        As `load_beir` or `qa.evaluate.questionset.load_question_set`.
    """
    path = Path(directory)
    if questionset.is_question_set(path) or (
        (path / "questions.jsonl").is_file() and not (path / "corpus.jsonl").is_file()
    ):
        return questionset.load_question_set(path)
    return load_beir(directory)


def read_corpus(path) -> list[tuple[str, str, str]]:
    """``[(doc_id, title, text)]`` of a ``corpus.jsonl``, for the peer systems.

    Raises
    ------
    QAError
        A line is not a ``{"_id", "title", "text"}`` object.
    """
    path = Path(path)
    docs = []
    for lineno, line in _read_lines(path, 'corpus.jsonl ({"_id", "title", "text"} a line)'):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            docs.append((str(obj["_id"]), str(obj.get("title") or ""), str(obj.get("text") or "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise QAError(f'{path}:{lineno}: not a {{"_id", "title", "text"}} JSON object') from None
    return docs
