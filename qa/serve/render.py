"""Answers as JSON objects, terminal text and escaped HTML. No retrieval here.

Everything taken from a document passes through `escape` before it reaches
HTML: it escapes HTML and also every character Markdown or Streamlit would
act on (links, emphasis, ``$`` maths, ``:colour[...]`` directives), so
document text is always shown as text and never run or rendered.
Highlights are placed by character offsets, never by searching the text.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..text import Analyzer, has_han, squash_spaces
from ..ingest.reading import to_reading
from ..types import Answer, Hit, Sentence

__all__ = [
    "answer_to_dict",
    "refusal_to_dict",
    "answer_to_text",
    "escape",
    "passage_html",
    "answer_html",
    "citation_numbers",
    "hits_in_citation_order",
    "hit_location",
    "matched_words",
    "file_name",
    "passage_heading",
    "passage_place",
    "unmatched_words",
    "table_html",
    "details_html",
]


def matched_words(hit: Hit, answer: Answer, analyzer: Analyzer) -> list[str]:
    """The question's own words that this passage matched ("apply", not the index term "appli")."""
    words = list(answer.query_terms)
    stems = analyzer.stem_words(words)
    matched = set(hit.matched_terms)
    found = [w for w, t in zip(words, stems) if t in matched] or list(hit.matched_terms)
    # A Chinese character matched inside a word already listed says nothing more ("医保", not "医", "保").
    return [w for w in found if not (len(w) == 1 and has_han(w) and any(w in o for o in found if o != w))]


def hit_location(hit: Hit, language: str = "en") -> str:
    """``source, page n, characters start-end``: where a passage is in its file (Chinese words for ``"zh"``)."""
    p = hit.passage
    if language == "zh":
        page = f"，第 {p.page} 页" if p.page else ""
        return f"{p.source}{page}，字符 {p.start}\u2013{p.end}"
    page = f", page {p.page}" if p.page else ""
    return f"{p.source}{page}, characters {p.start}\u2013{p.end}"


def file_name(source: str) -> str:
    """A document's file name without any folder: what a visitor is shown of its source."""
    return PurePosixPath(str(source).replace("\\", "/")).name or str(source)


def passage_heading(hit: Hit) -> str:
    """What a passage is shown under: its section heading, else its document's title, else its file name."""
    p = hit.passage
    return p.section or p.title or file_name(p.source)


def passage_place(hit: Hit, language: str = "en") -> str:
    """Where a passage is, as a reader finds it: its document's title (when the heading is not the
    title already), file name and (in a paged source) page; no offsets, no scores.

    >>> from qa.types import Passage
    >>> p = Passage("d#1", "d", "docs/Guide.pdf", "The Guide", "Fees", 10, 20, "x", page=3)
    >>> passage_place(Hit(1, p, 2.0, (), 1.0))
    'from The Guide · Guide.pdf · page 3'
    """
    from .labels import labels  # labels needs the summary's threshold; render is imported first

    p = hit.passage
    t = labels(language)
    parts = [f"{t['from']} {p.title}"] if p.title and p.title != passage_heading(hit) else []
    parts.append(file_name(p.source))
    if p.page:
        parts.append(t["page"].format(p.page))
    return " \u00b7 ".join(parts)


def unmatched_words(answer: Answer, analyzer: Analyzer) -> list[str]:
    """The question's words (as searched for) that no shown passage holds."""
    words = list(answer.query_terms)
    if not words:
        return []
    held = {t for h in answer.hits for t in h.matched_terms}
    missing = [w for w, t in zip(words, analyzer.stem_words(words)) if t not in held]
    # A Chinese character inside a word already listed says nothing more ("保险金", not also "金").
    return [w for w in missing if not (len(w) == 1 and has_han(w) and any(w in o for o in missing if o != w))]


def table_html(header, rows, css_class: str = "qa-table") -> str:
    """A real HTML table (a screen reader and a test can read it), every cell escaped."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def details_html(answer: Answer, analyzer: Analyzer) -> str:
    """The engine's figures for one answer (the owner's "Details"): for each passage as numbered on
    the page, its search rank, score, coverage, matched words, file and character offsets; then the
    confidence as a number and, for an abstention, the summary's own reason."""
    numbers = citation_numbers(answer)
    rows = [
        (
            numbers[h.rank],
            h.rank,
            f"{h.score:.3f}",
            f"{h.coverage:.2f}",
            ", ".join(matched_words(h, answer, analyzer)),
            h.passage.source,
            f"{h.passage.start}\u2013{h.passage.end}",
        )
        for _, h in hits_in_citation_order(answer)
    ]
    table = table_html(
        ("Shown", "Search rank", "Score", "Coverage", "Matched", "Source", "Characters"), rows, "qa-table qa-details"
    )
    facts = f"Confidence {answer.confidence:.3f}"
    if answer.abstained and answer.reason:
        facts += f" · reason: {answer.reason_code}: {answer.reason}"
    return f'<div class="qa-meta">{escape(facts)}</div>{table}'


def refusal_to_dict(question: str, reason: str) -> dict:
    """The JSON object of a question qa refused to search (`qa.errors.QuestionError`: empty, too
    long, no searchable word), in `answer_to_dict`'s shape: abstained, ``reason_code``
    ``"bad_question"``. ``qa answer`` and ``qa eval`` write it for such a line."""
    return {
        "question": question,
        "answer": "",
        "abstained": True,
        "reason": reason,
        "reason_code": "bad_question",
        "confidence": 0.0,
        "sentences": [],
        "passages": [],
    }


def answer_to_dict(answer: Answer, explain: bool = False) -> dict:
    """The ``qa ask --json`` object (the public contract, plus extra fields).

    Contract fields: ``question, answer, abstained, reason, confidence,
    sentences[{text, passage}], passages[{rank, id, doc_id, source, title,
    section, text, start, end, score}]``. ``sentences[i].passage`` is the
    1-based rank of the cited passage. Extra fields: ``reason_code``,
    ``query_terms``, ``corrections``, ``language``, sentence ``start``/``end`` (offsets in the
    source), ``kind`` (the answer unit's kind: ``sentence``, ``item``, ``definition``, ``row``,
    ``code``; `qa.answering.units`), ``spans`` (only for a unit of several source pieces, a table
    row: ``[[start, end], ...]``, each reading back exactly), ``lines`` (only for a unit of several
    lines or a list item: each line's block kind, ``text``, ``item``, ``code``, ``table`` or ``term``),
    passage ``matched_terms`` and ``coverage``, and ``explanation`` when `explain` (``--explain``)
    asked for it or the answer holds one.
    """
    return {
        "question": answer.question,
        "language": answer.language,
        "answer": answer.text,
        "abstained": answer.abstained,
        "reason": answer.reason,
        "reason_code": answer.reason_code,
        "confidence": answer.confidence,
        "query_terms": list(answer.query_terms),
        "corrections": [{"typed": a, "corrected": b} for a, b in answer.corrections],
        "sentences": [_sentence_dict(s) for s in answer.sentences],
        "passages": [
            {
                "rank": h.rank,
                "id": h.passage.passage_id,
                "doc_id": h.passage.doc_id,
                "source": h.passage.source,
                "title": h.passage.title,
                "section": h.passage.section,
                "text": h.passage.text,
                "start": h.passage.start,
                "end": h.passage.end,
                "score": round(h.score, 6),
                "page": h.passage.page or None,
                "matched_terms": list(h.matched_terms),
                "coverage": round(h.coverage, 4),
            }
            for h in answer.hits
        ],
        # Asked for (``--explain``), it is there even when empty: a guard refused before any unit was scored.
        **({"explanation": list(answer.explanation)} if answer.explanation or explain else {}),
    }


def explanation_to_text(answer: Answer, top: int = 8) -> str:
    """``qa ask --explain`` in the terminal: each shown unit's score, confidence, and its features'
    values and contributions (weight x value), the largest `top` first."""
    if not answer.explanation:  # a guard refused first (no word of the question, a name nowhere)
        return f"No answer unit was scored: {answer.reason or 'the question was refused before scoring.'}"
    lines = [f"Confidence {answer.confidence:.0%} (the calibrated probability that the first unit holds the answer)."]
    for n, unit in enumerate(answer.explanation, 1):
        lines.append(
            f"\n[{n}] passage [{unit['passage']}], {unit['kind']}, score {unit['score']:+.3f}: {unit['text'][:100]!r}"
        )
        lines.append(f"    {'feature':<18} {'value':>7} {'weight':>8} {'contribution':>13}")
        for name, f in list(unit["features"].items())[:top]:
            lines.append(f"    {name:<18} {f['value']:>7.3f} {f['weight']:>+8.3f} {f['contribution']:>+13.3f}")
    return "\n".join(lines)


def _sentence_dict(s: Sentence) -> dict:
    out = {"text": s.text, "passage": s.rank, "start": s.start, "end": s.end, "kind": s.kind}
    if s.spans:
        out["spans"] = [list(span) for span in s.spans]
    if s.lines:
        out["lines"] = list(s.lines)
    return out


def _summary_lines(answer: Answer, width: int) -> list[str]:
    """The summary for the terminal: running sentences wrapped together; a list item as a bullet,
    a code unit's code lines indented on lines of their own."""
    import textwrap

    lines: list[str] = []
    prose: list[str] = []

    def flush():
        if prose:
            lines.extend(textwrap.wrap(" ".join(prose), width, initial_indent="  ", subsequent_indent="  "))
            prose.clear()

    for s in answer.sentences:
        if not s.lines:
            prose.append(f"{s.text} [{s.rank}]")
            continue
        flush()
        parts = s.text.split("\n")
        for n, (kind, part) in enumerate(zip(s.lines, parts)):
            cite = f" [{s.rank}]" if n == len(parts) - 1 else ""
            if kind == "code":
                lines.append(f"      {part}{cite}")
            elif kind == "item":
                lines.extend(
                    textwrap.wrap(f"{part}{cite}", width, initial_indent="  \u2022 ", subsequent_indent="    ")
                )
            else:
                lines.extend(textwrap.wrap(f"{part}{cite}", width, initial_indent="  ", subsequent_indent="  "))
    flush()
    return lines


def answer_to_text(answer: Answer, width: int = 100, analyzer: Analyzer | None = None) -> str:
    """A plain-text rendering for the terminal."""
    import textwrap

    analyzer = analyzer or Analyzer()

    from .labels import labels, reason_text  # labels needs the summary's threshold; render is imported first

    t = labels(answer.language)
    lines = []
    if answer.corrections:
        lines.append(
            f"{t['searched_for']} " + ", ".join(f"{b!r} ({t['you_typed']} {a!r})" for a, b in answer.corrections)
        )
    if answer.abstained:
        lines.append(t["no_answer"])
        lines.append(f"{t['reason']}: {reason_text(answer)}")
    else:
        lines.append(t["answer_heading"].format(answer.confidence))
        lines.extend(_summary_lines(answer, width))
    if answer.hits:
        lines.append("")
        lines.append(t["closest_heading"] if answer.abstained else t["passages_heading"])
        for h in answer.hits:
            p = h.passage
            head = " \u203a ".join(x for x in (p.title, p.section) if x)
            matched = ", ".join(matched_words(h, answer, analyzer))
            lines.append(f"[{h.rank}] {head}")
            lines.append(
                f"    {hit_location(h, answer.language)}; {t['score']} {h.score:.3f}; {t['matched']}: {matched}"
            )
            lines.extend(textwrap.wrap(squash_spaces(p.text), width, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)


# Characters that HTML or Markdown (as Streamlit renders it) give a meaning to.
_ESCAPES = {c: f"&#{ord(c)};" for c in "&<>\"'`*_[](){}#+-!|~$:\\=^@%"}
_ESCAPE_RE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")


def escape(text: str) -> str:
    """Escape text for HTML inside Streamlit Markdown: every special character
    becomes a numeric entity, and line breaks (``\\n``, ``\\r\\n`` or ``\\r``, all
    line endings to Markdown) become ``<br>`` (a blank line would end the HTML
    block and let Markdown parse the rest).

    Examples
    --------
    >>> escape("<b>[x](javascript:y)</b>")
    '&#60;b&#62;&#91;x&#93;&#40;javascript&#58;y&#41;&#60;/b&#62;'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text).replace("\n", "<br>")


def layered_html(text: str, base: int, layers, hidden=()) -> str:
    """HTML of ``text`` (which starts at offset ``base`` in its source), every piece escaped, the
    pieces inside each layer's spans wrapped in its tags, the pieces inside a `hidden` span left out.

    `layers` is a sequence of ``(spans, open_tag, close_tag)``, spans as source offsets ``(start,
    end)``; the first layer is innermost. Spans are cut at the window's ends. `hidden` spans (source
    offsets) are characters not shown: a man page's escapes and overstrike (`qa.ingest.terminal`).

    >>> layered_html("a<b c", 10, [([(12, 13)], "<mark>", "</mark>"), ([(10, 15)], "<i>", "</i>")])
    '<i>a&#60;</i><i><mark>b</mark></i><i> c</i>'
    >>> layered_html("N\bNAME", 0, [], hidden=[(0, 2)])
    'NAME'
    """
    end = base + len(text)
    bounds = {base, end}
    for spans, _, _ in [*layers, (hidden, "", "")]:
        for s, e in spans:
            bounds.update(x for x in (s, e) if base <= x <= end)
    points = sorted(bounds)
    out = []
    for a, b in zip(points, points[1:]):
        if a == b or any(s <= a and b <= e for s, e in hidden):
            continue
        piece = escape(text[a - base : b - base])
        for spans, open_tag, close_tag in layers:
            if any(s <= a and b <= e for s, e in spans):
                piece = f"{open_tag}{piece}{close_tag}"
        out.append(piece)
    return "".join(out)


def _marked(text: str, base: int, words: list[tuple[int, int]], spans: list[tuple[int, int]]) -> str:
    """HTML of ``text`` (which starts at offset ``base`` in its source) with the
    word spans in <mark> and the sentence spans in <span class="qa-cited">."""
    return layered_html(text, base, [(words, "<mark>", "</mark>"), (spans, '<span class="qa-cited">', "</span>")])


def passage_html(hit: Hit, answer: Answer, analyzer: Analyzer) -> str:
    """A passage's text as HTML: matched words in ``<mark>``, sentences used in
    the answer in ``<span class="qa-cited">``; all document text escaped."""
    p = hit.passage
    matched = set(hit.matched_terms)
    words = [(s, e) for t, s, e in analyzer.terms_with_spans(p.text) if t in matched]
    # Cited sentences carry source offsets; the passage shows reading text: map them back.
    spans = [(to_reading(p, s.start), to_reading(p, s.end - 1) + 1) for s in answer.sentences if s.rank == hit.rank]
    return _marked(p.text, 0, words, spans)


# A list marker opening a quoted sentence ("2. ", "(b) ", "• ", "二、"): layout, not the answer's words.
_LEADING_MARKER = re.compile(
    r"^\s*(?:(?:[-*•·‣◦]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)])\s+|(?:[一二三四五六七八九十]{1,3}|\d{1,3})、\s*)"
)


def sentence_shown(text: str) -> str:
    """A summary sentence as the page shows it: without a list marker in front ("2. Individuals
    must..." reads "Individuals must..."); the JSON keeps the quote as it is."""
    rest = _LEADING_MARKER.sub("", text, count=1)
    return rest if rest.strip() else text


def citation_numbers(answer: Answer) -> dict[int, int]:
    """The number the page shows for each passage rank: the passages the answer cites, numbered
    1, 2, 3... in the order the answer first cites them, then the others in rank order. (The JSON
    keeps the ranks; only the page renumbers.)"""
    order: list[int] = []
    for s in answer.sentences:
        if s.rank not in order:
            order.append(s.rank)
    order += [h.rank for h in answer.hits if h.rank not in order]
    return {rank: i for i, rank in enumerate(order, 1)}


def hits_in_citation_order(answer: Answer) -> list[tuple[int, Hit]]:
    """``(shown number, hit)`` for each passage, in the order `citation_numbers` gives."""
    numbers = citation_numbers(answer)
    return sorted(((numbers[h.rank], h) for h in answer.hits), key=lambda pair: pair[0])


def answer_html(answer: Answer) -> str:
    """The summary as HTML: each sentence escaped, followed by a link [n] to passage n, numbered
    by `citation_numbers` (the first passage cited is [1])."""
    numbers = citation_numbers(answer)
    parts = []
    for s in answer.sentences:
        n = numbers.get(s.rank, s.rank)
        parts.append(f'{unit_html(s)} <a href="#passage-{n}" class="qa-cite">&#91;{n}&#93;</a>')
    return " ".join(parts)


def unit_html(s: Sentence) -> str:
    """One summary unit as HTML, every piece escaped: a sentence as text; a code unit's code lines
    in ``<code>`` on lines of their own; a list item (alone or after a lead-in) as a bullet; a
    definition's term in bold."""
    if not s.lines:
        return escape(sentence_shown(s.text))
    out = []
    for n, (kind, part) in enumerate(zip(s.lines, s.text.split("\n"))):
        if kind == "code":
            piece = f'<code class="qa-code">{escape(part)}</code>'
        elif kind == "item":
            piece = f"&#8226; {escape(sentence_shown(part))}"
        elif kind == "term":
            piece = f"<strong>{escape(part)}</strong>"
        else:
            piece = escape(part)
        out.append(piece if n == 0 else f"<br>{piece}")
    return "".join(out)
