"""A question about a two-page PDF is answered from the passage that holds the answer (issue 22).

"How many days of parental leave do employees receive?" once got the sentence about where requests
are sent, from the same passage, because the "how many" rule knew no number word past twelve. The
PDF is drawn with reportlab as a word processor would lay out a short handbook: a title, headings in
a larger font, wrapped paragraphs, a second page on another topic.
"""

from __future__ import annotations

import pytest

import qa

pytest.importorskip("reportlab")


def _handbook(path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle("Staff Handbook")

    def page(lines):
        y = 780
        for font, size, text in lines:
            c.setFont(font, size)
            c.drawString(72, y, text)
            y -= size + 8

    page(
        [
            ("Helvetica-Bold", 20, "Staff Handbook"),
            ("Helvetica-Bold", 14, "Parental leave"),
            ("Helvetica", 11, "Requests for parental leave are sent to the Lantern Office on the second floor."),
            ("Helvetica", 11, "Employees who have worked a full year receive seventeen days of parental leave."),
            ("Helvetica", 11, "The leave may be split into two parts, taken within a year of the birth."),
            ("Helvetica-Bold", 14, "Holidays"),
            ("Helvetica", 11, "Staff take twenty-five days of paid holiday a year, booked through the portal."),
        ]
    )
    c.showPage()
    page(
        [
            ("Helvetica-Bold", 14, "Parking"),
            ("Helvetica", 11, "Staff park in the north garage. Visitors park on level two of the west garage."),
            ("Helvetica", 11, "Permits are renewed each January at the front desk."),
        ]
    )
    c.showPage()
    c.save()


def test_how_many_days_of_parental_leave_is_answered_from_the_passage_that_says_so(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    _handbook(docs / "handbook.pdf")
    index, warnings = qa.build_index(docs)
    assert not warnings
    result = qa.answer(index, "How many days of parental leave do employees receive?")
    assert not result.abstained
    first = result.sentences[0]
    assert "seventeen days of parental leave" in first.text
    assert first.rank == 1 and result.hits[0].passage.page == 1
    assert "Lantern Office" not in first.text
