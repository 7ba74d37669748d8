"""The source around a passage, as the page's "Show in source" shows it (`context_html`)."""

from __future__ import annotations

from ..ingest.terminal import residue
from .render import layered_html

__all__ = ["CONTEXT_RADIUS", "context_html"]

CONTEXT_RADIUS = 600  # characters of source shown either side of a passage


def context_html(doc_text: str | None, passage, answer, radius: int = CONTEXT_RADIUS) -> str:
    """The source around a passage as escaped HTML, the passage and the answer's sentences
    highlighted (by offsets, never by searching).

    Parameters
    ----------
    doc_text : str or None
        The document's text (`Library.source_text`); None shows the passage alone.
    passage : qa.Passage
    answer : qa.Answer
        Its sentences that quote this document and fall in the window are marked.
    radius : int
        Characters shown either side of the passage; the window is widened to the
        nearest space (at most 40 characters) so it does not start or end mid-word.
    """
    if doc_text is None or passage.end > len(doc_text):
        text, base, cut_left, cut_right = passage.text, passage.start, False, False
    else:
        a = max(0, passage.start - radius)
        b = min(len(doc_text), passage.end + radius)
        if a > 0:
            space = doc_text.rfind(" ", max(0, a - 40), a)
            a = space + 1 if space >= 0 else a
        if b < len(doc_text):
            space = doc_text.find(" ", b, min(len(doc_text), b + 40))
            b = space if space >= 0 else b
        text, base, cut_left, cut_right = doc_text[a:b], a, a > 0, b < len(doc_text)
    sentences = []
    for s in answer.sentences if answer is not None else ():
        if 1 <= s.rank <= len(answer.hits) and answer.hits[s.rank - 1].passage.doc_id == passage.doc_id:
            sentences.append((s.start, s.end))
    # Escapes and overstrike are not what a reader sees (found around the window too: one may straddle its edge).
    lo = max(0, base - 32)
    around = doc_text[lo : base + len(text) + 32] if doc_text is not None and text is not passage.text else text
    lo = lo if around is not text else base
    hidden = [(lo + s, lo + e) for s, e in residue(around)]
    html = layered_html(
        text,
        base,
        [
            (sentences, '<span class="qa-cited">', "</span>"),
            ([(passage.start, passage.end)], '<span class="qa-context-passage">', "</span>"),
        ],
        hidden,
    )
    return ("\u2026 " if cut_left else "") + html + (" \u2026" if cut_right else "")
