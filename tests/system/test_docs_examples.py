"""Issue 24, item 6: the examples in README.md and docs/*.md cannot rot.

Every ``sh``/``bash`` and ``python`` block runs, in the order written, in one scratch folder a file:
its working folder has ``.venv/bin/qa`` (this interpreter's qa), ``corpus/`` and a ``queries.jsonl``;
its ``$HOME`` holds the sample documents the README names (``~/policies`` with a PDF and
``old/leave-2023.md``, ``~/faq.md``); the cache and data folders are the scratch folder's. A block
that cannot run there is preceded by the line ``<!-- not run: why -->`` (a reason is required).
The README's ``qa ask --json`` object is compared, key for key, with a real one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import qa
from qa.serve.render import answer_to_dict

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"sh", "bash", "shell"}
PYTHON = {"python", "py"}
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<why>\S.*?)\s*-->$")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
BLOCK_TIMEOUT = 300  # seconds for one block (a few qa commands)


def blocks(path: Path) -> list[dict]:
    """The fenced code blocks of a Markdown file: ``lang`` (the info string's first word), ``code``,
    ``line`` (of the opening fence) and ``skip`` (the reason of a ``<!-- not run: ... -->`` line right
    before it, or None)."""
    out, lines, i = [], path.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m["fence"], (m["info"].split() or [""])[0].lower(), i
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        before = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marked = NOT_RUN.match(before)
        out.append(
            {
                "lang": lang,
                "code": "\n".join(body) + "\n",
                "line": start + 1,
                "skip": marked["why"] if marked else None,
                "marked": before.startswith("<!-- not run"),
            }
        )
        i += 1
    return out


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with these lines of text (Helvetica), written by hand: no PDF library needed."""
    text = "\n".join(["BT", "/F1 12 Tf", "14 TL", "72 720 Td", *[f"({s}) Tj T*" for s in lines], "ET"]).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


@pytest.fixture
def scratch(tmp_path) -> tuple[Path, dict]:
    """The folder the examples run in, and their environment."""
    home, work = tmp_path / "home", tmp_path / "work"
    policies = home / "policies"
    (policies / "old").mkdir(parents=True)
    (policies / "leave.md").write_text(
        "# Leave\n\n## Annual leave\n\nEvery employee gets 25 days of annual leave a year, taken in agreement "
        "with their manager.\n\n## Sick leave\n\nSick leave is paid from the first day with a doctor's note.\n",
        encoding="utf-8",
    )
    (policies / "old" / "leave-2023.md").write_text(
        "# Leave in 2023\n\nIn 2023 every employee got 22 days of annual leave.\n", encoding="utf-8"
    )
    (policies / "new-leave.pdf").write_bytes(
        _pdf(["New leave policy", "", "From 2025 parents get 16 weeks of paid parental leave."])
    )
    (home / "faq.md").write_text(
        "# FAQ\n\n## Where is the office?\n\nThe office is at 1 Main Street.\n", encoding="utf-8"
    )
    bin_dir = work / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, argv in (("qa", f'"{sys.executable}" -m qa'), ("python", f'"{sys.executable}"')):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {argv} "$@"\n', encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    (work / "corpus").symlink_to(ROOT / "corpus", target_is_directory=True)
    (work / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "How many days of leave do I get?"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "Where is the office?"})
        + "\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        HOME=str(home),
        QA_CACHE_DIR=str(tmp_path / "cache"),
        QA_DATA=str(tmp_path / "data"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return work, env


def _runnable(path: Path) -> list[dict]:
    return [b for b in blocks(path) if b["lang"] in SHELL | PYTHON and b["skip"] is None]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_block_is_run_or_says_why_not(doc):
    for block in blocks(doc):
        where = f"{doc.name}:{block['line']}"
        assert not block["marked"] or block["skip"], f"{where}: '<!-- not run: ... -->' needs a reason"
        if block["lang"] in {"console", "shell-session", "pycon"}:
            pytest.fail(f"{where}: a {block['lang']} block cannot be run; write it as sh or python")


@pytest.mark.parametrize("doc", [d for d in DOCS if _runnable(d)], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_examples_run(doc, scratch):
    work, env = scratch
    for block in _runnable(doc):
        argv = (
            ["bash", "-e", "-o", "pipefail", "-c", block["code"]]
            if block["lang"] in SHELL
            else [sys.executable, "-c", block["code"]]
        )
        done = subprocess.run(
            argv, cwd=work, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT, stdin=subprocess.DEVNULL
        )
        assert done.returncode == 0, (
            f"{doc.name}:{block['line']}: the {block['lang']} block failed "
            f"({done.returncode}):\n{block['code']}\n--- stdout\n{done.stdout[-3000:]}"
            f"\n--- stderr\n{done.stderr[-3000:]}"
        )
        assert "Traceback" not in done.stderr, done.stderr


OPTIONAL_SENTENCE_KEYS = {"spans", "lines"}  # the README says when a unit has them (a row; several lines, an item)


def _keys(obj: dict) -> dict:
    sentence = set(obj["sentences"][0]) - OPTIONAL_SENTENCE_KEYS
    return {"top": set(obj), "sentence": sentence, "passage": set(obj["passages"][0])}


def test_the_readmes_json_object_is_what_qa_ask_json_prints(corpus_index):
    shown = [
        json.loads(b["code"]) for b in blocks(ROOT / "README.md") if b["lang"] == "json" and '"question"' in b["code"]
    ]
    assert len(shown) == 1
    real = answer_to_dict(qa.answer(corpus_index, "Where do I go to pay social security myself?", k=5))
    assert _keys(shown[0]) == _keys(real)
