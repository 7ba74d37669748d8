"""The one analyzer shared by indexing and questions, and the sentence splitter.

Analysis is: find words (runs of letters and digits), lowercase, drop stop
words, stem with the Snowball English stemmer (PyStemmer). Every term keeps the
character span of the word it came from, so matches can be highlighted by
offset rather than by searching the text again.

Chinese has no spaces, so a run of Han characters is one "word" to a regular
expression. Such runs are cut into words by jieba's dictionary (the Rust port,
``rjieba``: the same dictionary and cuts, 30 times faster and 10 times quicker to
load than the Python one), in its search mode, which gives a long word and the
shorter words inside it ("医疗保险" -> "医疗", "保险", "医疗保险"), so a question
that says either finds the other. Chinese and English words live in one
vocabulary, so a mixed corpus is one index. Character bigrams are the other
common choice; docs/design.md "Chinese" has the measurement that picked words.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Analyzer",
    "CHINESE_MODES",
    "STOP_WORDS",
    "FRAME_WORDS",
    "count_words",
    "detect_language",
    "has_han",
    "segment",
    "split_sentences",
    "squash_spaces",
    "text_key",
    "WORD_RE",
]

# Han ideographs (CJK unified, extension A, compatibility, and the supplementary planes).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
_HAN_CHAR = re.compile(f"[{HAN}]")
# A run of Han characters, or a run of other letters and digits (with inner
# apostrophes): "社保ID卡" is three words, "社保", "ID", "卡"... after segmentation.
WORD_RE = re.compile(rf"[{HAN}]+|[^\W_{HAN}]+(?:['’][^\W_{HAN}]+)*")
# For indexing: words, plus sentence ends as their own tokens (so the index can
# keep sentence boundaries without a second pass over the text).
SENTENCE_END_CHARS = frozenset(".!?\n。！？；")
INDEX_TOKEN_RE = re.compile(WORD_RE.pattern + r"|[.!?]+(?=\s|$)|[。！？；]+|\n")
# The same tokens for ASCII text (``str.isascii()``), where a letter or digit is [A-Za-z0-9]: a fifth
# faster without the Unicode classes, and most of a build's time is tokenising (tests/index/test_text.py).
INDEX_TOKEN_ASCII_RE = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*|[.!?]+(?=\s|$)|\n")

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

# Chinese function words and question words, the counterparts of the list above
# (的 "of", 了 aspect, 吗 question particle, 怎么 "how", 可以 "can", 如果 "if").
CHINESE_STOP_WORDS = frozenset(
    """
    的 了 着 过 地 得 之 其 是 在 和 与 及 或 而 且 并 也 都 就 还 又 再 才 被 把 给 对 从 向 于 以 为 由 跟 同
    这 那 这个 那个 这些 那些 这样 那样 这里 那里 此 该 每 各 某 我 你 您 他 她 它 我们 你们 他们 她们 咱们
    自己 吗 呢 吧 啊 呀 哦 嘛 么 啦 很 太 更 最 非常 一 一个 一些 有 没 没有 不 不是 不能 是否 能否 会 能 能够
    可 可以 可能 应该 应当 必须 什么 怎么 怎样 怎么样 怎么办 如何 哪 哪里 哪儿 哪些 哪个 谁 为什么 为何 多少
    几 如果 要是 假如 的话 时 时候 后 以后 之后 前 以前 之前 中 里 等 个 则 即 所 所以 因为 但 但是 然后
    """.split()
)

# Words that frame a request rather than name its subject ("what do I *need* to
# *bring*", "*tell* me"). They are searched like any word, but a frame word the
# corpus lacks is no evidence that the question is off-topic, so it does not
# count against coverage (see qa.answering.search.parse_question).
FRAME_WORDS = frozenset(
    """
    need needs needed needing want wants wanted know knows tell get gets getting got gotten bring brings
    take takes happen happens happened happening mean means meant please help explain give make makes
    like way ways thing things possible able anything something someone anyone anybody everything
    still now currently right really actually exactly kind sort type go goes going gone went do done
    doing should ok okay thanks thank hi hello
    需要 要 想 想要 知道 了解 告诉 请 请问 问 问题 帮 帮忙 帮助 一下 谢谢 你好 现在 目前 还能 能不能 可不可以
    办 做 情况 事情 东西 问下 咨询
    """.split()
)

CHINESE_MODES = ("search_chars", "search", "words", "bigrams")


def has_han(text: str) -> bool:
    """True if `text` holds a Han (Chinese) character."""
    # isascii() is O(1) (CPython stores it with the string): English text skips the scan.
    return not text.isascii() and _HAN_CHAR.search(text) is not None


def count_words(text: str) -> int:
    """Words in `text`: split at spaces, or cut by jieba when it holds Chinese.

    Examples
    --------
    >>> count_words("Take the card."), count_words("带上身份证。")
    (3, 2)
    """
    if not has_han(text):
        return len(text.split())
    return sum(len(segment(w, "words")) if _HAN_CHAR.match(w) else 1 for w in WORD_RE.findall(text))


def detect_language(text: str) -> str:
    """``"zh"`` if `text` is mostly Chinese, else ``"en"``: by script, not by words.

    Han characters are compared with Latin-script words (a Chinese word is one
    or two characters, so characters against words is roughly words against
    words): "医保 card 怎么用" is Chinese, "What is 社保?" is English.

    Examples
    --------
    >>> detect_language("离职后医保还能用吗？"), detect_language("Can I still use it?")
    ('zh', 'en')
    """
    han = len(_HAN_CHAR.findall(text))
    if not han:
        return "en"
    other = sum(1 for w in WORD_RE.findall(text) if not _HAN_CHAR.match(w))
    return "zh" if han > other else "en"


@lru_cache(maxsize=1)
def _jieba():
    import rjieba  # jieba's dictionary and algorithm, in Rust

    return rjieba


@lru_cache(maxsize=100_000)
def segment(run: str, mode: str = "search_chars") -> tuple[tuple[str, int, int], ...]:
    """Cut a run of Han characters into words, with their spans in the run.

    Parameters
    ----------
    run : str
        Han characters only (a `WORD_RE` match that `has_han`).
    mode : {"search_chars", "search", "words", "bigrams"}
        ``"words"``: jieba's best cut, each character in one word.
        ``"search"``: the best cut plus the dictionary words inside each long
        word (spans then overlap). ``"search_chars"``: "search", plus each
        character of every word of two or more characters that is not a stop
        word. ``"bigrams"``: every two neighbouring characters (a
        one-character run is itself).

    Examples
    --------
    >>> [w for w, _, _ in segment("医疗保险", "bigrams")]
    ['医疗', '疗保', '保险']
    """
    if mode == "bigrams":
        if len(run) < 2:
            return ((run, 0, len(run)),)
        return tuple((run[i : i + 2], i, i + 2) for i in range(len(run) - 1))
    if mode == "search_chars":
        # The characters of each content word too: a back-off that plays the part stemming plays in
        # English ("缴" finds "缴纳" and "缴费", "证" finds "身份证" and "证明").
        chars = tuple(
            (c, a + i, a + i + 1)
            for w, a, b in segment(run, "words")
            if b - a > 1 and w not in CHINESE_STOP_WORDS
            for i, c in enumerate(w)
        )
        return segment(run, "search") + chars
    if mode not in CHINESE_MODES:
        raise ValueError(f"unknown Chinese segmentation mode {mode!r}; use one of {CHINESE_MODES}")
    return tuple(_jieba().tokenize(run, mode="search" if mode == "search" else "default", hmm=True))


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
        Drop the function words in `STOP_WORDS` and `CHINESE_STOP_WORDS`.
    chinese : {"search_chars", "search", "words", "bigrams"}, default="search_chars"
        How runs of Han characters become words (see `segment`).
    """

    stem: bool = True
    stop_words: bool = True
    chinese: str = "search_chars"

    def params(self) -> dict:
        return {"stem": self.stem, "stop_words": self.stop_words, "chinese": self.chinese}

    def words(self, text: str) -> list[tuple[str, int, int]]:
        """Lowercased words with their character spans, stop words included."""
        if not has_han(text):
            return [(m.group().lower().replace("’", "'"), m.start(), m.end()) for m in WORD_RE.finditer(text)]
        out = []
        for m in WORD_RE.finditer(text):
            w = m.group()
            if _HAN_CHAR.match(w):
                start = m.start()
                out.extend((s, start + a, start + b) for s, a, b in segment(w, self.chinese))
            else:
                out.append((w.lower().replace("’", "'"), m.start(), m.end()))
        return out

    def split_han(self, tokens: list[str]) -> list[str]:
        """`tokens` with each run of Han characters replaced by its words (for the index builder)."""
        out = []
        for t in tokens:
            if _HAN_CHAR.match(t):
                out.extend(s for s, _, _ in segment(t, self.chinese))
            else:
                out.append(t)
        return out

    def is_stop(self, word: str) -> bool:
        return self.stop_words and (word in STOP_WORDS or word in CHINESE_STOP_WORDS)

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
        if has_han(text):
            words = self.split_han(words)
        if self.stop_words:
            words = [w for w in words if not self.is_stop(w)]
        return self.stem_words(words)


# A sentence ends at . ! ? (or their full-width forms, and ; in CJK text) followed
# by space or the end, or at a line break. Not after a number that opens the
# sentence or follows a colon (a list item: "1. Take the ..."), a single capital
# ("J. Smith") or a common abbreviation. A number that ends a sentence ("born in
# 1990. Then ...") does end it.
_ABBREV = frozenset(
    "mr mrs ms dr prof st no vs etc e.g i.e eg ie cf viz a.k.a aka fig eq approx inc ltd co jr sr".split()
)
# A sentence ends at . ! ? before a space; a Chinese one at 。！？ (or their half-width forms right after
# a Chinese character), never at "；": a law's article lists its clauses with "；", and the clause that
# answers needs the sentence's head ("失业保险金领取期限……最长为二十四个月").
_END_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[。！？｡]+[”’」』)]*|(?<=[\u3400-\u9fff])[!?]+[”’」』)]*|\n+")


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
            last = before[-1].lower().lstrip("([{\"'“‘") if before else ""  # "(eg." is "eg."
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


def squash_spaces(text: str) -> str:
    r"""Every run of whitespace as one space, none at the ends.

    >>> squash_spaces("  a\n\tb  c ")
    'a b c'
    """
    return " ".join(text.split())


def text_key(text: str) -> str:
    r"""The text with case and spacing aside: what makes two passages, hits or questions "the same".

    >>> text_key("Where  do I\nPAY?") == text_key("where do i pay?")
    True
    """
    return squash_spaces(text.lower())
