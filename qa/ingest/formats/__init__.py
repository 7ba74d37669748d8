"""Text out of PDF, DOCX and HTML files, laid out so the chunker sees their structure.

Each extractor reads one file and returns an `Extracted`: the text that every
offset of its passages will point into, the document's title, for PDFs the
offset where each page starts, and the *blocks* of the text. Structure is
written the way `qa.ingest.chunking` reads it:

- a heading is a line of its own in Markdown form, ``# Heading`` for level 1,
  ``## Sub`` for level 2 (at most six ``#``), so it becomes the section of the
  paragraphs below it;
- a paragraph of running text is one line, and paragraphs are separated by one
  blank line (a line break inside a paragraph, HTML's ``<br>``, starts a new
  line of the same paragraph: one newline);
- consecutive list items, and the rows of a table (cells joined by `` | ``),
  are consecutive lines of one block, so a short item is never taken for a
  heading;
- preformatted text (``<pre>``, a PDF's monospaced listings) keeps its lines.

``Extracted.blocks`` names every block of the text in order as ``(kind, start,
end)``: half-open offsets into the text, non-overlapping, ascending, each span
stripped, with at least one newline between two blocks. ``kind`` is
``"heading"`` (the heading's words only, not its ``#`` marker), ``"term"`` (a
definition list's term, written as a heading is: the section of its description,
and the head of the definition an answer may quote), ``"text"`` (a
paragraph, one line), ``"item"`` (a list item, or a paragraph inside one, one
line), ``"code"`` (preformatted, its lines kept), ``"table"`` (one row, one
line), ``"table-head"`` (a table's header row: HTML's row of ``<th>`` or in
``<thead>``, a DOCX table's first row) or ``"meta"`` (a paragraph or item of an HTML page that is all but link
text, a menu: one line, searchable but never an answer). Every character of
the text but whitespace and the ``#`` markers lies in exactly one block.

A file that cannot be read raises `SourceError` naming the file and the
reason (encrypted, corrupt, no text layer, not decodable, a zip bomb); the
loader turns it into a warning and goes on with the other files. The parsers
(pypdfium2, python-docx, BeautifulSoup) are imported only when a
file of their kind is read, so qa starts as fast as before.

One module a format: `pdf` (its lines read by `pdf_lines`), `docx`, `html`; `common` holds what they share.
"""

from .common import BLOCK_KINDS, Extracted
from .docx import DOCX_MAX_RATIO, DOCX_MAX_UNPACKED_BYTES, extract_docx
from .html import extract_html
from .pdf import extract_pdf
from . import html, pdf

# Set here, the modules read them from here: a test chooses the HTML parser and breaks a PDF page.
_html_parser = html._html_parser
_pdf_page_lines = pdf._pdf_page_lines

__all__ = [
    "Extracted",
    "EXTRACTORS",
    "BLOCK_KINDS",
    "extract_pdf",
    "extract_docx",
    "extract_html",
    "DOCX_MAX_UNPACKED_BYTES",
    "DOCX_MAX_RATIO",
]

EXTRACTORS = {
    ".pdf": extract_pdf,
    ".docx": extract_docx,
    ".html": extract_html,
    ".htm": extract_html,
}
