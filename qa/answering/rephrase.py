"""Questions to try when qa abstained: the question with its unknown words respelt, then the corpus's
example questions, each kept only if qa answers it.

The page offers them under an abstention ("Try asking"); they are answering logic (they ask the
index), so they live here, not in `qa.serve`.
"""

from __future__ import annotations

import re

from ..errors import QAError
from ..index.protocol import SearchIndex
from ..index.spelling import is_common_word
from ..text import detect_language, has_han, text_key
from ..types import Answer
from . import summarize  # looked up at call time: `summarize.answer` is what is asked
from .suggest import suggest_questions

__all__ = ["close_words", "is_known_word", "suggest_rephrasings"]


def is_known_word(index: SearchIndex, word: str) -> bool:
    """Whether `word` is a word and not a misspelling: its stem is one of the index's terms, it is an
    everyday English word (`qa.index.spelling.is_common_word`: "dental" is one, though the
    documents never say it), or it is Chinese (its spelling neighbours are other words)."""
    if not word or has_han(word):
        return True
    (stem,) = index.analyzer.stem_words([word])
    return stem in index.vocabulary or is_common_word(word.lower())


def close_words(index: SearchIndex, word: str, n: int = 2, cutoff: float = 0.75) -> list[str]:
    """Corpus words spelt like `word` (`qa.index.spelling.Speller.similar`), when `word` is unknown.

    A word the documents hold, or a known word (`is_known_word`), is never respelt: "dental" is not
    offered as "deal". Only a word that is neither, most likely a misspelling, gets neighbours.
    """
    if is_known_word(index, word):
        return []
    return index.speller.similar(word, n=n, cutoff=cutoff, is_stop=index.analyzer.is_stop)


def _replace_word(question: str, word: str, new: str) -> str:
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", new, question, flags=re.IGNORECASE)


def _answered(ask, index, question: str) -> bool:
    try:
        return not ask(index, question).abstained
    except QAError:  # QuestionError: nothing left to search for
        return False


def suggest_rephrasings(index: SearchIndex, answer: Answer, n: int = 5, examples=None) -> list[str]:
    """Up to `n` questions to try when `answer` abstained.

    First the question with each misspelt word (neither in the corpus nor a known word:
    `is_known_word`) replaced by a corpus word spelt like it (`close_words`), kept only if
    `qa.answer` answers it; then the
    corpus's example questions (`qa.answering.suggest.suggest_questions`, which asks each
    of the index, or `examples` if given), those sharing more index terms with
    the question first. The question itself is never suggested.
    """
    analyzer = index.analyzer
    words = list(answer.query_terms)
    stems = analyzer.stem_words(words) if words else []
    unknown = [w for w, t in zip(words, stems) if t not in index.vocabulary]
    out: list[str] = []
    for w in unknown:
        for m in close_words(index, w):  # none for a known word: "dental" stays "dental"
            rephrased = _replace_word(answer.question, w, m)
            if rephrased != answer.question and _answered(summarize.answer, index, rephrased):
                out.append(rephrased)
    known = {t for t in stems if t in index.vocabulary}
    pool = list(examples) if examples is not None else list(suggest_questions(index, n=20))
    # Suggestions in the question's language, when the documents offer any.
    pool = [q for q in pool if detect_language(q) == answer.language] or pool
    overlap = [len(known & set(analyzer(q))) for q in pool]
    out += [q for _, _, q in sorted(zip((-o for o in overlap), range(len(pool)), pool))]
    seen = {text_key(answer.question)}
    result = []
    for q in out:
        key = text_key(q)
        if key not in seen:
            seen.add(key)
            result.append(q)
        if len(result) == n:
            break
    return result
