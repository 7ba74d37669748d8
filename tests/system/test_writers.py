"""Many writers, one index folder (issue 15): one writer at a time, readers never blocked.

Every writer (`qa index --out`, ``--add``, ``--remove``, the page's uploads, `qa.save_index`,
the sharded build) takes the folder's writer lock (`qa.index.versions.writer_lock`) and reads,
changes and saves under it, so concurrent ``--add``s all land; a save removes only what it made
and versions no reader can still be opening; a lock left by a killed writer does not block;
``--out`` refuses a folder qa did not make. The tests run real processes where the race needs
them. ``make stress`` runs more writers at once (``QA_WRITERS``, default 4 here, 20 there).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import qa
from qa.cli import main
from qa.index.layout import LOCK_FILE, MARKER
from qa.index.versions import writer_lock

WRITERS = int(os.environ.get("QA_WRITERS", "4"))
ROOT = Path(__file__).resolve().parents[2]


def _word(i: int) -> str:
    """A made-up word of its own for document `i` (so no two documents share their text)."""
    return "zub" + "".join(chr(97 + (i // 26**k) % 26) for k in range(3))


def _doc(folder: Path, i: int) -> Path:
    path = folder / f"note-{i:03d}.txt"
    w = _word(i)
    path.write_text(f"Note {w}\n\nThe {w} room is booked by team {w} on day {i} of the month.\n", encoding="utf-8")
    return path


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _qa(*argv, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qa", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(**env),
    )


def _docs_of(path) -> set[str]:
    return set(qa.load_index(path).passages.doc_id)


@pytest.fixture()
def base(tmp_path):
    """An index of two documents in tmp_path/index; new documents go in tmp_path/new/."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    (corpus / "leave.md").write_text("# Leave\n\nEveryone gets twenty days of annual leave.\n", encoding="utf-8")
    (tmp_path / "new").mkdir()
    out = tmp_path / "index"
    assert main(["index", str(corpus), "--out", str(out)]) == 0
    return out


def _tree(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


# -- a folder qa did not make --------------------------------------------------------------------------


def test_out_into_a_folder_with_a_foreign_current_is_refused_and_left_untouched(tmp_path, capsys):
    """A LevelDB/RocksDB-like folder: a file named CURRENT, a v-* folder, a .tmp-* file."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("A\n\nSome text about apples and pears.\n", encoding="utf-8")
    db = tmp_path / "db"
    (db / "v-2024-archive").mkdir(parents=True)
    (db / "v-2024-archive" / "000005.ldb").write_bytes(b"\x00data")
    (db / "CURRENT").write_text("MANIFEST-000004\n", encoding="utf-8")
    (db / ".tmp-draft.md").write_text("my draft\n", encoding="utf-8")
    (db / "LOG").write_text("log\n", encoding="utf-8")
    before = _tree(db)
    for argv in (
        ["index", str(corpus), "--out", str(db)],
        ["index", str(corpus / "a.txt"), "--add", "--out", str(db)],
        ["index", "--remove", "a.txt", "--out", str(db)],
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("qa: error: ") and err.count("\n") == 1 and "not a qa index" in err
        assert _tree(db) == before
    index, _ = qa.build_index(corpus)
    with pytest.raises(qa.QAError, match="not a qa index"):
        qa.save_index(index, db)
    assert _tree(db) == before


def test_out_writes_into_an_empty_folder_and_into_one_qa_made_even_when_damaged(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("A\n\nSome text about apples and pears.\n", encoding="utf-8")
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["index", str(corpus), "--out", str(out)]) == 0
    assert (out / MARKER).is_file() and (out / LOCK_FILE).is_file()
    (out / "CURRENT").write_text("v-missing\n", encoding="utf-8")  # damaged: qa's marker still says it is qa's
    assert main(["index", str(corpus), "--out", str(out)]) == 0
    assert _docs_of(out) == {"a.txt"}


def test_an_index_made_before_the_marker_is_recognised_by_its_manifest(base):
    (base / MARKER).unlink()
    (base / LOCK_FILE).unlink()
    (base / "notes.txt").write_text("x", encoding="utf-8")  # something else in it: only the manifest says "qa's"
    assert main(["index", str(base.parent / "corpus"), "--out", str(base)]) == 0


def test_a_save_never_removes_another_writers_tmp_or_foreign_files(base):
    live = base / f".tmp-v-20250101T000000-000000000-{os.getpid()}"  # a live writer's (this process)
    live.mkdir()
    dead = base / ".tmp-v-20250101T000000-000000001-999999999"  # no such pid: a crashed writer's
    dead.mkdir()
    own = base / ".tmp-draft.md"
    own.write_text("mine\n", encoding="utf-8")
    assert main(["index", str(base.parent / "corpus"), "--out", str(base)]) == 0
    assert live.is_dir() and own.is_file() and not dead.exists()


# -- the lock ------------------------------------------------------------------------------------------


def test_a_folder_that_cannot_be_made_is_one_line_and_an_oserror(tmp_path, capsys):
    """An OSError too, so the default corpus's cache carries on without saving (`qa.open_index`)."""
    from qa.index.versions import IndexWriteError

    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(IndexWriteError, match="cannot create the index folder") as info:
        with writer_lock(tmp_path / "file" / "index"):
            pass
    assert isinstance(info.value, OSError) and isinstance(info.value, qa.QAError)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("A\n\nSome text about apples.\n", encoding="utf-8")
    assert main(["index", str(tmp_path / "corpus"), "--out", str(tmp_path / "file" / "index")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create the index folder" in err


def test_the_lock_is_reentrant_in_a_thread_and_excludes_other_threads(base):
    order = []
    with writer_lock(base):
        with writer_lock(base):  # save_index inside --add's lock
            pass

        def other():
            with writer_lock(base):
                order.append("other")

        t = threading.Thread(target=other, daemon=True)
        t.start()
        time.sleep(0.3)
        order.append("mine")
    t.join(5)
    assert order == ["mine", "other"]


HOLD = """
import sys, time
from qa.index.versions import writer_lock
with writer_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(folder: Path, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), str(seconds)], stdout=subprocess.PIPE, text=True, env=_env()
    )
    assert p.stdout.readline().strip() == "locked"
    return p


def test_a_writer_waits_naming_the_holder_and_gives_up_with_one_line(base):
    new = _doc(base.parent / "new", 1)
    holder = _holder(base, 30)
    try:
        p = _qa("index", new, "--add", "--out", base, QA_LOCK_TIMEOUT=1)
        _, err = p.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    lines = err.strip().splitlines()
    assert p.returncode == 1 and len(lines) == 2, err
    assert lines[0].startswith("qa: waiting for ") and f"pid {holder.pid} " in lines[0]
    assert lines[1].startswith("qa: error: ") and "another writer holds the index" in lines[1]
    assert f"pid {holder.pid} " in lines[1] and "QA_LOCK_TIMEOUT" in lines[1]
    assert "note-001.txt" not in _docs_of(base)


@pytest.mark.slow
def test_a_writer_waits_for_the_holder_then_lands(base):
    new = _doc(base.parent / "new", 1)
    holder = _holder(base, 1.5)
    p = _qa("index", new, "--add", "--out", base)
    _, err = p.communicate(timeout=120)
    holder.wait()
    assert p.returncode == 0 and "qa: waiting for " in err
    assert "note-001.txt" in _docs_of(base)


@pytest.mark.slow
def test_a_lock_left_by_a_killed_writer_does_not_block(base):
    holder = _holder(base, 600)
    assert str(holder.pid) in (base / LOCK_FILE).read_text()  # the lock file names it
    stale = base / f".tmp-v-20250101T000000-000000000-{holder.pid}"  # what it was writing
    stale.mkdir()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    new = _doc(base.parent / "new", 2)
    started = time.monotonic()
    p = _qa("index", new, "--add", "--out", base, QA_LOCK_TIMEOUT=20)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0 and "waiting" not in err, err
    assert time.monotonic() - started < 20
    assert "note-002.txt" in _docs_of(base) and not stale.exists()


# -- writers at once -----------------------------------------------------------------------------------


def _rebuild_equal(path: Path, sources) -> None:
    """The index in `path` holds what a fresh build of `sources` holds: the same passages of the same
    documents, the same vocabulary and the same IDF."""
    got = qa.load_index(path)
    want, _ = qa.build_index(sources)
    rows = lambda ix: sorted(zip(ix.passages.doc_id, (ix.passages.text[i] for i in range(ix.n_passages))))
    assert sorted(set(got.passages.doc_id)) == sorted(set(want.passages.doc_id))
    assert rows(got) == rows(want)
    assert set(got.vocabulary) == set(want.vocabulary)
    g = {t: float(got.idf[i]) for t, i in got.vocabulary.items()}
    w = {t: float(want.idf[i]) for t, i in want.vocabulary.items()}
    assert g.keys() == w.keys() and all(abs(g[t] - w[t]) < 1e-5 for t in g)


def _readers(path: Path, stop: threading.Event, errors: list, answers: list) -> list[threading.Thread]:
    def read():
        while not stop.is_set():
            try:
                answers.append(qa.answer(qa.load_index(path), "When are salaries paid?").text)
            except Exception as exc:  # every failure is recorded
                errors.append(repr(exc))

    threads = [threading.Thread(target=read, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    return threads


@pytest.mark.slow
def test_two_adds_at_once_both_land(base):
    news = [_doc(base.parent / "new", i) for i in (1, 2)]
    procs = [_qa("index", n, "--add", "--out", base) for n in news]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert {"note-001.txt", "note-002.txt", "pay.txt", "leave.md"} <= _docs_of(base)


@pytest.mark.slow
def test_many_writers_adding_at_once_all_land_and_equal_a_rebuild_while_readers_answer(base):
    news = [_doc(base.parent / "new", i) for i in range(WRITERS)]
    stop, errors, answers = threading.Event(), [], []
    readers = _readers(base, stop, errors, answers)
    try:
        procs = [_qa("index", n, "--add", "--out", base, QA_LOCK_TIMEOUT=900) for n in news]
        for p in procs:
            _, err = p.communicate(timeout=900)
            assert p.returncode == 0, err
    finally:
        stop.set()
        for t in readers:
            t.join(60)
    assert not errors, errors[:3]
    assert answers and all("last day of the month" in a for a in answers)
    assert _docs_of(base) == {"pay.txt", "leave.md", *(n.name for n in news)}
    # a rebuild of the union: the two first documents and the new ones, ids as --add gave them
    union = base.parent / "union"
    union.mkdir()
    for f in [*(base.parent / "corpus").iterdir(), *news]:
        (union / f.name).write_bytes(f.read_bytes())
    _rebuild_equal(base, union)


SAVER = """
import sys
import qa
index = qa.load_index(sys.argv[1])
index = index.with_meta(writer=sys.argv[2])
for _ in range(int(sys.argv[3])):
    qa.save_index(index, sys.argv[1])
"""


@pytest.mark.slow
def test_saves_racing_saves_always_leave_an_index_that_loads(base):
    rounds = 15
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(base), str(w), str(rounds)], env=_env(), stderr=subprocess.PIPE, text=True
        )
        for w in range(3)
    ]
    loads, failures = 0, []
    while any(p.poll() is None for p in procs):
        try:
            qa.load_index(base)
            loads += 1
        except qa.QAError as exc:
            failures.append(str(exc))
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    assert not failures and loads > 0
    assert qa.load_index(base).meta["writer"] in {"0", "1", "2"}
    assert not list(base.glob(".tmp-*"))


@pytest.mark.slow
def test_an_upload_racing_a_cli_add_both_land(tmp_path, monkeypatch):
    from qa.serve.library import Library

    seed_corpus = tmp_path / "seed"
    seed_corpus.mkdir()
    (seed_corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    index, _ = qa.build_index(seed_corpus)
    qa.save_index(index, tmp_path / "seed-index")
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "seed-index"))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    (tmp_path / "new").mkdir()
    cli_docs = [_doc(tmp_path / "new", i) for i in range(4)]
    uploads = [
        (f"upload-{i}.txt", f"Upload {_word(100 + i)}\n\nThe {_word(100 + i)} form is due on day {i}.\n".encode())
        for i in range(4)
    ]
    procs = []
    for doc, upload in zip(cli_docs, uploads):
        procs.append(_qa("index", doc, "--add", "--out", lib.index_dir))
        lib.add_uploads([upload])
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    now = qa.load_index(lib.index_dir)
    docs = set(now.passages.doc_id)
    assert {d.name for d in cli_docs} <= docs
    assert {name for name, _ in uploads} <= set(lib.uploads(now).values())
    assert all(lib.uploads(now)[d] in docs or d in docs for d in lib.uploads(now))
