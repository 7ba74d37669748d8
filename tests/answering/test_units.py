"""Answer units (qa.answering.units): every unit reads back from its source offsets, carries no
markup and is never a cut piece of a sentence, in generated Markdown, rst and plain text with
lists, definitions, tables and "run:" + code; and example documents of each kind (HTML, DOCX, a
man page's options, Chinese law)."""

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.answering.units import Unit, candidate_units, passage_units
from qa.ingest.chunking import Chunker
from qa.ingest.reading import read
from qa.types import Document, Hit

EXAMPLES = int(os.environ.get("QA_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MARKUP = re.compile(
    r"\]\(|!\[|```|\[!\[|<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?>|\|\s*:?-{3,}|^\s*[-=~^]{4,}\s*$"
    r"|\.\.\s+[a-z-]+::|:[a-z]+:`|^\s*#{1,6}\s|\*\*[^*]+\*\*|`[^`]+`_|``|\s\|\s|^\+[-=+]+",
    re.M,
)

WORDS = ["pay", "leave", "card", "office", "HTTP/2", "3.1", "café", "社保", "data_set", "port"]
MARKS = {
    "markdown": [("**", "**"), ("*", "*"), ("`", "`"), ("[", "](https://e.org/a)")],
    "rst": [("**", "**"), ("*", "*"), ("``", "``")],
    "plain": [("", "")],
}


CELL_WIDTH = 10  # an rst grid table's column width


def doc(text, fmt, name="doc"):
    return Document(doc_id=name, source=name, title="", text=text, format=fmt)


@st.composite
def sentence(draw, fmt, end="."):
    """A sentence as ``(plain, written)``: its words, and its words with some inline markup."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=8))
    words[0] = words[0].capitalize()
    marked = words[:]
    left, right = draw(st.sampled_from(MARKS[fmt]))
    i = draw(st.integers(0, len(words) - 1))
    marked[i] = f"{left}{words[i]}{right}"
    return " ".join(words) + end, " ".join(marked) + end


@st.composite
def document(draw, fmt):
    """A document of paragraphs, lists, term lists, tables and "run:" + code, with every unit text
    the units may be (a table row is read with its header, or alone when its passage lacks it)."""
    parts, expected = ["Title\n=====" if fmt == "rst" else "# Title" if fmt == "markdown" else "Title"], {"Title"}
    item = {"markdown": "- ", "rst": "- ", "plain": "- "}[fmt]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["para", "list", "terms", "table", "code", "needs"]))
        if kind == "para":
            pairs = draw(st.lists(sentence(fmt), min_size=1, max_size=3))
            expected.update(p for p, _ in pairs)
            parts.append(" ".join(m for _, m in pairs))
        elif kind == "list":
            pairs = draw(st.lists(sentence(fmt), min_size=1, max_size=4))
            expected.update(p for p, _ in pairs)
            parts.append("\n".join(item + m for _, m in pairs))
        elif kind == "terms":
            terms = draw(st.lists(st.sampled_from(["verbose", "port", "log-file", "data"]), min_size=1, max_size=3))
            lines = []
            for term in terms:
                plain, marked = draw(sentence(fmt))
                if fmt == "rst":
                    lines.append(f":{term}: {marked}")
                else:
                    lines.append(f"{item}{term}: {marked}")
                expected.add(f"{term}: {plain}")
            parts.append("\n".join(lines))
        elif kind == "table" and fmt != "plain":
            head = draw(st.lists(st.sampled_from(["Name", "Value", "Port"]), min_size=2, max_size=3))
            rows = draw(
                st.lists(
                    st.lists(st.sampled_from(WORDS), min_size=len(head), max_size=len(head)), min_size=1, max_size=3
                )
            )
            for r in rows:
                expected.add("; ".join(f"{h}: {c}" for h, c in zip(head, r)))
            if fmt == "markdown":
                lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                lines += ["| " + " | ".join(r) + " |" for r in rows]
            else:
                rule = "+" + "+".join("-" * CELL_WIDTH for _ in head) + "+"
                line = lambda cells: "|" + "|".join(f" {c:<{CELL_WIDTH - 1}}" for c in cells) + "|"  # noqa: E731
                lines = [rule, line(head), rule.replace("-", "="), *[x for r in rows for x in (line(r), rule)]]
            parts.append("\n".join(lines))
        elif kind == "code":
            lead = draw(st.sampled_from(["To stop it, run", "Install it with"]))
            command = draw(st.sampled_from(["qa stop --now", "pip install qa", "make run"]))
            expected.update({f"{lead}:", f"{lead}:\n{command}"})
            if fmt == "markdown":
                parts.append(f"{lead}:\n\n```\n{command}\n```")
            elif fmt == "rst":
                parts.append(f"{lead}::\n\n    {command}")
            else:
                parts.append(f"{lead}:")  # plain text has no code blocks: the lead-in alone
        elif kind == "needs":
            things = draw(
                st.lists(st.sampled_from(["a card", "an ID", "the form"]), min_size=1, max_size=3, unique=True)
            )
            expected.update({"You need:", *things, "You need:\n" + "\n".join(things)})
            parts.append("You need:\n\n" + "\n".join(item + t for t in things))
        # A paragraph after a list or table, or none; a lead-in's list ends at one (a list right
        # after it would be the same list's items).
        end = "Done." if kind in ("needs", "code") else draw(st.sampled_from(["", "Done."]))
        if end:
            expected.add(end)
            parts.append(end)
    return "\n\n".join(parts) + "\n", expected


def check_units(d: Document, expected: set, chunker: Chunker) -> list[Unit]:
    reading = read(d)
    out = []
    for p in chunker.chunk(d):
        for u in passage_units(p, 1):
            assert u.kind in ("sentence", "item", "definition", "row", "code")
            pieces = [reading.of(s, e) for s, e in u.spans]
            assert all(pieces), u
            if u.kind == "row":
                # header cell and cell in turn: each piece reads back exactly
                pairs = [f"{a}: {b}" for a, b in zip(pieces[::2], pieces[1::2])]
                assert u.text == "; ".join(pairs), (u, pieces)
                assert (u.start, u.end) == (u.spans[1][0], u.spans[-1][1])  # the row's own cells
            else:
                assert len(u.spans) == 1 and reading.of(u.start, u.end) == u.text, (u, reading.of(u.start, u.end))
            assert len(u.lines) == len(u.text.split("\n"))
            assert not MARKUP.search(u.text), u.text
            assert u.text in expected, (u.text, sorted(expected))  # never a cut piece of a sentence
            out.append(u)
    return out


@SETTINGS
@given(document("markdown"), st.integers(200, 600))  # passages hold whole sentences (an over-long one is cut)
def test_markdown_units_read_back_and_are_whole(generated, max_chars):
    text, expected = generated
    check_units(doc(text, "markdown", "doc.md"), expected, Chunker(max_chars=max_chars, min_chars=40))


@SETTINGS
@given(document("rst"), st.integers(200, 600))  # passages hold whole sentences (an over-long one is cut)
def test_rst_units_read_back_and_are_whole(generated, max_chars):
    text, expected = generated
    check_units(doc(text, "rst", "doc.rst"), expected, Chunker(max_chars=max_chars, min_chars=40))


@SETTINGS
@given(document("plain"), st.integers(200, 600))  # passages hold whole sentences (an over-long one is cut)
def test_plain_units_read_back_and_are_whole(generated, max_chars):
    text, expected = generated
    check_units(doc(text, "plain", "doc.txt"), expected, Chunker(max_chars=max_chars, min_chars=40))


def units_of(d: Document) -> list[Unit]:
    return [u for p in Chunker(min_chars=2000).chunk(d) for u in passage_units(p)]


def kinds(units):
    return [(u.kind, u.text) for u in units]


def test_markdown_units_of_every_kind():
    text = (
        "# Tool\n\nTo stop it, run:\n\n```\nsudo systemctl stop foo\n```\n\nYou need:\n\n- a card\n- an ID\n\n"
        "| Name | Value |\n|------|-------|\n| port | 8080 |\n\n- verbose: print more\n- It works. Really.\n\nEnd.\n"
    )
    got = kinds(units_of(doc(text, "markdown")))
    assert got == [
        ("sentence", "To stop it, run:"),
        ("code", "To stop it, run:\nsudo systemctl stop foo"),
        ("sentence", "You need:"),
        ("code", "You need:\na card\nan ID"),
        ("item", "a card"),
        ("item", "an ID"),
        ("row", "Name: port; Value: 8080"),
        ("definition", "verbose: print more"),
        ("sentence", "It works."),
        ("sentence", "Really."),  # an item of two sentences: its sentences
        ("sentence", "End."),
    ]


def test_unit_fields_rank_position_section_before_and_lines():
    text = "# Tool\n\nIt starts. To stop it, run:\n\n```\nfoo stop\n```\n"
    p = Chunker().chunk(doc(text, "markdown"))[0]
    hit = Hit(rank=2, passage=p, score=1.0, matched_terms=(), coverage=0.0)
    units = candidate_units([hit])
    assert [(u.hit_rank, u.position, u.section, u.before, u.lines) for u in units] == [
        (2, 0, "Tool", "", ("text",)),
        (2, 1, "Tool", "It starts.", ("text",)),
        (2, 2, "Tool", "It starts.", ("text", "code")),  # its lead-in is part of it, not its context
    ]


def test_a_list_running_to_the_passage_end_is_no_code_unit():
    # The list may go on in the next passage: quoting its first items would cut it.
    text = "You need:\n\n- a card\n- an ID\n"
    assert "code" not in [u.kind for u in units_of(doc(text, "markdown"))]


def test_a_first_row_that_the_next_row_repeats_names_no_columns():
    text = "| << Intro | Up | Manual >> |\n|---|---|---|\n| << Intro | Home | Manual >> |\n\nDone.\n"
    assert "row" not in [u.kind for u in units_of(doc(text, "markdown"))]


def test_a_listing_with_comments_is_no_code_unit():
    text = "For example:\n\n```\nclient = Client(app)\n# Set headers\nclient.headers = {}\n```\n\nDone.\n"
    assert "code" not in [u.kind for u in units_of(doc(text, "markdown"))]


def test_a_long_listing_is_no_code_unit():
    text = "Run this:\n\n```\n" + "\n".join(f"step {i}" for i in range(20)) + "\n```\n\nDone.\n"
    assert "code" not in [u.kind for u in units_of(doc(text, "markdown"))]


def test_a_row_without_its_header_in_the_passage_is_no_unit():
    text = "| Name | Value |\n|---|---|\n" + "".join(f"| key{i} | value number {i} |\n" for i in range(12))
    d = doc(text, "markdown")
    reading = read(d)
    rows = [u for p in Chunker(max_chars=120, min_chars=40).chunk(d) for u in passage_units(p) if u.kind == "row"]
    assert "Name: key0; Value: value number 0" in [u.text for u in rows]
    assert not [u for u in rows if "key11" in u.text]  # its passage starts below the header
    for u in rows:
        assert all(reading.of(s, e) in u.text for s, e in u.spans)


def test_rst_field_list_grid_table_and_literal_block():
    text = (
        "Options\n=======\n\n:param x: the thing to do.\n:returns: nothing.\n\nTo stop it, run::\n\n    foo stop\n\n"
        "+------+------+\n| a    | b    |\n+======+======+\n| 1    | 2    |\n+------+------+\n"
    )
    got = kinds(units_of(doc(text, "rst")))
    assert ("definition", "param x: the thing to do.") in got and ("definition", "returns: nothing.") in got
    assert ("code", "To stop it, run:\nfoo stop") in got
    assert ("row", "a: 1; b: 2") in got


def test_man_page_options_are_definitions():
    text = (
        "NAME\n\nfoo - do things\n\nOPTIONS\n\n-v, --verbose Print every step as it is done.\n\n"
        "--log-file=FILE Write the log to FILE instead of the terminal.\n"
    )
    got = kinds(units_of(doc(text, "plain", "foo.1.txt")))
    assert ("definition", "-v, --verbose Print every step as it is done.") in got
    assert ("definition", "--log-file=FILE Write the log to FILE instead of the terminal.") in got


def test_a_rendered_man_pages_option_entries_are_definitions():
    from pathlib import Path

    from qa.ingest.reading import sniff_format

    text = (Path(__file__).parents[1] / "data" / "textfiles" / "gzip.1.txt").read_text(encoding="utf-8")
    d = Document(doc_id="gzip.1.txt", source="gzip.1.txt", title="", text=text, format=sniff_format(text))
    reading = read(d)
    units = units_of(d)
    got = kinds(units)
    assert ("definition", "-k --keep Keep (don't delete) input files during compression or decompression.") in got
    assert ("definition", "-t --test Test. Check the compressed file integrity then quit.") in got
    assert all(reading.of(u.start, u.end) == u.text for u in units)


def test_chinese_sentences_end_at_full_stops_not_semicolons_and_skip_article_numbers():
    text = (
        "第四十六条 失业人员失业前累计缴费满一年不足五年的，领取失业保险金的期限最长为十二个月；"
        "累计缴费十年以上的，最长为二十四个月。重新就业的，停止领取！是吗?好的"
    )
    d = doc(text, "plain")
    reading = read(d)
    units = units_of(d)
    assert [u.text for u in units] == [
        "失业人员失业前累计缴费满一年不足五年的，领取失业保险金的期限最长为十二个月；累计缴费十年以上的，最长为二十四个月。",
        "重新就业的，停止领取！",
        "是吗?",
        "好的",
    ]
    assert all(reading.of(u.start, u.end) == u.text for u in units)
    assert units[0].start == text.index("失业人员")  # the article's number is left out, the span starts later


def extracted(tmp_path, name, writer):
    from qa.ingest.loader import read_document

    path = tmp_path / name
    writer(path)
    return read_document(path, name)


def test_html_table_rows_read_with_their_header_and_a_definition_list(tmp_path):
    html = (
        "<html><body><h1>Limits</h1><p>The limits are these:</p><table><tr><th>Plan</th><th>Users</th></tr>"
        "<tr><td>Basic</td><td>5 &amp; more</td></tr><tr><td>Pro</td><td>50</td></tr></table>"
        "<ul><li>verbose: print <b>more</b></li><li>Quiet mode.</li></ul><p>End.</p></body></html>"
    )
    d = extracted(tmp_path, "limits.html", lambda p: p.write_text(html, encoding="utf-8"))
    reading = read(d)
    units = units_of(d)
    got = kinds(units)
    assert ("row", "Plan: Basic; Users: 5 & more") in got and ("row", "Plan: Pro; Users: 50") in got
    assert ("definition", "verbose: print more") in got and ("item", "Quiet mode.") in got
    for u in units:
        assert all(reading.of(s, e) for s, e in u.spans)
        if u.kind != "row":
            assert reading.of(u.start, u.end) == u.text


def test_docx_table_rows_read_with_their_header(tmp_path):
    docx = pytest.importorskip("docx")

    def write(path):
        d = docx.Document()
        d.add_paragraph("Fees by service:")
        table = d.add_table(rows=3, cols=2)
        for r, cells in enumerate([("Service", "Fee"), ("Passport", "$130"), ("Visa", "$160")]):
            for c, value in enumerate(cells):
                table.cell(r, c).text = value
        d.add_paragraph("Fees change every year.")
        d.save(path)

    d = extracted(tmp_path, "fees.docx", write)
    reading = read(d)
    rows = [u for u in units_of(d) if u.kind == "row"]
    assert [u.text for u in rows] == ["Service: Passport; Fee: $130", "Service: Visa; Fee: $160"]
    for u in rows:
        assert [reading.of(s, e) for s, e in u.spans] == [
            "Service",
            u.text.split("; ")[0].split(": ")[1],
            "Fee",
            u.text.split("; ")[1].split(": ")[1],
        ]


def test_html_definition_list_terms_with_their_descriptions(tmp_path):
    html = (
        "<html><body><h1>time</h1><p>The format takes these specifiers.</p><dl>"
        "<dt><code>%M</code></dt><dd>Maximum resident set size of the process during its lifetime, in "
        "Kilobytes.</dd><dt><code>%e</code></dt><dd>Elapsed real time, in seconds. It is measured on the "
        "wall clock.</dd></dl></body></html>"
    )
    d = extracted(tmp_path, "time.html", lambda p: p.write_text(html, encoding="utf-8"))
    reading = read(d)
    passages = Chunker().chunk(d)
    units = [u for p in passages for u in passage_units(p)]
    got = kinds(units)
    assert ("definition", "%M\nMaximum resident set size of the process during its lifetime, in Kilobytes.") in got
    assert ("definition", "%e\nElapsed real time, in seconds. It is measured on the wall clock.") in got
    assert ("sentence", "Elapsed real time, in seconds.") in got  # the description's sentences stay units
    for u in units:
        assert reading.of(u.start, u.end) == u.text
    assert [u.lines for u in units if u.kind == "definition"] == [("term", "text")] * 2
    # the term is still the section of its description's passage
    assert [p.section for p in passages if "%M" in p.text] == ["%M"]


def test_man_page_option_lines_over_their_description_are_definitions():
    text = (
        "NAME\n\n    foo - do things\n\nOPTIONS\n\n-v, --verbose\n\n    Print every step as it is done, "
        "with the time it took.\n\n--log-file=FILE\n\n    Write the log to FILE instead of the terminal.\n"
    )
    d = doc(text, "plain", "foo.txt")
    reading = read(d)
    units = units_of(d)
    got = kinds(units)
    assert ("definition", "-v, --verbose\nPrint every step as it is done, with the time it took.") in got
    assert ("definition", "--log-file=FILE\nWrite the log to FILE instead of the terminal.") in got
    assert all(reading.of(u.start, u.end) == u.text for u in units)


# --- the summary answers with units ----------------------------------------------------------------------

SERVICE = """# The foo service

Foo runs in the background and serves the dashboard on port 8080.

## Stopping foo

To stop the foo service, run:

```
sudo systemctl stop foo
```

## Plans

| Plan | Users | Price |
|------|-------|-------|
| Basic | 5 | free |
| Pro | 50 | 20 euros a month |

## Options

- `--quiet`: print nothing but errors.
- `--dry-run`: show what would be done, and do nothing.
"""


@pytest.fixture(scope="module")
def service_index(tmp_path_factory):
    from qa.index.build import build_index

    root = tmp_path_factory.mktemp("service")
    (root / "foo.md").write_text(SERVICE, encoding="utf-8")
    index, _ = build_index([root])
    return index


@pytest.mark.parametrize(
    "question, kind, text",
    [
        ("How do I stop the foo service?", "code", "To stop the foo service, run:\nsudo systemctl stop foo"),
        ("How much does the Pro plan cost?", "row", "Plan: Pro; Users: 50; Price: 20 euros a month"),
        (
            "Which option shows what would be done without doing it?",
            "definition",
            "--dry-run: show what would be done, and do nothing.",
        ),
    ],
)
def test_the_summary_answers_with_a_unit(service_index, question, kind, text):
    from qa.answering.summarize import answer

    got = answer(service_index, question)
    assert not got.abstained
    first = got.sentences[0]
    assert (first.kind, first.text) == (kind, text)
    reading = read(doc(SERVICE, "markdown", "foo.md"))
    for s in got.sentences:
        pieces = s.spans or ((s.start, s.end),)
        assert all(reading.of(a, b) in s.text for a, b in pieces)
        if s.kind != "row":
            assert reading.of(s.start, s.end) == s.text
