"""Question sets in the seed-question layout, and the acceptance check of one answer.

A question set is JSON Lines, one case a line: ``id``, ``question``,
``answerable`` (false: the documents do not answer it and qa must abstain),
``passage_has`` (one of these phrases must be in a top-3 passage) and
``answer_has`` (one of these must be in the summary). Phrases match ignoring
case and runs of whitespace. `check_answer` applies the same checks as
``../shared/eval/check_questions.py`` to a ``qa ask --json`` object, so tests
and benchmarks can run them in-process.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..ingest.loader import read_document
from ..ingest.reading import read
from ..text import text_key

__all__ = ["check_answer", "read_question_set"]


def read_question_set(path) -> list[dict]:
    """The cases of a JSONL question set (an empty list if the file is missing)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_answer(case: dict, out: dict, corpus_root) -> list[str]:
    """What is wrong with answer `out` (a ``qa ask --json`` object) for `case`; empty if nothing.

    Checks: abstained exactly when the case is not answerable; one of
    ``passage_has`` in the top-3 passages; one of ``answer_has`` in the answer;
    every answer sentence verbatim in the passage it cites, none repeated; every
    passage's and sentence's offsets reading exactly as its text
    (`qa.ingest.reading.Reading.of`) in its file under `corpus_root`.
    """
    errors = []
    if not case["answerable"]:
        if out["abstained"] is not True:
            errors.append("should abstain but answered: " + out["answer"][:80])
        return errors
    if out["abstained"]:
        errors.append(f"abstained on an answerable question: {out['reason']}")
    top3 = " || ".join(text_key(p["text"]) for p in out["passages"][:3])
    if not any(text_key(ph) in top3 for ph in case["passage_has"]):
        errors.append("top-3 passages lack " + repr(case["passage_has"][0]))
    if not any(text_key(ph) in text_key(out["answer"]) for ph in case["answer_has"]):
        errors.append(f"answer lacks any of {case['answer_has']!r}: {out['answer'][:120]}")
    if not out["sentences"]:
        errors.append("no answer sentences")
    seen = set()
    for s in out["sentences"]:
        t = text_key(s["text"])
        if t in seen:
            errors.append("answer repeats a sentence")
        seen.add(t)
        if not 1 <= s["passage"] <= len(out["passages"]):
            errors.append(f"sentence cites passage {s['passage']}, not shown")
        elif t not in text_key(out["passages"][s["passage"] - 1]["text"]):
            errors.append("sentence not verbatim in its cited passage")
    readings = {}
    for p in out["passages"]:
        if p["source"] not in readings:
            readings[p["source"]] = read(read_document(Path(corpus_root) / p["source"], p["source"]))
        if readings[p["source"]].of(p["start"], p["end"]) != p["text"]:
            errors.append(f"offsets {p['start']}:{p['end']} do not read as the passage")
    for s in out["sentences"]:
        cited = out["passages"][s["passage"] - 1] if 1 <= s["passage"] <= len(out["passages"]) else None
        if cited is not None and readings[cited["source"]].of(s["start"], s["end"]) != s["text"]:
            errors.append(f"sentence offsets {s['start']}:{s['end']} do not read as the sentence")
    return errors
