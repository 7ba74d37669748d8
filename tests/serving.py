"""Start and stop a real `qa ui` server (the page and its JSON API in one process) for a test.

Used by tests/system/test_browser.py and tests/system/test_concurrency.py. The server runs in its own
process group on a free port, with its cache and data folder where the caller says, and is
always stopped (that group only) when the ``with`` block ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

START_TIMEOUT = 60  # seconds for `qa ui` to answer /api/health


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 10) -> tuple[int, dict]:
    """GET `url`; its status and JSON body (for error statuses too)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def stop(proc: subprocess.Popen) -> None:
    """Stop the server we started (its own process group: nothing else is signalled)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


PAGE_VARIABLES = (
    "QA_INDEX",
    "QA_CORPUS",
    "QA_UI_HOST",
    "QA_ALLOWED_HOSTS",
    "QA_ADMIN_PASSWORD",
    "QA_ADMIN_PASSWORD_FILE",
)


@contextmanager
def qa_ui(tmp: Path, index_dir: Path, data_dir: Path, extra_args=(), extra_env=None):
    """``qa ui --port P --index INDEX --data DATA [EXTRA_ARGS]``, answering /api/health.

    Yields a dict: ``base`` (its URL), ``port``, ``health`` (the first /api/health object),
    ``log`` (the open server log, stdout and stderr) and ``proc`` (the server process).
    """
    port = free_port()
    # The page's settings come from the arguments and extra_env alone, never from what an earlier test
    # (or the shell) left in this process's environment: a stray QA_ALLOWED_HOSTS or password file
    # would take the owner's actions away from a test that expects them.
    inherited = {k: v for k, v in os.environ.items() if k not in PAGE_VARIABLES}
    env = {**inherited, "QA_CACHE_DIR": str(tmp / "cache"), "QA_DATA": str(data_dir), **(extra_env or {})}
    log = open(tmp / "server.log", "w+", encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qa",
            "ui",
            "--port",
            str(port),
            "--index",
            str(index_dir),
            "--data",
            str(data_dir),
            *extra_args,
        ],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"qa ui exited with {proc.returncode}:\n{log.read()}")
            try:
                status, health = get_json(base + "/api/health")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"qa ui did not answer /api/health within {START_TIMEOUT} s:\n{log.read()}")
            time.sleep(0.25)
        yield {"base": base, "port": port, "health": health, "log": log, "proc": proc}
    finally:
        stop(proc)
        log.close()
