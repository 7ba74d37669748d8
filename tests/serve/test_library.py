"""qa.library: the page's data folder, its index, uploads, citations in context, suggestions."""

import os
import threading
from pathlib import Path

import pytest

import qa
import qa.index.layout
from qa.answering.rephrase import close_words, suggest_rephrasings
from qa.ingest.kinds import ACCEPTED
from qa.ingest.loader import DOCUMENT_SUFFIXES
from qa.serve.context import context_html
from qa.serve.library import Library, data_dir
from qa.serve.state import read_state
from qa.serve.uploads import (
    MAX_UPLOAD_BYTES,
    MAX_FILES,
    LibraryError,
    UploadError,
    check_uploads,
    safe_name,
)
from qa.serve.render import escape

CANTEEN = b"Canteen\n\nThe canteen opens at noon and closes at three in the afternoon.\n"
PARKING = b"# Parking\n\nStaff park in the north garage. Visitors park on level two.\n"


@pytest.fixture
def seed(tmp_path, monkeypatch):
    """A two-document index as $QA_INDEX, and an isolated cache."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    (corpus / "leave.md").write_text("# Leave\n\nEveryone gets twenty days of annual leave.\n", encoding="utf-8")
    index, _ = qa.build_index(corpus)
    qa.save_index(index, tmp_path / "seed-index")
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "seed-index"))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "seed-index"


@pytest.fixture
def lib(seed, tmp_path):
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    return lib


def _index(lib):
    return qa.load_index(lib.index_dir)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# -- the data folder and its index -----------------------------------------------------------------


def test_data_dir_is_qa_data_or_the_xdg_default(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_DATA", str(tmp_path / "d"))
    assert data_dir() == tmp_path / "d"
    monkeypatch.delenv("QA_DATA")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert data_dir() == Path.home() / ".local" / "share" / "qa"
    monkeypatch.setenv("QA_DATA", str(tmp_path / "made"))
    lib = Library()
    assert lib.root == tmp_path / "made" and lib.uploads_dir.is_dir()
    assert lib.index_dir == tmp_path / "made" / "index" and lib.db_path == tmp_path / "made" / "feedback.sqlite"


def test_an_unwritable_data_folder_is_a_library_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(LibraryError, match="QA_DATA"):
        Library(tmp_path / "file" / "data")


def test_the_index_is_a_copy_of_qa_index_made_once(lib, seed):
    seed_version = qa.index.layout.current_version(seed)
    version = lib.version()
    assert version and lib.ensure_index() == version  # made once, then reused
    index = _index(lib)
    assert sorted(index.passages.doc_id) == ["leave.md", "pay.txt"]
    assert read_state(lib.root).seed == {"index": str(seed.resolve()), "corpus": None}
    assert lib.uploads(index) == {}
    lib.add_uploads([("canteen.txt", CANTEEN)])
    assert qa.index.layout.current_version(seed) == seed_version  # the seed index is never written
    assert sorted(qa.load_index(seed).passages.doc_id) == ["leave.md", "pay.txt"]


def test_without_qa_index_the_default_corpus_is_indexed(tmp_path, monkeypatch):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Cats\n\nCats purr when they are content.\n", encoding="utf-8")
    monkeypatch.delenv("QA_INDEX", raising=False)
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    index = _index(lib)
    assert list(index.passages.doc_id) == ["a.txt"]
    assert read_state(lib.root).seed == {"index": None, "corpus": str(corpus.resolve())}


def _other_index(tmp_path, name="other"):
    corpus = tmp_path / f"{name}-corpus"
    corpus.mkdir()
    (corpus / "bikes.txt").write_text("Bikes\n\nBicycles are stored in the basement racks.\n", encoding="utf-8")
    index, _ = qa.build_index(corpus)
    qa.save_index(index, tmp_path / f"{name}-index")
    return tmp_path / f"{name}-index"


def test_a_data_folder_follows_a_new_qa_index_with_its_uploads(lib, tmp_path, monkeypatch):
    lib.add_uploads([("canteen.txt", CANTEEN)])
    other = _other_index(tmp_path)
    monkeypatch.setenv("QA_INDEX", str(other))  # qa ui --index A, then qa ui --index B on one data folder
    Library(tmp_path / "data").ensure_index()
    index = _index(lib)
    assert sorted(index.passages.doc_id) == ["bikes.txt", "canteen.txt"]  # B's documents and the page's uploads
    assert read_state(lib.root).seed == {"index": str(other.resolve()), "corpus": None}
    assert read_state(lib.root).seed_version == qa.index.layout.current_version(other)
    assert lib.uploads(index) == {"canteen.txt": "canteen.txt"}
    assert not qa.answer(index, "Where are bicycles stored?").abstained
    version = lib.version()
    assert lib.ensure_index() == version  # the same source again: kept


def test_a_new_version_of_the_served_index_is_followed(lib, seed, tmp_path):
    (tmp_path / "corpus" / "bikes.txt").write_text("Bikes\n\nBicycles go in the basement.\n", encoding="utf-8")
    index, _ = qa.build_index(tmp_path / "corpus")
    qa.save_index(index, seed)  # qa index --out SEED again
    lib.ensure_index()
    assert sorted(_index(lib).passages.doc_id) == ["bikes.txt", "leave.md", "pay.txt"]


def test_from_an_index_to_a_corpus_and_back(lib, seed, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Cats\n\nCats purr when they are content.\n", encoding="utf-8")
    monkeypatch.delenv("QA_INDEX")
    monkeypatch.setenv("QA_CORPUS", str(docs))
    lib.ensure_index()
    assert list(_index(lib).passages.doc_id) == ["a.txt"]
    monkeypatch.setenv("QA_INDEX", str(seed))
    lib.ensure_index()
    assert sorted(_index(lib).passages.doc_id) == ["leave.md", "pay.txt"]


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A library serving a corpus folder (qa ui --corpus DOCS)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Cats\n\nCats purr when they are content.\n", encoding="utf-8")
    (docs / "b.txt").write_text("Dogs\n\nDogs bark at the postman every morning.\n", encoding="utf-8")
    monkeypatch.delenv("QA_INDEX", raising=False)
    monkeypatch.setenv("QA_CORPUS", str(docs))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    return lib, docs


def test_an_edit_to_a_served_folder_reaches_the_next_answer(served):
    lib, docs = served
    assert lib.follow_edits(every=0) is None  # nothing changed
    (docs / "a.txt").write_text("Cats\n\nCats sleep sixteen hours a day.\n", encoding="utf-8")
    (docs / "c.txt").write_text("Fish\n\nGoldfish remember things for months.\n", encoding="utf-8")
    (docs / "b.txt").unlink()
    before = lib.version()
    assert lib.follow_edits(every=0) == "Re-indexed 1 changed file, 1 added file, 1 removed file"
    assert lib.version() != before
    index = _index(lib)
    assert sorted(index.passages.doc_id) == ["a.txt", "c.txt"]
    assert "sixteen hours" in qa.answer(index, "How long do cats sleep?").text
    assert not qa.answer(index, "What do goldfish remember?").abstained
    assert lib.follow_edits(every=0) is None  # recorded: not re-indexed again


def test_a_touched_but_unchanged_file_is_not_reindexed(served):
    lib, docs = served
    os.utime(docs / "a.txt", ns=(1, 1))
    before = lib.version()
    assert lib.follow_edits(every=0) is None and lib.version() == before


def test_edits_are_checked_at_most_every_few_seconds(served, monkeypatch):
    lib, docs = served
    assert lib.follow_edits(every=60) is None  # checked now
    (docs / "a.txt").write_text("Cats\n\nCats sleep sixteen hours a day.\n", encoding="utf-8")
    assert lib.follow_edits(every=60) is None  # not again within a minute
    assert lib.follow_edits(every=0) == "Re-indexed 1 changed file"


def test_uploads_survive_following_edits(served):
    lib, docs = served
    lib.add_uploads([("canteen.txt", CANTEEN)])
    (docs / "b.txt").unlink()
    assert lib.follow_edits(every=0) == "Re-indexed 1 removed file"
    assert sorted(_index(lib).passages.doc_id) == ["a.txt", "canteen.txt"]


def test_an_index_served_with_qa_index_is_not_followed(lib, seed, tmp_path):
    (tmp_path / "corpus" / "pay.txt").write_text("Pay\n\nSalaries are paid weekly.\n", encoding="utf-8")
    assert lib.follow_edits(every=0) is None


def test_an_unloadable_qa_index_is_reported_and_nothing_is_made(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "missing"))
    lib = Library(tmp_path / "data")
    with pytest.raises(qa.IndexFormatError, match="build one"):
        lib.ensure_index()
    assert lib.version() is None


def test_sessions_starting_at_once_make_one_index(seed, tmp_path):
    versions, errors = [], []

    def start():
        try:
            versions.append(Library(tmp_path / "data").ensure_index())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(versions)) == 1
    assert len([p for p in (tmp_path / "data" / "index").iterdir() if p.name.startswith("v-")]) == 1


def test_documents_lists_each_document_with_its_passage_count(corpus_index):
    rows = Library.documents(corpus_index)
    assert len(rows) == corpus_index.passages.n_documents
    for row in rows:
        n = sum(1 for i in range(corpus_index.n_passages) if corpus_index.passages[i].doc_id == row.doc_id)
        assert row.n_passages == n > 0
    p = corpus_index.passages[0]
    assert (rows[0].doc_id, rows[0].source, rows[0].title) == (p.doc_id, p.source, p.title)
    assert sum(r.n_passages for r in rows) == corpus_index.n_passages


# -- validating uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, saved",
    [
        ("notes.txt", "notes.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\boot.md", "boot.md"),
        ("/abs/path/x.html", "x.html"),
        (".hidden.txt", "hidden.txt"),
        ("...dots.md", "dots.md"),
        ('a<b>|c?*:"d.txt', "abcd.txt"),
        ("Report FINAL (v2).PDF", "Report FINAL v2.pdf"),
        ("nul\0byte.txt", "nulbyte.txt"),
        ("  spaced name .docx", "spaced name.docx"),
    ],
)
def test_safe_name_keeps_a_plain_base_name(name, saved):
    assert safe_name(name) == saved


def test_safe_name_of_a_name_with_no_plain_letters_is_a_hash():
    a, b = safe_name("社保.txt"), safe_name("医保.txt")
    assert a.startswith("upload-") and a.endswith(".txt") and a != b
    assert len(safe_name("x" * 500 + ".md")) <= 120 and safe_name("x" * 500 + ".md").endswith(".md")


@pytest.mark.parametrize(
    "files, message",
    [
        ([], "no file chosen"),
        ([("virus.exe", b"MZ")], "a .exe file cannot be added"),
        ([("logo.png", b"\x89PNG")], "a .png file cannot be added"),
        ([("archive.tar.gz", b"x")], ".gz"),
        ([("big.txt", b"a" * (MAX_UPLOAD_BYTES + 1))], "over the 20 MB limit"),
        ([("empty.md", b"")], "empty"),
        ([("a/x.txt", b"one"), ("b/x.txt", b"two")], "rename one of them"),
        ([(f"f{i}.txt", b"x") for i in range(MAX_FILES + 1)], f"at most {MAX_FILES}"),
    ],
)
def test_check_uploads_refuses_bad_files(files, message):
    with pytest.raises(UploadError, match=message):
        check_uploads(files)


def test_check_uploads_names_every_refused_file():
    with pytest.raises(UploadError) as info:
        check_uploads([("ok.txt", b"fine"), ("x.exe", b"MZ"), ("y.bin", b"1")])
    assert str(info.value).splitlines() == [
        f"x.exe: a .exe file cannot be added (a program or library; qa reads {ACCEPTED})",
        f"y.bin: a .bin file cannot be added (a program or library; qa reads {ACCEPTED})",
    ]
    assert check_uploads([("ok.txt", b"fine"), ("big.md", b"a" * MAX_UPLOAD_BYTES)])[0] == ("ok.txt", b"fine")


def test_the_page_takes_what_qa_index_reads():
    """One list: every kind the loader reads by name, .rst included, and text files of any name."""
    names = [f"doc{s}" for s in DOCUMENT_SUFFIXES] + ["README", "FAQ", "README.Debian", "METADATA", "notes.log"]
    assert [n for n, _ in check_uploads([(n, b"text") for n in names])] == [safe_name(n) for n in names]


# -- adding and removing -----------------------------------------------------------------------------


def test_uploads_are_saved_and_searchable_at_once(lib, tmp_path):
    before = lib.version()
    calls = []
    added, warnings = lib.add_uploads(
        [("canteen.txt", CANTEEN), ("dir/parking.md", PARKING)], progress=lambda f, m: calls.append((f, m))
    )
    assert added == ["canteen.txt", "parking.md"] and warnings == []
    assert lib.version() != before
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)
    assert sorted(os.listdir(lib.uploads_dir)) == ["canteen.txt", "parking.md"]
    assert (lib.uploads_dir / "canteen.txt").read_bytes() == CANTEEN
    index = _index(lib)
    assert lib.uploads(index) == {"canteen.txt": "canteen.txt", "parking.md": "parking.md"}
    assert index.meta["n_documents"] == 4
    result = qa.answer(index, "When does the canteen open?")
    assert not result.abstained and "noon" in result.text
    assert qa.answer(index, "Where do visitors park?").hits[0].passage.doc_id == "parking.md"


def test_a_readme_an_rst_file_and_a_latin1_file_are_added_and_shown_in_source(lib):
    """The page takes what qa index reads: a file without a suffix, .rst, another encoding."""
    readme = b"Parking\n\nVisitors park in the east lot behind the library from 8 am.\n"
    rst = b"Canteen\n=======\n\nThe canteen opens at noon and serves :class:`~food.Soup` daily.\n"
    latin = "Caf\u00e9\n\nThe caf\u00e9 serves cr\u00e8me br\u00fbl\u00e9e on Fridays.\n".encode("latin-1")
    added, warnings = lib.add_uploads([("README", readme), ("canteen.rst", rst), ("cafe.txt", latin)])
    assert added == ["README", "canteen.rst", "cafe.txt"] and warnings == []
    index = _index(lib)
    hit = qa.answer(index, "What does the canteen serve?").hits[0]
    assert hit.passage.doc_id == "canteen.rst" and "Soup" in hit.passage.text and "~" not in hit.passage.text
    hit = qa.answer(index, "When does the café serve crème brûlée?").hits[0]
    assert hit.passage.doc_id == "cafe.txt" and "crème brûlée" in hit.passage.text
    assert lib.source_text(index, hit.passage).startswith("Café")  # "Show in source" reads it decoded, as indexed
    assert qa.answer(index, "Where do visitors park?").hits[0].passage.doc_id == "README"


def test_nothing_is_written_outside_the_uploads_folder(lib, tmp_path):
    before = _files(tmp_path)
    lib.add_uploads(
        [("../../../escape.txt", CANTEEN), ("/tmp/abs.md", PARKING), ("..\\win.txt", b"Win\n\nWindows path.\n")]
    )
    new = _files(tmp_path) - before
    outside = {
        f for f in new if not (f.startswith("data/uploads/") or f.startswith("data/index/") or f in ("data/.lock",))
    }
    assert outside == set()
    assert sorted(os.listdir(lib.uploads_dir)) == ["abs.md", "escape.txt", "win.txt"]


HOSTILE_NAMES = [
    "../../../escape.txt",
    "/tmp/qa-test-absolute-upload.md",
    "..\\..\\win.txt",
    "C:\\Windows\\system32\\drv.txt",
    "nul\0byte.txt",
    "x" * 5000 + ".txt",
    "%2e%2e%2fencoded.txt",
    "uploads/../../index/CURRENT.txt",
    "<img src=x onerror=alert(1)>.html",
    ".bashrc.txt",
    "feedback.sqlite.md",
]


def test_hostile_upload_names_write_and_read_nothing_outside_the_data_folder(lib, tmp_path):
    """Every name is reduced to a plain file name in uploads/; nothing appears or changes anywhere
    else: not in tmp_path's parent (other tests' folders), not at the absolute path named."""
    absolute = Path("/tmp/qa-test-absolute-upload.md")
    absolute.unlink(missing_ok=True)
    outside = tmp_path.parent
    before = {p: p.stat().st_mtime_ns for p in outside.rglob("*") if tmp_path not in p.parents and p != tmp_path}
    files = [
        (name, f"Doc {i}\n\nTopic{i} is handled by desk number {i} on floor {i}.\n".encode())
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    added, problems = lib.add_uploads(files)
    assert problems == [] and len(added) == len(HOSTILE_NAMES)
    after = {p: p.stat().st_mtime_ns for p in outside.rglob("*") if tmp_path not in p.parents and p != tmp_path}
    assert after == before and not absolute.exists()
    saved = sorted(os.listdir(lib.uploads_dir))
    assert len(saved) == len(HOSTILE_NAMES) and all(len(n) <= 120 and "/" not in n and "\0" not in n for n in saved)
    assert {
        "escape.txt",
        "qa-test-absolute-upload.md",
        "win.txt",
        "drv.txt",
        "nulbyte.txt",
        "2e2e2fencoded.txt",
        "CURRENT.txt",
        "img srcx onerroralert1.html",
        "bashrc.txt",
        "feedback.sqlite.md",
    } <= set(saved)
    assert sorted(p.name for p in lib.root.iterdir()) == [".lock", "index", "page-state.json", "uploads"]
    index = _index(lib)
    assert sorted(lib.uploads(index).values()) == saved
    assert qa.answer(index, "Who handles topic4?").hits[0].passage.doc_id == "nulbyte.txt"


def test_an_upload_replacing_a_symlink_in_the_uploads_folder_never_writes_through_it(lib, tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("Outside\n\nThis file is outside the data folder.\n", encoding="utf-8")
    (lib.uploads_dir / "link.txt").symlink_to(target)
    lib.add_uploads([("link.txt", CANTEEN)])
    assert target.read_text(encoding="utf-8") == "Outside\n\nThis file is outside the data folder.\n"
    link = lib.uploads_dir / "link.txt"
    assert not link.is_symlink() and link.read_bytes() == CANTEEN
    assert sorted(os.listdir(lib.uploads_dir)) == ["link.txt"]  # no backup left behind


def test_an_unreadable_file_is_reported_and_not_kept(lib):
    added, warnings = lib.add_uploads(
        [("canteen.txt", CANTEEN), ("bad.txt", b"\x00\x01\x02 binary"), ("blank.md", b"  \n\n ")]
    )
    assert added == ["canteen.txt"]
    assert len(warnings) == 2
    assert warnings[0].startswith("bad.txt: binary file") and "blank.md" in warnings[1]
    assert not any(str(lib.uploads_dir) in w for w in warnings)
    assert os.listdir(lib.uploads_dir) == ["canteen.txt"]
    assert "bad.txt" not in set(_index(lib).passages.doc_id)


def test_when_no_file_is_readable_nothing_changes(lib):
    before = lib.version()
    with pytest.raises(UploadError) as info:
        lib.add_uploads([("bad.txt", b"\x00\x00"), ("blank.md", b"  \n\n "), ("noext", b"\x00\x01\x02")])
    assert str(info.value).splitlines() == [
        "bad.txt: binary file (holds NUL bytes), not text",
        "blank.md: empty file",
        "noext: binary file (holds NUL bytes), not text",
    ]
    assert lib.version() == before and os.listdir(lib.uploads_dir) == []


def test_a_file_repeating_indexed_text_is_not_added(lib):
    lib.add_uploads([("canteen.txt", CANTEEN)])
    with pytest.raises(UploadError, match="already in the index"):
        lib.add_uploads([("copy.txt", CANTEEN)])
    assert os.listdir(lib.uploads_dir) == ["canteen.txt"]


def test_uploading_a_file_again_replaces_its_document(lib):
    lib.add_uploads([("canteen.txt", CANTEEN)])
    added, _ = lib.add_uploads([("canteen.txt", b"Canteen\n\nThe canteen now opens at eleven o'clock.\n")])
    assert added == ["canteen.txt"]
    index = _index(lib)
    assert list(index.passages.doc_id).count("canteen.txt") == 1
    assert "eleven" in qa.answer(index, "When does the canteen open?").text
    assert not [p for p in lib.uploads_dir.iterdir() if p.name.startswith(".")]  # no temp or backup left


def test_an_unreadable_new_version_keeps_the_old_file(lib):
    lib.add_uploads([("canteen.txt", CANTEEN)])
    with pytest.raises(UploadError):
        lib.add_uploads([("canteen.txt", b"\x00binary now")])
    assert (lib.uploads_dir / "canteen.txt").read_bytes() == CANTEEN
    index = _index(lib)
    assert lib.source_text(index, qa.search(index, "canteen noon", k=1)[0].passage) is not None


def test_an_upload_named_like_a_corpus_document_is_refused(lib):
    before = lib.version()
    with pytest.raises(UploadError, match="rename the file"):
        lib.add_uploads([("pay.txt", b"Pay\n\nSomething else entirely.\n")])
    assert lib.version() == before and os.listdir(lib.uploads_dir) == []


def test_uploads_inside_the_corpus_root_get_ids_relative_to_it(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid monthly.\n", encoding="utf-8")
    monkeypatch.delenv("QA_INDEX", raising=False)
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    lib = Library(corpus / ".qa-data")  # a hidden folder: the corpus's own indexing skips it
    lib.ensure_index()
    added, _ = lib.add_uploads([("canteen.txt", CANTEEN)])
    assert added == [".qa-data/uploads/canteen.txt"]
    index = _index(lib)
    assert lib.source_text(index, qa.search(index, "canteen noon", k=1)[0].passage) == CANTEEN.decode()
    lib.remove(added[0])
    assert os.listdir(lib.uploads_dir) == []


def test_remove_takes_out_the_document_and_its_upload(lib):
    lib.add_uploads([("canteen.txt", CANTEEN), ("parking.md", PARKING)])
    lib.remove("canteen.txt")
    index = _index(lib)
    assert sorted(index.passages.doc_id) == ["leave.md", "parking.md", "pay.txt"]
    assert lib.uploads(index) == {"parking.md": "parking.md"}
    assert os.listdir(lib.uploads_dir) == ["parking.md"]
    assert qa.answer(index, "When does the canteen open?").abstained
    lib.remove("pay.txt")  # a corpus document: out of the page's index, its file untouched
    assert "pay.txt" not in set(_index(lib).passages.doc_id)
    with pytest.raises(LibraryError, match="not in the index"):
        lib.remove("pay.txt")


def test_the_last_document_cannot_be_removed(lib):
    lib.remove("pay.txt")
    before = lib.version()
    with pytest.raises(LibraryError, match="last document"):
        lib.remove("leave.md")
    assert lib.version() == before


def test_uploads_from_many_sessions_at_once_are_all_kept(lib):
    errors = []

    def upload(i):
        try:
            lib.add_uploads([(f"note{i}.txt", f"Note {i}\n\nTopic number{i} is handled by desk {i}.\n".encode())])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(lib.uploads(_index(lib))) == 6


# -- reading a citation in its source ------------------------------------------------------------------


def test_source_text_rereads_txt_and_md_and_refuses_changed_files(lib, seed, tmp_path):
    lib.add_uploads([("canteen.txt", CANTEEN)])
    index = _index(lib)
    hit = qa.search(index, "salaries paid", k=1)[0]
    assert lib.source_text(index, hit.passage) == (tmp_path / "corpus" / "pay.txt").read_text(encoding="utf-8")
    (tmp_path / "corpus" / "pay.txt").write_text("Changed\n\ncompletely different now, longer text.\n")
    assert lib.source_text(index, hit.passage) is None


def test_source_text_of_a_jsonl_document_is_none(tmp_path):
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "title": "T", "text": "Some text about jsonl."}\n')
    index, _ = qa.build_index(tmp_path / "corpus.jsonl")
    assert Library(tmp_path / "data").source_text(index, index.passages[0]) is None


def test_context_html_shows_the_passage_in_its_source_escaped_and_marked(tmp_path):
    nasty = "<script>alert(1)</script> **bold** "
    text = (
        "Intro line.\n\n"
        + nasty * 40
        + "\n\nRefunds\n\nRefunds are paid by the refund office. Ask at the desk."
        + "\n\nOther matters\n\n"
        + "[link](javascript:x) " * 60
        + "\n"
    )
    (tmp_path / "r.txt").write_text(text, encoding="utf-8")
    index, _ = qa.build_index(tmp_path / "r.txt")
    result = qa.answer(index, "Who pays refunds?")
    assert not result.abstained
    passage = result.hits[0].passage
    html = context_html(text, passage, result, radius=100)
    for raw in ("<script", "](", "**"):
        assert raw not in html
    assert html.startswith("\u2026 ") and html.endswith(" \u2026")
    assert '<span class="qa-context-passage">' in html
    sentence = result.sentences[0]
    assert f'<span class="qa-cited">{escape(sentence.text)}</span>' in html
    plain = (
        html.replace('<span class="qa-context-passage">', "")
        .replace('<span class="qa-cited">', "")
        .replace("</span>", "")
    )
    a = plain.index(escape(passage.text[:20]))
    assert len(plain) < len(escape(text))
    assert a > 0
    whole = context_html(text, passage, result, radius=10_000)
    assert not whole.startswith("\u2026") and not whole.endswith("\u2026")


def test_context_html_without_the_source_shows_the_passage_alone(corpus_index):
    result = qa.answer(corpus_index, "Where do I go to pay social security myself?")
    hit = result.hits[0]
    html = context_html(None, hit.passage, result)
    assert html.startswith('<span class="qa-context-passage">') and "\u2026" not in html
    assert context_html("a changed file", hit.passage, result) == html  # offsets that no longer fit


# -- when there is no answer ----------------------------------------------------------------------------


def test_suggestions_replace_unknown_words_with_close_corpus_words(lib):
    lib.add_uploads([("canteen.txt", CANTEEN)])
    index = _index(lib)
    assert "canteen" in close_words(index, "cantin")
    result = qa.answer(index, "Is the CANTIN vegetarian?")
    assert result.abstained
    suggestions = suggest_rephrasings(index, result)
    assert suggestions[0] == "Is the canteen vegetarian?"
    assert 1 <= len(suggestions) <= 5 and result.question not in suggestions


def test_a_rephrasing_is_suggested_only_if_qa_answers_it(lib, monkeypatch):
    lib.add_uploads([("canteen.txt", CANTEEN)])
    index = _index(lib)
    for question in ("Is the CANTIN vegetarian?", "When does the CANTIN open?", "What is the capital of France?"):
        for suggestion in suggest_rephrasings(index, qa.answer(index, question)):
            assert not qa.answer(index, suggestion).abstained, suggestion
    real = qa.answering.summarize.answer
    monkeypatch.setattr(
        qa.answering.summarize, "answer", lambda index, q, **kw: real(index, q.replace("canteen", "tram"), **kw)
    )
    assert "Is the canteen vegetarian?" not in suggest_rephrasings(index, real(index, "Is the CANTIN vegetarian?"))


def test_suggestions_fall_back_on_example_questions_related_first(corpus_index):
    result = qa.answer(corpus_index, "What is the capital of France?")
    assert result.abstained
    suggestions = suggest_rephrasings(corpus_index, result)
    examples = qa.suggest_questions(corpus_index, n=20)
    assert suggestions and set(suggestions) <= set(examples) and len(suggestions) <= 5
    related = qa.answer(corpus_index, "How much does the insurance of a parrot cost?")
    ranked = suggest_rephrasings(corpus_index, related, n=3)
    assert any("insurance" in q.lower() for q in ranked[:1])
    pool = ["Q one?", "Q two?", "Q three?"]
    assert suggest_rephrasings(corpus_index, result, n=2, examples=pool) == ["Q one?", "Q two?"]


def test_an_html_upload_is_indexed_when_the_loader_reads_html(lib):
    loader = pytest.importorskip("qa.ingest.loader")
    if ".html" not in getattr(loader, "DOCUMENT_SUFFIXES", ()):
        pytest.skip("this qa.loader does not read HTML")
    html = (
        b"<html><head><title>Canteen</title></head><body><h1>Canteen</h1>"
        b"<p>The canteen opens at noon and closes at three.</p><script>alert(1)</script></body></html>"
    )
    added, warnings = lib.add_uploads([("canteen.html", html)])
    assert added == ["canteen.html"] and warnings == []
    index = _index(lib)
    hit = qa.search(index, "canteen noon", k=1)[0]
    assert hit.passage.doc_id == "canteen.html"
    text = lib.source_text(index, hit.passage)  # the extracted text, which the offsets index
    assert text[hit.passage.start : hit.passage.end] == hit.passage.text and "alert" not in text
    assert "noon" in context_html(text, hit.passage, qa.answer(index, "When does the canteen open?"))


def test_an_index_from_an_older_qa_is_rebuilt_with_its_uploads(tmp_path, monkeypatch, saved_corpus_index):
    """After an upgrade changes the index format, the page rebuilds its index and keeps the uploads."""
    import json

    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    added, _ = lib.add_uploads(
        [("parking.txt", b"Parking\n\nResidents apply for a parking permit at the town hall.\n")]
    )
    assert added == ["parking.txt"]
    manifest_path = lib.index_dir / lib.version() / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = 1  # as an older qa wrote it
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(qa.IndexFormatError):
        qa.load_index(lib.index_dir)
    before = lib.version()
    assert lib.ensure_index() != before
    index = qa.load_index(lib.index_dir)
    assert lib.uploads(index) == {"parking.txt": "parking.txt"}
    assert "town hall" in qa.answer(index, "Where do residents apply for a parking permit?").text


def test_a_markdown_passage_shows_reading_text_and_its_source_span_shows_the_markup(tmp_path):
    """The page shows what a reader sees, and "Show in source" the exact characters it came from."""
    from qa.serve.render import passage_html

    text = (
        "# Refunds\n\nRefunds are paid by the **refund office** within\nten days, see [the desk](https://x.example)."
        " Bring the\nreceipt.\n"
    )
    (tmp_path / "r.md").write_text(text, encoding="utf-8")
    index, _ = qa.build_index(tmp_path / "r.md")
    result = qa.answer(index, "Who pays refunds and within how many days?")
    assert not result.abstained
    hit, sentence = result.hits[0], result.sentences[0]
    assert hit.passage.text == "Refunds are paid by the refund office within ten days, see the desk. Bring the receipt."
    assert sentence.text == "Refunds are paid by the refund office within ten days, see the desk."
    assert text[sentence.start : sentence.end] == (
        "Refunds are paid by the **refund office** within\nten days, see [the desk](https://x.example)."
    )
    shown = passage_html(hit, result, index.analyzer)  # reading text, the cited sentence marked in it
    assert f'<span class="qa-cited">{escape(sentence.text[:7])}' in shown.replace("<mark>", "").replace("</mark>", "")
    assert "**" not in shown and "](" not in shown
    source = context_html(text, hit.passage, result, radius=10_000)  # the file itself, its span marked
    plain = source.replace("</span>", "")
    assert escape("**refund office**") in plain and escape("[the desk](https://x.example)") in plain
    assert '<span class="qa-cited">' + escape(text[sentence.start : sentence.start + 20]) in plain


def test_editing_the_only_document_of_a_served_folder_rebuilds_it(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Cats\n\nCats purr when they are content.\n", encoding="utf-8")
    monkeypatch.delenv("QA_INDEX", raising=False)
    monkeypatch.setenv("QA_CORPUS", str(docs))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    (docs / "a.txt").write_text("Cats\n\nCats sleep sixteen hours a day.\n", encoding="utf-8")
    assert lib.follow_edits(every=0) == "Re-indexed 1 changed file"
    index = _index(lib)
    assert list(index.passages.doc_id) == ["a.txt"]
    assert "sixteen hours" in qa.answer(index, "How long do cats sleep?").text
    assert lib.ensure_index() == lib.version()  # still made from this folder: kept


def test_an_index_without_its_state_is_made_again_once_with_the_uploads_on_disk(served):
    lib, docs = served
    lib.add_uploads([("canteen.txt", CANTEEN)])
    (lib.root / "page-state.json").unlink()  # lost, or a data folder of another qa
    before = lib.version()
    assert lib.ensure_index() != before
    assert isinstance(read_state(lib.root).files, dict)
    index = _index(lib)
    assert sorted(index.passages.doc_id) == ["a.txt", "b.txt", "canteen.txt"]  # the files of uploads/ are the truth
    assert lib.uploads(index) == {"canteen.txt": "canteen.txt"}
    assert lib.ensure_index() == lib.version()


def test_the_page_writes_nothing_into_the_index_meta(served):
    lib, docs = served
    made = set(_index(lib).meta)
    lib.add_uploads([("canteen.txt", CANTEEN)])
    (docs / "b.txt").write_text("Dogs\n\nDogs bark at the mail carrier.\n", encoding="utf-8")
    lib.follow_edits(every=0)
    lib.remove("canteen.txt")
    assert set(_index(lib).meta) <= made | {"updated_at"}  # the index stage's own keys only
