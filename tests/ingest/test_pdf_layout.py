"""The pdfium PDF reader's layout rules beyond tests/test_formats.py: tables read as rows, two
columns drawn row by row read a column at a time, a monospaced name ending a sentence kept in it,
the title from the first large line. PDFs drawn with reportlab, as there."""

from __future__ import annotations

from qa.errors import SourceError
from qa.ingest.formats import extract_pdf
from test_formats import BODY, DrawnPage, assert_blocks_hold, read_drawn


def test_a_table_is_read_a_row_at_a_time_each_cell_under_its_header(tmp_path):
    page = DrawnPage().para(*BODY[:2], "wear their badge.")
    for y, cells in ((200, ("Room", "Floor", "Seats")), (214, ("Blue", "2", "12")), (228, ("Red", "3", "40"))):
        for x, cell in zip((72, 172, 272), cells):
            page.line(cell, x=x, at=y)
    page.para("The rooms are booked in the portal.", before=30)
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks[1:4] == [
        ("table", "Room | Floor | Seats"),
        ("table", "Room: Blue; Floor: 2; Seats: 12"),
        ("table", "Room: Red; Floor: 3; Seats: 40"),
    ]
    assert blocks[-1] == ("text", "The rooms are booked in the portal.")


def test_two_columns_drawn_row_by_row_are_read_a_column_at_a_time(tmp_path):
    left = ["The canteen on the ground floor", "serves lunch from noon until two", "and coffee the whole day long."]
    right = ["The gym in the basement is open", "to every member of staff with a", "badge from six in the morning."]
    page = DrawnPage()
    for i, (a, b) in enumerate(zip(left, right)):
        y = 100 + 12.5 * i
        page.line(a, x=30, at=y).line(b, x=215, at=y)
    _, blocks = read_drawn(tmp_path, [page])
    assert [t for _, t in blocks] == [" ".join(left), " ".join(right)]


def test_a_monospaced_name_ending_a_sentence_stays_in_it(tmp_path):
    page = (
        DrawnPage()
        .para("After the handshake the split function may be called on a")
        .line("CipherState.", font="Courier")
        .para("The listing below shows it:")
        .para("cs = CipherState()", "cs.split()", font="Courier")
    )
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks[0] == ("text", "After the handshake the split function may be called on a CipherState.")
    assert blocks[-1] == ("code", "cs = CipherState()\ncs.split()")


def test_without_a_metadata_title_the_first_large_line_is_the_title_and_a_heading(tmp_path):
    page = (
        DrawnPage()
        .line("Acme Ltd internal, second edition", size=8)
        .line("Visitor guide", size=20, before=20)
        .line("for the Leeds office", size=20)
        .para(*BODY)
    )
    got, blocks = read_drawn(tmp_path, [page])
    assert got.title == "Visitor guide for the Leeds office"
    assert ("heading", "Visitor guide for the Leeds office") in blocks


def test_the_metadata_title_printed_in_body_type_is_a_heading_not_an_answer(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "t.pdf"
    c = canvas.Canvas(str(path), pagesize=(400, 600))
    c.setTitle("Guidance for visitors to the office")
    c.setFont("Helvetica", 10)
    lines = ["Guidance for visitors to the office", "", *BODY]
    for i, text in enumerate(lines):
        c.drawString(72, 500 - 12.5 * i, text)
    c.save()
    got = extract_pdf(path)
    blocks = assert_blocks_hold(got)
    assert got.title == "Guidance for visitors to the office"
    assert blocks[0] == ("heading", "Guidance for visitors to the office")


# --- property: whatever the layout, every block, passage and sentence reads back from its span -------------

import os  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qa.ingest.loader import read_document  # noqa: E402
from qa.ingest.reading import read, sentences  # noqa: E402
from test_formats import draw_pdf, passages_of  # noqa: E402

WORDS = [
    "the",
    "office",
    "opens",
    "at",
    "eight",
    "Visitors",
    "sign-",
    "in",
    "badge",
    "CipherState.",
    "2.3",
    "•",
    "room",
    "lunch",
    "noon",
    "3",
    "Table",
    "floor:",
    "界面",
    "中文",
    "specifi-",
    "cation",
    "_init_",
    "a.",
]
FONTS = ["Helvetica", "Helvetica-Bold", "Courier", "Times-Roman"]


@st.composite
def drawn_pages(draw):
    pages = []
    for _ in range(draw(st.integers(1, 3))):
        page = DrawnPage()
        for _ in range(draw(st.integers(0, 14))):
            words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=9))
            font = draw(st.sampled_from(FONTS))
            if "界面" in words or "中文" in words:
                font = "STSong-Light"
            size = draw(st.sampled_from([8, 10, 10, 10, 13, 18]))
            x = draw(st.sampled_from([30, 72, 72, 90, 200]))
            page.line(" ".join(words), font=font, size=size, x=x, before=draw(st.sampled_from([0, 0, 4, 14])))
            if draw(st.integers(0, 5)) == 0:  # a cell beside it: a row of a table
                page.line(draw(st.sampled_from(WORDS)), size=size, x=300, at=page.y - size * 1.25)
        pages.append(page)
    return pages


@settings(
    max_examples=int(os.environ.get("QA_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(pages=drawn_pages())
def test_every_block_passage_and_sentence_of_a_drawn_pdf_reads_back_from_its_span(tmp_path_factory, pages):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path_factory.mktemp("prop") / "p.pdf"
    path.write_bytes(draw_pdf(pages))
    try:
        got = extract_pdf(path)
    except SourceError:  # no text on any page: refused, as a scanned PDF is
        assert not any(p.lines for p in pages)
        return
    if got.blocks:
        assert_blocks_hold(got)
    assert len(got.pages) == len(pages)
    doc = read_document(path, "p.pdf")
    reading = read(doc)
    for passage in passages_of(doc):  # each passage reads back from its span (checked there)
        assert doc.page_at(passage.start) == passage.page
        for s, e, ss, se in sentences(passage):  # and so does each answer sentence
            assert reading.of(ss, se) == passage.text[s:e]


def test_justified_prose_with_a_name_in_another_font_is_prose_not_a_table(tmp_path):
    # A LaTeX manual sets a typewriter name inside justified lines: wide gaps around it, at a
    # different place on each line, and long parts: running text, not a table's cells.
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines = [
        (("Then, with simple commands, the user instructs", "Helvetica"), ("PSfrag", "Courier")),
        (("PSfrag", "Courier"), ("to remove that tag from the figure and replace it", "Helvetica")),
        (
            ("Dr. Craig Barratt wrote the first version of", "Helvetica"),
            ("PSfrag", "Courier"),
            ("as a student.", "Helvetica"),
        ),
    ]
    page = DrawnPage()
    for i, parts in enumerate(lines):
        x, y = 30.0, 100 + 12.5 * i
        for text, font in parts:
            page.line(text, font=font, x=x, at=y)
            x += stringWidth(text, font, 10) + 20  # a gap of two font sizes
    _, blocks = read_drawn(tmp_path, [page])
    assert [kind for kind, _ in blocks] == ["text"]
    assert "Dr. Craig Barratt wrote the first version of PSfrag as a student." in blocks[0][1]
