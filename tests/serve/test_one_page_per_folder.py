"""Issue 24, item 1: one data folder, one live page, nothing lost. Real `qa ui` servers on one data
folder (loopback only, each start bounded by serving.START_TIMEOUT): the second refuses with one
line naming the first; the first serves one index version however many requests come; the hold
ends with the server, even under kill -9; and the files in uploads/ are the truth: one missing from
the index is re-added on start, and an index made again from another source keeps every upload.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.parse

import pytest
from serving import free_port, get_json, qa_ui

import qa
from qa.serve.hold import HOLD_FILE, holder
from qa.serve.library import Library

LEAVE = ("leave.txt", b"Annual leave\n\nEvery employee has twenty-five days of annual leave a year.\n")
PARKING = "Parking\n\nVisitors park in the yellow car park behind the library.\n"
REFUSE_TIMEOUT = 60  # seconds for a refused qa ui to exit


def _index(tmp_path, name: str, text: str):
    docs = tmp_path / f"{name}-docs"
    docs.mkdir()
    (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    index, _ = qa.build_index(docs)
    qa.save_index(index, tmp_path / f"{name}-index")
    return tmp_path / f"{name}-index"


def _ask(server, question: str) -> dict:
    status, obj = get_json(server["base"] + "/api/ask?" + urllib.parse.urlencode({"q": question}), timeout=60)
    assert status == 200, obj
    return obj


def _answered_from(server, question: str, source: str) -> bool:
    obj = _ask(server, question)
    return not obj["abstained"] and any(p["source"].endswith(source) for p in obj["passages"][:1])


def _versions(data) -> list[str]:
    return sorted(p.name for p in (data / "index").iterdir() if p.name.startswith("v-"))


def _log(server) -> str:
    server["log"].flush()
    server["log"].seek(0)
    return server["log"].read()


def test_one_data_folder_one_live_page_nothing_lost(tmp_path):
    pay = _index(tmp_path, "pay", "Pay\n\nSalaries are paid on the last day of the month.\n")
    canteen = _index(tmp_path, "canteen", "Canteen\n\nThe canteen opens at noon.\n")
    data = tmp_path / "data"

    with qa_ui(tmp_path, pay, data) as first:
        pid, port = first["proc"].pid, first["port"]
        Library(data).add_uploads([LEAVE])  # an upload on the first page (what its Documents tab calls)
        assert holder(data).pid == pid and holder(data).url == f"http://127.0.0.1:{port}"

        # A second page on the same folder, with another source: one line naming the first, nothing changed.
        before = _versions(data)
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "qa",
                "ui",
                "--port",
                str(free_port()),
                "--index",
                str(canteen),
                "--data",
                str(data),
            ],
            cwd=tmp_path,
            env={**os.environ, "QA_CACHE_DIR": str(tmp_path / "cache")},
            capture_output=True,
            text=True,
            timeout=REFUSE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        assert second.returncode == 1 and second.stdout == ""
        assert second.stderr.count("\n") == 1 and second.stderr.startswith("qa: error: "), second.stderr
        assert f"pid {pid}" in second.stderr and f":{port}" in second.stderr and "--data" in second.stderr
        assert _versions(data) == before

        # The first serves its index, upload included, and never makes it again per request.
        versions = set()
        for _ in range(12):
            assert _answered_from(first, "How many days of annual leave do I get?", "leave.txt")
            assert _answered_from(first, "When are salaries paid?", "pay.txt")
            versions.add(get_json(first["base"] + "/api/health")[1]["index_version"])
        assert len(versions) == 1 and _versions(data) == before
        assert "rebuilding" not in _log(first)

        # Unknown API paths: 404 JSON from the real server too, not the page's HTML.
        status, obj = get_json(first["base"] + "/api/nope")
        assert status == 404 and "no such API path" in obj["error"]

        # kill -9: the kernel ends the hold with the process; no stale lock blocks the next start.
        os.killpg(first["proc"].pid, signal.SIGKILL)
        first["proc"].wait(timeout=10)
    assert holder(data) is None and (data / HOLD_FILE).exists()

    # A file in uploads/ that the index lacks (as a crash between saving it and the index leaves it).
    (data / "uploads" / "parking.txt").write_text(PARKING, encoding="utf-8")
    with qa_ui(tmp_path, pay, data) as again:  # the same source: the index is kept, the missing file added
        assert _answered_from(again, "Where do visitors park?", "parking.txt")
        assert _answered_from(again, "How many days of annual leave do I get?", "leave.txt")
        log = _log(again)
        assert "re-added 1 file(s)" in log and "parking.txt" in log and "rebuilding" not in log

    with qa_ui(tmp_path, canteen, data) as other:  # another source, once the first is gone: every upload kept
        assert _answered_from(other, "When does the canteen open?", "canteen.txt")
        assert _answered_from(other, "How many days of annual leave do I get?", "leave.txt")
        assert _answered_from(other, "Where do visitors park?", "parking.txt")
        assert not _answered_from(other, "When are salaries paid?", "pay.txt")  # the index is canteen's now


def test_a_page_not_started_by_qa_ui_never_makes_a_held_folder_again(tmp_path, monkeypatch):
    """`streamlit run ui/app.py` (no hold of its own) with another source on a folder a live qa ui
    holds: the page says the folder is in use instead of making the index again from its source."""
    pay = _index(tmp_path, "pay", "Pay\n\nSalaries are paid on the last day of the month.\n")
    canteen = _index(tmp_path, "canteen", "Canteen\n\nThe canteen opens at noon.\n")
    data = tmp_path / "data"
    with qa_ui(tmp_path, pay, data) as server:
        monkeypatch.setenv("QA_INDEX", str(canteen))
        before = _versions(data)
        with pytest.raises(qa.QAError, match=rf"in use by another qa ui \(pid {server['proc'].pid}, "):
            Library(data).ensure_index()
        assert _versions(data) == before
        assert _answered_from(server, "When are salaries paid?", "pay.txt")
