"""The words the page (and ``qa ask``) shows around an answer, in the question's language.

A Chinese question gets Chinese labels (`labels`), and a Chinese account of an
abstention (`reason_text`) built from the answer's reason code: the English
reason the summary writes stays the JSON API's ``reason``.
"""

from __future__ import annotations

from ..answering.summarize import MIN_EVIDENCE
from ..types import Answer

__all__ = ["LABELS", "labels", "reason_text"]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "answer": "Answer",
        "passages": "Passages",
        "confidence": "Confidence {:.0%}",
        "no_answer": "No answer in these documents.",
        "searched_for": "Searched for",
        "nothing": "nothing",
        "you_typed": "you typed",
        "try_asking": "Try asking:",
        "closest": "Closest passages ({}, weak matches)",
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
        "confidence": "置信度 {:.0%}",
        "no_answer": "这些文档中没有答案。",
        "searched_for": "检索词",
        "nothing": "无",
        "you_typed": "您输入的是",
        "try_asking": "可以试着问：",
        "closest": "最接近的段落（{} 段，匹配较弱）",
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


def labels(language: str) -> dict[str, str]:
    """The page's labels for `language` (English for any language without its own)."""
    return LABELS.get(language, LABELS["en"])


def reason_text(answer: Answer) -> str:
    """Why qa abstained, in the question's language."""
    if answer.language != "zh" or not answer.reason_code:
        return answer.reason or ""
    if answer.reason_code == "no_match":
        return "问题中的词在这些文档里都没有出现。"
    if answer.reason_code == "weak_evidence":
        return (
            f"证据不足：最佳段落和句子只涵盖了问题内容的 {answer.confidence:.0%}（按词的权重），"
            f"低于所需的 {MIN_EVIDENCE:.0%}。"
        )
    return answer.reason or ""
