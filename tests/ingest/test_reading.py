"""Reading text (qa.reading): each format's rules on small fixtures, and the one property that ties
passages and answer sentences to their source: ``read(doc).of(start, end) == text``.
"""

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.ingest.chunking import Chunker
from qa.ingest.reading import read, sentences, sniff_format, to_reading
from qa.types import Document

EXAMPLES = int(os.environ.get("QA_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Markup a reader never sees (the real-documents check's own list, and rst's).
MARKUP = re.compile(
    r"\]\(|!\[|```|\[!\[|<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?>|\|\s*:?-{3,}|^\s*[-=~^]{4,}\s*$"
    r"|\.\.\s+[a-z-]+::|:[a-z]+:`|^\s*#{1,6}\s|\*\*[^*]+\*\*|`[^`]+`_|``",
    re.M,
)


def doc(text, fmt, name="doc"):
    return Document(doc_id=name, source=name, title="", text=text, format=fmt)


def blocks(text, fmt="markdown"):
    r = read(doc(text, fmt))
    return [(b.kind, r.text[b.start : b.end]) for b in r.blocks]


def running(text, fmt="markdown"):
    return [t for k, t in blocks(text, fmt) if k in ("text", "item")]


# --- Markdown ---------------------------------------------------------------------------------------------


def test_markdown_a_hard_wrap_is_a_space_and_a_blank_line_ends_a_paragraph():
    assert running("One sentence that is\nwrapped here.\n\nAnother.\n") == [
        "One sentence that is wrapped here.",
        "Another.",
    ]


def test_markdown_headings_atx_and_setext_are_headings_without_markers():
    got = blocks("# Title #\n\nText.\n\nSub\n---\n\nMore text.\n")
    assert got == [("heading", "Title"), ("text", "Text."), ("heading", "Sub"), ("text", "More text.")]


def test_markdown_links_read_as_their_text_images_and_badges_are_dropped():
    text = (
        "[![Build](https://ci/badge.svg)](https://ci) ![logo](logo.png)\n\n"
        "See [the docs](https://docs.example/x_(y)) or [ref][1] and <https://example.org>.\n\n[1]: https://r.example\n"
    )
    got = blocks(text)
    assert ("text", "See the docs or ref and https://example.org.") in got
    assert ("meta", "[1]: https://r.example") in got  # a link reference definition stays searchable, never an answer
    assert not any("badge" in t or "logo" in t for _, t in got)


def test_markdown_jekyll_and_liquid_tags_are_the_generators_not_the_text():
    # A Jekyll site's link target is a Liquid tag with spaces and quotes: CommonMark takes no link
    # there, so "[paid parental leave]({% page ... %})" was read whole, markup and all.
    text = (
        'You can use [paid parental leave]({% page "/travel-and-leave/paid-parental-leave/" %}) '
        "for a new child, and {{ site.name }} pays it.\n\n"
        'See the [leave page]({% page "leave/" %}#court) for details.\n'
    )
    got = running(text)
    assert got == ["You can use paid parental leave for a new child, and pays it.", "See the leave page for details."]
    assert not any(MARKUP.search(t) or "{%" in t or "{{" in t for t in got)


def test_markdown_emphasis_code_spans_tags_escapes_and_entities():
    got = running("**Requests** is *simple*, _fast_ and `tiny`; <b>bold</b> \\*not\\* &amp; snake_case_name.\n")
    assert got == ["Requests is simple, fast and tiny; bold *not* & snake_case_name."]


def test_markdown_code_blocks_and_tables_are_searchable_but_not_running_text():
    text = "Intro.\n\n```python\nimport x\n  x.run()\n```\n\n    indented code\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    got = blocks(text)
    assert ("code", "import x\n  x.run()") in got and ("code", "indented code") in got
    assert ("table", "a | b") in got and ("table", "1 | 2") in got
    assert running(text) == ["Intro."]


def test_markdown_list_items_lose_their_markers_and_keep_their_wrapped_lines():
    got = blocks("- first item\n  continues here\n- second\n\n1. numbered\n")
    assert got == [("item", "first item continues here"), ("item", "second"), ("item", "numbered")]


def test_markdown_a_list_of_links_is_meta():
    assert blocks("- [Docs](https://d)\n- [Source](https://s)\n") == [("meta", "Docs"), ("meta", "Source")]


def test_markdown_a_question_on_its_own_line_is_a_heading():
    assert blocks("Can I pay by card?\n\nYes, at every desk.\n") == [
        ("heading", "Can I pay by card?"),
        ("text", "Yes, at every desk."),
    ]


def test_markdown_blockquote_markers_are_removed():
    assert running("> Quoted text that\n> wraps.\n") == ["Quoted text that wraps."]


def test_markdown_an_admonition_body_is_markdown_not_indented_code():
    # MkDocs/Material: "!!! note" then a 4-space indented body; CommonMark alone reads the body as code
    text = (
        "Intro.\n\n!!! note\n    If you want the `TestClient` to run the `lifespan` handler,\n"
        "    you will need to use it as a context manager.\n\nAfter.\n"
    )
    assert blocks(text) == [
        ("text", "Intro."),
        (
            "text",
            "If you want the TestClient to run the lifespan handler, you will need to use it as a context manager.",
        ),
        ("text", "After."),
    ]


def test_markdown_admonition_forms_titles_lists_code_and_nesting():
    text = (
        '!!! warning "Mind the gap"\n\n    First paragraph.\n\n    - an item\n    - another\n\n'
        "    ```python\n    x = 1\n    ```\n\n"
        "??? tip\n    Collapsed text.\n\n"
        '???+ danger "Open"\n    Open text.\n\n    !!! note\n        Nested text.\n\n'
        "- A list item.\n\n    !!! note\n        Inside the item.\n\n"
        "Para.\n\n    plain indented code\n"
    )
    assert blocks(text) == [
        ("meta", "Mind the gap"),  # a quoted title is searchable, never an answer
        ("text", "First paragraph."),
        ("item", "an item"),
        ("item", "another"),
        ("code", "x = 1"),
        ("text", "Collapsed text."),
        ("meta", "Open"),
        ("text", "Open text."),
        ("text", "Nested text."),
        ("item", "A list item."),
        ("text", "Inside the item."),
        ("text", "Para."),
        ("code", "plain indented code"),  # no marker above it: indented code is still code
    ]


def test_markdown_an_admonition_marker_in_fenced_code_is_code():
    text = "```markdown\n!!! note\n    body\n```\n"
    assert blocks(text) == [("code", "!!! note\n    body")]


def test_markdown_mkdocstrings_directives_and_myst_colon_fences():
    text = (
        "::: make.setup\n    options:\n        heading_level: 3\n\nText.\n\n"
        ":::{warning} Careful\nFor pretty exceptions to work, it must be absent.\n:::\n"
    )
    assert blocks(text) == [
        ("meta", "::: make.setup options: heading_level: 3"),
        ("text", "Text."),
        ("meta", "Careful"),
        ("text", "For pretty exceptions to work, it must be absent."),
    ]


# --- reStructuredText -------------------------------------------------------------------------------------


RST = """\
=====
Title
=====

.. image:: https://img.shields.io/badge.svg
   :target: https://example.org

The ``pytest`` framework, see `the docs <https://docs.example>`_ and
:ref:`fixtures <fixtures-ref>` or Name_ |badge| [1]_.

Section
-------

- First item that
  wraps.
- Second item.

:Author: Someone

.. note:: Read this note.

Run it::

    $ pytest -q

.. code-block:: python

    import qa
"""


def test_rst_blocks():
    got = blocks(RST, "rst")
    assert got[0] == ("heading", "Title")
    assert got[1][0] == "meta" and "image::" in got[1][1]
    assert (
        "text",
        "The pytest framework, see the docs and fixtures or Name badge.",
    ) in got  # a substitution in a sentence is a word
    assert ("heading", "Section") in got
    assert ("item", "First item that wraps.") in got and ("item", "Second item.") in got
    assert ("item", ":Author: Someone") in got
    assert ("text", "Read this note.") in got
    assert ("text", "Run it:") in got and ("code", "$ pytest -q") in got and ("code", "import qa") in got


def test_rst_titles_only_underlined():
    assert blocks("Intro\n=====\n\nBody text here.\n", "rst") == [("heading", "Intro"), ("text", "Body text here.")]


GLOSSARY = """\
.. glossary::

  Feature release
    Feature releases will happen roughly every eight months.

  Long-term support release
  LTS
    Certain feature releases will be designated as long-term support
    releases, supported for typically three years.

    See `the download page`_ for them.

After the glossary.
"""


def test_rst_a_glossary_is_terms_and_their_descriptions():
    # before: the whole glossary was one meta block, never an answer
    assert blocks(GLOSSARY, "rst") == [
        ("term", "Feature release"),
        ("text", "Feature releases will happen roughly every eight months."),
        ("term", "Long-term support release"),
        ("term", "LTS"),  # a glossary's several terms above one description
        (
            "text",
            "Certain feature releases will be designated as long-term support releases, supported for typically three years.",
        ),
        ("text", "See the download page for them."),
        ("text", "After the glossary."),
    ]


def test_rst_a_definition_list_is_terms_and_their_descriptions():
    text = "Intro text.\n\nwheel\n   A built package,\n   ready to install.\n\n   More about it.\n\nsdist : classifier\n   The source.\n"
    assert blocks(text, "rst") == [
        ("text", "Intro text."),
        ("term", "wheel"),
        ("text", "A built package, ready to install."),
        ("text", "More about it."),
        ("term", "sdist : classifier"),
        ("text", "The source."),
    ]


def test_rst_object_descriptions_are_a_term_and_its_description():
    text = (
        ".. confval:: coverage_show_missing_items\n   :type: :code-py:`bool`\n   :default: ``False``\n\n"
        "   Print objects that are missing to standard output also.\n\n   .. versionadded:: 3.1\n\n"
        ".. std:option:: -v, --verbose\n   :noindex:\n\n   Print more.\n\n   - one item\n\n"
        ".. py:function:: spam(eggs)\n                 ham(eggs)\n\n   Spam or ham the eggs.\n\n"
        ".. py:class:: CoverageBuilder\n\n"
        ".. program:: django-admin\n"
    )
    assert blocks(text, "rst") == [
        ("term", "coverage_show_missing_items :type: bool :default: False"),  # options read with their term
        ("text", "Print objects that are missing to standard output also."),
        ("text", "3.1"),
        ("term", "-v, --verbose"),  # a flag option has no words
        ("text", "Print more."),
        ("item", "one item"),
        ("term", "spam(eggs) ham(eggs)"),
        ("text", "Spam or ham the eggs."),
        ("meta", ".. py:class:: CoverageBuilder"),  # nothing described: searchable, as before
        ("meta", ".. program:: django-admin"),
    ]


def test_rst_container_directives_read_their_bodies_as_rst():
    text = (
        ".. only:: html\n\n   Shown in HTML.\n\n"
        ".. tab-set::\n\n   .. tab-item:: Linux\n      :sync: linux\n\n      Install it with apt.\n\n"
        ".. dropdown:: Details\n   :open:\n\n   - a listed detail\n\n"
        ".. container:: wide\n\n   Contained text.\n\n"
        ".. note:: A note that\n   wraps.\n\n   Its second paragraph::\n\n      $ code\n\n"
        ".. tabs::\n\n   .. code-tab:: toml\n      :caption: pyproject.toml\n\n      [tool.x]\n\n"
        ".. toctree::\n   :maxdepth: 2\n\n   intro\n"
    )
    assert blocks(text, "rst") == [
        ("text", "Shown in HTML."),
        ("meta", "Linux"),  # a tab's label, a dropdown's title: searchable, not an answer
        ("text", "Install it with apt."),
        ("meta", "Details"),
        ("item", "a listed detail"),
        ("text", "Contained text."),
        ("text", "A note that wraps."),
        ("text", "Its second paragraph:"),
        ("code", "$ code"),
        ("code", "[tool.x]"),
        ("meta", ".. toctree:: :maxdepth: 2 intro"),  # a directive whose body is no prose: meta, as before
    ]


# --- plain text ------------------------------------------------------------------------------------------


LICENCE = """\
                                 Some Licence
                           Version 2.0, January 2004

   TERMS AND CONDITIONS

   1. Definitions.

      "Licence" shall mean the terms and conditions for use, reproduction,
      and distribution as defined by this document.

   2. Grant of Rights. Subject to the terms of this Licence, each
      Contributor grants to You a licence to reproduce the Work.

      (a) You must give recipients a copy; and

      (b) You must keep the notices.
"""


def test_plain_hard_wraps_clauses_and_items():
    got = blocks(LICENCE, "plain")
    assert got[0] == ("heading", "Some Licence")
    assert ("heading", "TERMS AND CONDITIONS") in got and ("heading", "1. Definitions.") in got
    assert (
        "text",
        '"Licence" shall mean the terms and conditions for use, reproduction, and distribution as '
        "defined by this document.",
    ) in got
    assert ("heading", "2. Grant of Rights") in got  # a numbered clause's title is its section
    assert (
        "text",
        "Subject to the terms of this Licence, each Contributor grants to You a licence to reproduce the Work.",
    ) in got
    assert ("item", "You must give recipients a copy; and") in got  # the marker is layout


def test_plain_short_lines_stay_lines():
    assert running("Staff\n\nName: Ann\nRoom: 4\n\nThe office opens at nine.\nIt closes at five.\n", "plain") == [
        "Name: Ann",
        "Room: 4",
        "The office opens at nine.",
        "It closes at five.",
    ]


def test_plain_clean_prose_reads_as_itself():
    text = "Title\n\nA paragraph of clean prose. It has two sentences.\n"
    r = read(doc(text, "plain"))
    assert r.text == "Title\nA paragraph of clean prose. It has two sentences."
    assert [text[int(o)] for o in r.offsets] == list(r.text.replace("\n", "\n"))


def test_extracted_items_lose_their_bullet_and_code_keeps_its_lines():
    text = "• magic elements contain a list\n\nint main()\n  return 0;\n"
    d = Document(
        doc_id="x.pdf",
        source="x.pdf",
        title="",
        text=text,
        format="extracted",
        blocks=(("item", 0, 31), ("code", 33, len(text) - 1)),
    )
    r = read(d)
    assert [(b.kind, r.text[b.start : b.end]) for b in r.blocks] == [
        ("item", "magic elements contain a list"),
        ("code", "int main()\n  return 0;"),
    ]


@pytest.mark.parametrize(
    "text, fmt",
    [
        ("Title\n=====\n\n.. note:: x\n\n:role:`y` and ``z``\n", "rst"),
        ("# Title\n\nSee [x](http://y) and ```code```.\n", "markdown"),
        ("Just some words.\nAnd more.\n", "plain"),
        ("A line with `backticks` only.\n", "plain"),
    ],
)
def test_sniff_format(text, fmt):
    assert sniff_format(text) == fmt


# --- the property: offsets read as the text ----------------------------------------------------------------

WORDS = ["pay", "leave", "card", "office", "HTTP/2", "3.1", "café", "社保", "data_set", "x*y"]
MARKS = [("**", "**"), ("*", "*"), ("`", "`"), ("[", "](https://e.org/a_(b))"), ("<b>", "</b>"), ("_", "_")]


@st.composite
def sentence(draw):
    words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=12))
    words[0] = words[0].capitalize()
    plain = " ".join(words)
    marked = words[:]
    if draw(st.booleans()):
        i = draw(st.integers(0, len(words) - 1))
        left, right = draw(st.sampled_from(MARKS))
        if not re.search(r"[*_`\[\]<>]", words[i]):
            marked[i] = f"{left}{words[i]}{right}"
    return plain + ".", " ".join(marked) + "."


def wrap(text: str, width: int) -> str:
    out, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(out + [line])


@st.composite
def markdown_document(draw):
    expected, parts = [], []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["para", "para", "item", "heading", "code", "admonition"]))
        if kind == "heading":
            parts.append(f"## {draw(st.sampled_from(WORDS))} section")
            expected.append(parts[-1][3:])  # a document of headings alone keeps them as its text
        elif kind == "code":
            parts.append("```\nx = pay(1)\n  y = 2\n```")
        else:
            pairs = draw(st.lists(sentence(), min_size=1, max_size=3))
            expected.extend(p for p, _ in pairs)
            body = wrap(" ".join(m for _, m in pairs), draw(st.integers(12, 70)))
            if kind == "admonition":  # MkDocs: the marker line, then the body indented 4 columns
                marker = draw(st.sampled_from(["!!! note", '!!! warning "Mind this"', "??? tip", "???+ note"]))
                parts.append(marker + draw(st.sampled_from(["\n", "\n\n"])) + "    " + body.replace("\n", "\n    "))
            else:
                parts.append("- " + body.replace("\n", "\n  ") if kind == "item" else body)
    return "\n\n".join(parts) + "\n", expected


def _check_document(d, expected, chunker):
    reading = read(d)
    for p in chunker.chunk(d):
        assert reading.of(p.start, p.end) == p.text  # the passage's offsets read as its text
        for s, e, ss, se in sentences(p):
            text = p.text[s:e]
            assert reading.of(ss, se) == text  # and so do each answer sentence's
            assert not MARKUP.search(text), text
            # never a piece of a wrapped sentence: every answer sentence is one the document wrote
            assert text in expected, (text, expected)
            assert to_reading(p, ss) == s and to_reading(p, se - 1) + 1 == e


@SETTINGS
@given(markdown_document(), st.integers(200, 600))  # passages hold whole sentences (an over-long one is cut)
def test_markdown_passages_and_sentences_read_back_from_their_offsets(generated, max_chars):
    text, expected = generated
    _check_document(doc(text, "markdown", "doc.md"), expected, Chunker(max_chars=max_chars, min_chars=50))


@st.composite
def plain_document(draw):
    expected, parts = ["Handbook"], ["Handbook"]
    for _ in range(draw(st.integers(1, 5))):
        pairs = [(p, p) for p, _ in draw(st.lists(sentence(), min_size=1, max_size=4))]
        expected.extend(p for p, _ in pairs)
        # Hard wraps as text files have them (50-80 columns): a short line ending before a capital
        # is a line of its own ("Name: Ann"), so narrower wraps are ambiguous by design.
        parts.append(wrap(" ".join(p for p, _ in pairs), draw(st.integers(50, 80))))
    return "\n\n".join(parts) + "\n", expected


@SETTINGS
@given(plain_document(), st.integers(200, 600))
def test_plain_passages_and_sentences_read_back_from_their_offsets(generated, max_chars):
    text, expected = generated
    _check_document(doc(text, "plain", "doc.txt"), expected, Chunker(max_chars=max_chars, min_chars=50))


@SETTINGS
@given(st.text(max_size=400), st.sampled_from(["markdown", "rst", "plain"]))
def test_any_text_in_any_format_reads_back_from_its_offsets(text, fmt):
    d = doc(text.replace("\r", "\n"), fmt)
    reading = read(d)
    assert all(a < b for a, b in zip(reading.offsets, reading.offsets[1:]))  # strictly increasing
    for p in Chunker(max_chars=80, min_chars=20).chunk(d):
        assert reading.of(p.start, p.end) == p.text
        for s, e, ss, se in sentences(p):
            assert reading.of(ss, se) == p.text[s:e]


def test_markdown_quoted_paragraphs_spaced_destinations_and_multi_line_tags():
    assert running("> Quoted text that\n> wraps [a link\n> here](http://x).\n") == [
        "Quoted text that wraps a link here."
    ]
    assert running("See [here]( https://x.org/a ) now.\n") == ["See here now."]
    assert blocks('<p align="center"><img\n  src="x.png"></p>\n') == []


def test_rst_a_one_character_literal_ends_at_its_own_backquotes():
    assert running("Python ``<`` 3.13 and ``a`` b.\n", "rst") == ["Python < 3.13 and a b."]


# --- one line of prose: the fast reading is the line-by-line reading -------------------------------------

_LINE_STARTS = [
    "",
    "1. ",
    "1 ",
    "2.3 ",
    "a) ",
    "(b) ",
    "iv) ",
    "a. ",
    "Section 2. ",
    "CHAPTER ",
    "# ",
    "* ",
    "- ",
    "https://x.org/",
    "www.",
    "| a | ",
    "4. Redistribution. ",
    "No",
    "1. Definitions.",
]
_WORDS = st.sampled_from(
    [
        "the",
        "Policy",
        "A",
        "TERMS",
        "AND",
        "CONDITIONS",
        "x",
        "2.",
        "3.1",
        "|",
        "*",
        "-",
        "#",
        "(c)",
        "you",
        "may.",
        "Foo,",
        "bar;",
        "end.",
        "What?",
        "社保",
        "éte",
        "Ñu",
        ":",
        "—",
    ]
)


@st.composite
def _one_line(draw):
    # Half plain prose (the fast path's), half opening like a heading, item, clause or rule (not its).
    head = draw(st.sampled_from([""] * len(_LINE_STARTS) + _LINE_STARTS))
    words = draw(st.lists(_WORDS, min_size=60, max_size=150))  # long enough to be past a heading's length
    sep = draw(st.sampled_from([" "] * 10 + ["  ", "\t"]))
    tail = draw(st.sampled_from(["", ".", ".", "?", ":", " "]))
    return head + sep.join(words) + tail


@SETTINGS
@given(_one_line(), st.booleans())
def test_one_line_of_prose_reads_the_same_by_the_fast_path(text, title_line):
    from qa.ingest.reading import _is_prose_line, _prose_line, _read_plain_lines

    slow = _read_plain_lines(text, title_line)
    if _is_prose_line(text):
        fast = _prose_line(text)
        assert (fast.text, fast.blocks) == (slow.text, slow.blocks)
        assert fast.offsets.tolist() == slow.offsets.tolist()


def test_the_fast_path_takes_a_corpus_line_and_leaves_headings_items_and_clauses():
    from qa.ingest.reading import _is_prose_line

    prose = "The insurer pays the claim within thirty days of receiving the form, " * 4
    assert _is_prose_line(prose.strip())
    for text in (
        prose.upper()[:100],
        "1. " + prose,
        "4. Redistribution. " + prose,
        "a) " + prose,
        "# " + prose,
        prose + "\nsecond line",
        "  " + prose,
        prose.replace(" ", "  "),
    ):
        assert not _is_prose_line(text)


# --- containers and directives: every reading still reads back from its offsets -------------------------

_RST_PIECES = [
    ".. glossary::\n",
    ".. confval:: name\n   :type: ``bool``\n   :noindex:\n",
    ".. py:function:: f(x)\n                 g(y)\n",
    ".. tab-set::\n",
    ".. tab-item:: Linux\n   :sync: x\n",
    ".. note:: First\n   line.\n",
    ".. only:: html\n",
    ".. toctree::\n",
    "Term\n   Its description.\n",
    "A\nB\n   Shared *description*.\n",
    "Para ends::\n",
    "   indented body :ref:`x`\n",
    "      deeper body\n",
    "   - item\n",
    ":field: value\n",
    "\n",
    "\n",
]
_MD_PIECES = [
    "!!! note\n",
    '!!! warning "Title *x*"\n',
    "???+ tip\n",
    "    body [link](u) text\n",
    "        deeper\n",
    "    ```\n",
    "```\n",
    "::: mod.path\n",
    "    options:\n",
    ":::{note} T\n",
    ":::\n",
    "- item\n",
    "text line\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "<div>\n",
    "    <div>\n",
    "\n",
    "\n",
]


@SETTINGS
@given(st.data())
def test_directives_and_admonitions_read_back_from_their_offsets(data):
    fmt = data.draw(st.sampled_from(["rst", "markdown"]))
    pieces = _RST_PIECES if fmt == "rst" else _MD_PIECES
    text = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=14)))
    d = doc(text, fmt)
    reading = read(d)
    assert all(a < b for a, b in zip(reading.offsets, reading.offsets[1:]))
    assert all(text[o] == c or c in " \n" for o, c in zip(reading.offsets.tolist(), reading.text))
    for p in Chunker(max_chars=80, min_chars=20).chunk(d):
        assert reading.of(p.start, p.end) == p.text
        for s, e, ss, se in sentences(p):
            assert reading.of(ss, se) == p.text[s:e]
