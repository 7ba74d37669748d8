"""Sentence choice by fitted weights against the hand-set rules of `qa.answering.summarize`: an experiment.

usage: .venv/bin/python bench/sentence_weights.py [DATA_DIR] [--realdocs DIR] [--swap] [--choose]
       (defaults ../shared/data and ../shared/realdocs; about 2 minutes on one core, --choose 3)

Every running-text sentence of the top passages (the candidates `qa.answering.summarize._candidates`
builds) gets the features of `FEATURES` (`sentence_features`), and a linear rule
``w . features`` scores it in place of the rules' score; everything else of `qa.answering.summarize.answer`
(abstention, one topic, the follow-up sentences of `_select`) is unchanged. Two ways to set ``w``,
both on one half of the SQuAD 2.0 questions only:

* **logistic**: a logistic regression (scikit-learn, L2, C=1) of "holds a gold answer" over all
  candidates; the score is its probability, so `_select`'s `KEEP_RATIO` floor and MMR penalty
  read it as they read the rules' score (a share of the best).
* **search**: coordinate search on the whole-answer figures of the fit half (`coordinate_search`)
  from the rules' own score (the feature ``rules``, weight 1: `RULE_WEIGHTS`), the score left
  linear, on the rules' scale: the other features adjust the rules.

Each is run with candidates from 3 passages (what `_candidates` takes, `N_PASSAGES`) and from 5.
The halves are by document: a question goes to the fit half when the CRC-32 of its SQuAD paragraph
id is even, so questions about one paragraph (which share answer sentences) never straddle the
split; ``--swap`` fits on the other half. The figures are measured on the held-out half against
the rules on the same half, then on the real-documents set with its ``check.py`` (a test set:
never fitted on), its ``qa`` processes patched through a ``sitecustomize`` module.

Result (docs/design.md, "Fitted sentence weights"): no variant clearly beats the rules on both sets, so
the rules stay.

Not a test: it prints the weights and tables of figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

import qa.answering.summarize as S
from qa.evaluate import _ask, _normalise, _qa_index, answer_quality, load_beir

ROOT = Path(__file__).resolve().parents[1]
N_CANDIDATE_PASSAGES = 5
NEAR = 3  # two question words this many content words apart, or closer, are "near"

FEATURES = (
    "rules",  # the hand-set rules' own score (`_candidates`): the search starts from it alone
    "coverage",  # share of the question's evidence weight the sentence holds (rule 2)
    "pairs",  # share of the question's adjacent content-word pairs found near each other
    "proximity",  # matched distinct terms over the shortest window holding them all (1 = side by side)
    "spread",  # that window over the sentence's content words (how much of it the match spans)
    "cue",  # shows the content the question type asks for (rule 3)
    "definition",  # "X is ..." for "What is X?"
    "echo",  # share of the question's surface words repeated (rule 5)
    "pronoun",  # opens with it/this/they/he/she...: the previous sentence's coverage, else 0
    "rank",  # the passage's rank (1 = best)
    "passage_score",  # the passage's retrieval score over the best one's
    "opening",  # the passage's first sentence
    "position",  # index of the sentence in its passage over the passage's sentence count
    "log_words",  # log(1 + words)
    "short",  # fewer than 4 words (rule 4)
    "question",  # ends with "?" (rule 4)
)

_PRONOUN_RE = re.compile(r"^\W*(?:it|its|this|these|that|those|they|them|their|he|his|she|her|such)\b", re.I)


def sentence_features(index, query, hits, cands) -> np.ndarray:
    """The `FEATURES` of each candidate of `qa.answering.summarize._candidates`, one row per candidate."""
    analyzer = index.analyzer
    weight = dict(zip(query.term_ids, query.idf))
    wanted = set(weight)
    seq = query.sequence
    q_pairs = {(a, b) for a, b in zip(seq, seq[1:]) if a >= 0 and b >= 0 and a != b}
    score_of = {h.rank: max(h.score, 0.0) for h in hits}
    top_score = max(score_of.values(), default=0.0) or 1.0
    defined = S._DEFINITION_Q_RE.match(query.text)
    defines = (
        re.compile(
            rf"^\W*(?:the\s+)?{re.escape(defined.group('x'))}\s*(?:\([^)]*\)\s*|,[^,]{{0,60}},\s*)?"
            r"(?:is|are|means|stands for)\b",
            re.I,
        )
        if defined
        else None
    )
    by_place = {(c["rank"], c["index"]): c for c in cands}
    count = {}
    for c in cands:
        count[c["rank"]] = max(count.get(c["rank"], 0), c["index"] + 1)
    q_words = S._words(query.text) or {""}
    rows = []
    for c in cands:
        text = c["text"]
        terms = [index.vocabulary.get(t) for t, _, _ in analyzer.terms_with_spans(text)]
        pos: dict[int, list[int]] = {}
        for i, t in enumerate(terms):
            if t in wanted:
                pos.setdefault(t, []).append(i)
        pairs = 0.0
        if q_pairs:
            found = sum(any(abs(i - j) <= NEAR for i in pos.get(a, ()) for j in pos.get(b, ())) for a, b in q_pairs)
            pairs = found / len(q_pairs)
        proximity = spread = 0.0
        if len(pos) >= 2:
            window = _shortest_window(pos)
            proximity = len(pos) / window
            spread = window / max(len(terms), 1)
        prev = by_place.get((c["rank"], c["index"] - 1))
        pronoun = prev["coverage"] if prev is not None and _PRONOUN_RE.match(text) else 0.0
        n_words = S.count_words(text)
        rows.append(
            (
                c["score"],
                c["coverage"],
                pairs,
                proximity,
                spread,
                float(c["cue"]),
                float(defines is not None and bool(defines.search(text))),
                len(c["words"] & q_words) / len(q_words),
                pronoun,
                float(c["rank"]),
                score_of.get(c["rank"], 0.0) / top_score,
                float(c["index"] == 0),
                c["index"] / max(count[c["rank"]], 1),
                math.log1p(n_words),
                float(n_words < 4),
                float(text.rstrip().endswith(("?", "？"))),
            )
        )
    return np.asarray(rows, dtype=float).reshape(len(rows), len(FEATURES))


def _shortest_window(pos: dict[int, list[int]]) -> int:
    """Length (in content words) of the shortest run of the sentence holding each matched term once."""
    events = sorted((i, t) for t, ps in pos.items() for i in ps)
    need, have, best, left = len(pos), {}, len(events) and events[-1][0] - events[0][0] + 1, 0
    for right, (i, t) in enumerate(events):
        have[t] = have.get(t, 0) + 1
        while len(have) == need:
            j, u = events[left]
            best = min(best, i - j + 1)
            have[u] -= 1
            if not have[u]:
                del have[u]
            left += 1
    return best


# ----------------------------------------------------------------------------- patching qa.summarize

_RULES = S._candidates
_SELECT = S._select

# The starting point: the rules' own score, weight 1, and nothing else. (Writing the rules out as
# weights of the other features would be exact only for a while: they change on main.)
RULE_WEIGHTS = {"rules": 1.0}


def as_vector(weights: dict) -> np.ndarray:
    return np.array([weights.get(name, 0.0) for name in FEATURES])


def install(weights=None, bias: float = 0.0, passages: int = N_CANDIDATE_PASSAGES, link: str = "linear", sink=None):
    """Make `qa.answering.summarize.answer` read its candidates from `passages` hits and, given `weights`,
    score each ``weights . features + bias`` (``link="linear"``) or the logistic of that
    (``"logistic"``: a probability, as fitted by `fit_logistic`). Each candidate keeps its
    feature row (``"features"``); `sink` (a list) receives the candidate lists `_select` is given."""

    def candidates(index, query, hits, types):
        saved = S.N_PASSAGES
        S.N_PASSAGES = passages
        try:
            cands = _RULES(index, query, hits, types)
        finally:
            S.N_PASSAGES = saved
        if not cands:
            return cands
        x = sentence_features(index, query, hits, cands)
        for c, row in zip(cands, x):
            c["features"] = row
        if weights is not None:
            _rescore(cands, x, np.asarray(weights, dtype=float), bias, link)
        return cands

    def select(cands):
        if sink is not None:
            sink.append(list(cands))
        return _SELECT(cands)

    S._candidates = candidates
    S._select = select


def uninstall():
    S._candidates = _RULES
    S._select = _SELECT


def _rescore(cands, x, weights, bias, link):
    z = x @ weights + bias
    if link == "logistic":
        z = 1.0 / (1.0 + np.exp(-z))
    for c, v in zip(cands, z):
        c["score"] = float(v)
    # As `_candidates`: best first, ties to the higher-ranked passage, then the earlier sentence.
    cands.sort(key=lambda c: (-c["score"], c["rank"], c["start"]))


# ----------------------------------------------------------------------------- data


def paragraphs(dataset) -> dict[str, str]:
    """Question id -> its SQuAD paragraph id (``paragraph`` in queries.jsonl: unanswerable
    questions have one too, but no judgment)."""
    out = {}
    with open(dataset.path / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                qid = str(obj["_id"])
                out[qid] = obj.get("paragraph") or min(dataset.qrels.get(qid, {"": 1}))
    return out


def halves(dataset, bit: int = 0):
    """(fit, held-out) questions: by bit `bit` of the CRC-32 of the question's paragraph id (0 for
    the halves, 1 to split a half again)."""
    paragraph = paragraphs(dataset)
    fit, held = [], []
    for q in dataset.queries:
        (fit if (zlib.crc32(paragraph[q.qid].encode()) >> bit) % 2 == 0 else held).append(q)
    return fit, held


def gold_of(q):
    return [g for g in (_normalise(a) for a in q.answers) if g]


def collect(index, queries, passages: int):
    """For each answerable question: ``(gold, candidates)``, the candidates (with their features and
    whether each holds a gold answer, ``"gold"``) that `_select` was given, or None when qa abstained
    first. Scoring does not change which questions those are: evidence uses coverage and cue only."""
    items = []
    for q in queries:
        if not q.answerable:
            continue
        sink = []
        install(passages=passages, sink=sink)
        try:
            result = _ask(index, q.text, False)
        finally:
            uninstall()
        gold = gold_of(q)
        cands = sink[-1] if sink and result is not None else None
        for c in cands or ():
            c["gold"] = any(g in _normalise(c["text"]) for g in gold)
        items.append((gold, cands))
    return items


def replay(items, weights=None, bias=0.0, link="linear"):
    """``(answer_first, answer_any)`` of `qa.answering.summarize._select` over collected candidates, rescored
    by `weights` (None: the rules' own scores): what `answer_quality` measures, without the search."""
    first = anywhere = 0
    w = None if weights is None else np.asarray(weights, dtype=float)
    for gold, cands in items:
        if not cands:
            continue
        cands = [dict(c) for c in cands]
        if w is not None:
            _rescore(cands, np.vstack([c["features"] for c in cands]), w, bias, link)
        chosen = _SELECT(cands)
        if not chosen:
            continue
        first += chosen[0]["gold"]
        whole = _normalise(" ".join(c["text"] for c in chosen))
        anywhere += any(g in whole for g in gold)
    return first / len(items), anywhere / len(items)


# ----------------------------------------------------------------------------- two ways to fit


def fit_logistic(items, c: float = 1.0):
    """Logistic regression (scikit-learn, L2) of "holds a gold answer" on the features of every
    candidate; features unscaled, so the weights read directly. Returns ``(weights, bias)``."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([c["features"] for _, cands in items if cands for c in cands])
    y = np.array([c["gold"] for _, cands in items if cands for c in cands], dtype=int)
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


STEPS = (0.02, 0.05, 0.1, 0.2, 0.5)
FIRST_WEIGHT = 2  # the search maximises FIRST_WEIGHT * answer_first + answer_any
MIN_GAIN = 2  # a move must win this many (weighted) questions: fewer is noise
SETTINGS = ((1, 2), (1, 4), (2, 2), (2, 4), (4, 2), (4, 4))  # (first weight, min gain) tried by --choose


def coordinate_search(items, start=None, steps=STEPS, first_weight=FIRST_WEIGHT, min_gain=MIN_GAIN):
    """Weights found by coordinate search on the whole-answer figures of `items` (`replay`).

    From `start` (default: `RULE_WEIGHTS`), each weight in turn tries every step up and down and
    takes the best move that gains at least `min_gain` questions of ``first_weight * answer_first +
    answer_any``; passes repeat until no move gains. The defaults were chosen on the fit half alone
    (``--choose``: each of `SETTINGS` fitted on one half of the fit half, measured on the other)."""
    w = as_vector(RULE_WEIGHTS) if start is None else np.array(start, dtype=float)
    n = len(items)

    def gain_of(v):
        first, anywhere = replay(items, v)
        return round((first_weight * first + anywhere) * n)

    best, moved = gain_of(w), True
    while moved:
        moved = False
        for i in range(len(w)):
            found = None
            for step in steps:
                for d in (step, -step):
                    v = w.copy()
                    v[i] = round(v[i] + d, 3)
                    g = gain_of(v)
                    if g >= best + min_gain and (found is None or g > found[0]):
                        found = (g, v)
            if found:
                (best, w), moved = found, True
    return w


# ----------------------------------------------------------------------------- figures


def squad_figures(index, queries, weights=None, bias=0.0, passages=N_CANDIDATE_PASSAGES, link="linear"):
    install(weights, bias, passages, link)
    try:
        r = answer_quality(index, queries)
    finally:
        uninstall()
    return {k: r[k] for k in ("answer_first", "answer_any", "answered", "unanswerable_abstained")}


_SITECUSTOMIZE = """\
import sys
sys.path.insert(0, {bench!r})
import sentence_weights as _sw
_sw.install({weights!r}, {bias!r}, {passages!r}, {link!r})
"""


def realdocs_figures(realdocs: Path, weights=None, bias=0.0, passages=N_CANDIDATE_PASSAGES, link="linear") -> dict:
    """``realdocs/check.py``'s figures, its ``qa`` processes patched by a ``sitecustomize`` module
    (`weights` None: the rules, from `passages` hits)."""
    with tempfile.TemporaryDirectory(prefix="qa-sw-") as tmp:
        patch = _SITECUSTOMIZE.format(
            bench=str(Path(__file__).resolve().parent),
            weights=None if weights is None else [float(v) for v in weights],
            bias=float(bias),
            passages=passages,
            link=link,
        )
        Path(tmp, "sitecustomize.py").write_text(patch, encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([tmp, str(ROOT)]))
        out = subprocess.run(
            [sys.executable, str(realdocs / "check.py"), sys.executable, str(realdocs)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=1800,
        )
    lines = out.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"realdocs/check.py failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}") from None


def choose(index, dataset, fit_half, passages: int) -> None:
    """Print, for each of `SETTINGS`, the search's figures in a 2-fold split of the fit half (by
    paragraph; the held-out half is not read), beside the rules'."""
    inner = halves(dataset, bit=1)
    folds = [collect(index, [q for q in fit_half if q in part], passages) for part in map(set, inner)]
    print(f"\n2-fold split of the fit half, {passages} passages: first/any on the other fold, mean of both")
    rules = [replay(folds[1 - k]) for k in (0, 1)]
    print(f"  {'rules':24} {np.mean([r[0] for r in rules]):.3f}/{np.mean([r[1] for r in rules]):.3f}")
    for first_weight, min_gain in SETTINGS:
        got = [
            replay(folds[1 - k], coordinate_search(folds[k], first_weight=first_weight, min_gain=min_gain))
            for k in (0, 1)
        ]
        print(
            f"  {f'search {first_weight} x first, gain {min_gain}':24} "
            f"{np.mean([g[0] for g in got]):.3f}/{np.mean([g[1] for g in got]):.3f}",
            flush=True,
        )


def main(argv) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data",
        nargs="?",
        type=Path,
        default=ROOT.parent / "shared" / "data",
        help="folder holding squad2/ (BEIR layout)",
    )
    parser.add_argument(
        "--realdocs",
        type=Path,
        default=ROOT.parent / "shared" / "realdocs",
        help="the real-documents set (docs/, questions.jsonl, check.py)",
    )
    parser.add_argument("--swap", action="store_true", help="fit on the other half (a robustness check)")
    parser.add_argument(
        "--choose", action="store_true", help="only compare the search's settings within the fit half, and stop"
    )
    opts = parser.parse_args(argv)
    data, realdocs = opts.data, opts.realdocs
    squad = load_beir(data / "squad2")
    index, _ = _qa_index(squad, None)
    fit_half, held_half = halves(squad)
    if opts.swap:  # the robustness check: fit on the other half
        fit_half, held_half = held_half, fit_half
    print(
        f"SQuAD 2.0: {sum(q.answerable for q in fit_half)} answerable questions to fit on, "
        f"{sum(q.answerable for q in held_half)} answerable (and "
        f"{sum(not q.answerable for q in held_half)} unanswerable) held out"
        + (" (--swap: the halves swapped)" if opts.swap else "")
    )
    if opts.choose:
        for passages in (3, 5):
            choose(index, squad, fit_half, passages)
        return

    rows = [
        ("rules, 3 passages (main)", None, 0.0, 3, "linear"),
        ("rules, 5 passages", None, 0.0, 5, "linear"),
        ("rules as weights, 3 passages", as_vector(RULE_WEIGHTS), 0.0, 3, "linear"),
    ]
    fitted = {}
    for passages in (3, 5):
        items = collect(index, fit_half, passages)
        w, b = fit_logistic(items)
        fitted[f"logistic, {passages}"] = (w, b, "logistic")
        rows.append((f"logistic, {passages} passages", w, b, passages, "logistic"))
        w = coordinate_search(items)
        fitted[f"search, {passages}"] = (w, 0.0, "linear")
        rows.append((f"search, {passages} passages", w, 0.0, passages, "linear"))
        print(
            f"fit half, {passages} passages: rules first/any {replay(items)[0]:.3f}/{replay(items)[1]:.3f}; "
            + "; ".join(
                f"{name} {replay(items, w, b, link)[0]:.3f}/{replay(items, w, b, link)[1]:.3f}"
                for name, (w, b, link) in fitted.items()
                if name.endswith(str(passages))
            ),
            flush=True,
        )

    print(f"\n{'feature':16} {'rules':>7} " + " ".join(f"{name:>12}" for name in fitted))
    rules = as_vector(RULE_WEIGHTS)
    for i, name in enumerate(FEATURES):
        print(f"{name:16} {rules[i]:7.3f} " + " ".join(f"{w[i]:12.3f}" for w, _, _ in fitted.values()))
    print(f"{'(bias)':16} {0.0:7.3f} " + " ".join(f"{b:12.3f}" for _, b, _ in fitted.values()))

    print(f"\n{'held-out SQuAD half':30} {'answer_first':>12} {'answer_any':>10} {'answered':>8} {'unans_abst':>10}")
    for label, w, b, passages, link in rows:
        f = squad_figures(index, held_half, w, b, passages, link)
        print(
            f"{label:30} {f['answer_first']:12.3f} {f['answer_any']:10.3f} {f['answered']:8.3f} "
            f"{f['unanswerable_abstained']:10.3f}",
            flush=True,
        )

    keys = ("first_has", "whole_has", "abstained_near", "abstained_off", "answered", "source_top3")
    print(f"\n{'realdocs (test set)':30} " + " ".join(f"{k:>14}" for k in keys))
    for label, w, b, passages, link in rows:
        f = realdocs_figures(realdocs, w, b, passages, link)
        print(f"{label:30} " + " ".join(f"{f[k]:14.3f}" for k in keys), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
