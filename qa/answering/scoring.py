"""The answer's scoring rule: named features (`qa.answering.features`) weighed by fitted weights.

1. **Score.** A unit's score is ``sum(weight[f] * value[f] for f in FEATURES)``: a linear rule
   whose weights ``bench/fit_answer.py`` (``make fit``) fits across every set of the development
   pool by pairwise logistic regression (a unit holding the answer against one of the same question
   that does not), and ships in ``answer_weights.json`` with the pool and date it was fitted on.
   Answering reads them with numpy only.
2. **Confidence** is the fitted, calibrated probability that the best unit holds the answer: a
   logistic function of the best unit's score, its lead over the second, the best passage's share
   of the question's evidence weight, and the evidence of earlier versions (the mean of that share
   and the most one unit holds; `calibration_inputs`), fitted on the pool (Platt scaling); its
   reliability table is in docs/benchmarks.md.
3. **Abstention** (`answers`). qa answers only when the confidence reaches the ``threshold`` of the
   JSON table, chosen on the pool (the highest at which the answerable questions are still answered
   at 0.92 on average over the sets), and the evidence reaches `MIN_EVIDENCE` (a guard against
   off-topic questions).
4. **Selection** (`choose`): the best unit by the fitted score first (from the best passage's
   document, holding a word of the question); then as the documented rules chose (the ``rules``
   feature): the unit right after the first in its passage when it shows what the question type
   asks for (answers continue: "You can use an agency. ... all the expenses are borne by you"),
   then up to three in all by maximal marginal relevance, each scoring at least `KEEP_RATIO` of the
   first's, not a near duplicate (word Jaccard >= `NEAR_DUPLICATE`) of one chosen, and from the
   first's document unless it holds the question's evidence on its own (`MIN_ALONE`).

`explain` gives each feature's value and contribution (weight x value) for ``qa ask --explain``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .features import FEATURES, word_sequence

__all__ = [
    "CALIBRATION_INPUTS",
    "KEEP_RATIO",
    "MIN_EVIDENCE",
    "Model",
    "answers",
    "calibration_inputs",
    "choose",
    "explain",
    "load_model",
    "order",
]

WEIGHTS_FILE = Path(__file__).with_name("answer_weights.json")
CALIBRATION_INPUTS = ("best_score", "lead", "passage_evidence", "evidence")
_COL = {f: i for i, f in enumerate(FEATURES)}
MAX_UNITS = 3
NEAR_DUPLICATE = 0.7
KEEP_RATIO = 0.4  # a unit after the first scores (by the rules) at least this share of the first's
TOP_DOC_FIRST = True
MMR_LAMBDA = 0.3  # how much likeness to a chosen unit costs one not yet chosen
MIN_ALONE = 0.38  # another document's unit joins only holding this much of the question's weight


@dataclass(frozen=True)
class Model:
    """The fitted scoring rule (``answer_weights.json``).

    Attributes
    ----------
    features : tuple of str
        Feature names, in the order of `weights`.
    weights : numpy.ndarray
    calibration : numpy.ndarray
        Weights of `CALIBRATION_INPUTS`, then the intercept.
    threshold : float
        Abstain below this confidence.
    meta : dict
        The pool, date and figures it was fitted with.
    min_evidence : float
        Abstain below this evidence whatever the confidence (`answers`), chosen on the pool.
    """

    features: tuple
    weights: np.ndarray
    calibration: np.ndarray
    threshold: float
    meta: dict
    min_evidence: float = 0.38

    def scores(self, values: np.ndarray) -> np.ndarray:
        """Each unit's score: its feature values (rows of `FEATURES`) times the weights."""
        return values @ self.weights if len(values) else np.zeros(0)

    def confidence(self, inputs) -> float:
        """The calibrated probability that the best unit holds the answer (inputs: `calibration_inputs`)."""
        z = float(np.dot(self.calibration[:-1], inputs) + self.calibration[-1])
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "weights": [round(float(w), 6) for w in self.weights],
            "calibration": {
                "inputs": list(CALIBRATION_INPUTS),
                "weights": [round(float(w), 6) for w in self.calibration[:-1]],
                "intercept": round(float(self.calibration[-1]), 6),
            },
            "threshold": round(float(self.threshold), 4),
            "min_evidence": round(float(self.min_evidence), 4),
            **self.meta,
        }


def model_from_json(obj: dict) -> Model:
    """A `Model` from its JSON table; features it names that `FEATURES` lacks are an error, features
    it lacks weigh 0."""
    names = list(obj["features"])
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"answer weights name unknown features: {', '.join(unknown)}")
    given = dict(zip(names, obj["weights"]))
    cal = obj["calibration"]
    meta = {
        k: v for k, v in obj.items() if k not in ("features", "weights", "calibration", "threshold", "min_evidence")
    }
    return Model(
        features=FEATURES,
        weights=np.array([float(given.get(f, 0.0)) for f in FEATURES]),
        calibration=np.array([*map(float, cal["weights"]), float(cal["intercept"])]),
        threshold=float(obj["threshold"]),
        meta=meta,
        min_evidence=float(obj.get("min_evidence", 0.38)),
    )


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The shipped weights (``qa/answering/answer_weights.json``), read once."""
    return model_from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))


# The evidence below which qa abstains whatever the confidence (`answers`): the shipped model's.
MIN_EVIDENCE = load_model().min_evidence


def calibration_inputs(scores: np.ndarray, values: np.ndarray, passage_evidence: float) -> np.ndarray:
    """`CALIBRATION_INPUTS` of a question: the best unit's score, its lead over the second (at most 3),
    the passage evidence, and the evidence: the mean of the passage evidence and the most evidence one
    unit holds (the ``unit_evidence`` feature)."""
    if not len(scores):
        return np.array([0.0, 0.0, passage_evidence, passage_evidence / 2])
    top2 = np.sort(scores)[::-1][:2]
    lead = float(top2[0] - top2[1]) if len(top2) > 1 else 3.0
    unit = float(values[:, _COL["unit_evidence"]].max())
    return np.array([float(top2[0]), min(lead, 3.0), passage_evidence, (passage_evidence + unit) / 2])


def answers(model: Model, inputs: np.ndarray) -> tuple[bool, float]:
    """``(answer?, confidence)``: qa answers when the evidence (`calibration_inputs`) reaches the
    model's ``min_evidence`` (`MIN_EVIDENCE` as shipped) and the confidence the model's threshold.

    The evidence guard is the one hand rule of abstention left: a question from another domain may
    share a word or two with a passage, but rarely most of its words in one unit. It fixes off-topic
    questions answered with a middling confidence: held out, with the threshold alone (refitted
    without the guard) the off-topic questions abstain 0.40 (manuals, sitedocs) to 1.00, 0.72 on
    average over the sets with off-topic questions, against 1.00 on every set with it. Its level is
    the lowest at which every set's off-topic questions still abstain (``bench/fit_answer.py``,
    `choose_min_evidence` there): 0.36 on the ten sets, where 0.38 was set on SQuAD and Cranfield alone.
    """
    confidence = model.confidence(inputs)
    return bool(inputs[3] >= model.min_evidence and confidence >= model.threshold), confidence


def order(units, scores: np.ndarray) -> list[int]:
    """Unit indices best first; ties to the higher-ranked passage, then the earlier unit."""
    return sorted(range(len(units)), key=lambda i: (-scores[i], units[i].rank, units[i].start))


def _words(text: str) -> set:
    return set(word_sequence(text))


def choose(units, values: np.ndarray, scores: np.ndarray) -> list[int]:
    """The units the answer shows (indices into `units`): see the module's rule 4.

    The fitted score picks the first unit; the units after it are chosen as the documented rules
    chose them (by the ``rules`` feature): fitted on the pool, picking them by the fitted score lost
    whole answers on four of nine sets left out, where the first unit gained (bench/experiments/README.md).
    """
    if not len(units):
        return []
    rules, coverage, cue = values[:, _COL["rules"]], values[:, _COL["coverage"]], values[:, _COL["cue"]]
    holds = values[:, _COL["holds_word"]] > 0  # a word of the question, or the unit before's for "It ..."
    # One topic: the direct answer comes from the best passage's document, and holds a word of the
    # question itself (the rules let an "It ..." unit borrow the words of the unit before; as the first
    # unit that lost SQuAD held out 0.672 -> 0.650, bench/fit_answer.py --no-ablation, so only the
    # units after the first may).
    top_doc = units[min(range(len(units)), key=lambda i: (units[i].rank, units[i].start))].doc
    first = next(
        (i for i in order(units, scores) if (units[i].doc == top_doc or not TOP_DOC_FIRST) and coverage[i] > 0), None
    )
    if first is None:
        return []
    chosen = [first]
    words = {first: _words(units[first].text)}
    # The unit right after the direct answer in its passage continues it when it shows what the question asks for.
    nxt = min(
        (
            i
            for i in range(len(units))
            if units[i].rank == units[first].rank
            and units[i].position > units[first].position
            and not _overlaps(units[i], [units[first]])
        ),
        key=lambda i: units[i].position,
        default=None,
    )
    if nxt is not None and cue[nxt]:
        w = _words(units[nxt].text)
        if _jaccard(w, words[first]) < NEAR_DUPLICATE:
            chosen.append(nxt)
            words[nxt] = w
    # Then by maximal marginal relevance on the rules' score: each within `KEEP_RATIO` of the first's,
    # holding a word of the question, from the first's document unless it holds the evidence alone.
    floor = KEEP_RATIO * rules[first]
    alone = max(MIN_ALONE, coverage[first])
    pool = [
        i
        for i in sorted(range(len(units)), key=lambda i: (-rules[i], units[i].rank, units[i].start))
        if holds[i]
        and rules[i] >= floor
        and i not in words
        and (units[i].doc == units[first].doc or coverage[i] >= alone)
        and not _overlaps(units[i], [units[c] for c in chosen])
    ]
    while pool and len(chosen) < MAX_UNITS:
        best, best_val = None, None
        for i in pool:
            w = words.get(i) or _words(units[i].text)
            sim = max(_jaccard(w, words[c]) for c in chosen)
            if sim >= NEAR_DUPLICATE:
                continue
            val = rules[i] - MMR_LAMBDA * sim
            if best_val is None or val > best_val:
                best, best_val = i, val
        if best is None:
            break
        chosen.append(best)
        words[best] = _words(units[best].text)
        pool = [i for i in pool if i != best and not _overlaps(units[i], [units[best]])]
    return chosen


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _overlaps(unit, chosen) -> bool:
    """Whether `unit` shares source text with one of `chosen` (a lead-in and its "code" unit)."""
    return any(unit.doc_id == c.doc_id and unit.start < c.end and c.start < unit.end for c in chosen)


def explain(model: Model, values: np.ndarray) -> dict:
    """A unit's features and their contributions: ``{"score", "features": {name: {"value",
    "weight", "contribution"}}}``, features by the size of their contribution."""
    contrib = values * model.weights
    idx = sorted(range(len(FEATURES)), key=lambda i: -abs(contrib[i]))
    return {
        "score": round(float(contrib.sum()), 4),
        "features": {
            FEATURES[i]: {
                "value": round(float(values[i]), 4),
                "weight": round(float(model.weights[i]), 4),
                "contribution": round(float(contrib[i]), 4),
            }
            for i in idx
        },
    }
