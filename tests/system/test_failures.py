"""Every failure one clear line, nothing partial left behind; feedback that heals; safe CSV exports
(issue 15). Each case is a row of docs/reliability.md."""

import csv
import errno
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.cli import main
from qa.index.folders import load_index
from qa.serve import feedback
from qa.serve.feedback import count_feedback, export_csv, recent_questions, record_feedback, record_question

DOCS = {
    "leave.md": "# Leave policy\n\nStaff get 25 days of annual leave a year. Unused days expire on 31 March.\n",
    "pay.txt": "Pay\n\nSalaries are paid on the last working day of each month by bank transfer.\n",
}
ANSWER = {"answer": "25 days.", "abstained": False, "passages": [{"text": "Staff get 25 days."}]}


@pytest.fixture()
def corpus(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture()
def index_dir(corpus, tmp_path):
    out = tmp_path / "index"
    assert main(["index", str(corpus), "--out", str(out)]) == 0
    return out


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, *fragments: str) -> str:
    """`err` is exactly one ``qa: error:`` line (no traceback) holding every fragment."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("qa: error: "), err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict:
    """Every file under `folder` (hidden ones included) with its bytes; the writer lock's holder line
    (rewritten by every writer that takes the lock, even one that then writes nothing) by name only."""
    return {
        str(p.relative_to(folder)): b"" if p.name == ".qa-write.lock" else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def disk_full_after(monkeypatch, module, name: str, calls: int = 2):
    """Make `module.name` (np.save, ...) fail with ENOSPC from its `calls`-th call on, after writing
    part of a file, as a full disk does."""
    real = getattr(module, name)
    count = {"n": 0}

    def failing(file, *args, **kwargs):
        count["n"] += 1
        if count["n"] >= calls:
            Path(file).write_bytes(b"\x93NUMPY partial")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(module, name, failing)
    return count


# -- disk full -------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["rebuild", "add"])
def test_disk_full_while_saving_an_index_is_one_line_and_keeps_the_old_index(
    how, index_dir, corpus, tmp_path, capsys, monkeypatch
):
    before = snapshot(index_dir)
    extra = tmp_path / "extra.txt"
    extra.write_text("The canteen opens at noon every weekday.\n", encoding="utf-8")
    disk_full_after(monkeypatch, np, "save", calls=3)
    argv = ["index", corpus, "--out", index_dir] if how == "rebuild" else ["index", "--add", extra, "--out", index_dir]
    code, _, err = run(capsys, *argv)
    assert code == 1
    one_error_line(err, "no space left on the device", "previous files are unchanged")
    assert snapshot(index_dir) == before  # no .tmp-* folder, no partial file, CURRENT unchanged
    monkeypatch.undo()
    assert load_index(index_dir, verify="full").meta["n_documents"] == 2


def test_disk_full_on_a_real_small_filesystem(corpus, tmp_path, capsys):
    """A 1 MB tmpfs (needs mount rights, as root in a container; skipped elsewhere)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        big = corpus / "big.txt"
        big.write_text(
            "\n\n".join(f"Paragraph {i} about topic{i} and word{i * 7} in the handbook." for i in range(20000)),
            encoding="utf-8",
        )
        code, _, err = run(capsys, "index", corpus, "--out", mnt / "index")
        assert code == 1
        one_error_line(err, "no space left on the device")
        # nothing partial kept: only qa's marker and writer lock (issue 15), which make no index
        assert not [p for p in (mnt / "index").rglob("*") if p.name not in (".qa-index", ".qa-write.lock")]
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_disk_full_in_answer_out_is_one_line_and_leaves_no_temporary_file(index_dir, tmp_path, capsys, monkeypatch):
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "".join(json.dumps({"_id": str(i), "text": "How many days of annual leave?"}) + "\n" for i in range(50)),
        encoding="utf-8",
    )
    out_dir = tmp_path / "runs"
    out_dir.mkdir()
    target = out_dir / "answers.jsonl"
    target.write_text("previous run\n", encoding="utf-8")
    real_fdopen = os.fdopen

    class Full:
        """A file whose disk fills up after its first 100 bytes."""

        def __init__(self, fh):
            self.fh, self.written = fh, 0

        def write(self, text):
            self.written += len(text)
            if self.written > 100:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.fh.write(text)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    code, _, err = run(capsys, "answer", "--index", index_dir, "--queries", queries, "--out", target)
    assert code == 1
    one_error_line(err, "no space left on the device")
    assert [p.name for p in out_dir.iterdir()] == ["answers.jsonl"]  # no temporary file left
    assert target.read_text(encoding="utf-8") == "previous run\n"


# -- permissions -----------------------------------------------------------------------------------


def test_a_read_only_index_folder_answers_and_refuses_writes_in_one_line(index_dir, corpus, tmp_path, capsys):
    """A read-only filesystem (EROFS stops root too; needs mount rights, skipped elsewhere)."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        shutil.copytree(index_dir, mnt / "index")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        before = snapshot(mnt / "index")
        code, out, err = run(capsys, "ask", "How many days of annual leave?", "--index", mnt / "index", "--json")
        assert code == 0 and "25 days" in out
        code, _, err = run(capsys, "index", corpus, "--out", mnt / "index")
        assert code == 1
        one_error_line(err, "Read-only file system")
        assert snapshot(mnt / "index") == before
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_an_unreadable_index_folder_is_one_line(index_dir, capsys, monkeypatch):
    os.chmod(index_dir, 0)
    try:
        if os.access(index_dir, os.R_OK):  # root reads anything: make access say what a user would get
            import qa.index.versions as versions

            real = os.access
            monkeypatch.setattr(
                versions.os, "access", lambda p, mode, **k: False if Path(p) == index_dir else real(p, mode, **k)
            )
        code, _, err = run(capsys, "ask", "How many days?", "--index", index_dir)
        assert code == 1
        one_error_line(err, str(index_dir), "cannot be read (permission denied)")
    finally:
        os.chmod(index_dir, 0o755)


# -- crafted indexes -------------------------------------------------------------------------------


def _version(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


def test_a_manifest_nested_200000_deep_is_refused_before_parsing(index_dir, capsys):
    manifest = _version(index_dir) / "manifest.json"
    manifest.write_text(
        '{"format": "qa-index", "format_version": 5, "meta": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8"
    )
    code, _, err = run(capsys, "ask", "How many days?", "--index", index_dir)
    assert code == 1
    one_error_line(err, "manifest.json is unreadable", "nested more than 100 deep", "rebuild")


def _rewrite_npy(path: Path, array: np.ndarray, manifest_too: bool = True) -> None:
    """Replace an array file and record its new size and checksums in the manifest, as a crafter would."""
    np.save(path, array)
    if manifest_too:
        from qa.index.versions import file_checksums

        mpath = path.parent / "manifest.json"
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        manifest["files"].update(file_checksums(path.parent, [path.name]))
        mpath.write_text(json.dumps(manifest), encoding="utf-8")


def test_an_npy_header_claiming_2_to_the_40_items_is_refused_before_allocating(index_dir, capsys):
    path = _version(index_dir) / "weights.npy"
    header = {"descr": "<f4", "fortran_order": False, "shape": (2**40,)}
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(b"\0" * 64)
    from qa.index.versions import file_checksums

    mpath = path.parent / "manifest.json"
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest["files"].update(file_checksums(path.parent, [path.name]))
    mpath.write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = run(capsys, "ask", "How many days?", "--index", index_dir)  # would try to allocate 4 TiB
    assert code == 1
    one_error_line(err, "weights.npy", f"claims {2**40} items", "rebuild")


@pytest.mark.parametrize(
    "array, change",
    [
        ("indices", lambda a: np.where(a == a.max(), 10**6, a)),  # a passage number past the passages
        ("indices", lambda a: np.where(a == a.min(), -1, a)),  # a negative one
        ("indptr", lambda a: np.concatenate([[0], a[2:2], a[1:-1][::-1], a[-1:]]) if a.size > 3 else a[::-1]),
    ],
)
def test_postings_pointing_outside_the_index_are_refused_at_load(array, change, index_dir, capsys):
    path = _version(index_dir) / f"{array}.npy"
    original = np.load(path)
    changed = np.ascontiguousarray(change(original), dtype=original.dtype)
    assert changed.shape == original.shape and not np.array_equal(changed, original)
    _rewrite_npy(path, changed)
    code, _, err = run(capsys, "ask", "How many days?", "--index", index_dir)
    assert code == 1
    one_error_line(err, "point outside the index", "rebuild")


# -- corpus.jsonl and emptying an index ------------------------------------------------------------


def test_a_corpus_jsonl_line_nested_100000_deep_is_skipped_with_a_warning(tmp_path, capsys):
    src = tmp_path / "jsonl"
    src.mkdir()
    with open(src / "corpus.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"_id": "a", "text": "The canteen opens at noon."}) + "\n")
        fh.write('{"_id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
        fh.write(json.dumps({"_id": "b", "text": "Parking is free for staff."}) + "\n")
    code, _, err = run(capsys, "index", src, "--out", tmp_path / "index")
    assert code == 0, err
    assert "Traceback" not in err
    warnings = [line for line in err.splitlines() if line.startswith("qa: warning:")]
    assert warnings == [f"qa: warning: {src / 'corpus.jsonl'}:2: skipped, JSON nested too deep"]
    assert load_index(tmp_path / "index").meta["n_documents"] == 2


def test_removing_every_document_is_refused_and_writes_nothing(index_dir, capsys):
    before = snapshot(index_dir)
    code, _, err = run(capsys, "index", "--out", index_dir, "--remove", "leave.md", "pay.txt")
    assert code == 1
    one_error_line(err, "would leave the index empty", "nothing was written")
    assert snapshot(index_dir) == before


# -- feedback that heals ---------------------------------------------------------------------------


def _aside(db: Path, kind: str) -> list[Path]:
    return sorted(p for p in db.parent.glob(f"{db.name}.{kind}-*") if not p.name.endswith(("-wal", "-shm")))


def test_a_corrupt_feedback_database_is_set_aside_and_recreated_with_a_warning(tmp_path, caplog):
    db = tmp_path / "feedback.sqlite"
    db.write_bytes(b"this is not SQLite " * 500)
    with caplog.at_level(logging.WARNING, logger="qa.serve.feedback"):
        assert count_feedback(db) == 0
    assert [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]
    [aside] = _aside(db, "corrupt")
    assert aside.read_bytes() == b"this is not SQLite " * 500  # kept, never deleted
    assert record_feedback(db, "q?", ANSWER, "v-1", 1) == 1
    assert count_feedback(db) == 1 and len(list(csv.reader(io.StringIO(export_csv(db))))) == 2


def test_a_feedback_database_emptied_or_removed_while_the_page_runs_heals(tmp_path, caplog):
    db = tmp_path / "feedback.sqlite"
    record_feedback(db, "first?", ANSWER, "v-1", 1)
    record_question(db, "first?", False)
    for damage in ("emptied with its WAL", "emptied", "removed", "garbage"):
        if damage == "emptied with its WAL":
            db.write_bytes(b"")
        elif damage == "emptied":
            db.write_bytes(b"")
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        elif damage == "removed":
            db.unlink()
        else:
            db.write_bytes(os.urandom(8192))
        with caplog.at_level(logging.WARNING, logger="qa.serve.feedback"):
            assert record_feedback(db, f"after {damage}?", ANSWER, "v-1", 0) >= 1  # a rating works
            record_question(db, f"after {damage}?", True)
        assert recent_questions(db)[0] == f"after {damage}?"
        assert count_feedback(db) == 1
    assert _aside(db, "corrupt")  # the garbage kept aside
    assert len(_aside(db, "emptied")) == 2  # and the emptied files with their WAL
    assert any("feedback database" in r.getMessage() for r in caplog.records)


def test_a_read_only_feedback_database_is_still_read_and_exported(tmp_path, monkeypatch):
    db = tmp_path / "feedback.sqlite"
    record_feedback(db, "kept?", ANSWER, "v-1", 1)
    record_question(db, "kept?", False)
    os.chmod(db, 0o444)
    os.chmod(tmp_path, 0o555)
    opened = []
    real_connect = sqlite3.connect

    def connect(target, *args, **kwargs):
        opened.append(str(target))
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(feedback.sqlite3, "connect", connect)
    if os.access(db, os.W_OK):  # root writes anything: make access say what a user would get
        real = os.access
        monkeypatch.setattr(feedback.os, "access", lambda p, mode, **k: False if mode & os.W_OK else real(p, mode, **k))
    try:
        assert count_feedback(db) == 1
        assert recent_questions(db) == ["kept?"]
        rows = list(csv.DictReader(io.StringIO(export_csv(db))))
        assert [r["question"] for r in rows] == ["kept?"]
        assert opened and all("mode=ro" in o for o in opened)
        assert not _aside(db, "corrupt")
    finally:
        os.chmod(tmp_path, 0o755)
        os.chmod(db, 0o644)


# -- safe CSV exports ------------------------------------------------------------------------------

_STARTERS = "=+-@\t\r\n\u2028\u2029\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\u2212|% "
_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(_STARTERS) + ['"', ",", "'", "A", "1"]), st.characters(blacklist_categories=("Cs",))
    ),
    max_size=30,
)


def _formula_like(field: str) -> bool:
    rest = field.lstrip(" ")
    if not rest:
        return False
    first = rest[0]
    return (
        first.isspace()
        or unicodedata.category(first)[0] in "CZ"
        or any(c in "=+-@|%\u2212" for c in unicodedata.normalize("NFKC", first))
    )


@settings(
    max_examples=int(os.environ.get("QA_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(question=_text, comment=_text, answer=_text, prefix=st.sampled_from(list(_STARTERS) + ["", "  ="]))
def test_no_exported_field_can_be_read_as_a_formula_and_the_export_round_trips(
    tmp_path_factory, question, comment, answer, prefix
):
    db = tmp_path_factory.mktemp("csv") / "feedback.sqlite"
    record_feedback(
        db, prefix + question, {**ANSWER, "answer": prefix + answer}, prefix + "v", 1, comment=prefix + comment
    )
    text = export_csv(db)
    stored = (
        sqlite3.connect(db)
        .execute("SELECT id, created_at, question, answer, rating, comment, index_version, passages_json FROM feedback")
        .fetchone()
    )
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 and len(rows[1]) == 9
    # every field quoted: the text is exactly what csv writes with QUOTE_ALL
    again = io.StringIO()
    csv.writer(again, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    assert again.getvalue() == text
    id_, created, q, answer_json, rating, c, version, passages = stored
    expected = [
        str(id_),
        created,
        q,
        json.loads(answer_json)["answer"],
        str(rating),
        c or "",
        version,
        answer_json,
        passages,
    ]
    for got, want in zip(rows[1], expected):
        assert not _formula_like(got), repr(got)
        assert got == ("'" + want if _formula_like(want) else want)  # round-trips, the ' added only where needed
    # every record starts with a quote: a line break inside a field (CR, LF, U+2028) stays inside its quotes
    assert all(line.startswith('"') for line in text.split("\n") if line) or any(
        ch in field for field in rows[1] for ch in "\r\n"
    )


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to run a command as nobody")
def test_an_index_folder_another_user_cannot_read_is_one_line_for_that_user(corpus, tmp_path_factory):
    """The real thing, not a patched os.access: `qa ask` run as the user nobody on a folder only root reads."""
    import sys
    import tempfile

    shared = Path(
        tempfile.mkdtemp(prefix="qa-perm-")
    )  # /tmp/pytest-of-root is root's alone: nobody could not even look
    try:
        os.chmod(shared, 0o755)
        index = shared / "index"
        assert main(["index", str(corpus), "--out", str(index)]) == 0
        os.chmod(index, 0o700)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
        env = {**os.environ, "HOME": str(shared)}
        if subprocess.run(as_nobody + ["-c", "import qa"], capture_output=True, env=env, timeout=120).returncode:
            pytest.skip("the user nobody cannot run this checkout's python (its folders are not readable to others)")
        p = subprocess.run(
            as_nobody + ["-m", "qa", "ask", "How many days?", "--index", str(index)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert p.returncode == 1, p.stderr
        one_error_line(p.stderr, str(index), "permission denied")
    finally:
        shutil.rmtree(shared, ignore_errors=True)
