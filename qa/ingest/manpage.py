"""Man pages rendered as text (``man -P cat ls > ls.txt``): sections, option entries and prose.

`looks_like_man` tells a rendered man page from other plain text; `man_blocks` finds its
blocks, which `qa.ingest.reading.read` reads as it reads an extractor's (after removing the
page's terminal residue and line-end hyphens, see `qa.ingest.terminal`):

- the header and footer lines ("LS(1)   User Commands   LS(1)") are meta;
- a line at the left margin is a section heading (NAME, DESCRIPTION, OPTIONS), a short line
  indented less than the text ("   Exit status:", "   Generic Program Information") a subsection
  heading;
- the SYNOPSIS section is code (command lines, not sentences);
- an option entry, a line followed by lines indented deeper than it ("-a, --all" above
  "do not ignore entries starting with ."), or one whose description starts on its line
  ("-c     with -lt: sort by ..."), is one item: the option and its description;
- any other paragraph (lines between blank lines) is one text block, its line breaks spaces.
"""

from __future__ import annotations

import re

__all__ = ["looks_like_man", "man_blocks"]

# "LS(1)   User Commands   LS(1)", "GNU coreutils 9.1   September 2022   LS(1)"
_TITLE = r"[\w.:+-]+\(\d[\w+]*\)"
_HEADER = re.compile(rf"^({_TITLE})\s{{2,}}.*\s{{2,}}\1\s*$")
_FOOTER = re.compile(rf"^\S.*\s{{2,}}{_TITLE}\s*$")
_SECTIONS = re.compile(r"^(?:NAME|SYNOPSIS|DESCRIPTION|OPTIONS)\s*$", re.M)
_CODE_SECTIONS = frozenset({"SYNOPSIS"})
_SUBSECTION_INDENT = 4  # man renders .SS titles 3 columns in, text and option tags 7
_SHORT_OPTION = re.compile(r"(\s*)[-+]\S*(?:,? [-+]\S+)*(\s+)\S")
_TAG_WIDTH = 7  # man indents a tagged paragraph's description 7 columns past its tag's margin


def _short_option(line: str) -> bool:
    """Whether a line is an option with its description on the same line, which man sets at the
    tagged paragraph's indentation: "-f     list all entries", "--help Output a usage message"."""
    m = _SHORT_OPTION.match(line)
    return m is not None and (len(m.group(2)) >= 2 or m.end(2) - len(m.group(1)) >= _TAG_WIDTH)


def looks_like_man(text: str) -> bool:
    """Whether plain text is a rendered man page: its first line is a man page's header, or it has
    a NAME section and a SYNOPSIS, DESCRIPTION or OPTIONS one at the margin with indented text.

    Examples
    --------
    >>> looks_like_man("LS(1)      User Commands      LS(1)\\n\\nNAME\\n       ls - list\\n")
    True
    >>> looks_like_man("NAME\\n       ls - list\\n\\nDESCRIPTION\\n       List files.\\n")
    True
    >>> looks_like_man("Name\\nThis is a letter.\\n")
    False
    """
    first = next((ln for ln in text[:4000].split("\n") if ln.strip()), "")
    if _HEADER.match(first.strip()):
        return True
    names = {m.group().strip() for m in _SECTIONS.finditer(text[:200_000])}
    return "NAME" in names and len(names) >= 2 and re.search(r"^NAME\s*\n {3,}\S", text, re.M) is not None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def man_blocks(src: str) -> list[tuple[str, int, int]]:
    """The blocks of a rendered man page's text (see the module's rules) as ``(kind, start, end)``
    spans of `src`, as an extractor gives them (`qa.ingest.reading` reads them)."""
    lines, at = [], 0
    for line in src.split("\n"):
        lines.append((at, at + len(line)))
        at += len(line) + 1
    content = [i for i, (s, e) in enumerate(lines) if src[s:e].strip()]
    first, last = (content[0], content[-1]) if content else (-1, -1)
    blocks: list[tuple[str, int, int]] = []

    def add(kind, run):
        s, e = run[0][0], run[-1][1]
        blocks.append((kind, s + _indent(src[s:e]), len(src[:e].rstrip())))

    section = ""
    group: list[tuple[int, int]] = []

    def flush():
        if not group:
            return
        indents = [_indent(src[s:e]) for s, e in group]
        if section in _CODE_SECTIONS:
            blocks.append(("code", group[0][0], group[-1][1]))
        elif len(group) > 1 and min(indents[1:]) > indents[0]:
            add("item", group)  # an option entry: the tag, then its description indented deeper
        elif len(group) == 1 and _short_option(src[group[0][0] : group[0][1]]):
            add("item", group)  # a short option with its description on its line: "-f     list all"
        else:
            add("text", group)
        group.clear()

    for i, (s, e) in enumerate(lines):
        line = src[s:e]
        if not line.strip():
            flush()
            continue
        stripped = line.strip()
        if (i == first and _HEADER.match(stripped)) or (i == last and _FOOTER.match(stripped)):
            flush()
            add("meta", [(s, e)])
            continue
        ind = _indent(line)
        if ind == 0:
            flush()
            section = stripped.upper()
            add("heading", [(s, e)])
            continue
        nxt = next((j for j in range(i + 1, len(lines)) if src[lines[j][0] : lines[j][1]].strip()), None)
        deeper = nxt == i + 1 and _indent(src[lines[nxt][0] : lines[nxt][1]]) > ind
        if (
            not group
            and ind <= _SUBSECTION_INDENT
            and (deeper or nxt is None or nxt > i + 1)
            and not stripped.startswith("-")
            and len(stripped) <= 80
            and stripped[-1:] not in ".,;"
        ):
            add("heading", [(s, e)])  # "   Exit status:", "   Generic Program Information": a subsection (.SS)
            continue
        if group:
            base = _indent(src[group[0][0] : group[0][1]])
            if ind < base or (ind == base and any(_indent(src[a:b]) > base for a, b in group[1:])):
                flush()  # back at or out of the margin of an entry's tag after its description: a new block
        group.append((s, e))
    flush()
    return blocks
