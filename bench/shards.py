"""Sharded builds and search on Dask (issue 9): `make bench-shards` (also run by `make bench`).

usage: .venv/bin/python bench/shards.py [--size 200000] [--shards 1,2,4] [--out bench/results/shards.json]
                                        [--text bench/results/shards.txt] [--work bench/.work]

On the synthetic corpus of ``--size`` passages (`synthetic.py`, the corpus
`bench.py` uses, written once to ``--work``):

single build
    ``qa.build_index`` + ``qa.save_index`` in this process: the reference.
sharded build, for each shard count S
    `qa.index.shard_build.build_sharded` on a ``LocalCluster`` of ``min(S, cores)``
    single-threaded worker processes (cluster start-up timed apart: a real
    cluster is already running). Wall time, and each pass.
search
    The 1,000 questions one at a time after `WARMUP` untimed: ``qa.search(index,
    q, k=10)`` on the shards in this process (memory-mapped, the default), and
    for S > 1 on the cluster's workers holding the shards in memory
    (`ShardedIndex.connect`); ``qa.answer(index, q, k=5)`` in process.
    p50 and p99 in milliseconds.

Projection to 10x and 100x the corpus, the model stated in the output:

- **build**: the measured per-passage work (worker-seconds a passage in the
  scan, count and write passes of the largest shard count, cluster start-up
  excluded, the driver's merge included) is linear in the corpus and divides
  across workers; publishing (fsync, rename) grows linearly too. This is
  conservative: the merged vocabulary grows slower than the corpus.
- **search**: one shard's latency grows with its passages as ``P ** alpha``,
  alpha fitted on qa's own single-index curve in ``bench/results/bench.json``
  (10k, 100k, 1M passages); in-process shards are searched one after another,
  remote shards in parallel (then the latency is one shard's plus the measured
  round trip).
- **memory**: index bytes are linear in passages; a machine serves the shards
  that fit in its RAM.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench as common  # (bench/bench.py: corpus preparation, machine facts)
from qa.files import save_json

WARMUP = common.WARMUP


def _questions(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def _latency(fn, questions: list[str]) -> dict:
    for q in questions[:WARMUP]:
        fn(q)
    times = []
    for q in questions:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return common._summary(times)


def _loadavg() -> list[float] | None:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def _dir_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / (1 << 20)


def _single(corpus: Path, out: Path, questions: list[str], log) -> dict:
    import qa

    start = time.perf_counter()
    index, _ = qa.build_index([corpus])
    qa.save_index(index, out)
    build = time.perf_counter() - start
    log(f"bench: single build {build:.1f} s")
    index = qa.load_index(out, mmap=True)
    return {
        "build_s": build,
        "index_mib": _dir_mib(out),
        "n_terms": index.n_terms,
        "search_ms": _latency(lambda q: qa.search(index, q, k=10), questions),
        "ask_ms": _latency(lambda q: qa.answer(index, q, k=5), questions),
    }


def _sharded(corpus: Path, out: Path, n: int, questions: list[str], log) -> dict:
    import qa
    from qa.index.cluster import dask_client
    from qa.index.shard_build import build_sharded
    from qa.index.sharded import load_sharded

    start = time.perf_counter()
    with dask_client(None, n) as client:
        startup = time.perf_counter() - start
        workers = len(client.scheduler_info()["workers"])
        start = time.perf_counter()
        build_sharded([corpus], out, n, client=client, log=log)
        build = time.perf_counter() - start
        log(f"bench: {n} shard(s) on {workers} worker(s): build {build:.1f} s (+{startup:.1f} s cluster start-up)")
        index = qa.load_index(out)
        passes = index.meta["passes"]
        entry = {
            "shards": n,
            "workers": workers,
            "cluster_startup_s": startup,
            "build_s": build,
            "passes": passes,
            "publish_s": build - sum(p["wall_s"] for p in passes.values()),
            "worker_cpu_s": sum(p.get("worker_cpu_s", 0.0) for p in passes.values()),
            "index_mib": _dir_mib(out),
            "n_terms": index.n_terms,
            "search_ms": _latency(lambda q: qa.search(index, q, k=10), questions),
            "ask_ms": _latency(lambda q: qa.answer(index, q, k=5), questions),
        }
        if n > 1:
            remote = load_sharded(out).connect(client.scheduler.address)
            try:
                entry["remote_search_ms"] = _latency(lambda q: qa.search(remote, q, k=10), questions)
            finally:
                remote.close()
    return entry


def _alpha() -> tuple[float, str]:
    """Exponent of qa's search p50 against passages, fitted on the recorded single-index curve."""
    path = HERE / "results" / "bench.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        curve = [(c["passages"], c["search_ms"]["p50"]) for c in data["qa_curve"] if c.get("search_ms", {}).get("p50")]
    except (OSError, ValueError, KeyError, TypeError):
        curve = []
    if len(curve) < 2:
        return 1.0, "no recorded curve: linear (alpha 1)"
    xs = [math.log(p) for p, _ in curve]
    ys = [math.log(t) for _, t in curve]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    alpha = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return alpha, f"fitted on bench/results/bench.json qa curve {[(p, round(t, 2)) for p, t in curve]}"


def project(results: dict) -> dict:
    """Build and search cost at 10x and 100x the corpus, by the model in the module docstring."""
    import statistics

    size = results["size"]
    ram_gib = common._ram_gib() or 16.0
    runs = results["sharded"]
    # Worker CPU seconds a passage (scan + count + write): CPU time, unlike wall time, is not inflated by
    # other work on the machine; the median of the runs. The driver's merge and the publish run once.
    per_passage = statistics.median(e["worker_cpu_s"] / size for e in runs)
    driver = statistics.median((e["passes"]["merge"]["wall_s"] + e["publish_s"]) / size for e in runs)
    best = max(runs, key=lambda e: e["shards"])
    alpha, alpha_note = _alpha()
    mib_per_passage = best["index_mib"] / size
    base = best["search_ms"]["p50"] / best["shards"]  # one shard's share of the measured in-process p50
    remote = [e for e in runs if "remote_search_ms" in e]
    rtt = (
        max(0.0, remote[-1]["remote_search_ms"]["p50"] - remote[-1]["search_ms"]["p50"] / remote[-1]["shards"])
        if remote
        else 0.0
    )
    out = {
        "model": {
            "build": f"T = {per_passage * 1000:.3f} ms worker CPU a passage (scan + count + write, median of the "
            f"runs) x passages / workers + {driver * 1000:.3f} ms a passage on the driver (merge, publish); "
            "linear in passages, the workers' part divided among them",
            "search": f"one shard's p50 ~ (passages per shard) ** alpha, alpha = {alpha:.2f} ({alpha_note}); "
            f"shards in this process are searched one after another; remote shards in parallel, plus "
            f"the measured remote overhead ({rtt:.1f} ms: remote p50 minus one shard's share)",
            "memory": f"index {mib_per_passage * 1e6 / 1024:.2f} GiB a million passages, linear; "
            f"a machine of {ram_gib:.0f} GiB serves about {0.6 * ram_gib * 1024 / mib_per_passage / 1e6:.1f}M "
            "passages (60% of its RAM for shards)",
            "worker_seconds_per_passage": per_passage,
            "alpha": alpha,
            "remote_overhead_ms": rtt,
        },
        "rows": [],
    }
    cores = results["cores"]
    for factor in (10, 100):
        passages = size * factor
        for workers, shards, where in (
            (cores, best["shards"], "in process"),
            (factor * cores, factor * cores, "remote"),
        ):
            shard_ms = base * (passages / shards / (size / best["shards"])) ** alpha
            out["rows"].append(
                {
                    "factor": factor,
                    "passages": passages,
                    "workers": workers,
                    "shards": shards,
                    "search": where,
                    "build_s": per_passage * passages / workers + driver * passages,
                    "index_gib": mib_per_passage * passages / 1024,
                    "search_p50_ms": shard_ms * shards if where == "in process" else shard_ms + rtt,
                    "machines_for_memory": math.ceil(mib_per_passage * passages / 1024 / (0.6 * ram_gib)),
                }
            )
    return out


def format_text(results: dict) -> str:
    s = results["single"]
    lines = [
        f"sharded build and search: synthetic {results['size']:,} passages, {results['n_questions']:,} questions, "
        f"{results['cores']} cores",
        f"{'index':<20}{'workers':>8}{'build s':>9}{'scan':>6}{'count':>7}{'merge':>7}{'write':>7}{'CPU s':>7}"
        f"{'index MiB':>10}{'search p50':>11}{'p99':>7}{'ask p50':>9}{'remote p50':>11}",
        f"{'single (qa index)':<20}{'-':>8}{s['build_s']:>9.1f}{'':>6}{'':>7}{'':>7}{'':>7}{'':>7}{s['index_mib']:>10.1f}"
        f"{s['search_ms']['p50']:>11.2f}{s['search_ms']['p99']:>7.2f}{s['ask_ms']['p50']:>9.2f}{'-':>11}",
    ]
    for e in results["sharded"]:
        p = {k: v["wall_s"] for k, v in e["passes"].items()}
        remote = f"{e['remote_search_ms']['p50']:.2f}" if "remote_search_ms" in e else "-"
        lines.append(
            f"{str(e['shards']) + ' shard(s)':<20}{e['workers']:>8}{e['build_s']:>9.1f}{p['scan']:>6.1f}{p['count']:>7.1f}"
            f"{p['merge']:>7.1f}{p['write']:>7.1f}{e['worker_cpu_s']:>7.1f}{e['index_mib']:>10.1f}"
            f"{e['search_ms']['p50']:>11.2f}{e['search_ms']['p99']:>7.2f}{e['ask_ms']['p50']:>9.2f}{remote:>11}"
        )
    lines.append(
        "  LocalCluster start-up (not in build s): "
        + ", ".join(f"{e['shards']} shard(s) {e['cluster_startup_s']:.1f} s" for e in results["sharded"])
    )
    pr = results["projection"]
    lines += [
        "",
        "projection (model below)",
        f"{'corpus':<8}{'passages':>13}{'workers':>8}{'shards':>7}{'build s':>9}{'index GiB':>10}"
        f"{'search':>12}{'p50 ms':>8}{'machines for RAM':>18}",
    ]
    for r in pr["rows"]:
        lines.append(
            f"{str(r['factor']) + 'x':<8}{r['passages']:>13,}{r['workers']:>8}{r['shards']:>7}"
            f"{r['build_s']:>9.0f}{r['index_gib']:>10.1f}{r['search']:>12}{r['search_p50_ms']:>8.1f}"
            f"{r['machines_for_memory']:>18}"
        )
    lines += [
        f"  model: build: {pr['model']['build']}",
        f"  model: search: {pr['model']['search']}",
        f"  model: memory: {pr['model']['memory']}",
        f"  command: {results['command']}",
        f"  load average (1, 5, 15 min) at start {results.get('load_average_at_start')}, "
        f"at end {results.get('load_average_at_end')} on {results['cores']} cores",
        f"  total time {results['total_s'] / 60:.1f} min",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="shards.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=200_000, help="synthetic passages (default %(default)s)")
    p.add_argument("--shards", default="1,2,4", help="shard counts (default %(default)s)")
    p.add_argument("--questions", type=int, default=common.N_QUESTIONS, help="questions timed (default %(default)s)")
    p.add_argument("--out", default=str(HERE / "results" / "shards.json"))
    p.add_argument("--text", default=str(HERE / "results" / "shards.txt"))
    p.add_argument("--work", default=str(HERE / ".work"))
    args = p.parse_args(argv)
    work = Path(args.work).resolve()
    started = time.perf_counter()

    def log(message):
        print(message, file=sys.stderr, flush=True)

    corpus = common._prepare_synthetic(args.size, work, log)
    questions = _questions(corpus["questions"])[: args.questions]
    indexes = work / "indexes" / f"shards-{args.size}"
    shutil.rmtree(indexes, ignore_errors=True)
    results = {
        "size": args.size,
        "n_questions": len(questions),
        "cores": os.cpu_count(),
        "command": " ".join([".venv/bin/python", "bench/shards.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": common.machine_info(),
        "load_average_at_start": _loadavg(),  # other work on the machine inflates every figure
        "single": _single(corpus["corpus"], indexes / "single", questions, log),
        "sharded": [],
    }
    for n in [int(x) for x in args.shards.split(",") if x.strip()]:
        results["sharded"].append(_sharded(corpus["corpus"], indexes / f"shards-{n}", n, questions, log))
    results["projection"] = project(results)
    results["total_s"] = time.perf_counter() - started
    results["load_average_at_end"] = _loadavg()
    text = format_text(results)
    print(text, end="")
    save_json(args.out, results)
    Path(args.text).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
