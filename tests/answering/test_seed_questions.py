"""The acceptance check of issue 3, through the public CLI contract (`qa ask --json`).

Every question gives: abstained exactly when the article does not answer it;
one of `passage_has` in the top-3 passages; one of `answer_has` in the answer;
every answer sentence verbatim in the passage it cites, none repeated; every
passage's offsets slicing exactly its text out of its source file.

The public questions live in ../shared/eval; tests/data/seed_paraphrases.jsonl
asks the same things in other words (lower case, typos, other verbs) and adds
questions the article does not cover.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.evaluate.checks import check_answer, read_question_set
from qa.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "eval"


PUBLIC = read_question_set(SHARED / "seed_questions.jsonl")
OURS = read_question_set(ROOT / "tests" / "data" / "seed_paraphrases.jsonl")
PUBLIC_ZH = read_question_set(SHARED / "seed_questions_zh.jsonl")
# Chinese phrasings of our own. Two are known misses, kept so the figure in the
# README stays honest: each needs a word the article does not use. (zp-09, evidence 37%, is answered
# since the evidence guard is 0.36, chosen on the ten sets of make fit.)
KNOWN_MISSES_ZH = {
    "zp-19": "没有单位 ('no employer') is not the article's 没有工作 ('no job'): lexical mismatch",
    "zp-21": "去哪个部门 asks where and who; the sentence naming the place loses to one naming the payer",
}
OURS_ZH = [
    pytest.param(
        c,
        id=c["id"],
        marks=[pytest.mark.xfail(reason=KNOWN_MISSES_ZH[c["id"]], strict=True)] if c["id"] in KNOWN_MISSES_ZH else [],
    )
    for c in read_question_set(ROOT / "tests" / "data" / "seed_paraphrases_zh.jsonl")
]


@pytest.fixture(scope="module")
def ask(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("QA_CACHE_DIR", str(cache))
    mp.delenv("QA_CORPUS", raising=False)
    mp.chdir(ROOT)

    def run(question, capsys):
        assert main(["ask", question, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    yield run
    mp.undo()


def check(case, out):
    return check_answer(case, out, ROOT / "corpus")


@pytest.mark.skipif(not PUBLIC, reason="../shared/eval/seed_questions.jsonl is not beside the project")
@pytest.mark.parametrize("case", PUBLIC, ids=[c["id"] for c in PUBLIC])
def test_public_seed_question(case, ask, capsys):
    assert check(case, ask(case["question"], capsys)) == []


@pytest.mark.parametrize("case", OURS, ids=[c["id"] for c in OURS])
def test_paraphrased_question(case, ask, capsys):
    assert check(case, ask(case["question"], capsys)) == []


@pytest.mark.skipif(not PUBLIC_ZH, reason="../shared/eval/seed_questions_zh.jsonl is not beside the project")
@pytest.mark.parametrize("case", PUBLIC_ZH, ids=[c["id"] for c in PUBLIC_ZH])
def test_public_chinese_seed_question(case, ask, capsys):
    assert check(case, ask(case["question"], capsys)) == []


@pytest.mark.parametrize("case", OURS_ZH)
def test_chinese_paraphrased_question(case, ask, capsys):
    assert check(case, ask(case["question"], capsys)) == []


@pytest.mark.parametrize("case", PUBLIC_ZH[:3], ids=[c["id"] for c in PUBLIC_ZH[:3]])
def test_a_chinese_question_is_answered_in_chinese(case, ask, capsys):
    out = ask(case["question"], capsys)
    assert out["language"] == "zh"
    assert all(p["source"] == "zh_lizhi_shebao_yibao.txt" for p in out["passages"][:3])


@pytest.mark.parametrize("case", PUBLIC[:9], ids=[c["id"] for c in PUBLIC[:9]])
def test_an_english_question_is_answered_from_the_english_article(case, ask, capsys):
    out = ask(case["question"], capsys)
    assert out["language"] == "en"
    assert all(p["source"] != "zh_lizhi_shebao_yibao.txt" for p in out["passages"][:3])


@pytest.mark.parametrize("case", PUBLIC[:9], ids=[c["id"] for c in PUBLIC[:9]])
def test_lower_case_question_gives_the_same_answer(case, ask, capsys):
    assert ask(case["question"].lower(), capsys)["answer"] == ask(case["question"], capsys)["answer"]


@pytest.mark.parametrize("name", ["seed_questions.jsonl", "seed_questions_zh.jsonl"])
def test_the_shared_check_script_passes(name, tmp_path):
    """The external check itself, run the way reviewers run it, on the English and the Chinese set."""
    if not (SHARED / name).is_file():
        pytest.skip(f"../shared/eval/{name} is not beside the project")
    env = {"QA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, str(SHARED / "check_questions.py"), sys.executable, str(SHARED / name)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "questions pass" in proc.stdout
