"""A PDF page's lines as pdfium reads them: the text, cut into lines and segments with their boxes, fonts and sizes.

pdfium (pypdfium2) reads a page's text in the order the page draws it, with the spaces and line
breaks it infers from the glyphs' positions ("generated" characters). Asking for every character's
box from Python costs a call a character, most of the reading's time; here the calls are made a
*segment* at a time instead: a run of characters drawn by one text object between two generated
characters (a word of TeX, a line of Word), whose left and right come from its first and last
character's loose box (the font's ascent to descent, the same for every glyph of a font), and
whose font and size from its first character. The one call a character left is which text object
draws it (`FPDFText_GetTextObject`, made through `map` so it runs in C).
"""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from bisect import bisect_left, bisect_right
from itertools import compress, repeat
from operator import ne

__all__ = ["Line", "page_lines", "CELL_GAP"]

_MONO_FONT_RE = re.compile(r"mono|courier|consol|menlo|cmtt|typewriter|nimbusmon|fixed", re.IGNORECASE)
_BOLD_FONT_RE = re.compile(r"bold|black|heavy|demi|medi|cmbx", re.IGNORECASE)  # NimbusRomNo9L-Medi is TeX's bold Times
# pdfium's stand-ins for a glyph with no text behind it (U+FFFD, U+FFFE), a private-use code from a
# symbol font (Word's bullet is U+F0B7), a lone surrogate half: opening a line before a space such a
# glyph is a bullet; anywhere else it is no word ("Copyright c" of TeX's circled c) and is dropped.
_UNMAPPED = "\ufffd\ufffe\uffff\ue000-\uf8ff\ud800-\udfff"
_UNMAPPED_BULLET_RE = re.compile(f"^[{_UNMAPPED}]+(?=\\s)")
_UNMAPPED_RE = re.compile(f"[{_UNMAPPED}]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BREAK_RE = re.compile("\r\n|[\r\n\ufffe]")
CELL_GAP = 1.5  # a gap between two segments of a line wider than this many font sizes separates table cells or columns


@dataclass(slots=True)
class Line:
    """One line of a PDF page, with what the layout rules need.

    Attributes
    ----------
    text : str
        The line's text, one space between words.
    x0, x1, top, bottom : float
        Its box in points, from the page's top left corner.
    size : float
        The most common font size of its characters (of the proportional ones, if any).
    bold, mono : bool
        Whether (nearly) all its characters are bold, monospaced.
    cells : tuple of (float, float, str)
        When gaps wider than `CELL_GAP` font sizes split the line, each part's left, right and
        text (a table row's cells, or a line of each column); empty otherwise.
    """

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    mono: bool
    cells: tuple = ()


class _Api:
    """The pdfium functions the reader calls per character or segment, typed to return plain Python numbers."""

    def __init__(self):
        import pypdfium2.raw as raw

        def proto(fn, restype, *argtypes):  # the same C function, without pypdfium2's pointer wrapping
            return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, ctypes.c_void_p).value)

        vp, i = ctypes.c_void_p, ctypes.c_int
        self.text_object = proto(raw.FPDFText_GetTextObject, vp, vp, i)
        self.unicode = proto(raw.FPDFText_GetUnicode, ctypes.c_uint, vp, i)
        self.font_size = proto(raw.FPDFText_GetFontSize, ctypes.c_double, vp, i)
        self.rect = ctypes.c_float * 4  # FS_RECTF: left, top, right, bottom
        self.loose_box = proto(raw.FPDFText_GetLooseCharBox, i, vp, i, ctypes.POINTER(self.rect))
        self.font_info = proto(
            raw.FPDFText_GetFontInfo, ctypes.c_ulong, vp, i, ctypes.c_char_p, ctypes.c_ulong, ctypes.POINTER(i)
        )


@lru_cache(maxsize=1)
def _api() -> _Api:
    return _Api()


@lru_cache(maxsize=1024)
def _font_kind(name: bytes) -> tuple[bool, bool]:
    """Whether the font of this name is bold, and whether it is monospaced."""
    fontname = name.decode("latin-1")
    return bool(_BOLD_FONT_RE.search(fontname)), bool(_MONO_FONT_RE.search(fontname))


def _clean(text: str) -> str:
    # pdfium writes a hyphen that ends a line as U+0002 (its "hyphen at a line end" mark); it is the
    # printed hyphen, and the paragraph rules decide whether it splits a word or belongs to it.
    text = _UNMAPPED_BULLET_RE.sub("•", text.strip().replace("\x02", "-"))
    return " ".join(_UNMAPPED_RE.sub("", _CONTROL_RE.sub("", text)).split())


def page_lines(page) -> list[Line]:
    """The lines of a pypdfium2 page, in the order pdfium reads them (the page's drawing order).

    Parameters
    ----------
    page : pypdfium2.PdfPage
        An open page.
    """
    api = _api()
    height = float(page.get_height())
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        if n <= 0:
            return []
        handle = ctypes.cast(textpage.raw, ctypes.c_void_p).value
        text = textpage.get_text_range()
        if len(text) != n:  # characters beyond the BMP come as surrogate pairs: one string index a character
            text = "".join(map(chr, map(api.unicode, repeat(handle, n), range(n))))
        objects = list(map(api.text_object, repeat(handle, n), range(n)))
        breaks = [m.end() for m in _BREAK_RE.finditer(text)]  # where a line ends inside a run, found once
        starts = [0, *compress(range(1, n), map(ne, objects[1:], objects[:-1])), n]
        box = api.rect()
        box_ref = ctypes.byref(box)
        fonts: dict[int, tuple[bool, bool]] = {}
        name = ctypes.create_string_buffer(256)
        flags = ctypes.c_int()
        flags_ref = ctypes.byref(flags)
        lines: list[Line] = []
        segments: list = []  # the current line's segments: (x0, x1, top, bottom, size, bold, mono, text, spaced)
        spaced = False
        for a, b in zip(starts, starts[1:]):
            obj = objects[a]
            if obj is None:  # generated by pdfium: a space, or a line break
                if "\n" in text[a:b] or "\r" in text[a:b]:
                    _flush(segments, lines)
                spaced = True
                continue
            font = fonts.get(obj)
            if font is None:
                api.font_info(handle, a, name, 256, flags_ref)
                font = fonts[obj] = _font_kind(name.value)
            size = round(api.font_size(handle, a), 1)
            # A line ends inside the run where the file holds a line break, and after a hyphen
            # that ends a line: pdfium joins the two lines and writes the hyphen as U+FFFE.
            k = bisect_right(breaks, a)
            cuts = [] if k == len(breaks) or breaks[k] >= b else [e for e in breaks[k : bisect_left(breaks, b)]]
            for p0, p1 in zip([a, *cuts], [*cuts, b]):
                part = text[p0:p1]
                hyphen = part.endswith("\ufffe")
                part = part.rstrip("\r\n\ufffe") + ("-" if hyphen else "")
                if part.strip():
                    api.loose_box(handle, p0, box_ref)
                    x0, bottom = box[0], height - box[3]
                    api.loose_box(handle, p0 + len(part) - 1, box_ref)
                    bottom = max(bottom, height - box[3])
                    # The box pdfminer gives a glyph: from the font's descent up by the font size
                    # (the loose box reaches the font's ascent, taller, and the gaps between lines
                    # the paragraph rules measure were measured on pdfminer's boxes).
                    segments.append(
                        (x0, box[2], bottom - size, bottom, size, font[0], font[1], part, spaced or part[:1].isspace())
                    )
                    spaced = part[-1:].isspace()
                if p1 != b or hyphen or text[p1 - 1 : p1] in ("\r", "\n"):
                    _flush(segments, lines)
                    spaced = False
        _flush(segments, lines)
        return [line for line in map(_line, _same_rows(lines)) if line is not None]
    finally:
        textpage.close()


def _flush(segments: list, lines: list) -> None:
    """End the line: the segments gathered so far are one line (when any), and the next start anew."""
    if segments:
        lines.append(segments[:])
        segments.clear()


def _same_rows(lines: list) -> list:
    """Lines pdfium broke on one row of the page joined: a line that goes on at the same height, to
    the right of where the one before it ends ("Copyright" and "c 2001" around TeX's circled c; a
    footnote's raised mark and its text; the cells of a table row drawn one by one)."""
    out: list = []
    for segs in lines:
        if out:
            last, first = out[-1][-1], segs[0]
            # On one row: their boxes overlap by half the smaller one's height (a raised footnote
            # mark overlaps its line), and the second starts where the first ends or to its right.
            overlap = min(last[3], first[3]) - max(last[2], first[2])
            if overlap >= 0.5 * max(min(last[4], first[4]), 1.0) and first[0] >= last[1] - 1.0:
                out[-1] = out[-1] + [(*first[:8], True), *segs[1:]]
                continue
        out.append(segs)
    return out


def _line(segs: list) -> Line | None:
    """The `Line` of a line's segments (cut into cells at wide gaps); None when it holds no text."""
    text = _joined(segs)
    if not text:
        return None
    counted = [(s[4], s[5], s[6], len(s[7])) for s in segs]
    total = sum(c[3] for c in counted)
    n_mono = sum(c[3] for c in counted if c[2])
    # A listing line is monospaced but for an odd glyph from a symbol font; a sentence that
    # names a path or two in a monospaced font is running text.
    mono = n_mono >= 0.9 * total and total - n_mono <= max(1, total / 30)
    sizes = Counter()
    for size, _, is_mono, k in counted:
        if mono or not is_mono:
            sizes[size] += k
    if not sizes:
        sizes = Counter({c[0]: c[3] for c in counted})
    size = sizes.most_common(1)[0][0]
    bold = sum(c[3] for c in counted if c[1]) >= 0.9 * total
    cells = []
    start = 0
    for i in range(1, len(segs)):
        if segs[i][0] - segs[i - 1][1] > CELL_GAP * max(size, 1.0):
            cells.append(segs[start:i])
            start = i
    if cells:
        cells.append(segs[start:])
        cells = tuple((part[0][0], max(s[1] for s in part), _joined(part)) for part in cells)
        cells = tuple(c for c in cells if c[2])
    return Line(
        text,
        min(s[0] for s in segs),
        max(s[1] for s in segs),
        min(s[2] for s in segs),
        max(s[3] for s in segs),
        size,
        bold,
        mono,
        cells if len(cells) > 1 else (),
    )


def _joined(segs) -> str:
    out = []
    for s in segs:
        if out and s[8]:
            out.append(" ")
        out.append(s[7])
    return _clean("".join(out))
