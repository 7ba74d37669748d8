"""How to cut Chinese into index terms, by measurement: ``python bench/chinese.py``.

For each `qa.text.segment` mode, indexes corpus/ (the English and the Chinese
seed article) and runs the Chinese question sets through the acceptance check
(`qa.evaluate.checks.check_answer`): ../shared/eval/seed_questions_zh.jsonl and
tests/data/seed_paraphrases_zh.jsonl. Prints, per mode, the questions passing,
top-3 passage hits, abstentions right, index terms, and segmentation speed on
the Chinese article repeated to 1 MB.

Then the cost of Chinese at indexing time: `--passages` synthetic Chinese
passages (real words, wordfreq's 20,000 most frequent Chinese words drawn by
Zipf's law, in sentences ending in 。) against as many English ones of the same
number of words (bench/synthetic.py), both built by ``qa index``'s own code.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from qa.index.build import build_index
from qa.evaluate.checks import check_answer, read_question_set
from qa.index.index import IndexParams
from qa.serve.render import answer_to_dict
from qa.answering.summarize import answer
from qa.text import CHINESE_MODES, Analyzer, segment

SETS = [
    ROOT.parent / "shared" / "eval" / "seed_questions_zh.jsonl",
    ROOT / "tests" / "data" / "seed_paraphrases_zh.jsonl",
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", action="store_true", help="print each failed check")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--passages", type=int, default=20_000, help="synthetic passages per language for the build speed")
    args = ap.parse_args(argv)
    cases = [c for path in SETS for c in read_question_set(path)]
    text = (ROOT / "corpus" / "zh_lizhi_shebao_yibao.txt").read_text(encoding="utf-8")
    big = text * (1_000_000 // len(text.encode()) + 1)
    rows = {}
    print(f"{len(cases)} Chinese questions ({sum(c['answerable'] for c in cases)} answerable)")
    print(f"{'mode':<8} {'pass':>6} {'top-3':>6} {'abstain':>8} {'terms':>6} {'MB/s':>6}")
    for mode in CHINESE_MODES:
        index, _ = build_index(ROOT / "corpus", params=IndexParams(chinese=mode))
        passed = top3 = abstain_ok = 0
        for case in cases:
            out = answer_to_dict(answer(index, case["question"]))
            errors = check_answer(case, out, ROOT / "corpus")
            passed += not errors
            if case["answerable"]:
                top3 += not any(e.startswith("top-3") for e in errors)
            else:
                abstain_ok += not errors
            if errors and args.verbose:
                print(f"  {mode} {case['id']} {case['question']}: {'; '.join(errors)}")
        segment.cache_clear()
        analyzer = Analyzer(chinese=mode)
        t = time.perf_counter()
        analyzer(big)
        speed = len(big.encode()) / 1e6 / (time.perf_counter() - t)
        n_ans = sum(c["answerable"] for c in cases)
        rows[mode] = dict(
            passed=passed,
            questions=len(cases),
            top3=top3,
            answerable=n_ans,
            abstained_right=abstain_ok,
            unanswerable=len(cases) - n_ans,
            terms=index.n_terms,
            mb_per_s=round(speed, 2),
        )
        print(
            f"{mode:<8} {passed:>3}/{len(cases):<2} {top3:>3}/{n_ans:<2} {abstain_ok:>4}/{len(cases) - n_ans:<3} "
            f"{index.n_terms:>6} {speed:>6.2f}"
        )
    build = build_speed(args.passages)
    if args.json:
        args.json.write_text(json.dumps({"modes": rows, "build": build}, indent=2) + "\n", encoding="utf-8")
    return 0


def _chinese_passages(n: int, words_per_passage: int = 80, seed: int = 0):
    from wordfreq import top_n_list

    words = np.asarray(top_n_list("zh", 20_000), dtype=object)
    p = np.arange(1, words.size + 1, dtype=np.float64) ** -1.1
    rng = np.random.default_rng(seed)
    for i in range(n):
        draw = words[rng.choice(words.size, size=words_per_passage, p=p / p.sum())]
        cuts = np.cumsum(rng.integers(8, 21, size=words_per_passage // 8 + 1))
        sentences = ["".join(draw[a:b]) + "。" for a, b in zip(np.r_[0, cuts], cuts) if a < words_per_passage]
        yield {"_id": f"z{i}", "title": "".join(draw[:3]), "text": "".join(sentences)}


def build_speed(n: int) -> dict:
    """Seconds to index `n` synthetic passages of each language with qa's own build."""
    from synthetic import generate

    out = {}
    print(f"\nindexing {n:,} synthetic passages of 80 words")
    print(f"{'language':<9} {'seconds':>8} {'passages/s':>11} {'MB/s':>6}")
    for language, passages in (("en", generate(n)), ("zh", _chinese_passages(n))):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "corpus.jsonl"
            with open(path, "w", encoding="utf-8") as fh:
                for p in passages:
                    fh.write(json.dumps(p, ensure_ascii=False) + "\n")
            size = path.stat().st_size
            segment.cache_clear()
            t = time.perf_counter()
            index, _ = build_index([path])
            seconds = time.perf_counter() - t
        out[language] = dict(
            passages=n,
            seconds=round(seconds, 2),
            megabytes=round(size / 1e6, 1),
            terms=index.n_terms,
            passages_per_s=round(n / seconds),
        )
        print(f"{language:<9} {seconds:>8.2f} {n / seconds:>11,.0f} {size / 1e6 / seconds:>6.2f}")
    return out


if __name__ == "__main__":
    sys.exit(main())
