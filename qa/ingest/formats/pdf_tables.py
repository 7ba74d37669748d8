"""Tables and side-by-side columns among a PDF page's lines, found by the wide gaps inside lines.

`qa.ingest.formats.pdf_lines` cuts a line into *cells* where a gap wider than `CELL_GAP` font
sizes lies between two words. Consecutive lines so cut are one of two things:

- two columns of prose that a page draws row by row (each line's parts long, two of them): the
  left parts are read first, then the right ones (`split_columns`);
- a table: its first row names the columns, and each row after it is written as
  ``header: cell; header: cell`` (`table_rows`), so a row reads as one statement, searchable
  and citable on its own; a cell goes under the header whose column holds its middle. A first
  row that names no columns (a cell of more than a few words, or none with a letter) leaves
  every row as its cells joined by `` | ``. A contents entry (a title, a gap, its page
  number) is no table row, and justified prose with a word in another font (wide gaps at a
  different place on each line, long parts) is no table (`_reads_as_table`).
"""

from __future__ import annotations

import re

from .pdf_lines import Line

__all__ = ["split_columns", "table_runs", "table_rows"]

_COLUMN_WORDS = 4  # a part of a line with fewer words than this is a cell, not a column's line
_MIN_COLUMN_LINES = 3
_PAGE_RE = re.compile(r"\d{1,4}|[ivxlc]{1,7}", re.IGNORECASE)  # a page number, as a contents entry ends
_HEADER_WORDS = 5
_PROSE_ROW_WORDS = 8  # a row of this many words may be a line of prose: its columns must line up


def _runs(lines: list[Line], ok) -> list[tuple[int, int]]:
    out, start = [], None
    for i, line in enumerate([*lines, None]):
        if line is not None and ok(line):
            start = i if start is None else start
        elif start is not None:
            out.append((start, i))
            start = None
    return out


def _is_column_row(line: Line) -> bool:
    return len(line.cells) == 2 and all(len(c[2].split()) >= _COLUMN_WORDS for c in line.cells)


def split_columns(lines: list[Line]) -> list[Line]:
    """`lines` with each run of `_MIN_COLUMN_LINES` or more two-column rows (both parts prose)
    read a column at a time: the left parts top to bottom, then the right ones."""
    runs = [(a, b) for a, b in _runs(lines, _is_column_row) if b - a >= _MIN_COLUMN_LINES]
    if not runs:
        return lines
    out: list[Line] = []
    last = 0
    for a, b in runs:
        out.extend(lines[last:a])
        for side in (0, 1):
            for line in lines[a:b]:
                x0, x1, text = line.cells[side]
                out.append(Line(text, x0, x1, line.top, line.bottom, line.size, line.bold, line.mono))
        last = b
    out.extend(lines[last:])
    return out


def _is_row(line: Line) -> bool:
    """Cut into cells, not code, and not a contents entry: a title and its page number alone."""
    if len(line.cells) < 2 or line.mono:
        return False
    return not (len(line.cells) == 2 and _PAGE_RE.fullmatch(line.cells[1][2]))


def table_runs(lines: list[Line]) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of two or more consecutive table rows (`_is_row`) that reads as
    a table (`_reads_as_table`), not as justified prose."""
    return [(a, b) for a, b in _runs(lines, _is_row) if b - a >= 2 and _reads_as_table(lines[a:b])]


def _reads_as_table(rows: list[Line]) -> bool:
    """Whether rows cut by wide gaps are a table: short cells only, or columns that line up.

    Justified prose set with a word in another font ("the user instructs" / "PSfrag | to remove
    that tag ...", a LaTeX manual's typewriter names) has wide gaps too, at a different place on
    each line: its parts are long and start nowhere in common. A table's columns start at the
    same place on most rows (within a font size), or its rows are all short (a column of
    right-aligned numbers starts anywhere).
    """
    if all(sum(len(c[2].split()) for c in row.cells) < _PROSE_ROW_WORDS for row in rows):
        return True
    starts = [[c[0] for c in row.cells[1:]] for row in rows]

    def aligned(i: int) -> bool:
        tol = rows[i].size
        return any(abs(x - y) <= tol for j, other in enumerate(starts) if j != i for y in other for x in starts[i])

    return sum(aligned(i) for i in range(len(rows))) * 3 >= 2 * len(rows)


def _is_header(cells) -> bool:
    """Cells that name columns: each a few words with a letter in them."""
    return all(any(ch.isalpha() for ch in c[2]) and len(c[2].split()) <= _HEADER_WORDS for c in cells)


def table_rows(rows: list[Line]) -> list[str]:
    """Each row's text: the header row's cells joined by `` | ``, every other row as
    ``header: cell; header: cell`` (a cell under no header, or under an empty one, alone)."""
    header = rows[0].cells
    starts = [c[0] for c in header]
    out = [" | ".join(c[2] for c in header)]
    if not _is_header(header):  # no names for the columns: each row its cells
        return out + [" | ".join(c[2] for c in row.cells) for row in rows[1:]]
    for row in rows[1:]:
        parts = []
        for x0, x1, text in row.cells:
            middle = (x0 + x1) / 2
            # A cell left of every header is the row's label, under the table's empty corner.
            column = max([i for i, s in enumerate(starts) if s <= middle + 0.5 * row.size], default=None)
            name = header[column][2] if column is not None else ""
            parts.append(f"{name}: {text}" if name and name != text else text)
        out.append("; ".join(parts))
    return out
