"""The one analyzer shared by indexing and questions, and the sentence splitter.

Analysis is: find words (runs of letters and digits), lowercase, drop stop
words, stem with the Snowball English stemmer (PyStemmer). Every term keeps the
character span of the word it came from, so matches can be highlighted by
offset rather than by searching the text again.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

__all__ = ["Analyzer", "STOP_WORDS", "FRAME_WORDS", "split_sentences", "WORD_RE"]

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# For indexing: words, plus sentence ends as their own tokens (so the index can
# keep sentence boundaries without a second pass over the text).
SENTENCE_END_CHARS = frozenset(".!?\n。！？；")
INDEX_TOKEN_RE = re.compile(WORD_RE.pattern + r"|[.!?]+(?=\s|$)|[。！？；]+|\n")

# A short list, chosen to drop function words only. Content words that
# sklearn's list removes ("system", "fire", "find", "bill", "call") stay: in a
# help-desk corpus they carry meaning.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
    down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's
    her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
    it's its itself let's me more most mustn't my myself no nor not of off on once only or other ought
    our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some such
    than that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll we're we've
    were weren't what what's when when's where where's which while who who's whom why why's will with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    s t d ll m re ve also just may might must shall us
    dont cant wont im ive id doesnt didnt isnt arent wasnt werent hasnt havent hadnt shouldnt wouldnt
    couldnt youre youve theyre thats whats hows wheres whos lets
    """.split()
)

# Words that frame a request rather than name its subject ("what do I *need* to
# *bring*", "*tell* me"). They are searched like any word, but a frame word the
# corpus lacks is no evidence that the question is off-topic, so it does not
# count against coverage (see qa.search.parse_question).
FRAME_WORDS = frozenset(
    """
    need needs needed needing want wants wanted know knows tell get gets getting got gotten bring brings
    take takes happen happens happened happening mean means meant please help explain give make makes
    like way ways thing things possible able anything something someone anyone anybody everything
    still now currently right really actually exactly kind sort type go goes going gone went do done
    doing should ok okay thanks thank hi hello
    """.split()
)


_local = threading.local()


def _stemmer():
    """This thread's English stemmer. A PyStemmer ``Stemmer`` "has internal state, so must
    not be called concurrently" (its docstring), and the page and the API answer from many
    threads at once, so each thread gets its own."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer  # PyStemmer: the Snowball stemmers in C

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@dataclass(frozen=True, slots=True)
class Analyzer:
    """Turn text into index terms.

    Parameters
    ----------
    stem : bool, default=True
        Reduce words to their Snowball English stem ("insurance" -> "insur").
    stop_words : bool, default=True
        Drop the function words in `STOP_WORDS`.
    """

    stem: bool = True
    stop_words: bool = True

    def params(self) -> dict:
        return {"stem": self.stem, "stop_words": self.stop_words}

    def words(self, text: str) -> list[tuple[str, int, int]]:
        """Lowercased words with their character spans, stop words included."""
        return [(m.group().lower().replace("’", "'"), m.start(), m.end()) for m in WORD_RE.finditer(text)]

    def is_stop(self, word: str) -> bool:
        return self.stop_words and word in STOP_WORDS

    def stem_words(self, words: list[str]) -> list[str]:
        if not self.stem:
            return list(words)
        return _stemmer().stemWords(words)

    def terms_with_spans(self, text: str) -> list[tuple[str, int, int]]:
        """Index terms with the span of the word each came from."""
        kept = [w for w in self.words(text) if not self.is_stop(w[0])]
        stems = self.stem_words([w for w, _, _ in kept])
        return [(t, s, e) for t, (_, s, e) in zip(stems, kept)]

    def __call__(self, text: str) -> list[str]:
        """Index terms of `text`; usable as a scikit-learn ``analyzer``."""
        words = [m.group().lower().replace("’", "'") for m in WORD_RE.finditer(text)]
        if self.stop_words:
            words = [w for w in words if w not in STOP_WORDS]
        return self.stem_words(words)


# A sentence ends at . ! ? (or their full-width forms, and ; in CJK text) followed
# by space or the end, or at a line break. Not after a number that opens the
# sentence or follows a colon (a list item: "1. Take the ..."), a single capital
# ("J. Smith") or a common abbreviation. A number that ends a sentence ("born in
# 1990. Then ...") does end it.
_ABBREV = frozenset("mr mrs ms dr prof st no vs etc e.g i.e fig eq approx inc ltd co jr sr".split())
_END_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[。！？；]+[”’」』)]*|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentences, as ``(start, end)`` offsets into `text`.

    Each span is stripped of surrounding whitespace, so ``text[start:end]`` is a
    sentence with no leading or trailing space. Spans never overlap and appear
    in order.

    Examples
    --------
    >>> t = "Take the card. Then pay!  1. Go home."
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Take the card.', 'Then pay!', '1. Go home.']
    """
    spans = []
    start = 0
    for m in _END_RE.finditer(text):
        end = m.end()
        if m.group()[0] == ".":
            before = text[start : m.start()].rsplit(None, 2)
            last = before[-1].lower() if before else ""
            item = last.isdigit() and (len(before) == 1 or before[-2].endswith(":"))
            if not last or item or (len(last) == 1 and last.isalpha()) or last.rstrip(".") in _ABBREV:
                continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        seg = text[s:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if e - trail > s + lead:
            out.append((s + lead, e - trail))
    return out
