"""Issue 16: qa installed as a real package (a wheel, not editable) runs from any folder.

The wheel is built from the checkout (``pip wheel --no-deps``, in pip's build isolation: setuptools >= 77), installed with ``--no-deps --target``
into a fresh folder (its dependencies are the ones of this environment, so no network is needed),
and run with that folder first on PYTHONPATH from an empty working folder: ``qa index``, ``qa ask``
and ``qa ui`` (until /api/health answers 200) must import qa, the page scripts included, from the
installed copy, never from the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from serving import qa_ui

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The folder the wheel was installed into (``pip install --no-deps --target``)."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", str(ROOT), "-w", str(tmp / "dist")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert "SetuptoolsDeprecationWarning" not in build.stderr + build.stdout
    (wheel,) = (tmp / "dist").glob("qa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"qa/serve/server.py", "qa/serve/page.py", "qa/__main__.py"} <= set(names)
    assert any(n.startswith("qa/corpus/") and n.endswith(".txt") for n in names)  # the default corpus
    assert not any(n.startswith(("tests/", "ui/", "bench/")) for n in names)
    target = tmp / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (target / "bin" / "qa").is_file()  # the console script
    return target


def _env(target: Path, tmp: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(target), "QA_CACHE_DIR": str(tmp / "cache"), "QA_DATA": str(tmp / "data")}
    for name in ("QA_INDEX", "QA_CORPUS"):
        env.pop(name, None)
    return env


def _qa(target, cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        cwd=cwd,
        env=_env(target, cwd.parent),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_wheel_indexes_and_answers_from_an_empty_folder(installed, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [sys.executable, "-c", "import qa, qa.serve.server as s; print(qa.__file__)"],
        cwd=empty,
        env=_env(installed, tmp_path),
        capture_output=True,
        text=True,
    )
    # qa.serve.server imports streamlit and builds its app; only the path matters here
    assert Path(where.stdout.strip().splitlines()[-1]).is_relative_to(installed), where.stdout + where.stderr
    done = _qa(installed, empty, "index", str(ROOT / "corpus"), "--out", str(tmp_path / "ix"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "qa: indexed 2 document(s)" in done.stderr and str(tmp_path / "ix") in done.stderr
    asked = _qa(installed, empty, "ask", "What is 社保?", "--index", str(tmp_path / "ix"), "--json")
    assert asked.returncode == 0, asked.stderr
    assert {"answer", "abstained", "passages"} <= set(json.loads(asked.stdout))
    default = _qa(installed, empty, "ask", "What is 社保?", "--json")  # the sample corpus shipped in the wheel
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout)["passages"], default.stdout
    assert sorted(p.name for p in empty.iterdir()) == []  # nothing written to the working folder


def test_the_wheel_serves_qa_ui_from_an_empty_folder(installed, tmp_path):
    done = _qa(installed, tmp_path, "index", str(ROOT / "corpus"), "--out", str(tmp_path / "ix"))
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"  # the empty working folder (the server's log and cache are written here)
    run.mkdir()
    env = {"PYTHONPATH": str(installed)}
    with qa_ui(run, tmp_path / "ix", tmp_path / "data", extra_env=env) as server:
        assert server["health"]["status"] == "ok" or server["health"]
        server["log"].seek(0)
        log = server["log"].read()
    assert "Traceback" not in log, log
    assert not (run / "qa").exists() and not (run / "corpus").exists()
