"""qa.ingest.parallel: PDF, DOCX and HTML files read on worker processes give the documents and
warnings a single process gives, in the same order, and the same index (``qa index --jobs``)."""

from __future__ import annotations

import numpy as np

from qa.index.build import build_index
from qa.ingest.loader import DocumentStream
from qa.ingest.parallel import ParallelDocumentStream
from test_formats import HTML, PDF_PAGES, make_docx, make_pdf


def _folder(root):
    root.mkdir()
    for i in range(3):
        (root / f"handbook{i}.pdf").write_bytes(make_pdf(PDF_PAGES, title=f"Staff handbook {i}"))
        (root / f"note{i}.txt").write_text(f"Note {i}\n\nThe canteen opens at {i + 11} o'clock.\n", encoding="utf-8")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (root / "empty.txt").write_text("", encoding="utf-8")
    make_docx(root / "benefits.docx")
    (root / "parking.html").write_text(HTML, encoding="utf-8")
    return root


def test_parallel_reading_gives_the_documents_and_warnings_of_one_process(tmp_path):
    root = _folder(tmp_path / "docs")
    one = DocumentStream(root)
    docs = list(one)
    two = ParallelDocumentStream(root, jobs=2)
    assert list(two) == docs and two.warnings == one.warnings and two.count == one.count
    assert any("broken.pdf" in w for w in two.warnings)


def test_an_index_built_with_two_jobs_equals_one_built_with_one(tmp_path):
    root = _folder(tmp_path / "docs")
    (a, wa), (b, wb) = build_index(root, jobs=1), build_index(root, jobs=2)
    assert wa == wb
    assert list(a.passages) == list(b.passages) and list(a.vocabulary.items()) == list(b.vocabulary.items())
    for name in ("idf", "indptr", "indices", "weights", "tf", "tokens", "token_ptr"):
        assert np.array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name))), name
