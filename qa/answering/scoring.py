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
4. **Selection** (`choose`): the best unit first; the unit right after it in its passage second
   when it holds the answer type or cue the question asks for (`CONTINUE`: answers continue, "You
   can use an agency. ... all the expenses are borne by you"; on the pool it adds a right whole
   answer in policies and 8 in SQuAD, costs one in manuals); then up to three in all, best score first, each
   within `KEEP_MARGIN` of the best's score, sharing a question term or heading, not a near
   duplicate (word Jaccard >= `NEAR_DUPLICATE`) of one chosen, and from the best unit's
   document unless it holds the question's evidence on its own.

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
    "KEEP_MARGIN",
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
EVIDENCE_TYPE_BONUS = (
    0.15  # the evidence of a unit holding the answer type, as rule 7 of qa.answering.summarize read it
)
_COL = {f: i for i, f in enumerate(FEATURES)}
KEEP_MARGIN = 2.5  # chosen on the pool (bench/fit_answer.py rows): whole answer, mean over 8 sets, 0.591 at 1.5, 0.623 at 2.5, 0.628 at 3.0
MAX_UNITS = 3
NEAR_DUPLICATE = 0.7
CONTINUE = True
MIN_EVIDENCE = 0.38  # the evidence below which qa abstains whatever the confidence (`answers`)
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
    """

    features: tuple
    weights: np.ndarray
    calibration: np.ndarray
    threshold: float
    meta: dict

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
    meta = {k: v for k, v in obj.items() if k not in ("features", "weights", "calibration", "threshold")}
    return Model(
        features=FEATURES,
        weights=np.array([float(given.get(f, 0.0)) for f in FEATURES]),
        calibration=np.array([*map(float, cal["weights"]), float(cal["intercept"])]),
        threshold=float(obj["threshold"]),
        meta=meta,
    )


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The shipped weights (``qa/answering/answer_weights.json``), read once."""
    return model_from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))


def calibration_inputs(scores: np.ndarray, values: np.ndarray, passage_evidence: float) -> np.ndarray:
    """`CALIBRATION_INPUTS` of a question: the best unit's score, its lead over the second (at most 3),
    the passage evidence, and the evidence: the mean of the passage evidence and the most of the
    question's weight one unit holds (plus `EVIDENCE_TYPE_BONUS` when it holds what the question asks for,
    at most 1)."""
    if not len(scores):
        return np.array([0.0, 0.0, passage_evidence, passage_evidence / 2])
    top2 = np.sort(scores)[::-1][:2]
    lead = float(top2[0] - top2[1]) if len(top2) > 1 else 3.0
    typed = np.maximum(values[:, _COL["cue"]], values[:, _COL["type_held"]])
    unit = float(np.minimum(1.0, values[:, _COL["coverage"]] + EVIDENCE_TYPE_BONUS * typed).max())
    return np.array([float(top2[0]), min(lead, 3.0), passage_evidence, (passage_evidence + unit) / 2])


def answers(model: Model, inputs: np.ndarray) -> tuple[bool, float]:
    """``(answer?, confidence)``: qa answers when the evidence (`calibration_inputs`) reaches
    `MIN_EVIDENCE` and the confidence the model's threshold.

    The evidence guard is the one hand rule of abstention left: a question from another domain may
    share a word or two with a passage, but rarely most of its words in one unit. It fixes off-topic
    questions answered with a middling confidence (realdocs, docqa, policies, the seed paraphrases'
    off-domain questions: without it, 0.64 of the off-topic questions abstain on average over the
    sets, with it 0.9; see docs/benchmarks.md).
    """
    confidence = model.confidence(inputs)
    return bool(inputs[3] >= MIN_EVIDENCE and confidence >= model.threshold), confidence


def order(units, scores: np.ndarray) -> list[int]:
    """Unit indices best first; ties to the higher-ranked passage, then the earlier unit."""
    return sorted(range(len(units)), key=lambda i: (-scores[i], units[i].rank, units[i].start))


def _words(text: str) -> set:
    return set(word_sequence(text))


def choose(units, values: np.ndarray, scores: np.ndarray) -> list[int]:
    """The units the answer shows (indices into `units`): see the module's rule 4."""
    if not len(units):
        return []
    col = {f: i for i, f in enumerate(FEATURES)}
    ranked = order(units, scores)
    first = ranked[0]
    chosen = [first]
    best = scores[first]
    alone = max(MIN_ALONE, values[first, col["coverage"]])
    words = {first: _words(units[first].text)}
    if CONTINUE:
        # The unit right after the best one continues it when it holds what the question asks for.
        nxt = min(
            (
                i
                for i in ranked
                if units[i].rank == units[first].rank
                and units[i].position > units[first].position
                and not _overlaps(units[i], [units[first]])
            ),
            key=lambda i: units[i].position,
            default=None,
        )
        if nxt is not None and (values[nxt, col["cue"]] or values[nxt, col["type_held"]]):
            w = _words(units[nxt].text)
            if len(w & words[first]) / max(len(w | words[first]), 1) < NEAR_DUPLICATE:
                chosen.append(nxt)
                words[nxt] = w
    for i in ranked[1:]:
        if i in words:
            continue
        if len(chosen) >= MAX_UNITS or scores[i] < best - KEEP_MARGIN:
            break
        v = values[i]
        if v[col["coverage"]] <= 0 and v[col["heading_question"]] <= 0:
            continue
        if units[i].doc != units[first].doc and v[col["coverage"]] < alone:
            continue
        if _overlaps(units[i], [units[c] for c in chosen]):
            continue  # a lead-in and its "code" unit share text: one of them is shown
        w = _words(units[i].text)
        if any(len(w & words[c]) / max(len(w | words[c]), 1) >= NEAR_DUPLICATE for c in chosen):
            continue
        words[i] = w
        chosen.append(i)
    return chosen


def _overlaps(unit, chosen) -> bool:
    """Whether `unit` shares source text with one of `chosen` (a lead-in and its "code" unit)."""
    return any(unit.doc == c.doc and unit.start < c.end and c.start < unit.end for c in chosen)


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
