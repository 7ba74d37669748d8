"""The words the page (and ``qa ask``) shows around an answer, in the question's language.

A Chinese question gets Chinese labels (`labels`), and a Chinese account of an
abstention (`reason_text`) built from the answer's reason code: the English
reason the summary writes stays the JSON API's ``reason``. A visitor reads
`plain_reason` and `confidence_word` instead: what the documents do not say, and
how sure the answer is, in words, with no figure of the engine's.
"""

from __future__ import annotations

from ..answering.scoring import load_model
from ..types import Answer

__all__ = [
    "LABELS",
    "CONFIDENCE_LEVELS",
    "labels",
    "reason_text",
    "plain_reason",
    "confidence_level",
    "confidence_word",
    "or_list",
]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "answer": "Answer",
        "passages": "Passages",
        "confidence": "Confidence: {}",
        "high": "High",
        "medium": "Medium",
        "low": "Low",
        "no_answer": "No answer in these documents.",
        "not_said": "The documents do not say.",
        "searched_for": "Searched for",
        "nothing": "nothing",
        "you_typed": "you typed",
        "try_asking": "Try asking:",
        "closest": "Closest passages",
        "closest_note": "They do not answer the question.",
        "no_match": "None of the question's words appear in them.",
        "not_mentioned": "No passage mentions {}.",
        "weak": "The passages that share the question's words do not answer it.",
        "or": "or",
        "from": "from",
        "page": "page {}",
        "more_examples": "More questions these documents answer",
        "thanks": "Thanks, recorded.",
        "thanks_comment": "Thanks, recorded (with your comment).",
        "comment": "Comment (optional)",
        "comment_hint": "What was wrong or missing?",
        "send": "Send comment",
        "show_source": "Show in source",
        "score": "score",
        "matched": "matched",
        "none": "none",
        "source_unreadable": "{} cannot be re-read as text (not a .txt/.md file, or changed since it was "
        "indexed); showing the passage itself.",
        "source_context": "{}: up to {} characters either side of the passage (shaded); the answer's "
        "sentences underlined.",
        "answer_heading": "Answer (confidence {:.2f}):",
        "reason": "Reason",
        "closest_heading": "Closest passages:",
        "passages_heading": "Passages:",
    },
    "zh": {
        "answer": "答案",
        "passages": "相关段落",
        "confidence": "置信度：{}",
        "high": "高",
        "medium": "中",
        "low": "低",
        "no_answer": "这些文档中没有答案。",
        "not_said": "这些文档中没有答案。",
        "searched_for": "检索词",
        "nothing": "无",
        "you_typed": "您输入的是",
        "try_asking": "可以试着问：",
        "closest": "最接近的段落",
        "closest_note": "它们并未回答这个问题。",
        "no_match": "问题中的词在这些文档里都没有出现。",
        "not_mentioned": "没有段落提到{}。",
        "weak": "包含问题中词语的段落都没有回答它。",
        "or": "或",
        "from": "出自",
        "page": "第 {} 页",
        "more_examples": "这些文档能回答的其他问题",
        "thanks": "谢谢，已记录。",
        "thanks_comment": "谢谢，已记录（含您的意见）。",
        "comment": "意见（选填）",
        "comment_hint": "哪里不对或缺了什么？",
        "send": "提交意见",
        "show_source": "在原文中查看",
        "score": "得分",
        "matched": "匹配",
        "none": "无",
        "source_unreadable": "{} 无法作为文本重新读取（不是 .txt/.md 文件，或建立索引后已更改），只显示该段落。",
        "source_context": "{}：段落前后各最多 {} 个字符（段落加底色，答案句子加下划线）。",
        "answer_heading": "答案（置信度 {:.2f}）：",
        "reason": "原因",
        "closest_heading": "最接近的段落：",
        "passages_heading": "相关段落：",
    },
}

# The one place where a confidence becomes a word. `Answer.confidence` is the probability that the
# answer's first unit holds the answer, calibrated on the sets make fit is fitted on (on a set it was
# not calibrated on it runs high from 0.5 up: docs/design.md): at least 0.75 is "High", at least 0.45
# "Medium", anything lower "Low". A visitor sees only the word, never a
# percentage (a "100%" under an answer that restates the question promises what no engine knows).
CONFIDENCE_LEVELS: tuple[tuple[float, str], ...] = ((0.75, "high"), (0.45, "medium"), (0.0, "low"))


def labels(language: str) -> dict[str, str]:
    """The page's labels for `language` (English for any language without its own)."""
    return LABELS.get(language, LABELS["en"])


def confidence_level(confidence: float) -> str:
    """``"high"``, ``"medium"`` or ``"low"``: the bin of `CONFIDENCE_LEVELS` that `confidence` falls in.

    >>> [confidence_level(p) for p in (1.0, 0.75, 0.6, 0.45, 0.44, 0.0)]
    ['high', 'high', 'medium', 'medium', 'low', 'low']
    """
    for floor, level in CONFIDENCE_LEVELS:
        if confidence >= floor:
            return level
    return CONFIDENCE_LEVELS[-1][1]


def confidence_word(answer: Answer) -> str:
    """The answer's confidence as a word in its language: "High", "Medium", "Low" (高, 中, 低)."""
    return labels(answer.language)[confidence_level(answer.confidence)]


def or_list(words, language: str = "en") -> str:
    """Words as people list alternatives: "a", "a or b", "a, b or c" ("a、b或c" in Chinese)."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    if language == "zh":
        return "、".join(words[:-1]) + labels("zh")["or"] + words[-1]
    return ", ".join(words[:-1]) + f" {labels(language)['or']} " + words[-1]


def plain_reason(answer: Answer, unmatched=()) -> str:
    """Why there is no answer, in plain words and the question's language, with no figure.

    Parameters
    ----------
    answer : Answer
        An abstention.
    unmatched : sequence of str
        The question's words that no shown passage holds (the page works them out with the
        index's analyzer): named as what no passage mentions.
    """
    t = labels(answer.language)
    if answer.reason_code == "no_match" or not answer.hits:
        return t["no_match"]
    if unmatched:
        return t["not_mentioned"].format(or_list(list(unmatched)[:6], answer.language))
    return t["weak"]


def reason_text(answer: Answer) -> str:
    """Why qa abstained, in the question's language, with the engine's figures (the owner's view,
    the terminal and the feedback store; a visitor reads `plain_reason`)."""
    if answer.language != "zh" or not answer.reason_code:
        return answer.reason or ""
    if answer.reason_code == "no_match":
        return "问题中的词在这些文档里都没有出现。"
    if answer.reason_code == "weak_evidence":
        model = load_model()
        if answer.evidence < model.min_evidence:
            return (
                f"证据不足：最佳段落和句子只涵盖了问题内容的 {answer.evidence:.0%}（按词的权重），"
                f"低于所需的 {model.min_evidence:.0%}。"
            )
        if answer.confidence < model.threshold:
            return f"最可能的答案句正确的概率只有 {answer.confidence:.0%}，低于所需的 {model.threshold:.0%}。"
        return "最相关文档中没有一个句子包含问题中的词（只有标题包含）。"
    return answer.reason or ""
