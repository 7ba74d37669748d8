"""qa.store: an index saved as .npy + JSON loads back identical, and damage is refused, never misread."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest

from qa.errors import IndexFormatError
from qa.answering.search import search
from qa.index.layout import SINGLE, is_index_dir, read_manifest
from qa.index.store import load_single, save_single

FORMAT_VERSION = SINGLE.format_version

QUESTIONS = [
    "Where do I pay social security myself?",
    "Can I still use my medical insurance card after leaving?",
    "flexible employees",
    "insurrance",  # corrected through the saved surface words
]


def results(index, question):
    return [(h.passage.passage_id, h.score, h.matched_terms, h.coverage) for h in search(index, question, k=5)]


@pytest.fixture
def saved(saved_corpus_index, tmp_path):
    """A private copy of the saved seed index, free to damage."""
    return shutil.copytree(saved_corpus_index, tmp_path / "idx")


def version_dir(path):
    return path / (path / "CURRENT").read_text(encoding="utf-8").strip()


# --- round trip ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mmap", [False, True])
def test_round_trip_gives_identical_search_results(corpus_index, saved_corpus_index, mmap):
    loaded = load_single(saved_corpus_index, mmap=mmap)
    for q in QUESTIONS:
        assert results(loaded, q) == results(corpus_index, q)


@pytest.mark.parametrize("mmap", [False, True])
def test_round_trip_preserves_every_field(corpus_index, saved_corpus_index, mmap):
    loaded = load_single(saved_corpus_index, mmap=mmap)
    assert loaded.params == corpus_index.params
    assert tuple(loaded.passages) == tuple(corpus_index.passages)
    assert loaded.vocabulary == corpus_index.vocabulary
    assert loaded.words == corpus_index.words
    for name in ("idf", "indptr", "indices", "weights", "tokens", "token_ptr"):
        a, b = getattr(loaded, name), getattr(corpus_index, name)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert {k: v for k, v in loaded.meta.items() if k not in ("index_dir", "version_dir")} == corpus_index.meta


def test_mmap_arrays_are_memory_mapped_read_only(saved_corpus_index):
    loaded = load_single(saved_corpus_index, mmap=True)
    assert isinstance(loaded.weights.base, np.memmap)  # a plain view of the mapped file
    assert not loaded.weights.flags.writeable


def test_loaded_meta_says_where_it_came_from(saved_corpus_index):
    loaded = load_single(saved_corpus_index)
    assert loaded.meta["index_dir"] == str(saved_corpus_index.resolve())
    assert loaded.meta["version_dir"] == version_dir(saved_corpus_index).name


def test_unicode_passages_round_trip(tmp_path):
    from qa.index.index import Index, IndexParams
    from qa.types import Passage

    text = "Caf\u00e9 \u4e2d\u6587 \U0001f600 \u201cquoted\u201d text\nwith a newline"
    index = Index.fit(
        [Passage("\u00e9#0", "\u00e9", "\u00e9.txt", "T\u00eftle", "S\u00e9ction", 0, len(text), text)], IndexParams()
    )
    save_single(index, tmp_path / "u")
    assert tuple(load_single(tmp_path / "u").passages) == tuple(index.passages)


# --- layout -------------------------------------------------------------------------------------------


def test_layout_is_current_plus_one_version_folder(saved_corpus_index):
    entries = sorted(p.name for p in saved_corpus_index.iterdir())  # plus qa's marker and writer lock (issue 15)
    assert (
        len(entries) == 4 and entries[:3] == [".qa-index", ".qa-write.lock", "CURRENT"] and entries[3].startswith("v-")
    )
    assert is_index_dir(saved_corpus_index)
    files = sorted(p.name for p in version_dir(saved_corpus_index).iterdir())
    columns = ["passage_doc", "passage_num", "passage_start", "passage_end", "passage_section", "passage_page"] + [
        f"{n}_{part}" for n in ("text", "doc_id", "source", "title", "sections", "layout") for part in ("data", "ptr")
    ]
    assert files == sorted(
        [
            "manifest.json",
            "vocab.npy",
            "words.npy",
            "words_term.npy",
            "idf.npy",
            "indptr.npy",
            "indices.npy",
            "weights.npy",
            "tokens.npy",
            "token_ptr.npy",
            "term_max.npy",
            "tf.npy",
        ]
        + [f"{c}.npy" for c in columns]
    )


def test_manifest_describes_the_index(corpus_index, saved_corpus_index):
    m = read_manifest(saved_corpus_index)
    assert (m["format"], m["format_version"]) == ("qa-index", FORMAT_VERSION)
    assert (m["n_passages"], m["n_terms"]) == (corpus_index.n_passages, corpus_index.n_terms)
    assert m["params"] == corpus_index.params.to_dict()
    assert set(m["files"]) == {p.name for p in version_dir(saved_corpus_index).iterdir()} - {"manifest.json"}


def test_no_pickle_every_npy_loads_without_allow_pickle(saved_corpus_index):
    npys = list(version_dir(saved_corpus_index).glob("*.npy"))
    assert len(npys) == 29
    for f in npys:
        arr = np.load(f, allow_pickle=False)
        assert arr.dtype != object


def test_saving_again_replaces_the_version_and_keeps_the_old_one_for_readers(corpus_index, saved):
    """Issue 15: a save keeps the version it replaced (a reader may have just read CURRENT)."""
    old = version_dir(saved)
    new = save_single(corpus_index, saved)
    assert new != old and old.exists()
    assert version_dir(saved) == new
    assert sorted(p.name for p in saved.iterdir() if not p.name.startswith(".qa-")) == [
        "CURRENT",
        *sorted([old.name, new.name]),
    ]


def test_versions_replaced_longer_ago_than_the_grace_period_are_removed(corpus_index, saved, monkeypatch):
    import qa.index.versions as versions

    monkeypatch.setattr(versions, "KEEP_REPLACED_SECONDS", 0.0)
    first = version_dir(saved)
    second = save_single(corpus_index, saved)
    assert first.exists()  # the previous version always stays
    time.sleep(0.01)
    third = save_single(corpus_index, saved)
    assert not first.exists() and second.exists() and third.exists()
    assert sorted(p.name for p in saved.glob("v-*")) == sorted([second.name, third.name])


@pytest.mark.parametrize("mmap", [False, True])
def test_a_save_that_removes_the_version_being_loaded_gives_the_new_index(corpus_index, saved, monkeypatch, mmap):
    """The race the concurrency test found: a reader read CURRENT, then a save swapped it and
    removed the old version before the reader opened its files (the API answered 503)."""
    import qa.index.layout as layout

    other = corpus_index.add([])  # the same passages: a different index object to save
    other.meta["marker"] = "new"
    stale = layout.read_live(saved)
    real = layout.read_live
    calls = []

    def read_then_replaced(path, kinds=layout.KINDS):
        calls.append(path)
        if len(calls) == 1:  # this reader has chosen the old version; a save replaces it now
            save_single(other, saved)
            shutil.rmtree(stale.dir)  # and removes it (as a later save does once its grace period is over)
            return stale
        return real(path, kinds)

    monkeypatch.setattr(layout, "read_live", read_then_replaced)
    index = load_single(saved, mmap=mmap)
    assert len(calls) == 2 and index.meta["marker"] == "new"
    assert not stale.dir.exists()


def test_threads_loading_indexes_read_npy_headers_one_at_a_time(saved_corpus_index, monkeypatch):
    """numpy parses .npy headers with ast, which CPython 3.11 cannot run in two threads at once
    (python/cpython#106905: a make stress run failed so, a page session and an upload loading
    at the same moment). Loads in threads must take turns at np.load."""
    import threading
    import time

    import qa.index.store as store

    inside, most, lock = [0], [0], threading.Lock()
    real_load = np.load

    def watched_load(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.001)  # widen the window two unguarded loads would share
        try:
            return real_load(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(store.np, "load", watched_load)
    errors = []

    def load(mmap):
        try:
            for _ in range(3):
                load_single(saved_corpus_index, mmap=mmap)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and most[0] == 1


def test_a_damaged_index_is_not_retried(saved, monkeypatch):
    import qa.index.layout as layout

    calls = []
    real = layout.read_live
    monkeypatch.setattr(layout, "read_live", lambda path, kinds=layout.KINDS: calls.append(path) or real(path, kinds))
    (version_dir(saved) / "weights.npy").unlink()
    with pytest.raises(IndexFormatError, match="weights.npy is missing"):
        load_single(saved)
    assert len(calls) == 1  # CURRENT did not move: the index itself is broken


def test_save_creates_missing_parent_folders(corpus_index, tmp_path):
    out = tmp_path / "a" / "b" / "idx"
    save_single(corpus_index, out)
    assert is_index_dir(out)


def test_save_into_an_empty_folder(corpus_index, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    save_single(corpus_index, out)
    assert is_index_dir(out)


def test_no_tmp_left_after_save_and_leftovers_of_a_crash_are_removed(corpus_index, saved):
    (saved / ".tmp-v-crashed").mkdir()
    (saved / ".tmp-v-crashed" / "idf.npy").write_bytes(b"partial")
    (saved / ".tmp-CURRENT-12345").write_text("v-crashed\n")
    save_single(corpus_index, saved)
    assert not list(saved.glob(".tmp-*"))


def test_a_folder_holding_only_a_crashed_first_save_can_be_saved_into(corpus_index, tmp_path):
    out = tmp_path / "idx"
    (out / ".tmp-v-crashed").mkdir(parents=True)
    save_single(corpus_index, out)
    assert is_index_dir(out) and not list(out.glob(".tmp-*"))


# --- refusals -----------------------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    with pytest.raises(IndexFormatError, match="no index here; build one with: qa index"):
        load_single(tmp_path / "nothing")


def test_folder_that_is_not_an_index(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(IndexFormatError, match=r"not a qa index \(no CURRENT file\)"):
        load_single(tmp_path)


@pytest.mark.parametrize("pointer", ["v-gone", "../elsewhere", "", "v-a/../../x"])
def test_current_naming_a_missing_version(saved, pointer):
    (saved / "CURRENT").write_text(pointer + "\n", encoding="utf-8")
    with pytest.raises(IndexFormatError, match="CURRENT names .* which is missing"):
        load_single(saved)


def test_truncated_weights(saved):
    f = version_dir(saved) / "weights.npy"
    f.write_bytes(f.read_bytes()[:-8])
    with pytest.raises(IndexFormatError, match=r"weights\.npy has the wrong size \(truncated\?\)"):
        load_single(saved)


def test_flipped_byte_in_indices_fails_the_checksum(saved):
    f = version_dir(saved) / "indices.npy"
    data = bytearray(f.read_bytes())
    data[-1] ^= 0x01
    f.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match=r"indices\.npy does not match its checksum \(corrupt\)"):
        load_single(saved)


@pytest.mark.parametrize("name", ["vocab.npy", "text_data.npy", "idf.npy"])
def test_missing_file(saved, name):
    (version_dir(saved) / name).unlink()
    with pytest.raises(IndexFormatError, match=f"{name} is missing"):
        load_single(saved)


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 0, "1", None])
def test_wrong_format_version(saved, version):
    m = version_dir(saved) / "manifest.json"
    manifest = json.loads(m.read_text(encoding="utf-8"))
    manifest["format_version"] = version
    m.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexFormatError, match=rf"index format version {version!r}, but this qa reads version"):
        load_single(saved)


def test_manifest_of_another_format(saved):
    m = version_dir(saved) / "manifest.json"
    m.write_text(json.dumps({"format": "something-else", "format_version": FORMAT_VERSION}), encoding="utf-8")
    with pytest.raises(IndexFormatError, match="not a qa index manifest"):
        load_single(saved)


def test_unreadable_manifest(saved):
    (version_dir(saved) / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexFormatError, match=r"manifest\.json is unreadable"):
        load_single(saved)


def test_save_into_a_non_empty_folder_that_is_not_an_index(corpus_index, tmp_path):
    (tmp_path / "precious.txt").write_text("do not delete", encoding="utf-8")
    with pytest.raises(IndexFormatError, match="folder is not empty and is not a qa index; refusing to write"):
        save_single(corpus_index, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]


def test_save_onto_a_file(corpus_index, tmp_path):
    f = tmp_path / "file"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(IndexFormatError, match="exists and is not a folder"):
        save_single(corpus_index, f)


def test_verify_false_still_checks_sizes(saved):
    f = version_dir(saved) / "weights.npy"
    f.write_bytes(f.read_bytes() + b"\0")
    with pytest.raises(IndexFormatError, match="wrong size"):
        load_single(saved, verify=False)
