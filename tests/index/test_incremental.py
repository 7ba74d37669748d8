"""Adding and removing documents in place scores exactly like rebuilding (issue 5)."""

import numpy as np
import pytest

from qa import build_index, load_index, save_index, search
from qa.index.build import update_index
from qa.errors import SourceError

DOCS = {
    "a.txt": "Leave\n\nStaff get 25 days of annual leave a year. Unused days expire in March.\n\n"
    "Sick leave must be reported to a manager before ten.\n",
    "b.txt": "Pay\n\nSalaries are paid on the last working day of the month by bank transfer.\n",
    "c.md": "# Travel\n\nTravel costs are refunded within ten days of a claim. Keep every receipt.\n\n"
    "## Trains\n\nSecond class train tickets are refunded; first class needs a manager's approval.\n",
    "d.txt": "Pensions\n\nThe employer pays eight percent of salary into the pension each month.\n",
}
QUESTIONS = [
    "How many days of annual leave?",
    "When are salaries paid?",
    "refund train tickets receipt",
    "manager approval",
    "pension salary month",
    "leave days month",
]


def write(root, names):
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).write_text(DOCS[name], encoding="utf-8")
    return root


def scores(index) -> dict:
    return {q: {h.passage.passage_id: round(h.score, 5) for h in search(index, q, k=10)} for q in QUESTIONS}


def same_scores(a, b):
    sa, sb = scores(a), scores(b)
    for q in QUESTIONS:
        assert sa[q].keys() == sb[q].keys(), q
        for pid in sa[q]:
            assert sa[q][pid] == pytest.approx(sb[q][pid], rel=1e-5), (q, pid)


def term_idf(index) -> dict:
    return {t: float(index.idf[i]) for t, i in index.vocabulary.items()}


def test_adding_documents_scores_like_a_rebuild(tmp_path):
    corpus = write(tmp_path / "docs", ["a.txt", "b.txt"])
    index, _ = build_index([corpus])
    write(corpus, ["c.md", "d.txt"])
    updated, _ = update_index(index, add=[corpus / "c.md", corpus / "d.txt"])
    rebuilt, _ = build_index([corpus])
    same_scores(updated, rebuilt)
    assert term_idf(updated) == pytest.approx(term_idf(rebuilt))
    assert sorted(updated.passages.doc_id) == sorted(rebuilt.passages.doc_id) == ["a.txt", "b.txt", "c.md", "d.txt"]


def test_removing_documents_scores_like_a_rebuild(tmp_path):
    full, _ = build_index([write(tmp_path / "all", ["a.txt", "b.txt", "c.md", "d.txt"])])
    updated, _ = update_index(full, remove=["c.md", "b.txt"])
    rebuilt, _ = build_index([write(tmp_path / "some", ["a.txt", "d.txt"])])
    same_scores(updated, rebuilt)
    assert updated.vocabulary.keys() == rebuilt.vocabulary.keys()  # words only c/b held are gone
    assert term_idf(updated) == pytest.approx(term_idf(rebuilt))


def test_re_adding_a_changed_file_replaces_it(tmp_path):
    corpus = write(tmp_path / "docs", ["a.txt", "b.txt"])
    index, _ = build_index([corpus])
    (corpus / "b.txt").write_text("Pay\n\nSalaries are paid weekly, every Friday.\n", encoding="utf-8")
    updated, _ = update_index(index, add=[corpus / "b.txt"])
    same_scores(updated, build_index([corpus])[0])
    assert "weekly" in search(updated, "When are salaries paid?", k=1)[0].passage.text


def test_an_updated_index_saves_loads_and_maps_the_same(tmp_path):
    corpus = write(tmp_path / "docs", ["a.txt", "b.txt", "c.md"])
    index, _ = build_index([corpus])
    write(corpus, ["d.txt"])
    updated, _ = update_index(index, add=[corpus / "d.txt"], remove=["a.txt"])
    save_index(updated, tmp_path / "ix")
    for mmap in (False, True):
        same_scores(load_index(tmp_path / "ix", mmap=mmap), updated)
    for i in range(updated.n_passages):  # offsets still slice the source
        p = updated.passages[i]
        assert (corpus / p.source).read_text(encoding="utf-8")[p.start : p.end] == p.text


def test_removing_an_unknown_document_is_an_error(tmp_path):
    index, _ = build_index([write(tmp_path / "docs", ["a.txt"])])
    with pytest.raises(SourceError, match="not in the index"):
        update_index(index, remove=["nope.txt"])


def test_a_repeated_passage_is_not_added_twice(tmp_path):
    corpus = write(tmp_path / "docs", ["a.txt"])
    index, _ = build_index([corpus])
    (corpus / "copy.txt").write_text(DOCS["a.txt"], encoding="utf-8")
    updated, _ = update_index(index, add=[corpus / "copy.txt"])
    assert updated.n_passages == index.n_passages


def test_memory_mapped_and_in_memory_indexes_answer_the_same(tmp_path):
    corpus = write(tmp_path / "docs", list(DOCS))
    index, _ = build_index([corpus])
    save_index(index, tmp_path / "ix")
    mapped, loaded = load_index(tmp_path / "ix", mmap=True), load_index(tmp_path / "ix", mmap=False)
    assert isinstance(mapped.weights.base, np.memmap)
    same_scores(mapped, loaded)
    same_scores(mapped, index)


def test_an_update_returns_a_new_index_and_leaves_the_callers_alone(tmp_path):
    """Indexes are values: what a caller holds never changes under it (issue 14)."""
    root = write(tmp_path / "c", ["a.txt", "b.txt"])
    index, _ = build_index(root)
    before = (dict(index.meta), index.n_passages, scores(index))
    for updated in (
        update_index(index, add=[write(root, ["d.txt"]) / "d.txt"])[0],
        update_index(index, remove=["b.txt"])[0],
        index.add([]),
        index.remove(["nothing.txt"]),
        index.with_meta(marker=1),
    ):
        assert updated is not index and updated.meta is not index.meta
    assert (index.meta, index.n_passages, scores(index)) == before
