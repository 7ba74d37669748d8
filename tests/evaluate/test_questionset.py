"""`qa eval` on question-set folders (docs/ + questions.jsonl): loading, each figure's arithmetic, the table,
and the figures on ../shared/realdocs against its reference checker, check.py."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import qa.evaluate.datasets as ev_datasets
import qa.evaluate.questionset as qs
from qa.cli import main
from qa.errors import QAError

ROOT = Path(__file__).resolve().parents[2]
REALDOCS = ROOT.parent / "shared" / "realdocs"
CHECK = REALDOCS / "check.py"
BEIR = Path(__file__).resolve().parents[1] / "data" / "beir_tiny"
SEED_CORPUS = ROOT / "corpus"

GUIDE = (  # hard-wrapped Markdown
    "# Whale guide\n\n"
    "The blue whale is the largest animal\nthat has ever lived on Earth.\n\n"
    "Whales breathe air through a **blowhole** on top of the head.\n"
)
NOTES = "Notes\n\nKrill are small crustaceans eaten by many whales.\nThey swarm in cold\nwaters near Antarctica.\n"
PAGE = "<html><body><h1>Orcas</h1><p>Orcas hunt in family groups called pods.</p></body></html>\n"
QUESTIONS = [
    {
        "id": "a1",
        "question": "Which is the largest animal?",
        "answerable": True,
        "source": "guide.md",
        "answer_has": ["largest  ANIMAL"],
        "kind": "md",
    },
    {
        "id": "a2",
        "question": "Where do krill swarm?",
        "answerable": True,
        "source": "notes.txt",
        "answer_has": ["cold waters"],
        "kind": "txt",
    },
    {
        "id": "a3",
        "question": "What eats krill?",
        "answerable": True,
        "source": "notes.txt",
        "answer_has": ["nowhere at all", "many whales"],
        "kind": "txt",
    },
    {
        "id": "a4",
        "question": "What are orca groups called?",
        "answerable": True,
        "source": "page.html",
        "answer_has": ["pods"],
        "kind": "html",
    },
    {
        "id": "n1",
        "question": "How long do blue whales live?",
        "answerable": False,
        "source": None,
        "answer_has": [],
        "kind": None,
        "near": True,
    },
    {
        "id": "n2",
        "question": "How much does a krill weigh?",
        "answerable": False,
        "source": None,
        "answer_has": [],
        "kind": None,
        "near": True,
    },
    {
        "id": "o1",
        "question": "How do I reset my office printer?",
        "answerable": False,
        "source": None,
        "answer_has": [],
        "kind": None,
        "near": False,
    },
    {
        "id": "o2",
        "question": "zebra quantum saxophone",
        "answerable": False,
        "source": None,
        "answer_has": [],
        "kind": None,
    },  # no "near": off topic, as the checker reads it
]


def write_set(root: Path, questions=QUESTIONS) -> Path:
    (root / "docs").mkdir(parents=True)
    for name, text in (("guide.md", GUIDE), ("notes.txt", NOTES), ("page.html", PAGE)):
        (root / "docs" / name).write_text(text, encoding="utf-8")
    (root / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return root


@pytest.fixture()
def whales(tmp_path) -> Path:
    return write_set(tmp_path / "whales")


def sentence(text: str, rank: int, source_text: str | None = None, start: int | None = None) -> dict:
    """An answer sentence as `qa answer` gives it; offsets found in `source_text` when given."""
    if start is None:
        start = source_text.index(text) if source_text is not None else 0
    return {"text": text, "passage": rank, "start": start, "end": start + len(text)}


def said(*sentences, sources, abstained=False) -> dict:
    return {
        "answer": " ".join(s["text"] for s in sentences),
        "abstained": abstained,
        "reason_code": "no_match" if abstained else None,
        "sentences": list(sentences),
        "passages": [{"source": s} for s in sources],
    }


BLUE = "The blue whale is the largest animal"  # stops before the line that continues it: a fragment
BLOWHOLE = "Whales breathe air through a **blowhole** on top of the head."  # markup, whole
WATERS = "waters near Antarctica."  # starts after the line it continues: a fragment
KRILL = "Krill are small crustaceans eaten by many whales."
ANSWERS = {
    # answered; source first; first sentence holds the phrase (case and spacing aside); a fragment. Its second
    # sentence cites an HTML passage: never checked for fragments, however it ends.
    "a1": said(
        sentence(BLUE, 1, GUIDE), sentence("Orcas hunt in family", 2, start=0), sources=["guide.md", "page.html"]
    ),
    # answered; source 4th; neither sentence nor the whole holds the phrase; one markup, one fragment
    "a2": said(
        sentence(BLOWHOLE, 1, GUIDE),
        sentence(WATERS, 4, NOTES),
        sources=["guide.md", "guide.md", "guide.md", "notes.txt"],
    ),
    # answered; source 2nd (by its path under docs/); the phrase in the second sentence only; the first cites
    # passage 3, which the answer does not have (counted, not checked for fragments)
    "a3": said(
        sentence("The blue whale is the largest animal that has ever lived", 3, start=15),
        sentence(KRILL, 2, NOTES),
        sources=["guide.md", "./notes.txt"],
    ),
    "a4": said(sources=["page.html"], abstained=True),  # abstained on an answerable question
    "n1": said(sources=[], abstained=True),
    "n2": said(sentence(KRILL, 1, NOTES), sources=["notes.txt"]),  # answered instead of abstaining
    "o1": said(sources=[], abstained=True),
    "o2": said(sources=[], abstained=True),
}


# ----------------------------------------------------------------------------- loading


def test_load_question_set(whales):
    assert qs.is_question_set(whales) and not qs.is_question_set(BEIR)
    qset = qs.load_question_set(whales)
    assert qset.name == "whales" and qset.docs == whales / "docs"
    assert [q.qid for q in qset.questions] == [q["id"] for q in QUESTIONS]
    a1, n1, o2 = qset.questions[0], qset.questions[4], qset.questions[7]
    assert a1 == qs.Question("a1", "Which is the largest animal?", True, "guide.md", ("largest  ANIMAL",), "md")
    assert n1.near is True and n1.source is None and n1.answer_has == ()
    assert o2.near is None


def test_load_dataset_tells_the_layouts_apart(whales):
    assert isinstance(ev_datasets.load_dataset(whales), qs.QuestionSet)
    assert isinstance(ev_datasets.load_dataset(BEIR), ev_datasets.Dataset)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"id": "x", "question": "Why?"}\n', r"questions.jsonl:1: not a"),
        ('{"id": "x", "question": "Why?", "answerable": "yes"}\n', r"questions.jsonl:1: not a"),
        (
            '\n{"id": "x", "question": "Why?", "answerable": true, "source": "a.md", "answer_has": "ab"}\n',
            r"questions.jsonl:2: not a",
        ),
        ('{"id": "x", "question": "Why?", "answerable": true, "source": null}\n', "names no source"),
        ('{"id": "x", "question": "Why?", "answerable": false}\n' * 2, "question id 'x' appears twice"),
        ("\n", "holds no question"),
    ],
)
def test_load_question_set_refuses_malformed_lines(whales, text, message):
    (whales / "questions.jsonl").write_text(text, encoding="utf-8")
    with pytest.raises(QAError, match=message):
        qs.load_question_set(whales)


def test_load_question_set_needs_docs(tmp_path):
    (tmp_path / "questions.jsonl").write_text('{"id": "x", "question": "Why?", "answerable": false}\n')
    assert not qs.is_question_set(tmp_path)
    with pytest.raises(QAError, match="docs: missing"):
        qs.load_question_set(tmp_path)
    with pytest.raises(QAError, match="docs: missing"):  # not "corpus.jsonl: missing"
        ev_datasets.load_dataset(tmp_path)


# ----------------------------------------------------------------------------- the figures


def test_each_figure_hand_computed(whales):
    qset = qs.load_question_set(whales)
    got = qs.measure(qset.questions, ANSWERS, qs.source_reader(qset.docs))
    assert got["figures"] == {
        "answerable": 4,
        "answered": 0.75,  # a4 abstained
        "source_top3": 0.5,  # a1 and a3; a2's source is 4th; a4 abstained
        "first_has": 0.25,  # a1 only
        "whole_has": 0.5,  # a1 and a3
        "abstained_near": 0.5,  # n1 of n1, n2
        "abstained_off": 1.0,  # o1 and o2 (no "near" is off topic)
        "markup_sentences": 1,  # **blowhole**
        "fragment_sentences": 2,  # BLUE (a1) and WATERS (a2); the HTML one and a3's uncited one are not checked
        "sentences": 6,  # of the answered answerable questions only
    }
    assert got["counts"] == {
        "answerable": 4,
        "answered": 3,
        "source_top3": 2,
        "first_has": 1,
        "whole_has": 2,
        "near": 2,
        "abstained_near": 1,
        "off_topic": 2,
        "abstained_off": 2,
        "sentences": 6,
        "markup_sentences": 1,
        "fragment_sentences": 2,
    }
    assert [(f["id"], f["figure"]) for f in got["failures"]] == [
        ("a1", "fragment_sentences"),
        ("a2", "source_top3"),
        ("a2", "first_has"),
        ("a2", "whole_has"),
        ("a2", "markup_sentences"),
        ("a2", "fragment_sentences"),
        ("a3", "first_has"),
        ("a4", "answered"),
        ("n2", "abstained_near"),
    ]
    lines = [f["line"] for f in got["failures"]]
    assert lines[0] == f"a1: sentence cut from a wrapped line: {BLUE!r}"
    assert lines[1] == "a2: notes.txt not in the top 3 (['guide.md', 'guide.md', 'guide.md'])"
    assert lines[7] == "a4: abstained on an answerable question (no_match)"
    assert lines[8] == f"n2 (near): answered instead of abstaining: {KRILL!r}"


def test_shares_round_to_three_decimals_and_empty_ones_are_zero():
    questions = [qs.Question(f"q{i}", "Who?", True, "x.md", ("ada",)) for i in range(3)]
    answers = {
        "q0": said(sentence("Ada did.", 1, start=0), sources=["x.md"]),
        "q1": said(sentence("Ada did.", 1, start=0), sources=["x.md"]),
        "q2": said(sources=["x.md"], abstained=True),
    }
    figures = qs.measure(questions, answers, lambda source: None)["figures"]
    assert figures["answered"] == 0.667 and figures["first_has"] == 0.667
    assert figures["abstained_near"] == 0.0 and figures["abstained_off"] == 0.0  # no such question: 0, as check.py


def test_a_question_without_an_answer_is_left_out():
    questions = [qs.Question("q0", "Who?", True, "x.md", ("ada",)), qs.Question("q1", "Why?", True, "x.md", ("b",))]
    got = qs.measure(questions, {"q0": said(sentence("Ada did.", 1, start=0), sources=["x.md"])}, lambda s: None)
    assert got["figures"]["answerable"] == 1 and got["figures"]["answered"] == 1.0
    assert got["failures"] == [{"id": "q1", "figure": "missing", "line": "q1: no answer line"}]


def test_sources_are_read_by_their_path_under_docs(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.md").write_text("Deep\n", encoding="utf-8")
    (tmp_path / "flat.txt").write_text("Flat\n", encoding="utf-8")
    (tmp_path / "page.html").write_text("<p>x</p>\n", encoding="utf-8")
    read = qs.source_reader(tmp_path)
    assert read("sub/deep.md") == "Deep\n" and read("elsewhere/flat.txt") == "Flat\n"  # then by bare name
    assert read("page.html") is None and read("gone.md") is None


@pytest.mark.parametrize(
    "text, markup",
    [
        ("See [the docs](https://example.org).", True),
        ("Use `pip install x`_ now.", True),
        ("A **bold** claim.", True),
        ("It has <b>tags</b>.", True),
        (".. note:: careful", True),
        ("## A heading", True),
        ("----", True),
        ("Plain prose, with 3 < 4 and a * star.", False),
    ],
)
def test_markup_rule(text, markup):
    assert bool(qs.MARKUP.search(text)) is markup


@pytest.mark.parametrize(
    "source, text, fragment",
    [
        ("One two three\nfour five.\n", "One two three", True),  # stops before a lowercase continuation
        ("One two three,\n(four) five.\n", "One two three,", True),
        ("One two three\nFour five.\n", "One two three", False),  # the next line starts a new sentence
        ("One two three\n\nfour five.\n", "One two three", False),  # a blank line ends the paragraph
        ("One two three\nfour five.\n", "four five.", True),  # starts right after the line it continues
        ("One two three.\nfour five.\n", "four five.", False),  # the line before ended a sentence
        ("One two three\nFour five.\n", "Four five.", False),
    ],
)
def test_fragment_rule(source, text, fragment):
    start = source.index(text)
    assert qs.is_fragment(source, start, start + len(text), text) is fragment


def test_meets_and_target_text():
    assert qs.meets("answered", 0.95) and not qs.meets("answered", 0.949)
    assert qs.meets("abstained_off", 1.0) and not qs.meets("abstained_off", 0.999)
    assert qs.meets("markup_sentences", 0) and not qs.meets("fragment_sentences", 1)
    assert [qs.target_text(k) for k in ("first_has", "abstained_off", "markup_sentences")] == [
        ">= 0.80",
        "= 1.00",
        "= 0",
    ]


@pytest.mark.skipif(not CHECK.is_file(), reason="../shared/realdocs/check.py is not beside the project")
def test_targets_and_markup_are_check_py_s():
    """The targets and the markup pattern, read out of check.py's source (not imported)."""
    found = {}
    for node in ast.parse(CHECK.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
    assert ast.literal_eval(found["TARGETS"]) == qs.TARGETS
    assert list(qs.TARGETS) == list(ast.literal_eval(found["TARGETS"]))
    call = found["MARKUP"]
    assert ast.literal_eval(call.args[0]) == qs.MARKUP.pattern and qs.MARKUP.flags & re.M


# ----------------------------------------------------------------------------- qa answering a question set


def test_answers_are_those_of_qa_index_and_qa_answer(whales, tmp_path, capsys):
    """The in-process run scores the same answers as `qa index docs/` + `qa answer` (the checker's commands)."""
    qset = qs.load_question_set(whales)
    entry = qs.evaluate_question_set(qset)
    assert main(["index", str(whales / "docs"), "--out", str(tmp_path / "idx")]) == 0
    queries = tmp_path / "q.jsonl"
    queries.write_text("".join(json.dumps({"_id": q["id"], "text": q["question"]}) + "\n" for q in QUESTIONS))
    assert (
        main(["answer", "--index", str(tmp_path / "idx"), "--queries", str(queries), "--out", str(tmp_path / "a")]) == 0
    )
    capsys.readouterr()
    cli = {a["id"]: a for a in map(json.loads, (tmp_path / "a").read_text(encoding="utf-8").splitlines())}
    assert qs.measure(qset.questions, cli, qs.source_reader(qset.docs)) == {
        k: entry[k] for k in ("figures", "counts", "failures")
    }
    assert (entry["documents"], entry["questions"], entry["answerable"], entry["near"], entry["off_topic"]) == (
        3,
        8,
        4,
        2,
        2,
    )
    assert entry["answer_k"] == 5 and entry["index_seconds"] > 0 and entry["warnings"] == []
    assert entry["targets"] == {
        k: {"target": t, "met": qs.meets(k, entry["figures"][k])} for k, t in qs.TARGETS.items()
    }


@pytest.mark.skipif(not CHECK.is_file(), reason="../shared/realdocs/check.py is not beside the project")
def test_tiny_set_figures_equal_check_py_s(whales, tmp_path):
    entry = qs.evaluate_question_set(qs.load_question_set(whales))
    out = tmp_path / "check.json"
    p = subprocess.run(
        [sys.executable, str(CHECK), sys.executable, str(whales), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert entry["figures"] == json.loads(out.read_text())


# ----------------------------------------------------------------------------- the command


@pytest.fixture()
def fake_answers(monkeypatch):
    """qa's answers replaced by `ANSWERS`, so the table's figures are the hand-computed ones."""

    def answer_questions(qset, *, log=None):
        return {
            "answers": ANSWERS,
            "documents": 3,
            "passages": 4,
            "warnings": [],
            "index_seconds": 0.01,
            "answer_seconds": 0.01,
        }

    monkeypatch.setattr(qs, "answer_questions", answer_questions)


def test_cli_eval_question_set(whales, fake_answers, tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["eval", str(whales), "--systems", "qa", "--json", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    res = json.loads(out.read_text(encoding="utf-8"))
    entry = res["question_sets"]["whales"]
    assert res["datasets"] == {} and res["ood"] == [] and res["command"].startswith("qa eval ")
    assert entry["figures"]["first_has"] == 0.25 and len(entry["failures"]) == 9
    assert [k for k, t in entry["targets"].items() if t["met"]] == ["abstained_off"]
    lines = stdout.splitlines()
    assert lines[0] == (
        "whales: 3 documents, 8 questions (4 answerable, 2 near-topic and 2 off-topic unanswerable; k=5), "
        "6 answer sentences"
    )
    assert lines[1].split() == ["figure", "value", "target", "status"]
    assert [line.split() for line in lines[2:10]] == [
        ["answered", "0.750", ">=", "0.95", "missed"],
        ["source_top3", "0.500", ">=", "0.95", "missed"],
        ["first_has", "0.250", ">=", "0.80", "missed"],
        ["whole_has", "0.500", ">=", "0.90", "missed"],
        ["abstained_near", "0.500", ">=", "0.75", "missed"],
        ["abstained_off", "1.000", "=", "1.00", "met"],
        ["markup_sentences", "1", "=", "0", "missed"],
        ["fragment_sentences", "2", "=", "0", "missed"],
    ]
    assert "(9 per-question problem(s): --verbose prints them" in stdout
    assert entry["failures"][0]["line"] not in stdout
    assert "whales: 8 questions answered; 1 of 8 targets met" in stderr


def test_cli_eval_verbose_prints_each_miss(whales, fake_answers, capsys):
    assert main(["eval", str(whales), "--systems", "qa", "--verbose"]) == 0
    stdout = capsys.readouterr().out
    failures = qs.measure(qs.load_question_set(whales).questions, ANSWERS, qs.source_reader(whales / "docs"))[
        "failures"
    ]
    assert stdout.split("whales: misses\n")[1].splitlines() == [f["line"] for f in failures]


def test_cli_eval_beir_and_question_set_together(whales, tmp_path, capsys):
    out = tmp_path / "eval.json"
    argv = ["eval", str(BEIR), str(whales), "--systems", "qa", "--json", str(out), "--ood-corpus", str(SEED_CORPUS)]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    res = json.loads(out.read_text(encoding="utf-8"))
    assert list(res["datasets"]) == ["beir_tiny"] and list(res["question_sets"]) == ["whales"]
    assert [(o["queries"], o["corpus"]) for o in res["ood"]] == [("beir_tiny", "corpus")]  # BEIR datasets only
    assert stdout.index("beir_tiny:") < stdout.index("out-of-domain") < stdout.index("whales:")


def test_cli_eval_question_set_needs_the_qa_system(whales, capsys):
    assert main(["eval", str(whales), "--systems", "sklearn-default"]) == 0
    stdout = capsys.readouterr().out
    assert "question sets skipped" in stdout and "whales:" not in stdout


def test_cli_eval_bad_question_set(whales, capsys):
    (whales / "questions.jsonl").write_text("not json\n", encoding="utf-8")
    assert main(["eval", str(whales), "--systems", "qa"]) == 1
    assert "questions.jsonl:1: not a" in capsys.readouterr().err


def test_beir_only_results_have_no_question_sets_key(tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["eval", str(BEIR), "--systems", "qa", "--json", str(out), "--ood-corpus", str(SEED_CORPUS)]) == 0
    capsys.readouterr()
    assert "question_sets" not in json.loads(out.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- ../shared/realdocs


def printed_figures(stdout: str, name: str) -> dict:
    """The figures of question set `name` as the table prints them (counts from its title line)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}: "))
    title = lines[start]
    figures = {"answerable": int(re.search(r"\((\d+) answerable", title).group(1))}
    for line in lines[start + 2 : start + 2 + len(qs.TARGETS)]:
        cells = line.split()
        figures[cells[0]] = int(cells[1]) if cells[0].endswith("_sentences") else float(cells[1])
    figures["sentences"] = int(re.search(r"(\d+) answer sentences", title).group(1))
    return figures


@pytest.fixture(scope="module")
def realdocs(tmp_path_factory):
    """`qa eval ../shared/realdocs --verbose --json OUT`, run once: (stdout, the JSON)."""
    if not (REALDOCS / "questions.jsonl").is_file():
        pytest.skip("../shared/realdocs is not beside the project")
    out = tmp_path_factory.mktemp("realdocs") / "eval.json"
    p = subprocess.run(
        [sys.executable, "-m", "qa", "eval", str(REALDOCS), "--systems", "qa", "--verbose", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout, json.loads(out.read_text(encoding="utf-8"))


def test_realdocs_figures_equal_check_py_s(realdocs, tmp_path):
    stdout, res = realdocs
    entry = res["question_sets"]["realdocs"]
    assert printed_figures(stdout, "realdocs") == entry["figures"]
    assert list(entry["figures"]) == list(qs.FIGURES)
    assert entry["questions"] == 50 and entry["documents"] == 18
    if not CHECK.is_file():
        pytest.skip("../shared/realdocs/check.py is not beside the project: figures not compared")
    out = tmp_path / "check.json"
    p = subprocess.run(
        [sys.executable, str(CHECK), sys.executable, str(REALDOCS), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert entry["figures"] == json.loads(out.read_text(encoding="utf-8"))
    # the same misses, in the same words (qa eval also lists whole answers that lack every phrase)
    checker = p.stdout.splitlines()[:-1]  # its last line is the figures
    assert [f["line"] for f in entry["failures"] if f["figure"] != "whole_has"] == checker


# Short of target today, and reported so in docs/benchmarks.md (figures of `qa eval ../shared/realdocs`).
MISSED = ("whole_has",)


def test_realdocs_meets_every_target_but_the_reported_ones(realdocs):
    _, res = realdocs
    figures = res["question_sets"]["realdocs"]["figures"]
    assert {k: figures[k] for k in qs.TARGETS if not qs.meets(k, figures[k]) and k not in MISSED} == {}


@pytest.mark.xfail(strict=True, reason=f"{' and '.join(MISSED)} are short of their targets (docs/design.md)")
def test_realdocs_meets_every_target(realdocs):
    _, res = realdocs
    figures = res["question_sets"]["realdocs"]["figures"]
    assert {k: figures[k] for k in qs.TARGETS if not qs.meets(k, figures[k])} == {}
