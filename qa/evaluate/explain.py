"""``qa eval SET... --explain ID``: one question of a question set, answered with its features shown.

The set holding question `ID` is indexed as `qa eval` indexes it, the question is answered with
``explain=True``, and the answer, what a right answer holds (``answer_has``), and each shown
unit's features and contributions (`qa.serve.render.explanation_to_text`) are printed: a wrong
answer can be diagnosed without reading code.
"""

from __future__ import annotations

from ..answering.summarize import answer
from ..errors import QAError
from ..index.build import build_index
from ..serve.render import answer_to_dict, answer_to_text, explanation_to_text
from .questionset import ANSWER_K, QuestionSet

__all__ = ["explain_question"]


def explain_question(sets, qid: str, *, as_json: bool = False) -> str:
    """The explained answer to question `qid` of one of `sets` (question sets), as text or JSON.

    Raises
    ------
    QAError
        No question set among `sets` holds `qid`.
    """
    import json

    for qset in sets:
        if not isinstance(qset, QuestionSet):
            continue
        question = next((q for q in qset.questions if q.qid == qid), None)
        if question is None:
            continue
        index, _ = build_index([qset.docs])
        result = answer(index, question.question, k=ANSWER_K, explain=True)
        if as_json:
            return json.dumps(
                {
                    "id": qid,
                    "set": qset.name,
                    "answerable": question.answerable,
                    "answer_has": list(question.answer_has),
                    "source": question.source,
                    **answer_to_dict(result),
                },
                ensure_ascii=False,
            )
        expected = (
            f"expected: {' | '.join(question.answer_has)} (from {question.source})"
            if question.answerable
            else f"expected: abstain ({'near' if question.near else 'off'}-topic)"
        )
        return (
            f"{qset.name} {qid}: {question.question}\n{expected}\n\n"
            f"{answer_to_text(result, analyzer=index.analyzer)}\n\n{explanation_to_text(result)}"
        )
    names = ", ".join(str(s.path) for s in sets if isinstance(s, QuestionSet)) or "no question set"
    raise QAError(f"no question {qid!r} in {names}")
