"""How to cut Chinese into index terms, by measurement: ``python bench/chinese.py``.

For each `qa.text.segment` mode, indexes corpus/ (the English and the Chinese
seed article) and runs the Chinese question sets through the acceptance check
(`qa.checks.check_answer`): ../shared/eval/seed_questions_zh.jsonl and
tests/data/seed_paraphrases_zh.jsonl. Prints, per mode, the questions passing,
top-3 passage hits, abstentions right, index terms, and segmentation speed on
the Chinese article repeated to 1 MB.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.build import build_index  # noqa: E402
from qa.checks import check_answer, read_question_set  # noqa: E402
from qa.index import IndexParams  # noqa: E402
from qa.render import answer_to_dict  # noqa: E402
from qa.summarize import answer  # noqa: E402
from qa.text import CHINESE_MODES, Analyzer, segment  # noqa: E402

SETS = [ROOT.parent / "shared" / "eval" / "seed_questions_zh.jsonl", ROOT / "tests" / "data" / "seed_paraphrases_zh.jsonl"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", action="store_true", help="print each failed check")
    ap.add_argument("--json", type=Path, help="also write the figures here")
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
        rows[mode] = dict(passed=passed, questions=len(cases), top3=top3, answerable=n_ans, abstained_right=abstain_ok,
                          unanswerable=len(cases) - n_ans, terms=index.n_terms, mb_per_s=round(speed, 2))
        print(f"{mode:<8} {passed:>3}/{len(cases):<2} {top3:>3}/{n_ans:<2} {abstain_ok:>4}/{len(cases) - n_ans:<3} "
              f"{index.n_terms:>6} {speed:>6.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
