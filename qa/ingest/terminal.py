"""Terminal residue: the characters of a text that are not words for a reader, found so reading skips them.

Text captured from a terminal holds more than its letters: ANSI escape sequences (colours, bold,
hyperlinks: ``ESC[4mdump ESC[24m``), backspace overstrike (a man page rendered for a printer
terminal writes bold ``N`` as ``N\\bN`` and underlined ``x`` as ``_\\bx``), and stray control
characters; a lossy conversion leaves U+FFFD. `residue` finds them as source spans; `without`
gives the text with those spans left out and, for each character kept, its offset in the source,
so a reading made of the cleaned text still maps every character back to the file
(`qa.ingest.reading.read` composes the two maps). The file's text itself (``Document.text``) is
left as it is: offsets index it.

`hyphenation` finds the hyphens a typesetter put at line ends of a rendered man page
("speci-" / "fied"), which reading joins.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["has_residue", "residue", "without", "hyphenation"]

# Any character that starts residue: ESC, backspace, other C0 controls (not tab, line breaks, form
# feed or the separators Python reads as whitespace), DEL, C1 controls but NEL, and U+FFFD.
_RESIDUE_CHAR = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ufffd]")
_RESIDUE = re.compile(
    r"(?P<seq>\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours and styles (SGR), cursor moves
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC: hyperlinks (groff's "ESC]8;;url ESC\"), titles
    r"|\x1b[PX^_][^\x1b\n]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # other escapes (charset designation, keypad modes), a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~])"  # an 8-bit CSI
    r"|(?P<under>[^_\n\x08]\x08_)"  # "x\b_": x underlined, the underscore struck over it
    r"|(?P<strike>[^\n\x08]?\x08)"  # "N\bN" bold, "_\bx" underlined: the character struck over, and the backspace
    r"|(?P<control>[\x00-\x07\x0e-\x1a\x1c-\x1f\x7f-\x84\x86-\x9f\ufffd])"
)
# A typesetter's hyphen at a line end between two lower-case letter runs, the next line's indentation.
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])[-\u2010]\n[ \t]*(?=[^\W_])")
_WORD_BEFORE = re.compile(r"[^\W\d_]+$")
_WORD_AFTER = re.compile(r"[^\W\d_]+")


def has_residue(text: str) -> bool:
    """Whether `text` holds any character `residue` may remove (one quick scan)."""
    return _RESIDUE_CHAR.search(text) is not None


def residue(text: str) -> list[tuple[int, int]]:
    """The spans ``[start, end)`` of `text` that are terminal residue, in order, not overlapping.

    Examples
    --------
    >>> t = "\\x1b[1mbold\\x1b[0m N\\bNo _\\bu"
    >>> [t[s:e] for s, e in residue(t)]
    ['\\x1b[1m', '\\x1b[0m', 'N\\x08', '_\\x08']
    """
    if not has_residue(text):
        return []
    spans = []
    for m in _RESIDUE.finditer(text):
        if m.lastgroup == "under":
            spans.append((m.start() + 1, m.end()))  # keep the letter, drop "\b_"
        else:
            spans.append(m.span())
    return spans


def without(text: str, spans: list[tuple[int, int]]) -> tuple[str, np.ndarray]:
    """`text` with `spans` left out, and the offset in `text` of each character kept.

    Examples
    --------
    >>> clean, kept = without("ab\\x1b[0mcd", [(2, 6)])
    >>> clean, kept.tolist()
    ('abcd', [0, 1, 6, 7])
    """
    mask = np.ones(len(text), dtype=bool)
    parts, at = [], 0
    for s, e in spans:
        parts.append(text[at:s])
        mask[s:e] = False
        at = e
    parts.append(text[at:])
    return "".join(parts), np.flatnonzero(mask).astype(np.int64)


def hyphenation(text: str) -> list[tuple[int, int]]:
    """Spans of typesetters' line-end hyphens with the line break and indentation after them
    ("speci‐\\n       fied" reads "specified"). Where the document writes the word with a hyphen
    elsewhere ("command-line"), only the break is removed and the hyphen stays; where it writes it
    whole elsewhere ("FORMAT"), the hyphen goes too; else a break between lower-case letters is a
    typesetter's and one next to a capital or digit ("MS-" / "DOS", "non-" / "Unix") the word's own.

    Examples
    --------
    >>> t = "is de-\\n   pendent on a command-\\n  line flag, any command-line, in MS-\\n DOS, FOR-\\n MAT: FORMAT"
    >>> [t[s:e] for s, e in hyphenation(t)]
    ['-\\n   ', '\\n  ', '\\n ', '-\\n ']
    """
    spans = []
    for m in _HYPHEN_BREAK.finditer(text):
        before = _WORD_BEFORE.search(text, max(0, m.start() - 64), m.start())
        after = _WORD_AFTER.match(text, m.end())
        head, tail = (before.group(), after.group()) if before and after else ("", "")
        if head and any(f"{head}{h}{tail}" in text for h in "-\u2010"):
            compound = True  # the document writes the word with its hyphen
        elif head and f"{head}{tail}" in text:
            compound = False  # ... or without it ("FOR-" / "MAT" where FORMAT occurs)
        else:
            compound = not (text[m.start() - 1].islower() and text[m.end()].islower())
        spans.append((m.start() + 1, m.end()) if compound else m.span())
    return spans
