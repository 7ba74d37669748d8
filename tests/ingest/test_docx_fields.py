"""DOCX: field instructions are not text, their results are; a table of contents' entries are
dropped; headings by style or outline level; content controls opened (qa.ingest.formats.docx_text)."""

from __future__ import annotations

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from qa.ingest.formats import extract_docx
from test_formats import assert_blocks_hold

W = nsdecls("w")


def _run(inner: str) -> str:
    return f"<w:r>{inner}</w:r>"


def _field(instr: str, result: str) -> str:
    return (
        _run('<w:fldChar w:fldCharType="begin"/>')
        + _run(f'<w:instrText xml:space="preserve"> {instr} </w:instrText>')
        + _run('<w:fldChar w:fldCharType="separate"/>')
        + result
        + _run('<w:fldChar w:fldCharType="end"/>')
    )


def _text(t: str) -> str:
    return _run(f'<w:t xml:space="preserve">{t}</w:t>')


def test_field_instructions_are_dropped_and_their_results_kept(tmp_path):
    d = docx.Document()
    body = d.element.body
    d.add_paragraph("Contents", style="TOC Heading")
    toc_entry = _field(
        'TOC \\o "1-2" \\h \\z \\u',
        _text("Introduction") + _run("<w:tab/>") + _field("PAGEREF _Toc123 \\h", _text("3")),
    )
    body.append(parse_xml(f'<w:p {W}><w:pPr><w:pStyle w:val="TOC1"/></w:pPr>{toc_entry}</w:p>'))
    d.add_heading("Introduction", level=1)
    body.append(
        parse_xml(
            f'<w:p {W}>{_text("See ")}<w:fldSimple w:instr=" REF _Ref1 \\h ">{_text("Table 2")}'
            f"</w:fldSimple>{_text(' and ')}{_field('HYPERLINK &quot;https://example.org&quot;', _text('the site'))}"
            f"{_text(' for the opening hours.')}</w:p>"
        )
    )
    body.append(
        parse_xml(f"<w:sdt {W}><w:sdtContent><w:p>{_text('The canteen opens at noon.')}</w:p></w:sdtContent></w:sdt>")
    )
    body.append(
        parse_xml(
            f"<w:p {W}>{_text('Kept')}<w:del><w:r><w:delText>gone</w:delText></w:r></w:del>{_text(' text.')}</w:p>"
        )
    )
    body.append(body[-5])  # python-docx keeps w:sectPr last; move it back to the end
    path = tmp_path / "guide.docx"
    d.save(path)
    got = extract_docx(path)
    blocks = assert_blocks_hold(got)
    assert blocks == [
        ("heading", "Introduction"),
        ("text", "See Table 2 and the site for the opening hours."),
        ("text", "The canteen opens at noon."),
        ("text", "Kept text."),
    ]
    for residue in ("TOC", "PAGEREF", "REF ", "HYPERLINK", "_Toc", "\\h"):
        assert residue not in got.text


def test_a_heading_by_outline_level_of_its_own_style(tmp_path):
    d = docx.Document()
    style = d.styles.add_style("Kapitel", 1)  # WD_STYLE_TYPE.PARAGRAPH
    style.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {W} w:val="1"/>'))
    d.add_paragraph("Opening hours", style="Kapitel")
    d.add_paragraph("The office opens at eight.")
    path = tmp_path / "k.docx"
    d.save(path)
    text = extract_docx(path).text
    assert text == "## Opening hours\n\nThe office opens at eight."
