"""What each retrieval choice buys: nDCG@10 on Cranfield and Recall@1 on SQuAD 2.0, one change at a time.

usage: .venv/bin/python bench/ablation.py [DATA_DIR]   (default ../shared/data)

Each row changes one setting of qa's default (the first row) and re-runs both
datasets through `qa.evaluate`'s loaders and `qa.evaluate.metrics`. Not a test: it prints a table.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from qa.index.build import build_index
from qa.errors import QuestionError
from qa.evaluate import load_beir
from qa.index.index import IndexParams
from qa.evaluate.metrics import ndcg_at, recall_at

search_module = importlib.import_module("qa.answering.search")
ranking_module = importlib.import_module("qa.index.ranking")  # the rerank's weights, set per row

ROWS = [
    ("qa default (BM25 k1=1.2 b=0.75, stems, stop words, headings, rerank)", {}, {}, False),
    ("  without the sentence/phrase rerank", {}, {"SENTENCE_WEIGHT": 0.0, "PHRASE_WEIGHT": 0.0}, False),
    ("  without the phrase part of the rerank", {}, {"PHRASE_WEIGHT": 0.0}, False),
    ("  without headings and titles counted in", {"heading_boost": 0}, {}, False),
    ("  without stemming", {"stem": False}, {}, False),
    ("  without stop words removed", {"stop_words": False}, {}, False),
    ("  passages of at most 1,200 characters (not 2,000)", {"max_chars": 1200}, {}, False),
    ("  k1=0.9, b=0.4", {"k1": 0.9, "b": 0.4}, {}, False),
    ("  with pseudo-relevance feedback (expand=True)", {}, {}, True),
]


def run(dataset, params: IndexParams, expand: bool) -> tuple[float, float]:
    index, _ = build_index([dataset.corpus], params)
    ndcg, r1 = [], []
    for q in dataset.queries:
        judged = dataset.qrels.get(q.qid)
        if not judged or not any(g > 0 for g in judged.values()):
            continue
        try:
            ranked = [d for d, _ in search_module.search_documents(index, q.text, k=100, expand=expand)]
        except QuestionError:
            ranked = []
        ndcg.append(ndcg_at(ranked, judged, 10))
        r1.append(recall_at(ranked, judged, 1))
    return sum(ndcg) / len(ndcg), sum(r1) / len(r1)


def main(data: Path) -> None:
    cran, squad = load_beir(data / "cranfield"), load_beir(data / "squad2")
    print(f"{'setting':74} {'Cranfield nDCG@10':>17} {'SQuAD R@1':>9}")
    for label, params, constants, expand in ROWS:
        saved = {k: getattr(ranking_module, k) for k in constants}
        for k, v in constants.items():
            setattr(ranking_module, k, v)
        try:
            c, _ = run(cran, IndexParams(**params), expand)
            _, s = run(squad, IndexParams(**params), expand)
        finally:
            for k, v in saved.items():
                setattr(ranking_module, k, v)
        print(f"{label:74} {c:17.3f} {s:9.3f}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data")
