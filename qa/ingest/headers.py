"""A header block at the top of a text file: a wheel's ``METADATA``, a ``PKG-INFO``, an e-mail, a
Debian control or copyright file ("Key: value" lines, then a blank line, then the body).

`header_end` finds the block; `qa.ingest.reading.read` reads each header as a table row
(searchable, never an answer sentence: "Classifier: Programming Language :: Python" is not prose)
and the body by the document's format. `header_fields` gives the values, for the title
(``Name: Summary`` of a package, an e-mail's ``Subject``). Only a block whose first key is one such
files start with is taken (`FIRST_KEYS`), so an FAQ opening with "Q: ..." lines stays prose.
"""

from __future__ import annotations

import re

__all__ = ["FIRST_KEYS", "header_end", "header_lines", "header_fields"]

FIRST_KEYS = frozenset(
    {
        "metadata-version",  # METADATA, PKG-INFO
        "from",
        "return-path",
        "received",
        "delivered-to",
        "message-id",
        "date",
        "subject",
        "mime-version",  # e-mail
        "package",
        "source",
        "format",
        "upstream-name",  # Debian control and copyright files
    }
)
_HEADER = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,60}):(?:[ \t]|$)")
_MIN_HEADERS = 3


def header_lines(text: str) -> list[tuple[int, int]]:
    """The spans ``(start, end)`` of the header block's headers, each with its continuation lines
    (lines opening with a space or tab); empty when `text` does not open with a header block."""
    m = _HEADER.match(text)
    if m is None or m.group(1).lower() not in FIRST_KEYS:
        return []
    spans: list[tuple[int, int]] = []
    at = 0
    while at < len(text):
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        line = text[at:end]
        if not line.strip():
            break
        if line[0] in " \t" and spans:
            spans[-1] = (spans[-1][0], end)
        elif _HEADER.match(line):
            spans.append((at, end))
        else:
            return []  # not a header block: a line of prose before any blank line
        at = end + 1
    return spans if len(spans) >= _MIN_HEADERS else []


def header_end(text: str) -> int:
    """The offset where the header block ends (its last line's end), or 0 when there is none.

    Examples
    --------
    >>> t = "Metadata-Version: 2.1\\nName: pip\\nSummary: installs\\n  packages\\n\\nBody."
    >>> header_end(t), t[header_end(t):]
    (60, '\\n\\nBody.')
    >>> header_end("Q: Can I?\\nA: Yes.\\nQ: When?\\n\\nA: Now.")
    0
    """
    spans = header_lines(text)
    return spans[-1][1] if spans else 0


def header_fields(text: str) -> dict[str, str]:
    """The header block's fields, keys in lower case, first value of each, continuations joined.

    >>> header_fields("Metadata-Version: 2.1\\nName: pip\\nSummary: installs\\n  packages\\n\\nBody.")["summary"]
    'installs packages'
    """
    fields: dict[str, str] = {}
    for s, e in header_lines(text):
        key, _, value = text[s:e].partition(":")
        fields.setdefault(key.strip().lower(), " ".join(value.split()))
    return fields
