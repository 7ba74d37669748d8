"""The pdfium PDF reader's layout rules beyond tests/test_formats.py: tables read as rows, two
columns drawn row by row read a column at a time, a monospaced name ending a sentence kept in it,
the title from the first large line. PDFs drawn with reportlab, as there."""

from __future__ import annotations

from test_formats import BODY, DrawnPage, read_drawn


def test_a_table_is_read_a_row_at_a_time_each_cell_under_its_header(tmp_path):
    page = DrawnPage().para(*BODY[:2], "wear their badge.")
    for y, cells in ((200, ("Room", "Floor", "Seats")), (214, ("Blue", "2", "12")), (228, ("Red", "3", "40"))):
        for x, cell in zip((72, 172, 272), cells):
            page.line(cell, x=x, at=y)
    page.para("The rooms are booked in the portal.", before=30)
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks[1:4] == [("table", "Room | Floor | Seats"), ("table", "Room: Blue; Floor: 2; Seats: 12"),
                           ("table", "Room: Red; Floor: 3; Seats: 40")]
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
    page = (DrawnPage().para("After the handshake the split function may be called on a")
            .line("CipherState.", font="Courier")
            .para("The listing below shows it:")
            .para("cs = CipherState()", "cs.split()", font="Courier"))
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks[0] == ("text", "After the handshake the split function may be called on a CipherState.")
    assert blocks[-1] == ("code", "cs = CipherState()\ncs.split()")


def test_without_a_metadata_title_the_first_large_line_is_the_title_and_a_heading(tmp_path):
    page = (DrawnPage().line("Acme Ltd internal, second edition", size=8)
            .line("Visitor guide", size=20, before=20).line("for the Leeds office", size=20)
            .para(*BODY))
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
    from qa.ingest.formats import extract_pdf
    from test_formats import assert_blocks_hold

    got = extract_pdf(path)
    blocks = assert_blocks_hold(got)
    assert got.title == "Guidance for visitors to the office"
    assert blocks[0] == ("heading", "Guidance for visitors to the office")
