"""Write docs/benchmarks.md from bench/results/ (``make docs``): every figure comes from a results file,
so no number is typed twice.

    .venv/bin/python bench/docs.py [--results bench/results] [--out docs/benchmarks.md]

JSON results are printed with the formatter of the command that wrote them (`qa eval`:
`qa.evaluate.report.format_table`; ``bench/bench.py``: its ``format_*`` functions); text results
(``*.txt``) are included as written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # (bench/bench.py: its table formatters)
import fit_answer  # (bench/fit_answer.py: its Markdown tables)
import ingest  # (bench/ingest.py: its table)

from qa.evaluate.report import format_table
from qa.files import atomic_write

# (file, heading, how it was made, what it shows), in the order the page shows them.
SECTIONS = [
    (
        "fit_answer.json",
        "The answer's scoring rule: fitted on every set, and each set held out",
        "make fit",
        "Every set of the development pool (`bench/fit_sets.json`), measured by the weights fitted on all sets and "
        "by weights fitted on the others only (leave one set out: the weights never saw the set they are measured "
        "on, but how far they may move, which features stay and the hand rules were chosen on these same figures, "
        "so they are a little optimistic; design.md says which). Shares of answerable questions; abstentions count "
        "as misses "
        "([design.md](design.md#how-the-summary-works), `qa/answering/scoring.py`).",
    ),
    (
        "eval.json",
        "Retrieval: qa and its peers on Cranfield and SQuAD 2.0",
        "make eval",
        "nDCG, MAP, recall and MRR against bm25s, tantivy and scikit-learn's defaults; answer and abstention "
        "figures on SQuAD 2.0 (design notes: [design.md](design.md#retrieval-choices-measured)). The chart: "
        "![qa against its peers](eval.png)",
    ),
    (
        "question_sets.json",
        "Every question set: answers, abstention, markup and cut sentences",
        "make eval",
        "qa's answers to each question set (the public realdocs, docqa and zhlaw, and our own in "
        "`bench/sets/`), scored as the reference checker does, and SQuAD's answer figures.",
    ),
    (
        "realdocs.json",
        "Real documents: the question-set folder",
        "make eval",
        "qa's answers to the realdocs question set, scored as the reference checker does, beside the targets "
        "([design.md](design.md#real-documents-question-set-folders)).",
    ),
    (
        "ablation.txt",
        "What each retrieval choice is worth",
        ".venv/bin/python bench/ablation.py ../shared/data",
        "Each row turns one choice off (Cranfield nDCG@10, SQuAD R@1).",
    ),
    (
        "sentence_weights.txt",
        "The fitted sentence-scoring rule (tried, not kept)",
        ".venv/bin/python bench/sentence_weights.py (at c9b5154; removed since)",
        "A logistic regression and a search over the rules' weights, "
        "fitted on half of SQuAD 2.0 and tested on the other half ([design.md](design.md#how-the-summary-works)).",
    ),
    (
        "sentence_weights_choose.txt",
        "The fitted rule: choosing sentences",
        ".venv/bin/python bench/sentence_weights.py --choose (at c9b5154)",
        "",
    ),
    (
        "sentence_weights_swap.txt",
        "The fitted rule: one weight at a time",
        ".venv/bin/python bench/sentence_weights.py --swap (at c9b5154)",
        "",
    ),
    (
        "chinese.txt",
        "Chinese: segmentation modes",
        ".venv/bin/python bench/chinese.py",
        "The Chinese question set under each `IndexParams.chinese` mode ([design.md](design.md#chinese)).",
    ),
    (
        "bench.json",
        "Speed and size: qa, bm25s and tantivy",
        "make bench",
        "Build time, peak memory, index size, cold start and latency (passages, documents, answers) on synthetic "
        "corpora of 10k to 1M passages and on Cranfield and SQuAD, where also a file of questions is run one at a "
        "time through `qa search` ([design.md](design.md#scale-and-speed)).",
    ),
    (
        "ingest.json",
        "Ingest: PDF pages a second beside pdfium's floor, other formats, qa index",
        "make bench-ingest",
        "qa's PDF reader against the pypdfium2 pass it stands on (text and every character's box), on real PDFs "
        "(Debian's policy manual, FHS, developers' reference, libtasn1, the Chinese Debian Reference, ...); HTML, "
        "Markdown and DOCX in MB a second; `qa index` end to end on a folder of them with `--jobs 1` and `2`.",
    ),
    (
        "shards.txt",
        "Sharding: build and search on a LocalCluster",
        "make bench-shards",
        "Sharded build and search p50 for 1, 2 and 4 shards, projected to 10x and 100x ([sharding.md](sharding.md)).",
    ),
]


def _bench_text(results: dict) -> str:
    parts = [bench.format_corpus(c) for c in results.get("corpora", {}).values()]
    parts.append(bench.format_curve(results.get("qa_curve", [])))
    parts.append(bench.format_targets(results.get("targets", [])))
    parts += [f"note: {n}" for n in results.get("notes", [])]
    machine = results.get("machine") or {}
    if results.get("seconds") is not None:
        parts.append(f"total time {results['seconds'] / 60:.1f} min")
    if machine:
        parts.append("machine: " + json.dumps(machine, ensure_ascii=False))
    return "\n\n".join(p for p in parts if p)


def render(results_dir: Path) -> str:
    out = [
        "# Benchmarks",
        "",
        "Generated by `make docs` (`bench/docs.py`) from `bench/results/`: do not edit by hand; rerun the",
        "command named under each heading, then `make docs`. What the figures mean, and the choices they",
        "decided, is in [design.md](design.md) and [sharding.md](sharding.md).",
    ]
    for name, heading, command, about in SECTIONS:
        path = results_dir / name
        if not path.is_file():
            continue
        if name == "fit_answer.json":  # Markdown tables of their own
            data = json.loads(path.read_text(encoding="utf-8"))
            out += [
                "",
                f"## {heading}",
                "",
                about,
                "",
                f"`{command}`, {data.get('date')} (`bench/results/{name}`):",
                "",
                fit_answer.format_result(data),
            ]
            continue
        if name.endswith(".json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            body = (
                _bench_text(data)
                if name == "bench.json"
                else ingest.format_table(data)
                if name == "ingest.json"
                else format_table(data)
            )
            made = data.get("command") or command
            date = data.get("date")
        else:
            body, made, date = path.read_text(encoding="utf-8").rstrip(), command, None
        out += ["", f"## {heading}", ""]
        if about:
            out += [about, ""]
        out += [f"`{made}`" + (f", {date}" if date else "") + f" (`bench/results/{name}`):", "", "```", body, "```"]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    atomic_write(args.out, render(args.results))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
