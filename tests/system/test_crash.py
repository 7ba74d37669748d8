"""Crash safety (issue 7): kill -9 the indexer while it writes; the previous index still answers.

A save writes a new version folder under a temporary name and only then swaps the
CURRENT pointer, so at every moment the folder holds a complete index: the old one,
or the new one. The next save removes what a killed one left behind.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from qa import answer, load_index

pytestmark = pytest.mark.slow  # kill -9 at many points of a build: left out of make test-fast

KILL_AFTER = [float(x) for x in os.environ.get("QA_KILL_AFTER", "0.4,0.8,1.2,1.6,2.0,2.5,3.0").split(",")]


def write_corpus(path, n, word):
    """`n` filler passages; the first one names `word` as the animal of the cold Arctic waters.

    Both corpora answer QUESTION, each with its own word, so the question never
    depends on which index survived (an earlier version asked about a word only
    the old corpus held, and abstained whenever the new build finished first).
    """
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            lead = f"The {word} is the animal that lives in cold Arctic waters. " if i == 0 else f"Passage {i}. "
            text = lead + " ".join(f"w{(i * 7 + j) % 997}" for j in range(60)) + "."
            fh.write(json.dumps({"_id": f"{word}-{i}", "title": f"{word} {i}", "text": text}) + "\n")
    return path


QUESTION = "Which animal lives in cold Arctic waters?"


def qa_index(source, out):
    return subprocess.Popen(
        [sys.executable, "-m", "qa", "index", str(source), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    return write_corpus(root / "old.jsonl", 50, "walrus"), write_corpus(root / "new.jsonl", 12000, "narwhal")


def test_a_killed_indexer_leaves_the_previous_index_answering(corpora, tmp_path):
    old, new = corpora
    out = tmp_path / "ix"
    assert qa_index(old, out).wait() == 0
    survived = 0
    for delay in KILL_AFTER:
        proc = qa_index(new, out)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        index = load_index(out)  # never half an index: complete and checksummed
        result = answer(index, QUESTION)
        assert not result.abstained, result.reason
        word = "narwhal" if index.n_passages == 12000 else "walrus"
        assert index.n_passages in (50, 12000) and word in result.hits[0].passage.text
        survived += not finished
    assert survived >= 3, "the indexer finished before most kills: use a bigger corpus"
    # The next run cleans up after the killed ones and succeeds.
    assert qa_index(new, out).wait() == 0
    # No .tmp-* left; besides qa's marker and writer lock, only complete versions: the live one and those
    # replaced within the last KEEP_REPLACED_SECONDS, kept for readers (issue 15).
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("v-")) == [
        ".qa-index",
        ".qa-write.lock",
        "CURRENT",
    ]
    assert all((p / "manifest.json").is_file() for p in out.iterdir() if p.name.startswith("v-"))
    assert load_index(out).n_passages == 12000
