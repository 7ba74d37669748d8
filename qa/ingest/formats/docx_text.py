"""The text a Word paragraph shows, read from its XML: field results kept, field instructions dropped.

A Word *field* (a table of contents, a page reference, a cross-reference, a hyperlink) is stored
twice: its instruction (``TOC \\o "1-2" \\h``, ``PAGEREF _Toc123 \\h``, ``REF _Ref1``,
``HYPERLINK "https://..."``) and its result, the text Word last displayed. A complex field is a
run of ``w:fldChar`` *begin*, instruction runs (``w:instrText``), *separate*, result runs, *end*,
and fields nest; a simple field (``w:fldSimple``) keeps its instruction in an attribute and its
result as its runs. Only results are text. Deleted revisions (``w:delText``), text boxes
(``w:txbxContent``, read by Word apart from the paragraph) and the fallback copy of drawing markup
(``mc:Fallback``) are not read either; python-docx's ``Paragraph.text`` loses simple fields'
results, which is why the XML is walked here.
"""

from __future__ import annotations

__all__ = ["paragraph_text", "body_items"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIP = frozenset(
    {
        f"{_W}instrText",
        f"{_W}delText",
        f"{_W}txbxContent",
        f"{_W}pPr",
        f"{_W}rPr",
        f"{_MC}Fallback",
        f"{_W}del",
        f"{_W}moveFrom",
        f"{_W}footnoteReference",
        f"{_W}endnoteReference",
        f"{_W}commentReference",
    }
)
_CHARS = {f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-", f"{_W}softHyphen": ""}


def paragraph_text(p) -> str:
    """The text of a ``w:p`` element as Word shows it: fields' results, not their instructions.

    Parameters
    ----------
    p : lxml element
        A ``w:p`` element (python-docx's ``Paragraph._p``).
    """
    out: list[str] = []
    fields: list[bool] = []  # for each open complex field, whether its result has begun
    stack = [iter(p)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:  # comments, processing instructions, skipped parts
            continue
        if tag == f"{_W}fldChar":
            kind = el.get(f"{_W}fldCharType")
            if kind == "begin":
                fields.append(False)
            elif kind == "separate" and fields:
                fields[-1] = True
            elif kind == "end" and fields:
                fields.pop()
            continue
        shown = all(fields)  # inside no field's instruction
        if tag == f"{_W}t":
            if shown:
                out.append(el.text or "")
        elif tag in _CHARS:
            if shown:
                out.append(_CHARS[tag])
        else:
            stack.append(iter(el))
    return "".join(out)


def body_items(body):
    """The ``w:p`` and ``w:tbl`` elements of a body or a cell in document order, content controls
    (``w:sdt``) and custom XML opened: a cover page's title or a whole chapter may sit inside one."""
    stack = [iter(body)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        if el.tag in (f"{_W}p", f"{_W}tbl"):
            yield el
        elif el.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            stack.append(iter(el))
