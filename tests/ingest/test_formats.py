"""qa.formats and the loader's dispatch: PDF, DOCX and HTML become text with headings, pages, blocks and exact offsets.

Every fixture is generated here, in tmp_path: a PDF by a tiny hand-written PDF
writer (one Helvetica text stream a page) or, where the layout matters (fonts,
sizes, positions), drawn with reportlab; DOCX files with python-docx, HTML as
strings, and broken files as raw bytes. The real files of ../shared/realdocs are
read too, when they are beside the project.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest

import qa
from qa.ingest import formats
from qa.index.build import stat_signature
from qa.ingest.chunking import chunk_documents
from qa.ingest.formats import extract_docx, extract_html, extract_pdf
from qa.ingest.loader import DOCUMENT_SUFFIXES, TEXT_SUFFIXES, load_documents
from qa.ingest.reading import read
from qa.serve.render import hit_location
from qa.types import Document

# --- fixtures --------------------------------------------------------------------------------------------

PDF_PAGES = [
    [
        "Staff handbook",
        "",
        "Annual leave is twenty five days a year for every employee, and it is",
        "booked in the human resources portal at least two weeks in advance.",
    ],
    [
        "Expenses are repaid within thirty days when the receipt is uploaded,",
        "and the claim form is signed by the manager of the team of the employee.",
    ],
    [
        "The bicycle storage room in the basement opens with the blue key card,",
        "which reception hands out on the first working day of every newcomer.",
    ],
]


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF: one page per list of lines, each drawn with Helvetica 12pt."""

    def literal(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"] + [f"({literal(line)}) Tj T*" for line in lines] + ["ET"]
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = ""
    if title is not None:
        objects.append(f"<< /Title ({literal(title)}) >>".encode())
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypt_pdf(data: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_docx(path, title: str | None = "Benefits guide") -> None:
    d = docx.Document()
    if title is not None:
        d.core_properties.title = title
    d.add_heading("Employee benefits", 0)  # style "Title"
    d.add_paragraph("This guide explains the benefits every employee receives from the first day of work onwards.")
    d.add_heading("Health insurance", 1)
    d.add_paragraph("The company pays the full premium of the health insurance for you, your partner and children.")
    d.add_paragraph("Dentist", style="List Bullet")
    d.add_paragraph("Optician", style="List Bullet")
    d.add_heading("Dental cover", 2)
    d.add_paragraph("Dental cover pays for two checkups a year and half the cost of fillings and crowns.")
    table = d.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Plan", (0, 1): "Monthly cost", (1, 0): "Family plan", (1, 1): "Forty euros"}.items():
        table.cell(r, c).text = text
    d.add_paragraph("Prices in the table are per month and include all taxes and fees that apply.")
    d.save(str(path))


HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Parking rules</title>
<style>body { color: STYLETEXT; }</style>
<script>var token = "SCRIPTTEXT"; document.write("<p>SCRIPTTEXT</p>");</script>
</head><body>
<header><div class="logo">SITEBANNER</div><nav><a href="/">NAVTEXT home</a> <a href="/a">NAVTEXT about</a></nav></header>
<main><article>
<header><h1>Parking at the office</h1></header>
<p>Every employee may park in the garage under the building, <b>free of charge</b>,
from seven in the morning until ten at night.</p>
<h2>Electric cars</h2>
<p>Chargers for electric cars are on level minus two; a session may last at most four hours.</p>
<ul><li>Bring your badge</li><li>Unplug when done</li></ul>
<h3>Fees</h3>
<table><tr><th>Hours</th><th>Fee</th></tr><tr><td>Up to four</td><td>Free</td></tr></table>
<p>Charging longer than four hours costs ten euros an hour, billed to your cost centre.</p>
<noscript>NOSCRIPTTEXT</noscript><template><p>TEMPLATETEXT</p></template>
</article></main>
<aside>ASIDETEXT related links</aside>
<footer>FOOTERTEXT copyright</footer>
<script>alert("SCRIPTTEXT")</script>
</body></html>
"""


@pytest.fixture(params=["lxml", "html.parser"])
def html_parser(request, monkeypatch):
    """Run HTML tests with both parsers BeautifulSoup may use."""
    monkeypatch.setattr(formats, "_html_parser", lambda: request.param)
    return request.param


@pytest.fixture
def mixed_corpus(tmp_path):
    """A folder with one document of every supported format."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "handbook.pdf").write_bytes(make_pdf(PDF_PAGES, title="Staff handbook 2024"))
    make_docx(root / "benefits.docx")
    (root / "parking.html").write_text(HTML, encoding="utf-8")
    (root / "canteen.md").write_text(
        "# Canteen\n\nThe canteen serves lunch from noon until two o'clock.\n", encoding="utf-8"
    )
    (root / "wifi.txt").write_text(
        "Wifi\n\nThe guest wifi password is printed on the badge of every visitor.\n", encoding="utf-8"
    )
    return root


def passages_of(doc: Document):
    passages = chunk_documents([doc])
    reading = read(doc)
    for p in passages:
        assert p.text == reading.of(p.start, p.end)
    return passages


# --- which files are read --------------------------------------------------------------------------------


def test_document_suffixes_extend_text_suffixes():
    assert TEXT_SUFFIXES == (".txt", ".md", ".markdown", ".rst")
    assert set(DOCUMENT_SUFFIXES) == set(TEXT_SUFFIXES) | {".pdf", ".docx", ".html", ".htm"}


def test_a_folder_of_every_format_loads_without_warnings(mixed_corpus):
    result = load_documents(mixed_corpus)
    assert [d.doc_id for d in result.documents] == [
        "benefits.docx",
        "canteen.md",
        "handbook.pdf",
        "parking.html",
        "wifi.txt",
    ]
    assert result.warnings == ()
    titles = {d.doc_id: d.title for d in result.documents}
    assert titles == {
        "benefits.docx": "Benefits guide",
        "canteen.md": "Canteen",
        "handbook.pdf": "Staff handbook 2024",
        "parking.html": "Parking rules",
        "wifi.txt": "Wifi",
    }
    for doc in result.documents:
        assert bool(doc.pages) == doc.doc_id.endswith(".pdf")
        passages_of(doc)  # every passage slices its document's text exactly


def test_text_files_keep_their_exact_text(mixed_corpus):
    docs = {d.doc_id: d for d in load_documents(mixed_corpus).documents}
    for name in ("canteen.md", "wifi.txt"):
        assert docs[name].text == (mixed_corpus / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["handbook.pdf", "benefits.docx", "parking.html"])
def test_a_single_file_source_of_each_format(mixed_corpus, name):
    (doc,) = load_documents(mixed_corpus / name).documents
    assert (doc.doc_id, doc.source) == (name, name)


def test_htm_suffix_and_upper_case_suffixes(tmp_path):
    (tmp_path / "a.HTM").write_text(
        "<h1>Fire drill</h1><p>Leave by the nearest stairs, never the lift.</p>", encoding="utf-8"
    )
    (tmp_path / "b.PDF").write_bytes(make_pdf([["The fire drill is held every March."]]))
    docs = load_documents(tmp_path).documents
    assert [d.doc_id for d in docs] == ["a.HTM", "b.PDF"]


def test_stat_signature_sees_the_new_formats(tmp_path):
    (tmp_path / "a.txt").write_text("A\n\nbody.\n", encoding="utf-8")
    before = stat_signature([tmp_path])
    (tmp_path / "b.pdf").write_bytes(make_pdf([["New page."]]))
    assert stat_signature([tmp_path]) != before


# --- PDF -------------------------------------------------------------------------------------------------


def test_pdf_text_is_the_pages_joined_by_a_blank_line(tmp_path):
    path = tmp_path / "h.pdf"
    path.write_bytes(make_pdf(PDF_PAGES, title="Staff handbook 2024"))
    got = extract_pdf(path)
    # a paragraph's lines joined by a space; the blank line after "Staff handbook" ends its block
    page_texts = ["Staff handbook\n\n" + " ".join(PDF_PAGES[0][2:])] + [" ".join(lines) for lines in PDF_PAGES[1:]]
    assert got.text == "\n\n".join(page_texts)
    assert got.pages == (0, len(page_texts[0]) + 2, len(page_texts[0]) + len(page_texts[1]) + 4)
    for start, page_text in zip(got.pages, page_texts):
        assert got.text[start : start + len(page_text)] == page_text
    assert [got.text[s:e] for _, s, e in got.blocks] == [
        "Staff handbook",
        *page_texts[0].split("\n\n")[1:],
        *page_texts[1:],
    ]
    assert {kind for kind, _, _ in got.blocks} == {"text"}
    assert got.title == "Staff handbook 2024"


def test_pdf_lines_wrapped_mid_sentence_are_joined(tmp_path):
    path = tmp_path / "w.pdf"
    path.write_bytes(make_pdf([["Leave may be carried over to the", "next year, up to five days.", "Sick leave"]]))
    got = extract_pdf(path)
    assert [got.text[s:e] for _, s, e in got.blocks] == [
        "Leave may be carried over to the next year, up to five days.",
        "Sick leave",
    ]  # a short line ends a sentence


@pytest.mark.parametrize("title", [None, "", "Microsoft Word - handbook.docx"])
def test_pdf_title_falls_back_to_the_first_line(tmp_path, title):
    path = tmp_path / "h.pdf"
    path.write_bytes(make_pdf(PDF_PAGES, title=title))
    assert extract_pdf(path).title == "Staff handbook"


def test_pdf_passages_carry_their_page(tmp_path):
    path = tmp_path / "h.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    (doc,) = load_documents(path).documents
    passages = passages_of(doc)
    by_page = {p.page: p.text for p in passages}
    assert sorted(by_page) == [1, 2, 3]
    assert "bicycle storage" in by_page[3] and "Expenses" in by_page[2] and "Annual leave" in by_page[1]
    for p in passages:
        assert p.page == doc.page_at(p.start)


def test_an_empty_pdf_page_keeps_the_numbering(tmp_path):
    path = tmp_path / "gap.pdf"
    path.write_bytes(make_pdf([PDF_PAGES[0], [], PDF_PAGES[2]]))
    (doc,) = load_documents(path).documents
    assert len(doc.pages) == 3 and doc.pages[1] == doc.pages[2]
    (last,) = [p for p in passages_of(doc) if "bicycle" in p.text]
    assert last.page == 3


def test_a_question_about_page_three_cites_page_three(mixed_corpus):
    index, warnings = qa.build_index(mixed_corpus)
    assert warnings == ()
    hits = qa.search(index, "Where is the bicycle storage room?", k=3)
    top = hits[0]
    assert top.passage.source == "handbook.pdf" and top.passage.page == 3
    assert "page 3" in hit_location(top)
    result = qa.answer(index, "Which key card opens the bicycle storage room?", k=3)
    assert not result.abstained and result.hits[0].passage.page == 3


def test_a_pdf_with_an_empty_user_password_is_read(tmp_path):
    path = tmp_path / "restricted.pdf"
    path.write_bytes(encrypt_pdf(make_pdf(PDF_PAGES), user_password=""))
    assert "bicycle storage" in extract_pdf(path).text


# --- DOCX ------------------------------------------------------------------------------------------------


def test_docx_headings_become_markdown_lines(tmp_path):
    path = tmp_path / "b.docx"
    make_docx(path)
    text = extract_docx(path).text
    lines = text.split("\n")
    assert [ln for ln in lines if ln.startswith("#")] == [
        "# Employee benefits",
        "# Health insurance",
        "## Dental cover",
    ]
    assert "\nDentist\nOptician\n" in text  # list items: consecutive lines of one block
    assert "\nPlan | Monthly cost\nFamily plan | Forty euros\n" in text  # a table: one row a line
    assert "\n\n\n" not in text


def test_docx_passages_have_their_heading_as_section(tmp_path):
    path = tmp_path / "b.docx"
    make_docx(path)
    (doc,) = load_documents(path).documents
    section_of = {p.text.split()[0]: p.section for p in passages_of(doc)}
    assert section_of["This"] == "Employee benefits"
    assert section_of["The"] == "Health insurance"  # "The company pays the full premium ..."
    assert section_of["Dental"] == "Dental cover"


def test_docx_title_is_core_title_else_first_heading(tmp_path):
    path = tmp_path / "b.docx"
    make_docx(path, title=None)
    assert extract_docx(path).title == "Employee benefits"
    make_docx(path, title="Benefits 2024")
    assert extract_docx(path).title == "Benefits 2024"


def test_docx_merged_cells_are_read_once(tmp_path):
    d = docx.Document()
    d.add_paragraph("Opening hours of the two offices, in one table with a merged heading cell.")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "Opening hours"
    t.cell(1, 0).text, t.cell(1, 1).text = "Berlin", "9 to 5"
    d.save(str(tmp_path / "t.docx"))
    assert extract_docx(tmp_path / "t.docx").text.endswith("\n\nOpening hours\nBerlin | 9 to 5")


# --- HTML ------------------------------------------------------------------------------------------------


def test_html_main_text_without_page_furniture(tmp_path, html_parser):
    path = tmp_path / "p.html"
    path.write_text(HTML, encoding="utf-8")
    got = extract_html(path)
    for hidden in [
        "SCRIPTTEXT",
        "STYLETEXT",
        "NAVTEXT",
        "SITEBANNER",
        "ASIDETEXT",
        "FOOTERTEXT",
        "NOSCRIPTTEXT",
        "TEMPLATETEXT",
        "token",
    ]:
        assert hidden not in got.text
    assert got.title == "Parking rules"
    assert [ln for ln in got.text.split("\n") if ln.startswith("#")] == [
        "# Parking at the office",
        "## Electric cars",
        "### Fees",
    ]
    assert "\n\nBring your badge\nUnplug when done\n\n" in got.text
    assert "\n\nHours | Fee\nUp to four | Free\n\n" in got.text
    assert "garage under the building, free of charge, from seven" in got.text  # inline tags and newlines flattened


def test_html_passages_have_their_heading_as_section(tmp_path, html_parser):
    path = tmp_path / "p.html"
    path.write_text(HTML, encoding="utf-8")
    (doc,) = load_documents(path).documents
    passages = passages_of(doc)

    def section_of(phrase):
        (section,) = [p.section for p in passages if phrase in p.text]
        return section

    assert section_of("park in the garage") == "Parking at the office"
    assert section_of("Chargers for electric cars") == "Electric cars"
    assert section_of("costs ten euros an hour") == "Fees"


def test_html_title_falls_back_to_the_first_h1(tmp_path, html_parser):
    path = tmp_path / "p.html"
    path.write_text("<body><h1>Visitors</h1><p>Visitors sign in at the front desk.</p></body>", encoding="utf-8")
    assert extract_html(path).title == "Visitors"
    path.write_text(
        "<header><h1>Site name</h1></header><main><h2>Visitors</h2><h1>Front desk</h1>"
        "<p>Visitors sign in at the front desk.</p></main>",
        encoding="utf-8",
    )
    assert extract_html(path).title == "Front desk"  # the site header's <h1> is not the page's


def test_html_list_items_stay_one_block_even_when_wrapped_in_paragraphs(tmp_path, html_parser):
    path = tmp_path / "l.html"
    path.write_text("<h2>Bring</h2><ul><li><p>Your badge</p></li><li><p>A <em>pen</em></p></li></ul>", encoding="utf-8")
    assert extract_html(path).text == "## Bring\n\nYour badge\nA pen"


def test_html_is_decoded_by_its_declared_charset(tmp_path, html_parser):
    path = tmp_path / "latin.html"
    path.write_bytes(
        '<meta charset="iso-8859-1"><h1>Caf\u00e9</h1><p>The caf\u00e9 opens at eight.</p>'.encode("latin-1")
    )
    assert extract_html(path).text == "# Caf\u00e9\n\nThe caf\u00e9 opens at eight."


def test_deeply_nested_html_does_not_overflow(tmp_path):
    path = tmp_path / "deep.html"
    path.write_text("<div>" * 3000 + "<p>Deep text that is still found.</p>" + "</div>" * 3000, encoding="utf-8")
    assert "Deep text that is still found." in extract_html(path).text


# --- what is refused, per file ---------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _lying_docx(real_bytes: int, said: int = 4000) -> bytes:
    """A DOCX whose word/document.xml says it unpacks to `said` bytes but holds `real_bytes`
    (deflated about 1,000 to 1): the size checks pass, a whole read() would inflate it all."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("word/document.xml", "w", force_zip64=False) as member:  # streamed: no big buffer here
            block = b"<w:document>" + b"a" * (1 << 20)
            for _ in range(real_bytes >> 20):
                member.write(block)
    data = bytearray(buf.getvalue())
    name = b"word/document.xml"
    for signature, size_at, name_length_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        at = data.find(signature)
        while at >= 0:  # the local header and the central directory both state the size
            n = int.from_bytes(data[at + name_length_at : at + name_length_at + 2], "little")
            if data[at + name_at : at + name_at + n] == name:
                data[at + size_at : at + size_at + 4] = said.to_bytes(4, "little")
            at = data.find(signature, at + 4)
    return bytes(data)


BAD_FILES = {
    "broken.pdf": (lambda: b"%PDF-1.4\nthis is not really a PDF\n", r"not a readable PDF"),
    "locked.pdf": (lambda: encrypt_pdf(make_pdf(PDF_PAGES), user_password="secret"), r"encrypted PDF"),
    "scanned.pdf": (lambda: make_pdf([[], []]), r"no text layer \(scanned\?\)"),
    "bomb.docx": (
        lambda: _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"\0" * (3 * 1024 * 1024)}),
        r"zip bomb",
    ),
    "lying.docx": (lambda: _lying_docx(8 << 20), r"corrupt zip: Bad CRC-32 for file 'word/document\.xml'; zip bomb\?"),
    "notzip.docx": (lambda: b"This is plain text saved with a .docx name.", r"not a zip archive"),
    "badxml.docx": (
        lambda: _zip({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"}),
        r"not a readable DOCX",
    ),
    "binary.html": (lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"binary file"),
    "cp1252.html": (lambda: b"<p>caf\xe9 and cr\xe8me, saved without a charset</p>", r"not decodable as UTF-8"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_a_warning_and_the_rest_is_indexed(mixed_corpus, name):
    make, reason = BAD_FILES[name]
    (mixed_corpus / name).write_bytes(make())
    index, warnings = qa.build_index(mixed_corpus)
    assert len(warnings) == 1
    assert name in warnings[0] and re.search(reason, warnings[0]), warnings
    assert warnings[0].startswith("skipped ")
    assert index.meta["n_documents"] == 5
    assert qa.search(index, "bicycle storage room", k=1)[0].passage.page == 3


def test_hostile_uploads_are_refused_by_name_and_leave_the_data_folder_as_it_was(mixed_corpus, tmp_path, monkeypatch):
    """Through the page's upload path: each hostile file named with its reason, nothing kept."""
    from qa.serve.library import Library
    from qa.serve.uploads import UploadError

    index, _ = qa.build_index(mixed_corpus)
    qa.save_index(index, tmp_path / "seed")
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "seed"))
    lib = Library(tmp_path / "data")
    version = lib.ensure_index()

    def files():
        return {
            f: (f.stat().st_mtime_ns, f.read_bytes())
            for f in (tmp_path / "data").rglob("*")
            if f.is_file() and f.name != ".qa-write.lock"
        }  # the index's writer lock names its last holder

    before = files()
    hostile = ["bomb.docx", "lying.docx", "notzip.docx", "broken.pdf", "binary.html"]
    with pytest.raises(UploadError) as info:
        lib.add_uploads([(name, BAD_FILES[name][0]()) for name in hostile])
    lines = str(info.value).splitlines()
    assert len(lines) == len(hostile)
    for name, line in zip(hostile, lines):
        assert line.startswith(f"{name}: ") and re.search(BAD_FILES[name][1], line), line
    assert files() == before and lib.version() == version


def test_a_docx_over_the_unpacked_size_limit_is_refused(tmp_path, monkeypatch):
    make_docx(tmp_path / "b.docx")
    monkeypatch.setattr(formats, "DOCX_MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(qa.SourceError, match=r"b\.docx: unpacks to [\d,]+ bytes, over the 1,000-byte limit"):
        extract_docx(tmp_path / "b.docx")


def _broken_xref(how: str) -> bytes:
    good = make_pdf(PDF_PAGES)
    xref = good.index(b"xref")
    return {
        "offsets off by 7": re.sub(rb"(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m.group(1)) + 7), good),
        "startxref past the end": re.sub(rb"startxref\n\d+", b"startxref\n999999", good),
        "xref its own /Prev": good.replace(b"trailer\n<<", b"trailer\n<< /Prev %d" % xref),
        "xref cut short": good[:xref] + b"xref\n0 3\n0000000000 65535 f \n00000",
        "no xref or trailer": good[:xref],
    }[how]


@pytest.mark.parametrize(
    "how, readable",
    [
        ("offsets off by 7", True),
        ("startxref past the end", True),
        ("xref its own /Prev", True),
        ("xref cut short", False),
        ("no xref or trailer", False),
    ],
)
def test_a_pdf_with_a_broken_xref_table_is_read_whole_or_refused(tmp_path, how, readable):
    """pdfium rebuilds a wrong cross-reference table from the objects themselves; then the text
    is exactly the intact file's. Without one to rebuild from, the file is refused by name."""
    (tmp_path / "intact.pdf").write_bytes(make_pdf(PDF_PAGES))
    (tmp_path / "broken.pdf").write_bytes(_broken_xref(how))
    if readable:
        assert extract_pdf(tmp_path / "broken.pdf") == extract_pdf(tmp_path / "intact.pdf")
    else:
        with pytest.raises(qa.SourceError, match=r"broken\.pdf: not a readable PDF"):
            extract_pdf(tmp_path / "broken.pdf")


def test_a_docx_lying_about_its_size_is_refused_without_inflating_it(tmp_path):
    """64 MB of XML packed into some 64 KB, said to be 4 KB: refused in bounded memory (python-docx
    reading the member whole used to inflate all of it: 20 GB for a 20 MB upload)."""
    import tracemalloc

    (tmp_path / "bomb.docx").write_bytes(_lying_docx(64 << 20))
    assert (tmp_path / "bomb.docx").stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(qa.SourceError, match=r"bomb\.docx: not a readable DOCX file \(corrupt zip: Bad CRC-32"):
            extract_docx(tmp_path / "bomb.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak:,} bytes"


def test_a_docx_with_a_compression_word_does_not_use_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_BZIP2) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", b"<w:document/>")
    (tmp_path / "b.docx").write_bytes(buf.getvalue())
    with pytest.raises(
        qa.SourceError,
        match=r"b\.docx: not a readable DOCX file \(\[Content_Types\]\.xml is compressed "
        r"with a method Word does not use\)",
    ):
        extract_docx(tmp_path / "b.docx")


def test_a_document_over_the_file_size_limit_is_skipped(mixed_corpus, monkeypatch):
    import qa.ingest.loader

    monkeypatch.setattr(qa.ingest.loader, "MAX_FILE_BYTES", 1500)  # the PDF and DOCX are bigger, the rest smaller
    result = load_documents(mixed_corpus)
    assert sorted(d.doc_id for d in result.documents) == ["canteen.md", "parking.html", "wifi.txt"]
    assert len(result.warnings) == 2 and all("over the 1,500-byte limit" in w for w in result.warnings)


def test_a_folder_of_only_bad_documents_is_an_empty_corpus(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(make_pdf([[]]))
    with pytest.raises(qa.EmptyCorpusError, match=r"no readable documents .*scan\.pdf: no text layer"):
        load_documents(tmp_path)


# --- blocks: the extractors' structure of their text ------------------------------------------------------

REALDOCS = Path(__file__).resolve().parents[3] / "shared" / "realdocs"
REAL_FILES = [
    "shared-mime-info-spec.pdf",
    "libffi-The-Basics.html",
    "libffi-Introduction.html",
    "libffi-Memory-Usage.html",
    "libffi-Thread-Safety.html",
    "users-and-groups.html",
]
needs_realdocs = pytest.mark.skipif(
    not (REALDOCS / "docs").is_dir(), reason="../shared/realdocs is not beside the project"
)


def assert_blocks_hold(got) -> list[tuple[str, str]]:
    """The rules of `Extracted.blocks` (qa.formats' docstring); returns the blocks as ``(kind, text)``."""
    text, blocks = got.text, got.blocks
    assert blocks, "no blocks"
    covered = bytearray(len(text))
    prev_end = 0
    for i, (kind, start, end) in enumerate(blocks):
        assert kind in formats.BLOCK_KINDS
        assert prev_end <= start < end <= len(text)
        assert i == 0 or "\n" in text[prev_end:start], f"blocks {i - 1} and {i} share a line"
        span = text[start:end]
        assert span == span.strip(), f"block {i} is not stripped: {span!r}"
        if kind != "code":
            assert "\n" not in span, f"{kind} block {i} is more than one line: {span!r}"
        line_start = text.rfind("\n", 0, start) + 1
        lead = text[line_start:start]
        if kind in ("heading", "term"):
            assert re.fullmatch(r"#{1,6} ", lead), f"heading {span!r} has no # marker"
            covered[line_start : start - 1] = b"#" * (start - 1 - line_start)
        else:
            assert lead == "", f"{kind} block {i} does not start its line"
        assert not any(start < page < end for page in got.pages), f"block {i} crosses a page start"
        covered[start:end] = b"b" * (end - start)
        prev_end = end
    stray = [(i, ch) for i, ch in enumerate(text) if not covered[i] and not ch.isspace()]
    assert not stray, f"characters outside every block: {stray[:5]}"
    assert all(text[i] == "#" for i, c in enumerate(covered) if c == ord("#"))
    return [(kind, text[start:end]) for kind, start, end in blocks]


def kinds_of(got) -> dict[str, str]:
    return {text: kind for kind, text in assert_blocks_hold(got)}


@pytest.mark.parametrize("name", ["handbook.pdf", "benefits.docx", "parking.html"])
def test_blocks_hold_for_every_format(mixed_corpus, name):
    extract = formats.EXTRACTORS[Path(name).suffix]
    assert_blocks_hold(extract(mixed_corpus / name))


def test_documents_of_extracted_formats_carry_their_blocks(mixed_corpus):
    docs = {d.doc_id: d for d in load_documents(mixed_corpus).documents}
    for name in ("handbook.pdf", "benefits.docx", "parking.html"):
        assert docs[name].blocks == formats.EXTRACTORS[Path(name).suffix](mixed_corpus / name).blocks
    assert docs["canteen.md"].blocks == () and docs["wifi.txt"].blocks == ()


@needs_realdocs
@pytest.mark.parametrize("name", REAL_FILES)
def test_blocks_hold_for_real_files(name):
    path = REALDOCS / "docs" / name
    assert_blocks_hold(formats.EXTRACTORS[path.suffix](path))


@needs_realdocs
def test_answers_in_real_pdf_and_html_files_are_whole_sentences_of_one_block():
    """Each answer phrase of the public realdocs questions on a PDF or HTML file lies inside one
    text or item block: the sentence was read whole, not cut at a line, a column or a tag."""
    import json

    checked = 0
    for line in (REALDOCS / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if not q.get("answerable") or not q["source"].endswith((".pdf", ".html")):
            continue
        path = REALDOCS / "docs" / q["source"]
        blocks = assert_blocks_hold(formats.EXTRACTORS[path.suffix](path))
        for phrase in q["answer_has"]:
            holders = [kind for kind, text in blocks if " ".join(phrase.split()) in text]
            assert holders and set(holders) <= {"text", "item"}, (q["id"], phrase, holders)
            checked += 1
    assert checked >= 10


@needs_realdocs
def test_the_real_pdf_reads_like_a_person_reads_it():
    import time

    start = time.perf_counter()
    got = extract_pdf(REALDOCS / "docs" / "shared-mime-info-spec.pdf")
    assert time.perf_counter() - start < 5  # some 0.7 s for its 17 pages
    kinds = kinds_of(got)
    assert kinds["Shared MIME-info Database"] == "heading"
    assert kinds["2.12. Recommended checking order"] == "heading"
    assert (
        kinds["This is version 0.21 of the Shared MIME-info Database specification, last updated 2 October 2018."]
        == "text"
    )
    (prefs,) = [t for t in kinds if t.startswith("The MIME database does NOT store user preferences")]
    assert prefs.endswith("may be viewed with a particular application.") and kinds[prefs] == "text"
    (magic,) = [t for t in kinds if t.startswith("• magic elements contain a list of match elements")]
    assert magic.endswith("The default priority value is 50, and the maximum is 100.") and kinds[magic] == "item"
    assert not re.search(
        r"(?m)^Shared MIME-info Database$", got.text[got.pages[1] :]
    )  # the running header of pages 2-17
    assert not re.search(r"(?m)^\d+$", got.text)  # the page numbers
    (listing,) = [t for t in kinds if t.startswith('<?xml version="1.0"?>')]
    assert kinds[listing] == "code" and '\n  <mime-type type="text/x-diff">\n' in listing
    assert "shared-mime-info.html" in got.text  # a hyphen at a line end inside a compound the file prints whole
    headings = [ln for ln in got.text.split("\n") if ln.startswith("#")]
    assert headings[:2] == ["# Shared MIME-info Database", "## X Desktop Group (http://www.freedesktop.org)"]
    assert "## 1. Introduction" in headings and "### 1.1. Version" in headings


# --- PDF layout, on PDFs drawn with reportlab -----------------------------------------------------------


class DrawnPage:
    """Lines placed on a page, top to bottom: each at the given font, size and left edge."""

    def __init__(self):
        self.lines: list[tuple[float, float, str, float, str]] = []
        self.y = 72.0  # from the page's top

    def line(self, text, font="Helvetica", size=10, x=72, before=0.0, at=None):
        y = at if at is not None else self.y + before
        self.lines.append((x, y, font, size, text))
        self.y = y + size * 1.25
        return self

    def para(self, *lines, before=10.0, **kw):
        for i, text in enumerate(lines):
            self.line(text, before=before if i == 0 else 0.0, **kw)
        return self


def draw_pdf(pages: list[DrawnPage], width=400, height=600) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height), invariant=1)
    for page in pages:
        for x, y, font, size, text in page.lines:
            c.setFont(font, size)
            c.drawString(x, height - y - size, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def read_drawn(tmp_path, pages, **kw):
    path = tmp_path / "drawn.pdf"
    path.write_bytes(draw_pdf(pages, **kw))
    got = extract_pdf(path)
    return got, assert_blocks_hold(got)


BODY = [  # a paragraph of full lines, one of them ending a sentence, then its short last line
    "The office opens at eight in the morning and closes at six in",
    "the evening on weekdays. Visitors sign in at the front desk and",
    "wear their badge in the building, where the staff will guide",
    "them to the meeting rooms on the second and the third floor.",
    "Parking is free for visitors.",
]


def test_pdf_paragraph_lines_are_one_line_until_a_gap_or_a_short_line_ending_a_sentence(tmp_path):
    page = (
        DrawnPage()
        .para(*BODY)
        .para("The canteen on the ground floor serves lunch from noon until", "two o'clock.")
        .para("A second paragraph after a gap is a block", "of its own, though no sentence ends in it")
    )
    page.line("Directly below, a line that starts a new sentence after one ended.", before=0)
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks == [
        ("text", " ".join(BODY)),
        ("text", "The canteen on the ground floor serves lunch from noon until two o'clock."),
        (
            "text",
            "A second paragraph after a gap is a block of its own, though no sentence ends in it "
            "Directly below, a line that starts a new sentence after one ended.",
        ),
    ]


def test_pdf_hyphenation_at_a_line_end_is_undone_but_a_compounds_hyphen_is_kept(tmp_path):
    page = DrawnPage().para(
        "Every sub-class of a type is listed in the database, and the specifi-",
        "cation says how an application reads the list of each sub-",
        "class; the MIME-",
        "Type field and the well-",
        "known names are kept as printed.",
    )
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks == [
        (
            "text",
            "Every sub-class of a type is listed in the database, and the specification says how "
            "an application reads the list of each sub-class; the MIME-Type field and the "
            "wellknown names are kept as printed.",
        )
    ]
    # "well-known" at a line end reads "wellknown": the rule is simple (lowercase "-" + lowercase joins)
    # and keeps a hyphen only when the document prints the pair whole elsewhere, as "sub-class" here


def test_pdf_headings_by_size_weight_and_number_with_levels_by_size(tmp_path):
    page = (
        DrawnPage()
        .line("Visitor guide", font="Helvetica-Bold", size=20)
        .line("1. Arriving", font="Helvetica-Bold", size=14, before=12)
        .para(*BODY)
        .line("2.3 Parking and bicycles", before=10)
        .para(*BODY[:2], "the ground floor.")
        .line("Opening hours", font="Helvetica-Bold", before=10)
        .para(*BODY[1:])
    )
    got, blocks = read_drawn(tmp_path, [page])
    assert [(k, t) for k, t in blocks if k == "heading"] == [
        ("heading", "Visitor guide"),
        ("heading", "1. Arriving"),
        ("heading", "2.3 Parking and bicycles"),
        ("heading", "Opening hours"),
    ]
    assert [ln for ln in got.text.split("\n") if ln.startswith("#")] == [
        "# Visitor guide",
        "## 1. Arriving",
        "### 2.3 Parking and bicycles",
        "### Opening hours",
    ]
    assert [k for k, _ in blocks].count("text") == 3


def test_pdf_list_items_and_their_wrapped_lines_and_paragraphs(tmp_path):
    page = (
        DrawnPage()
        .para("Bring these to your first day:")
        .line("• Your passport or identity card, and the signed contract", before=4)
        .line("that the office sent you by post.", x=82)
        .line("• A photo for the badge.", before=4)
        .para("The photo may also be sent by mail before the first day.", x=82)
        .line("1. Sign in at the front desk.", before=4)
        .line("2) Collect the badge.", before=4)
        .para("After the list, running text goes on at the margin.")
    )
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks == [
        ("text", "Bring these to your first day:"),
        ("item", "• Your passport or identity card, and the signed contract that the office sent you by post."),
        ("item", "• A photo for the badge."),
        ("item", "The photo may also be sent by mail before the first day."),  # a paragraph inside the item
        ("item", "1. Sign in at the front desk."),
        ("item", "2) Collect the badge."),
        ("text", "After the list, running text goes on at the margin."),
    ]


def test_pdf_monospaced_listing_is_code_with_its_lines_and_indentation(tmp_path):
    page = (
        DrawnPage()
        .para("Here is an example file, named diff.xml:")
        .line('<mime-type type="text/x-diff">', font="Courier", size=9, before=6)
        .line('<glob pattern="*.diff"/>', font="Courier", size=9, x=72 + 2 * 5.4)
        .line("</mime-type>", font="Courier", size=9)
        .para("It is installed with the other files.", before=6)
    )
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks == [
        ("text", "Here is an example file, named diff.xml:"),
        ("code", '<mime-type type="text/x-diff">\n  <glob pattern="*.diff"/>\n</mime-type>'),
        ("text", "It is installed with the other files."),
    ]


def test_pdf_a_change_of_font_size_ends_a_paragraph(tmp_path):
    page = DrawnPage().para(*BODY[:3])
    page.line("1 Small print under the paragraph, set in a smaller size.", size=7)
    _, blocks = read_drawn(tmp_path, [page])
    assert [k for k, _ in blocks] == ["text", "text"] and blocks[1][1].startswith("1 Small print")


def test_pdf_running_headers_footers_and_page_numbers_are_dropped(tmp_path):
    pages = []
    for n in range(1, 5):
        page = DrawnPage().line("ACME visitor guide", font="Helvetica-Oblique", size=8, x=250, at=20)
        if n != 2:  # a running line need not be on every page, only on most
            page.line(str(n), size=8, x=360, at=40)
        page.line(f"Page {n} says what visitors do on day {n} of their stay with us.", at=100)
        page.line(f"Page {n} of 4", size=8, x=180, at=570)
        pages.append(page)
    got, blocks = read_drawn(tmp_path, pages)
    assert blocks == [
        ("text", f"Page {n} says what visitors do on day {n} of their stay with us.") for n in range(1, 5)
    ]
    assert len(got.pages) == 4 and all(got.text[p:].startswith(f"Page {n} says") for n, p in enumerate(got.pages, 1))


def test_pdf_a_line_repeated_on_two_of_five_pages_is_kept(tmp_path):
    pages = [
        DrawnPage().line("Annex" if n in (1, 3) else f"Chapter {n}", at=20).para(f"Body of page {n}.", before=40)
        for n in range(5)
    ]
    got, _ = read_drawn(tmp_path, pages)
    assert got.text.count("Annex") == 2


def test_pdf_a_paragraph_over_a_page_break_is_two_blocks_one_a_page(tmp_path):
    first = DrawnPage().para(*BODY[:3], before=400)
    second = DrawnPage().para(*BODY[3:])
    got, blocks = read_drawn(tmp_path, [first, second])
    assert [t for _, t in blocks] == [" ".join(BODY[:3]), " ".join(BODY[3:])]
    assert got.pages == (0, got.blocks[1][1])


def test_a_pdf_page_that_cannot_be_read_is_skipped_with_a_note(tmp_path, monkeypatch):
    path = tmp_path / "h.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    real = formats._pdf_page_lines
    calls = []

    def flaky(page):
        calls.append(page)
        if len(calls) == 2:
            raise ValueError("bad content stream")
        return real(page)

    monkeypatch.setattr(formats, "_pdf_page_lines", flaky)
    got = extract_pdf(path)
    assert got.notes == (f"{path}: page 2 skipped, its text could not be read (ValueError: bad content stream)",)
    assert "Expenses" not in got.text and "bicycle" in got.text and got.pages[1] == got.pages[2]
    assert_blocks_hold(got)


def test_a_pdf_whose_every_page_fails_is_refused_as_unreadable(tmp_path, monkeypatch):
    path = tmp_path / "h.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))

    def broken(page):
        raise ValueError("bad content stream")

    monkeypatch.setattr(formats, "_pdf_page_lines", broken)
    with pytest.raises(
        qa.SourceError,
        match=r"h\.pdf: not a readable PDF \(no page could be read; "
        r"ValueError: bad content stream\)$",
    ):
        extract_pdf(path)


# --- HTML blocks -----------------------------------------------------------------------------------------


def html_blocks(tmp_path, markup):
    path = tmp_path / "b.html"
    path.write_text(markup, encoding="utf-8")
    got = extract_html(path)
    return got, assert_blocks_hold(got)


@pytest.mark.parametrize(
    "markup, blocks, text",
    [
        ("<p>a.</p><p>B</p>", [("text", "a."), ("text", "B")], "a.\n\nB"),
        ("<p><b>x</b> y</p>", [("text", "x y")], "x y"),
        ("<p><b>x</b>y and <em>z</em>\n<i>w</i></p>", [("text", "xy and z w")], "xy and z w"),
        ("<p>x<br>y</p>", [("text", "x"), ("text", "y")], "x\ny"),  # a <br> ends a line of the paragraph
        (
            "<div>He ran quickly.<div>Ninja</div>tail</div>",
            [("text", "He ran quickly."), ("text", "Ninja"), ("text", "tail")],
            "He ran quickly.\n\nNinja\n\ntail",
        ),
        (
            "<table><tr><td>ran quickly.<h4>Ninja</h4></td><td>two<br>lines</td></tr></table>",
            [("table", "ran quickly. Ninja | two lines")],
            "ran quickly. Ninja | two lines",
        ),
    ],
)
def test_html_block_elements_end_blocks_and_inline_ones_keep_the_source_spacing(
    tmp_path, html_parser, markup, blocks, text
):
    got, found = html_blocks(tmp_path, markup)
    assert found == blocks and got.text == text


def test_html_definition_lists_read_as_terms_and_their_descriptions(tmp_path, html_parser):
    got, blocks = html_blocks(
        tmp_path,
        """<h2>Users</h2><p>Each user in turn.</p>
        <dl><dt>root</dt><dd><p>Root is the superuser.</p><p>It owns <tt>/etc</tt>.</p></dd>
        <dt id="f"><span>Function:</span> <strong>void</strong> <em>ffi_call (ffi_cif *<var>cif</var>)</em>
        <a class="copiable-anchor" href="#f"> &para;</a></dt><dd>This calls the function.
        <dl><dt>rvalue</dt><dd>holds the result.</dd></dl></dd></dl>""",
    )
    assert blocks == [
        ("heading", "Users"),
        ("text", "Each user in turn."),
        ("term", "root"),
        ("text", "Root is the superuser."),
        ("text", "It owns /etc."),
        ("term", "Function: void ffi_call (ffi_cif *cif)"),
        ("text", "This calls the function."),
        ("term", "rvalue"),
        ("text", "holds the result."),
    ]
    assert [ln for ln in got.text.split("\n") if ln.startswith("#")] == [
        "## Users",
        "### root",
        "### Function: void ffi_call (ffi_cif *cif)",
        "#### rvalue",
    ]


def test_html_pre_is_code_table_rows_are_table_and_list_items_are_items(tmp_path, html_parser):
    got, blocks = html_blocks(
        tmp_path,
        """<p>Example:</p><pre>
int main(void)
{

    return 0;
}</pre><table><tr><th>User</th><th>Id</th></tr><tr><td>root</td><td>0</td></tr></table>
        <table><tr><td>bin</td><td>2</td></tr></table>
        <ul><li>One</li><li><p>Two, first paragraph.</p><p>Two, second.</p><ul><li>Nested</li></ul></li></ul>""",
    )
    assert blocks == [
        ("text", "Example:"),
        ("code", "int main(void)\n{\n    return 0;\n}"),
        ("table-head", "User | Id"),
        ("table", "root | 0"),
        ("table", "bin | 2"),
        ("item", "One"),
        ("item", "Two, first paragraph."),
        ("item", "Two, second."),
        ("item", "Nested"),
    ]
    assert "User | Id\nroot | 0\n\nbin | 2\n\nOne\nTwo, first paragraph.\nTwo, second.\nNested" in got.text


def test_html_heading_permalinks_are_dropped(tmp_path, html_parser):
    _, blocks = html_blocks(tmp_path, '<h1>Install<a class="headerlink" href="#install">¶</a></h1><p>Run pip.</p>')
    assert blocks == [("heading", "Install"), ("text", "Run pip.")]


# --- DOCX blocks -----------------------------------------------------------------------------------------


def test_docx_blocks_are_headings_paragraphs_items_and_table_rows(tmp_path):
    path = tmp_path / "b.docx"
    make_docx(path)
    assert assert_blocks_hold(extract_docx(path)) == [
        ("heading", "Employee benefits"),
        ("text", "This guide explains the benefits every employee receives from the first day of work onwards."),
        ("heading", "Health insurance"),
        ("text", "The company pays the full premium of the health insurance for you, your partner and children."),
        ("item", "Dentist"),
        ("item", "Optician"),
        ("heading", "Dental cover"),
        ("text", "Dental cover pays for two checkups a year and half the cost of fillings and crowns."),
        ("table-head", "Plan | Monthly cost"),
        ("table", "Family plan | Forty euros"),
        ("text", "Prices in the table are per month and include all taxes and fees that apply."),
    ]


def test_docx_line_breaks_inside_a_paragraph_are_joined(tmp_path):
    d = docx.Document()
    p = d.add_paragraph("The canteen opens at noon")
    p.add_run().add_break()
    p.add_run("and closes at two.")
    d.add_paragraph("Coffee is free.")
    d.save(str(tmp_path / "b.docx"))
    got = extract_docx(tmp_path / "b.docx")
    assert got.text == "The canteen opens at noon and closes at two.\n\nCoffee is free."
    assert assert_blocks_hold(got) == [
        ("text", "The canteen opens at noon and closes at two."),
        ("text", "Coffee is free."),
    ]


# --- HTML navigation, tables of contents and layout tables (Texinfo, DocBook) -------------------------------

REALDOCS2 = Path("/work/realdocs2/docs")
needs_realdocs2 = pytest.mark.skipif(not REALDOCS2.is_dir(), reason="/work/realdocs2 is not on this machine")


def test_html_navigation_named_by_class_id_or_role_is_dropped(tmp_path, html_parser):
    _, blocks = html_blocks(
        tmp_path,
        """<body>
        <div class="header"><p>Next: <a href="#b" rel="next">Bees</a>, Up: <a href="#Top">Top</a>
          &nbsp; [<a href="#SEC_Contents">Contents</a>][<a href="#Index">Index</a>]</p></div>
        <h2>Ants</h2><p>Ants live in colonies.</p>
        <div class="nav-panel"><p>Previous: <a href="#a">Ants</a>, Up: <a href="#Top">Top</a></p></div>
        <div id="breadcrumbs"><a href="/">Home</a> &raquo; <a href="/insects">Insects</a></div>
        <div role="navigation"><p>Go to <a href="/x">the next page</a> or back.</p></div>
        <div class="navfooter"><table class="nav"><tr><td><a href="a.html">&lt;&lt; Ants</a></td>
          <td><a href="up.html">Up</a></td><td><a href="c.html">Cicadas &gt;&gt;</a></td></tr>
          <tr><td><a href="index.html">Home</a></td></tr></table></div>
        </body>""",
    )
    assert blocks == [("heading", "Ants"), ("text", "Ants live in colonies.")]


def test_html_a_class_naming_navigation_does_not_drop_the_page_text(tmp_path, html_parser):
    prose = "Bees make honey from the nectar of flowers, and a hive of bees may hold fifty thousand of them in summer."
    _, blocks = html_blocks(
        tmp_path,
        f"""<body>
        <div class="wy-nav-content"><p>{prose}</p><p>{prose}</p></div>
        <div class="page-header"><h1>Wasps</h1></div><p>Wasps sting.</p>
        <table><thead><tr class="header"><th>Insect</th><th>Legs</th></tr></thead>
          <tr class="odd"><td>Bee</td><td>6</td></tr></table>
        <p id="zip"><b class="header">zip</b><code>_.zip(*arrays)</code> merges the arrays.</p>
        </body>""",
    )
    assert blocks == [
        ("text", prose),
        ("text", prose),
        ("heading", "Wasps"),
        ("text", "Wasps sting."),
        ("table-head", "Insect | Legs"),
        ("table", "Bee | 6"),
        ("text", "zip_.zip(*arrays) merges the arrays."),
    ]


def test_html_tables_of_contents_are_dropped(tmp_path, html_parser):
    _, blocks = html_blocks(
        tmp_path,
        """<body><h1>Manual</h1>
        <div class="Contents_element" id="SEC_Contents"><h2 class="contents-heading">Table of Contents</h2>
          <div class="contents"><ul class="toc-numbered-mark">
            <li><a href="#Ants">1 Ants</a><ul><li><a href="#Queens">1.1 Queens</a></li></ul></li>
            <li><a href="#Bees">2 Bees</a></li></ul></div></div>
        <div class="shortcontents"><ul><li><a href="#Ants">1 Ants</a></li></ul></div>
        <div class="toc"><p><b>Table of Contents</b></p><dl><dt>1. <a href="#Ants">Ants</a></dt></dl></div>
        <h2 id="Ants">1 Ants</h2><p>Ants live in colonies.</p>
        <ul class="mini-toc"><li><a href="#Queens">Queens</a></li><li><a href="#Workers">Workers</a></li></ul>
        <h3 id="Queens">1.1 Queens</h3><p>A queen lays the eggs.</p></body>""",
    )
    assert blocks == [
        ("heading", "Manual"),
        ("heading", "1 Ants"),
        ("text", "Ants live in colonies."),
        ("heading", "1.1 Queens"),
        ("text", "A queen lays the eggs."),
    ]


def test_html_a_list_of_links_to_anchors_is_a_table_of_contents(tmp_path, html_parser):
    """DocBook's qandaset lists its questions, each a link to its answer below, above the answers."""
    _, blocks = html_blocks(
        tmp_path,
        """<body><h1>FAQ</h1>
        <dl><dt>1. <a href="faq.html#bg">Background</a></dt>
          <dd>1.1. <a href="faq.html#say">How do you pronounce "Ants"?</a></dd>
          <dd>1.2. <a href="faq.html#name">Where does the name come from?</a></dd></dl>
        <ul><li><a href="#say">How do you pronounce it?</a></li><li><a href="#name">Why the name?</a></li></ul>
        <ul><li><code>source</code> <a href="https://tc39.es/#sec-asynciterable">&lt;AsyncIterable&gt;</a></li>
          <li><code>signal</code> <a href="globals.html#abortsignal">&lt;AbortSignal&gt;</a></li></ul>
        <ul><li><a href="https://example.org/download">Download</a></li><li><a href="/docs">Documentation</a></li></ul>
        <dl><dt><a href="#root">root</a></dt><dd>The superuser, who owns every file.</dd>
          <dt><a href="#bin">bin</a></dt><dd>Legacy.</dd></dl></body>""",
    )
    assert blocks == [
        ("heading", "FAQ"),
        ("item", "source <AsyncIterable>"),
        ("item", "signal <AbortSignal>"),
        ("meta", "Download"),
        ("meta", "Documentation"),  # links to pages: a menu
        ("term", "root"),
        ("text", "The superuser, who owns every file."),
        ("term", "bin"),
        ("text", "Legacy."),
    ]


def test_html_paragraphs_and_items_that_are_all_but_links_are_meta(tmp_path, html_parser):
    """A menu is searchable but never an answer, as qa.reading reads a list of links in Markdown."""
    got, blocks = html_blocks(
        tmp_path,
        """<p>Main menu</p><ul><li><a href="/">Home</a></li>
        <li><a href="faq.html">FAQ</a></li><li>Returns: <a href="promise.html">&lt;Promise&gt;</a></li></ul>
        <p><a href="https://example.org">Download it</a> <br>Read <a href="guide.html">the guide</a> before you
        install it, and ask on the list.</p>""",
    )
    assert blocks == [
        ("text", "Main menu"),
        ("meta", "Home"),
        ("meta", "FAQ"),
        ("item", "Returns: <Promise>"),
        ("meta", "Download it"),
        ("text", "Read the guide before you install it, and ask on the list."),
    ]
    assert "Home\nFAQ\nReturns: <Promise>" in got.text  # a list's entries stay one block, links or not


def test_html_a_layout_table_reads_as_the_pages_blocks_and_its_questions_as_headings(tmp_path, html_parser):
    """DocBook's FAQ lays its questions and answers out in a table: a row holds a section heading,
    a question (its number in a cell of its own) or an answer's paragraphs, lists and listings."""
    answer = (
        "From Nordic mythology. Originally the project was named Heimdall, after the watchman of the "
        "Nordic gods, but that name was already taken by a security package."
    )
    _, blocks = html_blocks(
        tmp_path,
        f"""<body><h1>FAQ</h1>
        <table summary="Q and A Div">
        <tr class="qandadiv"><td colspan="2"><a name="bg"></a><h3 class="title">1. Background</h3></td></tr>
        <tr class="toc"><td colspan="2">1.1. <a href="faq.html#name">Where does the name come from?</a><br></td></tr>
        <tr class="question"><td><a name="name"></a><b>1.1.</b></td><td><b>Where does the name come from?</b></td></tr>
        <tr class="answer"><td><a name="a-name"></a></td><td><p>{answer}</p><p>Valgrind is the gate of Valhalla.</p></td></tr>
        <tr class="question"><td><b>1.2.</b></td><td><b>The build fails with this:</b><pre class="screen">ld: cannot find -lc</pre></td></tr>
        <tr class="answer"><td></td><td><p>Install the static C library.</p><ul><li>On Fedora: glibc-static.</li></ul></td></tr>
        </table></body>""",
    )
    assert blocks == [
        ("heading", "FAQ"),
        ("heading", "1. Background"),
        ("heading", "1.1. Where does the name come from?"),
        ("text", answer),
        ("text", "Valgrind is the gate of Valhalla."),
        ("text", "The build fails with this:"),
        ("code", "ld: cannot find -lc"),
        ("text", "Install the static C library."),
        ("item", "On Fedora: glibc-static."),
    ]


def test_html_a_question_cell_beside_its_answer_cell_is_a_heading(tmp_path, html_parser):
    answer = " ".join(["Bees dance to tell the hive where the flowers are, and how far away they grow."] * 2)
    _, blocks = html_blocks(tmp_path, f"""<table><tr><td>Why do bees dance?</td><td>{answer}</td></tr></table>""")
    assert blocks == [("heading", "Why do bees dance?"), ("text", answer)]


def test_html_data_tables_stay_table_rows(tmp_path, html_parser):
    """Short cells are values, even when each is wrapped in a <p> (docutils writes cells so), and one
    odd cell with a block inside does not make a table a layout; nor does a long cell in a table
    whose first row names its columns (Node.js's Version | Changes)."""
    change = (
        "The callback now waits for the close event before it is invoked, and streams that "
        "are expected to emit close are detected so that legacy streams keep working as before."
    )
    _, blocks = html_blocks(
        tmp_path,
        f"""<table><tr><td><p>-v</p></td><td><p>Print every file's name.</p></td></tr>
        <tr><td><p>-q</p></td><td><p>Is it quiet?</p></td></tr></table>
        <table><tr><th>Version</th><th>Changes</th></tr><tr><td>v14.0.0</td><td><p>{change}</p></td></tr></table>""",
    )
    assert blocks == [
        ("table", "-v | Print every file's name."),
        ("table", "-q | Is it quiet?"),
        ("table-head", "Version | Changes"),
        ("table", f"v14.0.0 | {change}"),
    ]


@needs_realdocs2
def test_real_texinfo_and_docbook_html_read_without_navigation_or_contents():
    got = extract_html(REALDOCS2 / "time.html")
    kinds = kinds_of(got)
    assert not re.search(r"(?m)^(?:Next|Previous|Up): ", got.text) and "[Contents][Index]" not in got.text
    assert "Table of Contents" not in kinds and kinds["1.2.1 Time Resources"] == "heading"
    lines = got.text.split("\n")  # the section's heading only: neither the contents' line nor the chapter's menu
    assert [ln for ln in lines if ln.endswith("Setting the Output Format")] == ["### 1.1 Setting the Output Format"]

    got = extract_html(REALDOCS2 / "valgrind-faq.html")
    blocks = assert_blocks_hold(got)
    kinds = dict((t, k) for k, t in blocks)
    assert kinds['1.1. How do you pronounce "Valgrind"?'] == "heading" and kinds["1. Background"] == "heading"
    assert got.text.count('How do you pronounce "Valgrind"?') == 1  # not in the list of questions at the top
    (nordic,) = [t for k, t in blocks if "From Nordic mythology" in t]
    assert kinds[nordic] == "text"
    assert not [t for k, t in blocks if k == "table"]  # no row of the layout or the navigation is read as a table
    assert "Valgrind Technical Documentation" not in got.text and "Home" not in kinds


# --- PDF: page numbers in headers that change by chapter, contents, unmapped glyphs, names split at a line end


def test_pdf_page_numbers_are_dropped_by_place_even_when_the_header_changes_by_chapter(tmp_path):
    """TeX's manuals: the front matter numbered i, ii; a chapter's first page its number alone,
    the next pages "Chapter 2: Parking 4" at the same place. A line elsewhere that starts with a
    number (a chapter's title) or a line that ends in one is kept."""
    headers = ["i", "1", "Chapter 1: Arrival 2", "3", "Chapter 2: Parking 4", "Chapter 2: Parking 5"]
    pages = []
    for n, header in enumerate(headers):
        page = DrawnPage().line(header, size=9, x=330 if len(header) < 3 else 72, at=20)
        if n == 3:
            page.line("3 Parking rules", font="Helvetica-Bold", size=14, at=45)
        page.line(f"Page {n} tells visitors where to go on day {n} of their stay here.", at=100)
        if n in (2, 4):  # a line at the foot of the page that ends in a number, but not the page's
            page.line("Cars park on level 7" if n == 2 else "Bicycles park on level 1", at=540)
        pages.append(page)
    got, blocks = read_drawn(tmp_path, pages)
    texts = [t for _, t in blocks]
    assert not set(headers) & set(texts)
    assert "3 Parking rules" in texts and "Cars park on level 7" in texts and "Bicycles park on level 1" in texts


def test_pdf_table_of_contents_lines_with_dot_leaders_are_dropped(tmp_path):
    page = (
        DrawnPage()
        .line("Contents", font="Helvetica-Bold", size=16)
        .line("1 Arriving . . . . . . . . . . . . . . . . . . 1", size=12, before=8)
        .line("1.1 Badges. . . . . . . . . . . . . . . . . . . . 2", x=84)
        .line("Appendix A Rules.......................... iv", size=12)
        .para("The hall holds forty people... and five more standing.")
    )
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks == [("heading", "Contents"), ("text", "The hall holds forty people... and five more standing.")]


def test_pdf_unmapped_glyphs_are_dropped_from_the_text():
    """pdfium writes U+FFFD for a glyph with no text behind it, and a symbol font's bullet is a
    private-use code: before a space opening a line it is a bullet, anywhere else no word."""
    from qa.ingest.formats import pdf_lines

    assert pdf_lines._clean("Copyright \ufffdc 2001 \ufffd") == "Copyright c 2001"
    assert pdf_lines._clean("\uf0b7 A bullet drawn from a symbol font") == "• A bullet drawn from a symbol font"
    assert pdf_lines._clean("each sub\x02") == "each sub-"  # pdfium's mark of a hyphen that ends a line


def test_pdf_a_name_broken_after_an_underscore_or_a_hyphen_is_joined_whole(tmp_path):
    page = DrawnPage().para(
        "The longest name allowed is given by the constant ASN1_MAX_",
        "NAME_SIZE in the header, and the tool asn1-",
        "parser checks it; Python calls __init__",
        "when it builds a new object of the class.",
    )
    _, blocks = read_drawn(tmp_path, [page])
    assert blocks == [
        (
            "text",
            "The longest name allowed is given by the constant ASN1_MAX_NAME_SIZE in the header, "
            "and the tool asn1-parser checks it; Python calls __init__ when it builds a new object "
            "of the class.",
        )
    ]


@needs_realdocs2
def test_real_texinfo_pdf_reads_without_page_furniture_contents_or_glyph_codes():
    got = extract_pdf(REALDOCS2 / "libtasn1.pdf")
    kinds = kinds_of(got)
    lines = got.text.split("\n")
    assert not [ln for ln in lines if re.fullmatch(r"(?:Chapter|Appendix) \w+: .* \d+|[ivx]+|\d+", ln)]
    assert not [ln for ln in lines if ". . . ." in ln] and "(cid:" not in got.text
    assert kinds["1 Introduction"] == "heading" and kinds["2.1 ASN.1 syntax"] == "heading"
    assert "ASN1_MAX_NAME_SIZE" in got.text and "ASN1_MAX_ NAME" not in got.text
    (copyright,) = [t for t in kinds if t.startswith("Copyright c 2001")]
    assert kinds[copyright] == "text"
