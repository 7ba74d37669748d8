"""Speed and size of qa against bm25s and tantivy: `make bench`. Not a test: it prints tables and writes JSON.

usage: .venv/bin/python bench/bench.py [--sizes 10000,100000,1000000] [--systems qa,bm25s,tantivy]
                                       [--out bench/results/bench.json] [--data ../shared/data] [--work bench/.work]

Corpora: Cranfield and SQuAD 2.0 from ``--data`` (their own queries, at most
`N_QUESTIONS`), then one synthetic corpus per size (`synthetic.py`: Zipf-drawn
pseudo-words, 80 words a passage, 1,000 questions that hit real postings),
written once to ``--work`` and reused by later runs.

For each corpus and system, each step in a fresh process, one at a time:

build
    ``qa index CORPUS --out DIR`` (the CLI); bm25s: tokenize with PyStemmer's
    English stemmer and its English stop words, index, ``save(DIR)``; tantivy:
    ``title`` and ``body`` fields with ``en_stem``, committed to DIR. Timed from
    process start to exit (imports and reading corpus.jsonl included, as a user
    waits for them). Peak RSS is the child's own high-water mark (``VmHWM``,
    see `_run`), or, when qa builds on several cores (``--jobs``, all by
    default), the most the child and its workers held at once, polled. The child runs under ``RLIMIT_AS`` (``--mem-limit-gib``) and ``--timeout``;
    hitting either is reported as "out of memory" or "timeout", not waited out.
index MiB
    The files of DIR. qa's index also holds the passage texts and token
    sequences (for answers); the peers' hold postings (and tantivy the ids).
cold start
    Process start to first answer: a fresh ``python -c`` that imports the
    system, loads DIR and answers one question (qa: ``qa.load_index(DIR,
    mmap=True)`` with its default checksum verification, then ``qa.answer(index,
    q, k=5)``; also with ``verify=False``, reported in a note; peers: load and search).
    The median of ``--cold-runs``; the page cache is warm (the build just
    wrote the files), so this is process start-up, not disk, time.
latency
    One process per system loads DIR, runs `WARMUP` questions untimed, then
    each question alone: search (qa: ``qa.search(index, q, k=10)``; bm25s:
    tokenize the query and ``retrieve(k=10)``; tantivy: ``parse_query`` and
    ``search(query, 10)``), and for qa documents ranked by their best passage
    (``qa.search_documents(index, q, k=10)``, what ``qa search`` and every
    BEIR run use) and the full ``qa.answer(index, q, k=5)``. p50 and p99 in
    milliseconds. A pass stops early after ``--latency-budget`` seconds (the
    count measured is recorded).
one at a time q/s (Cranfield and SQuAD)
    A whole run answering a file of questions one at a time, as a user's
    script would: ``qa search --queries Q --top-k 10 --out F`` (the CLI: parse,
    rank documents, write JSON), and for the peers the same loop in a fresh
    process (`_search_file`). Start-up is cancelled out (`_throughput`).

At the end: the qa latency curve across sizes and a checklist of issues 5 and 17's targets (issue 17's
"identical quality" is `make eval`'s, not measured here).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from qa.evaluate import peers  # bm25s and tantivy configured as qa eval configures them
from qa.evaluate.tables import text_table  # formatting only: measurements run in child processes
from qa.files import save_json

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEMS = ("qa", "bm25s", "tantivy")
DEFAULT_SIZES = (10_000, 100_000, 200_000, 1_000_000)
REAL = ("cranfield", "squad2")
N_QUESTIONS = 1000
THROUGHPUT_QUESTIONS = 2000  # at least this many (a corpus's questions repeated) for questions a second
WARMUP = 20
K_SEARCH = 10
K_ASK = 5
GIB = 1 << 30


# ----------------------------------------------------------------------------- child processes


def _vmhwm_kib(pid: int | str = "self") -> int | None:
    """Peak resident memory of a process (``VmHWM`` in /proc/PID/status), in KiB; None once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _group_rss_kib(pgid: int) -> dict[int, tuple[int, int]]:
    """pid -> (``VmRSS``, ``VmHWM``) in KiB of every live process in a process group."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
            if int(fields[2]) != pgid:  # field 5 of stat: the process group
                continue
            rss = hwm = 0
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm = int(line.split()[1])
            out[int(entry)] = (rss, hwm)
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
    return out


def _run(cmd, *, timeout: float, mem_limit: int | None, log_stem: Path) -> dict:
    """Run `cmd` in a new session with an address-space limit and a timeout.

    Returns ``status`` (ok, timeout, out of memory, failed), ``seconds`` (spawn
    to exit, wall clock), ``peak_rss_mib``, ``returncode`` and the child's
    ``stdout``; on failure ``error``, the last line of its stderr. Output goes
    to ``log_stem.out/.err``.

    Peak RSS is the child's own ``VmHWM``: reported by a `_worker` child at exit
    (``BENCH_VMHWM_KIB=``), else the last value polled every 0.1 s (a lower
    bound, e.g. for a child killed at the timeout). ``ru_maxrss`` from
    ``os.wait4`` is recorded too but is not used: Linux carries the forking
    parent's resident size over ``exec``, so it is at least this script's size.
    """

    def limit():  # runs in the child, before exec
        if mem_limit:
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

    log_stem.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_stem.with_suffix(".out"), log_stem.with_suffix(".err")
    env = dict(os.environ, TQDM_DISABLE="1", PYTHONUNBUFFERED="1")
    lock = threading.Lock()
    state = {"done": False, "killed": False, "hwm": 0, "tree": 0, "peaks": {}}
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
            preexec_fn=limit,
            start_new_session=True,
        )

        def kill():
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    os.killpg(proc.pid, signal.SIGKILL)  # the child's own process group

        def poll():
            while not state["done"]:
                kib = _vmhwm_kib(proc.pid)
                if kib:
                    state["hwm"] = max(state["hwm"], kib)
                rss = _group_rss_kib(proc.pid)  # the child and its worker processes (one process group)
                if rss:
                    state["tree"] = max(state["tree"], sum(now for now, _ in rss.values()))
                    for pid, (_, peak) in rss.items():
                        state["peaks"][pid] = max(state["peaks"].get(pid, 0), peak)
                time.sleep(0.1)

        timer = threading.Timer(timeout, kill)
        timer.start()
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped: its pid stays ours
        seconds = time.perf_counter() - start
        with lock:
            state["done"] = True
        timer.cancel()
        poller.join()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    reported = [
        int(ln.split("=", 1)[1])
        for ln in stderr.splitlines()
        if ln.startswith("BENCH_VMHWM_KIB=") and ln.split("=", 1)[1].isdigit()
    ]
    result = {
        "status": "ok",
        "seconds": seconds,
        "peak_rss_mib": max(reported[-1:] + [state["hwm"]]) / 1024,
        "peak_rss_source": "child VmHWM at exit" if reported else "VmHWM polled every 0.1 s",
        # With worker processes (qa index --jobs N) the child's own peak is not the build's: also the
        # largest sum of the group's resident sizes seen by polling (a lower bound of the true peak), and
        # the sum of each process's own peak (an upper bound: the peaks need not coincide).
        "processes": len(state["peaks"]) or 1,
        "peak_rss_tree_polled_mib": state["tree"] / 1024,
        "peak_rss_tree_sum_mib": (
            sum(v for p, v in state["peaks"].items() if p != proc.pid) + max(reported[-1:] + [state["hwm"]])
        )
        / 1024,
        "ru_maxrss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "returncode": proc.returncode,
        "stdout": stdout,
    }
    if state["killed"]:
        result["status"] = "timeout"
    elif proc.returncode != 0:
        oom_signs = ("MemoryError", "Unable to allocate", "memory allocation of", "Cannot allocate memory", "bad_alloc")
        oom = any(s in stderr for s in oom_signs) or proc.returncode == -signal.SIGKILL
        result["status"] = "out of memory" if oom else "failed"
    if result["status"] == "timeout":
        result["error"] = f"killed after {timeout:g} s (--timeout)"
    elif result["status"] != "ok":
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip() and not ln.startswith("BENCH_VMHWM_KIB=")]
        telling = [ln for ln in lines if any(s in ln for s in oom_signs)] or lines
        result["error"] = telling[-1].strip()[:300] if telling else f"exit code {proc.returncode}"
    return result


def _dir_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / (1 << 20)


# Cold start: the whole child is the measurement, so it is a bare `python -c`.
_COLD = {
    "qa": """
import sys
import qa
index = qa.load_index(sys.argv[1], mmap=True, **({} if sys.argv[3] == "default" else {"verify": False}))
result = qa.answer(index, sys.argv[2], k=%d)
print(len(result.hits))
"""
    % K_ASK,
    "bm25s": """
import sys
import bm25s, Stemmer
retriever = bm25s.BM25.load(sys.argv[1], show_progress=False)
tokens = bm25s.tokenize([sys.argv[2]], stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False,
                        return_ids=False)
found, scores = retriever.retrieve(tokens, k=%d, show_progress=False, n_threads=0)
print(int(found[0][0]))
"""
    % K_SEARCH,
    "tantivy": """
import re, sys
import tantivy
index = tantivy.Index.open(sys.argv[1])
searcher = index.searcher()
query = index.parse_query(re.sub(r"[^\\w]+", " ", sys.argv[2]).strip().lower(), ["title", "body"])
hits = searcher.search(query, %d).hits
print(searcher.doc(hits[0][1])["id"][0] if hits else "")
"""
    % K_SEARCH,
}


# ----------------------------------------------------------------------------- worker mode (in the child)


def _iter_corpus(path):
    """(id, title, text) of each line of a corpus.jsonl, streamed."""
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                yield str(obj["_id"]), str(obj.get("title") or ""), str(obj.get("text") or "")


def _build_bm25s(corpus: str, out: str) -> None:
    import bm25s

    texts = [f"{title} {text}" for _, title, text in _iter_corpus(corpus)]
    tokens = peers.bm25s_tokenize(texts)  # qa eval's configuration (qa.evaluate.peers)
    del texts
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    retriever.save(out, show_progress=False)


def _build_tantivy(corpus: str, out: str) -> None:
    peers.tantivy_index(_iter_corpus(corpus), out)  # qa eval's schema (qa.evaluate.peers)


def _searchers(system: str, index_dir: str) -> dict:
    """name -> function(question) for the timed passes of one system."""
    if system == "qa":
        import qa
        from qa.errors import QuestionError

        index = qa.load_index(index_dir, verify=False)  # as qa ask/ui load it; checksums are not what is timed

        def guarded(fn):
            def run(q):
                try:
                    fn(q)
                except QuestionError:
                    return False
                return True

            return run

        return {
            "search": guarded(lambda q: qa.search(index, q, k=K_SEARCH)),
            "documents": guarded(lambda q: qa.search_documents(index, q, k=K_SEARCH)),
            "ask": guarded(lambda q: qa.answer(index, q, k=K_ASK)),
        }
    if system == "bm25s":
        import bm25s
        import Stemmer

        retriever = bm25s.BM25.load(index_dir, show_progress=False)
        stemmer = Stemmer.Stemmer("english")

        def search(q):
            tokens = peers.bm25s_tokenize([q], stemmer=stemmer, return_ids=False)
            if not tokens[0]:
                return False
            retriever.retrieve(tokens, k=K_SEARCH, show_progress=False, n_threads=0)
            return True

        return {"search": search}
    if system == "tantivy":
        import tantivy

        index = tantivy.Index.open(index_dir)
        searcher = index.searcher()

        def search(q):
            query = peers.tantivy_query(index, q)
            if query is None:
                return False
            _ = searcher.search(query, K_SEARCH).hits  # fetched, as a caller would read them
            return True

        return {"search": search}
    raise ValueError(f"unknown system {system!r}")


def _latency(system: str, index_dir: str, questions_file: str, budget: float) -> dict:
    questions = [json.loads(line)["text"] for line in open(questions_file, encoding="utf-8") if line.strip()]
    out = {}
    for name, fn in _searchers(system, index_dir).items():
        for q in questions[:WARMUP]:
            fn(q)
        times, refused = [], 0
        started = time.perf_counter()
        for q in questions:
            t = time.perf_counter_ns()
            ok = fn(q)
            times.append((time.perf_counter_ns() - t) / 1e6)
            refused += not ok
            if time.perf_counter() - started > budget:
                break
        out[name] = {"times_ms": times, "refused": refused, "of": len(questions)}
    return out


def _search_file(system: str, index_dir: str, corpus: str, questions_file: str, out: str) -> None:
    """A peer's equivalent of ``qa search --queries Q --top-k 10 --out F``: load, then each question
    alone (tokenise, search, the top ids as one JSON line). bm25s keeps no ids, so they are read from
    the corpus at start-up, which the throughput figure cancels out."""
    if system == "bm25s":
        import bm25s
        import Stemmer

        ids = [doc_id for doc_id, _, _ in _iter_corpus(corpus)]
        retriever = bm25s.BM25.load(index_dir, show_progress=False)
        stemmer = Stemmer.Stemmer("english")

        def top(q):
            tokens = peers.bm25s_tokenize([q], stemmer=stemmer, return_ids=False)
            if not tokens[0]:
                return []
            found, _ = retriever.retrieve(tokens, k=K_SEARCH, show_progress=False, n_threads=0)
            return [ids[int(i)] for i in found[0]]
    elif system == "tantivy":
        import tantivy

        index = tantivy.Index.open(index_dir)
        searcher = index.searcher()

        def top(q):
            query = peers.tantivy_query(index, q)
            if query is None:
                return []
            return [searcher.doc(addr)["id"][0] for _, addr in searcher.search(query, K_SEARCH).hits]
    else:
        raise SystemExit(f"bench.py: search-file: unknown system {system!r}")
    with open(questions_file, encoding="utf-8") as fh, open(out, "w", encoding="utf-8") as sink:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                sink.write(json.dumps({"id": q["_id"], "hits": top(q["text"])}) + "\n")


def _worker(argv: list[str]) -> int:
    import atexit

    # The peak resident memory of this process, for the parent (also after an exception such as MemoryError).
    atexit.register(lambda: print(f"BENCH_VMHWM_KIB={_vmhwm_kib()}", file=sys.stderr, flush=True))
    kind = argv[0]
    if kind == "qa-cli":  # `qa ARGS...`, exactly as the console script runs it
        from qa.cli import main as qa_main

        return qa_main(argv[1:])
    if kind == "build-bm25s":
        _build_bm25s(argv[1], argv[2])
    elif kind == "build-tantivy":
        _build_tantivy(argv[1], argv[2])
    elif kind == "latency":
        print(json.dumps(_latency(argv[1], argv[2], argv[3], float(argv[4]))))
    elif kind == "search-file":
        _search_file(*argv[1:])
    else:
        raise SystemExit(f"bench.py: unknown worker {kind!r}")
    return 0


# ----------------------------------------------------------------------------- corpora


def _synthetic_module():
    if str(HERE) not in sys.path:  # run as a script, bench/ is already first on the path
        sys.path.insert(0, str(HERE))
    import synthetic

    return synthetic


def _prepare_synthetic(n: int, work: Path, log) -> dict:
    """The synthetic corpus of n passages and its questions, written once to `work` and reused when unchanged."""
    synthetic = _synthetic_module()
    folder = work / f"synthetic-{n}"
    corpus, questions, marker = folder / "corpus.jsonl", folder / "questions.jsonl", folder / "params.json"
    params = {
        "n_passages": n,
        "words_per_passage": 80,
        "vocab_size": synthetic.VOCAB_SIZE,
        "seed": 0,
        "questions": N_QUESTIONS,
        "generator_sha256": hashlib.sha256(Path(synthetic.__file__).read_bytes()).hexdigest(),
    }
    current = None
    if marker.is_file() and corpus.is_file() and questions.is_file():
        try:
            current = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            current = None
    if current != params:
        log(f"bench: writing the synthetic corpus of {n:,} passages to {corpus}")
        marker.unlink(missing_ok=True)
        start = time.perf_counter()
        synthetic.write_corpus(corpus, n, params["words_per_passage"], params["vocab_size"], params["seed"])
        qs = synthetic.questions(
            N_QUESTIONS,
            params["seed"],
            n_passages=n,
            words_per_passage=params["words_per_passage"],
            vocab_size=params["vocab_size"],
        )
        synthetic.write_questions(questions, qs)
        marker.write_text(json.dumps(params), encoding="utf-8")
        log(f"bench: wrote it in {time.perf_counter() - start:.1f} s ({corpus.stat().st_size / (1 << 20):,.0f} MiB)")
    return {
        "name": f"synthetic-{n}",
        "label": f"synthetic {n:,} passages",
        "kind": "synthetic",
        "size": n,
        "corpus": corpus,
        "questions": questions,
        "documents": n,
        "params": {k: v for k, v in params.items() if k != "generator_sha256"},
    }


def _prepare_real(name: str, data: Path, work: Path) -> dict | None:
    folder = data / name
    corpus, queries = folder / "corpus.jsonl", folder / "queries.jsonl"
    if not (corpus.is_file() and queries.is_file()):
        return None
    texts = []
    with open(queries, encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip() and len(texts) < N_QUESTIONS:
                q = json.loads(line)
                texts.append({"_id": str(q["_id"]), "text": q["text"]})
    qfile = work / name / "questions.jsonl"
    qfile.parent.mkdir(parents=True, exist_ok=True)
    qfile.write_text("".join(json.dumps(q) + "\n" for q in texts), encoding="utf-8")
    with open(corpus, encoding="utf-8") as fh:
        documents = sum(1 for line in fh if line.strip())
    return {
        "name": name,
        "label": f"{name} ({documents:,} documents)",
        "kind": "beir",
        "size": None,
        "corpus": corpus,
        "questions": qfile,
        "documents": documents,
    }


# ----------------------------------------------------------------------------- measuring one system


def _summary(times: list[float]) -> dict:
    import numpy as np

    if not times:
        return {"n": 0}
    a = np.asarray(times)
    p50, p90, p99 = np.percentile(a, [50, 90, 99])
    return {
        "n": int(a.size),
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "mean": float(a.mean()),
        "max": float(a.max()),
    }


def _measure(corpus: dict, system: str, args, log) -> dict:
    py = sys.executable
    index_dir = args.work / "indexes" / corpus["name"] / system
    logs = args.work / "logs" / corpus["name"]
    if index_dir.exists():  # a fresh build every run; the folder is ours (under --work)
        import shutil

        shutil.rmtree(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    mem = int(args.mem_limit_gib * GIB)
    if system == "qa":
        cmd = [
            py,
            str(Path(__file__).resolve()),
            "_worker",
            "qa-cli",
            "index",
            str(corpus["corpus"]),
            "--out",
            str(index_dir),
        ]
    else:
        cmd = [py, str(Path(__file__).resolve()), "_worker", f"build-{system}", str(corpus["corpus"]), str(index_dir)]
    log(f"bench: {corpus['name']} / {system}: building")
    build = _run(cmd, timeout=args.timeout, mem_limit=mem, log_stem=logs / f"{system}-build")
    build.pop("stdout")
    entry: dict = {"build": build}
    if build["status"] != "ok":
        log(
            f"bench: {corpus['name']} / {system}: build {build['status']} after {build['seconds']:.0f} s: "
            f"{build.get('error')}"
        )
        return entry
    entry["index_mib"] = _dir_mib(index_dir)
    log(
        f"bench: {corpus['name']} / {system}: built in {build['seconds']:.2f} s, peak RSS "
        f"{build['peak_rss_mib']:,.0f} MiB, {entry['index_mib']:,.1f} MiB on disk"
    )

    first_question = json.loads(corpus["questions"].read_text(encoding="utf-8").splitlines()[0])["text"]
    variants = {"cold_start": "default"}
    if system == "qa":  # also without checksums, to show what they cost
        variants["cold_start_noverify"] = "noverify"
    for key, verify in variants.items():
        runs = []
        for i in range(args.cold_runs):
            r = _run(
                [py, "-c", _COLD[system], str(index_dir), first_question, verify],
                timeout=args.timeout,
                mem_limit=mem,
                log_stem=logs / f"{system}-{key}-{i}",
            )
            if r["status"] != "ok":
                entry[key] = {"status": r["status"], "error": r.get("error")}
                break
            runs.append(r["seconds"])
        else:
            entry[key] = {
                "status": "ok",
                "seconds": statistics.median(runs),
                "runs": runs,
                "peak_rss_mib": r["peak_rss_mib"],
            }
    log(f"bench: {corpus['name']} / {system}: cold start {_fmt_status(entry['cold_start'], 'seconds', 2)} s")

    cmd = [
        py,
        str(Path(__file__).resolve()),
        "_worker",
        "latency",
        system,
        str(index_dir),
        str(corpus["questions"]),
        str(args.latency_budget),
    ]
    passes = 3 if system == "qa" else 1
    r = _run(
        cmd, timeout=passes * args.latency_budget + args.timeout, mem_limit=mem, log_stem=logs / f"{system}-latency"
    )
    if r["status"] != "ok":
        entry["latency"] = {"status": r["status"], "error": r.get("error")}
        log(f"bench: {corpus['name']} / {system}: latency run {r['status']}: {r.get('error')}")
        return entry
    measured = json.loads(r["stdout"].strip().splitlines()[-1])
    entry["latency"] = {"status": "ok", "peak_rss_mib": r["peak_rss_mib"]}
    for name, m in measured.items():
        entry[f"{name}_ms"] = {**_summary(m["times_ms"]), "refused": m["refused"], "of": m["of"]}
    log(
        f"bench: {corpus['name']} / {system}: search p50 {entry['search_ms'].get('p50', float('nan')):.2f} ms"
        + (
            f", documents p50 {entry['documents_ms'].get('p50', float('nan')):.2f} ms"
            if "documents_ms" in entry
            else ""
        )
        + (f", ask p50 {entry['ask_ms'].get('p50', float('nan')):.2f} ms" if "ask_ms" in entry else "")
    )
    if corpus["kind"] == "beir":
        entry["throughput"] = _throughput(corpus, system, index_dir, args, log)
    return entry


def _throughput(corpus: dict, system: str, index_dir: Path, args, log) -> dict:
    """Questions a second, one at a time, through a whole run: ``qa search --queries Q --top-k 10
    --out F`` (the CLI; peers: `_search_file`), each in a fresh process, with `THROUGHPUT_QUESTIONS`
    questions (the corpus's own, repeated) and with one. Start-up (imports, loading the index) is
    cancelled out: ``(n - 1) / (T_n - T_1)``, each T the median of ``--cold-runs`` runs."""
    py, me = sys.executable, str(Path(__file__).resolve())
    folder = args.work / "throughput" / corpus["name"]
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.loads(ln) for ln in corpus["questions"].read_text(encoding="utf-8").splitlines() if ln.strip()]
    rows = [
        {"_id": f"{r}-{q['_id']}", "text": q["text"]}
        for r in range(-(-THROUGHPUT_QUESTIONS // len(lines)))
        for q in lines
    ]
    files = {"one": folder / "one.jsonl", "all": folder / "all.jsonl"}
    files["one"].write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    files["all"].write_text("".join(json.dumps(q) + "\n" for q in rows), encoding="utf-8")
    seconds = {}
    for name, qfile in files.items():
        out = folder / f"{system}-{name}.out.jsonl"
        if system == "qa":
            cmd = [
                py,
                me,
                "_worker",
                "qa-cli",
                "search",
                "--index",
                str(index_dir),
                "--queries",
                str(qfile),
                "--top-k",
                str(K_SEARCH),
                "--out",
                str(out),
            ]
        else:
            cmd = [
                py,
                me,
                "_worker",
                "search-file",
                system,
                str(index_dir),
                str(corpus["corpus"]),
                str(qfile),
                str(out),
            ]
        runs = []
        for i in range(args.cold_runs):
            r = _run(
                cmd,
                timeout=args.timeout,
                mem_limit=int(args.mem_limit_gib * GIB),
                log_stem=args.work / "logs" / corpus["name"] / f"{system}-throughput-{name}-{i}",
            )
            if r["status"] != "ok":
                return {"status": r["status"], "error": r.get("error")}
            runs.append(r["seconds"])
        seconds[name] = statistics.median(runs)
    per_question = (seconds["all"] - seconds["one"]) / (len(rows) - 1)
    result = {
        "status": "ok",
        "questions": len(rows),
        "seconds_one": seconds["one"],
        "seconds_all": seconds["all"],
        "per_second": 1 / per_question if per_question > 0 else None,
    }
    log(
        f"bench: {corpus['name']} / {system}: one question at a time, {len(rows):,} questions: "
        + (f"{result['per_second']:,.0f} questions/s" if result["per_second"] else "too fast to tell")
    )
    return result


# ----------------------------------------------------------------------------- output


def _fmt_status(obj: dict | None, key: str, digits: int) -> str:
    if not obj:
        return "-"
    if obj.get("status", "ok") != "ok":
        return {"timeout": "timeout", "out of memory": "oom"}.get(obj["status"], "failed")
    value = obj.get(key)
    return "-" if value is None else f"{value:,.{digits}f}"


def _ms(entry: dict, key: str, q: str) -> str:
    m = entry.get(key)
    if m is None:
        lat = entry.get("latency")
        return _fmt_status(lat, "", 0) if lat and lat.get("status") != "ok" else "-"
    return "-" if m.get(q) is None else f"{m[q]:,.2f}"


def build_peak_mib(build: dict) -> float:
    """A build's peak resident memory: its own process's, or, with worker processes, the largest sum of
    the process group's resident sizes seen (`_run`), whichever is larger."""
    return max(build["peak_rss_mib"], build.get("peak_rss_tree_polled_mib") or 0.0)


def _build_cells(entry: dict) -> tuple[str, str]:
    b = entry["build"]
    rss = f"{build_peak_mib(b):,.0f}"
    if b["status"] == "ok":
        return f"{b['seconds']:,.2f}", rss
    if b["status"] == "timeout":
        return f"timeout>{b['seconds']:,.0f}", f">={rss}"
    return ("oom" if b["status"] == "out of memory" else "failed"), f">={rss}" if b["status"] != "failed" else rss


def format_corpus(c: dict) -> str:
    header = [
        "system",
        "build s",
        "peak RSS MiB",
        "index MiB",
        "cold start s",
        "search p50 ms",
        "search p99 ms",
        "documents p50 ms",
        "ask p50 ms",
        "ask p99 ms",
    ]
    beir = c["kind"] == "beir"
    if beir:
        header.append("one at a time q/s")
    rows, notes = [], []
    for system, e in c["systems"].items():
        if "skipped" in e:
            notes.append(e["skipped"])
            continue
        build_s, rss = _build_cells(e)
        ok = e["build"]["status"] == "ok"
        rows.append(
            [
                system,
                build_s,
                rss,
                f"{e['index_mib']:,.1f}" if ok else "-",
                _fmt_status(e.get("cold_start"), "seconds", 2) if ok else "-",
                _ms(e, "search_ms", "p50"),
                _ms(e, "search_ms", "p99"),
                _ms(e, "documents_ms", "p50") if system == "qa" else "",
                _ms(e, "ask_ms", "p50") if system == "qa" else "",
                _ms(e, "ask_ms", "p99") if system == "qa" else "",
            ]
            + ([_fmt_status(e.get("throughput"), "per_second", 0) if ok else "-"] if beir else [])
        )
        b = e["build"]
        if b.get("processes", 1) > 1:
            notes.append(
                f"{system}: build ran {b['processes']} processes; peak RSS is the most they held at once "
                f"(polled every 0.1 s); the sum of each one's own peak is {b['peak_rss_tree_sum_mib']:,.0f} MiB"
            )
        if not ok:
            notes.append(f"{system}: build {e['build']['status']}: {e['build'].get('error')}")
        nv = e.get("cold_start_noverify")
        if nv and nv.get("status") == "ok":
            notes.append(f"{system}: cold start without checksum verification (verify=False): {nv['seconds']:.2f} s")
        for key in ("search_ms", "documents_ms", "ask_ms"):
            m = e.get(key)
            if m and m.get("n", 0) < m.get("of", 0):
                notes.append(
                    f"{system}: {key[:-3]} latency over the first {m['n']} of {m['of']} questions (time budget reached)"
                )
            if m and m.get("refused"):
                notes.append(f"{system}: {m['refused']} question(s) refused or empty in the {key[:-3]} pass")
    title = f"{c['label']}: {c['n_questions']:,} questions"
    table = text_table(header, rows) if rows else "(no system ran)"
    return "\n".join([title, table, *(f"  note: {n}" for n in notes)])


def _qa_curve(results: dict) -> list[dict]:
    curve = []
    for c in results["corpora"].values():
        if c["kind"] != "synthetic" or "qa" not in c["systems"] or "skipped" in c["systems"]["qa"]:
            continue
        e = c["systems"]["qa"]
        curve.append(
            {
                "passages": c["size"],
                "build": e["build"],
                "index_mib": e.get("index_mib"),
                "cold_start_s": (e.get("cold_start") or {}).get("seconds"),
                "search_ms": e.get("search_ms"),
                "documents_ms": e.get("documents_ms"),
                "ask_ms": e.get("ask_ms"),
            }
        )
    return sorted(curve, key=lambda r: r["passages"])


def format_curve(curve: list[dict]) -> str:
    header = [
        "passages",
        "build s",
        "peak RSS MiB",
        "index MiB",
        "cold start s",
        "search p50 ms",
        "search p99 ms",
        "documents p50 ms",
        "ask p50 ms",
        "ask p99 ms",
    ]
    rows = []
    for r in curve:
        build_s, rss = _build_cells({"build": r["build"]})

        def m(key, q, r=r):
            return "-" if not r.get(key) or r[key].get(q) is None else f"{r[key][q]:,.2f}"

        rows.append(
            [
                f"{r['passages']:,}",
                build_s,
                rss,
                "-" if r["index_mib"] is None else f"{r['index_mib']:,.1f}",
                "-" if r["cold_start_s"] is None else f"{r['cold_start_s']:.2f}",
                m("search_ms", "p50"),
                m("search_ms", "p99"),
                m("documents_ms", "p50"),
                m("ask_ms", "p50"),
                m("ask_ms", "p99"),
            ]
        )
    return "qa across synthetic corpus sizes\n" + (text_table(header, rows) if rows else "(no synthetic size ran)")


def _targets(results: dict) -> list[dict]:
    """Issues 5 and 17's targets: PASS, MISS (with figures), N/A (a peer's figure is missing) or SKIP (size not run)."""
    corpora = results["corpora"]
    out = []

    def add(name, status, detail):
        out.append({"target": name, "status": status, "detail": detail})

    def sys_entry(size, system):
        c = corpora.get(f"synthetic-{size}")
        return None if c is None else c["systems"].get(system)

    def qa_problem(e, what):
        """Why qa has no figure for `what`, or None."""
        if e is None or "skipped" in e:
            return "qa did not run"
        if e["build"]["status"] != "ok":
            return f"qa build {e['build']['status']} after {e['build']['seconds']:.0f} s"
        if what in ("search_ms", "documents_ms", "ask_ms") and not (e.get(what) or {}).get("n"):
            return f"qa latency run {(e.get('latency') or {}).get('status', 'missing')}"
        if what == "cold_start" and (e.get("cold_start") or {}).get("status") != "ok":
            return f"qa cold start {(e.get('cold_start') or {}).get('status', 'missing')}"
        return None

    def peer_value(e, system, what):
        if e is None:
            return None, f"{system} did not run"
        if "skipped" in e:
            return None, e["skipped"]
        if e["build"]["status"] != "ok":
            return None, f"{system} build {e['build']['status']}"
        if what == "build":
            return e["build"]["seconds"], None
        m = e.get(what) or {}
        return (m.get("p50"), None) if m.get("p50") is not None else (None, f"{system} has no {what} figure")

    def verdict(ok):
        return "PASS" if ok else "MISS"

    big, mid = 1_000_000, 100_000
    if f"synthetic-{big}" not in corpora:
        for name in (
            "1M: qa search p50 <= 0.5 x tantivy search p50",
            "1M: qa search p50 x 5 <= bm25s search p50",
            "1M: qa ask p50 <= 50 ms",
            "1M: qa build <= 2 x tantivy build",
            "1M: qa peak build RSS <= 4 GiB",
            "1M: qa cold start <= 1 s",
        ):
            add(name, "SKIP", "1,000,000 not in --sizes")
    else:
        qa_e = sys_entry(big, "qa")
        for peer, name, factor in (
            ("tantivy", "1M: qa search p50 <= 0.5 x tantivy search p50", 0.5),
            ("bm25s", "1M: qa search p50 x 5 <= bm25s search p50", 0.2),
        ):
            value, why = peer_value(sys_entry(big, peer), peer, "search_ms")
            problem = qa_problem(qa_e, "search_ms")
            if problem:
                add(name, "MISS", problem + (f"; {peer} p50 {value:.2f} ms" if value is not None else ""))
            elif value is None:
                add(name, "N/A", why)
            else:
                q = qa_e["search_ms"]["p50"]
                add(
                    name,
                    verdict(q <= factor * value),
                    f"qa {q:.2f} ms vs {peer} {value:.2f} ms: ratio qa/{peer} {q / value:.2f} (need <= {factor:g})",
                )
        problem = qa_problem(qa_e, "ask_ms")
        name = "1M: qa ask p50 <= 50 ms"
        if problem:
            add(name, "MISS", problem)
        else:
            q = qa_e["ask_ms"]["p50"]
            add(name, verdict(q <= 50), f"qa ask p50 {q:.2f} ms")
        name = "1M: qa build <= 2 x tantivy build"
        value, why = peer_value(sys_entry(big, "tantivy"), "tantivy", "build")
        if qa_e is None or "skipped" in qa_e:
            add(name, "MISS", "qa did not run")
        elif qa_e["build"]["status"] != "ok":
            add(
                name,
                "MISS",
                f"qa build {qa_e['build']['status']} after {qa_e['build']['seconds']:.0f} s"
                + (f"; 2 x tantivy = {2 * value:.1f} s" if value is not None else ""),
            )
        elif value is None:
            add(name, "N/A", why)
        else:
            q = qa_e["build"]["seconds"]
            add(
                name,
                verdict(q <= 2 * value),
                f"qa {q:.1f} s vs tantivy {value:.1f} s: ratio {q / value:.2f} (need <= 2)",
            )
        name = "1M: qa peak build RSS <= 4 GiB"
        if qa_e is None or "skipped" in qa_e:
            add(name, "MISS", "qa did not run")
        else:
            b = qa_e["build"]
            gib = build_peak_mib(b) / 1024
            if b["status"] == "ok":
                add(
                    name,
                    verdict(gib <= 4),
                    f"qa peak RSS {gib:.2f} GiB"
                    + (
                        f" ({b['processes']} processes at most at once; each one's own peak summed: "
                        f"{b['peak_rss_tree_sum_mib'] / 1024:.2f} GiB)"
                        if b.get("processes", 1) > 1
                        else ""
                    ),
                )
            else:
                add(name, "MISS", f"qa build {b['status']}; peak RSS at least {gib:.2f} GiB when stopped")
        name = "1M: qa cold start <= 1 s"
        problem = qa_problem(qa_e, "cold_start")
        if problem:
            add(name, "MISS", problem)
        else:
            s = qa_e["cold_start"]["seconds"]
            nv = (qa_e.get("cold_start_noverify") or {}).get("seconds")
            add(
                name,
                verdict(s <= 1),
                f"qa cold start {s:.2f} s (load_index(DIR, mmap=True), its default checks)"
                + (f"; {nv:.2f} s with verify=False" if nv is not None else ""),
            )
    name = "200k: qa search_documents p50 <= 1.2 x qa.search p50"
    if "synthetic-200000" not in corpora:
        add(name, "SKIP", "200,000 not in --sizes")
    else:
        qa_e = sys_entry(200_000, "qa")
        problem = qa_problem(qa_e, "search_ms") or qa_problem(qa_e, "documents_ms")
        if problem:
            add(name, "MISS", problem)
        else:
            d, p = qa_e["documents_ms"]["p50"], qa_e["search_ms"]["p50"]
            add(
                name,
                verdict(d <= 1.2 * p),
                f"documents {d:.2f} ms vs passages {p:.2f} ms: ratio {d / p:.2f} (need <= 1.2)",
            )
    for real in REAL:
        name = f"{real}: qa search one question at a time >= 1,500 questions/s"
        c = corpora.get(real)
        if c is None:
            add(name, "SKIP", f"{real} not run")
            continue
        got = {s: ((c["systems"].get(s) or {}).get("throughput") or {}).get("per_second") for s in SYSTEMS}
        peers_text = ", ".join(f"{s} {v:,.0f}" for s, v in got.items() if s != "qa" and v)
        if got["qa"] is None:
            add(name, "MISS", "qa has no figure" + (f" ({peers_text})" if peers_text else ""))
        else:
            add(
                name,
                verdict(got["qa"] >= 1500),
                f"qa {got['qa']:,.0f} questions/s" + (f"; {peers_text}" if peers_text else ""),
            )
    name = "100k: qa search p50 <= 2 ms"
    if f"synthetic-{mid}" not in corpora:
        add(name, "SKIP", "100,000 not in --sizes")
    else:
        qa_e = sys_entry(mid, "qa")
        problem = qa_problem(qa_e, "search_ms")
        if problem:
            add(name, "MISS", problem)
        else:
            q = qa_e["search_ms"]["p50"]
            add(name, verdict(q <= 2), f"qa search p50 {q:.2f} ms")
    return out


def format_targets(targets: list[dict]) -> str:
    width = max(len(t["target"]) for t in targets)
    return "targets (issues 5 and 17)\n" + "\n".join(
        f"[{t['status']:<4}] {t['target']:<{width}}  {t['detail']}" for t in targets
    )


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    return None


def machine_info() -> dict:
    version = peers.package_version
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "python": platform.python_version(),
        "packages": {p: version(p) for p in ("qa", "numpy", "scipy", "scikit-learn", "PyStemmer", "bm25s", "tantivy")},
    }


def _unavailable(system: str) -> str | None:
    package = peers.missing_package(system)  # the same check as qa eval's
    return f"{system} skipped: {package} is not installed (pip install -e '.[bench]')" if package else None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="synthetic corpus sizes in passages, comma-separated (default %(default)s; '' for none)",
    )
    p.add_argument("--systems", default=",".join(SYSTEMS), help="from qa, bm25s, tantivy (default %(default)s)")
    p.add_argument("--out", default=str(HERE / "results" / "bench.json"), help="JSON results (default %(default)s)")
    p.add_argument(
        "--data",
        default=str(ROOT.parent / "shared" / "data"),
        help="folder holding cranfield/ and squad2/ (default %(default)s; a missing one is skipped)",
    )
    p.add_argument("--no-real", action="store_true", help="skip Cranfield and SQuAD")
    p.add_argument("--work", default=str(HERE / ".work"), help="corpora, indexes and logs (default %(default)s)")
    p.add_argument("--timeout", type=float, default=360.0, help="seconds allowed per build or load (default 360)")
    p.add_argument("--mem-limit-gib", type=float, default=12.0, help="address-space limit per child (default 12)")
    p.add_argument("--cold-runs", type=int, default=3, help="cold starts per system; the median is reported")
    p.add_argument(
        "--latency-budget", type=float, default=120.0, help="seconds per timed pass before it stops early (default 120)"
    )
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_worker"]:
        return _worker(argv[1:])
    args = _parser().parse_args(argv)
    args.work = Path(args.work).resolve()
    args.out = Path(args.out)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        _parser().error(f"--sizes: {args.sizes!r} is not a comma-separated list of whole numbers")
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in systems:
        if s not in SYSTEMS:
            _parser().error(f"--systems: unknown system {s!r}; choose from {', '.join(SYSTEMS)}")

    def log(message):
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": machine_info(),
        "settings": {
            "sizes": sizes,
            "systems": systems,
            "timeout_s": args.timeout,
            "mem_limit_gib": args.mem_limit_gib,
            "cold_runs": args.cold_runs,
            "latency_budget_s": args.latency_budget,
            "warmup": WARMUP,
            "k_search": K_SEARCH,
            "k_ask": K_ASK,
            "max_questions": N_QUESTIONS,
        },
        "notes": [],
        "corpora": {},
    }
    skipped = {s: _unavailable(s) for s in systems}
    for why in filter(None, skipped.values()):
        results["notes"].append(why)
        log(f"bench: note: {why}")

    corpora = []
    if not args.no_real:
        for name in REAL:
            c = _prepare_real(name, Path(args.data), args.work)
            if c is None:
                results["notes"].append(f"{name} skipped: no corpus.jsonl/queries.jsonl in {Path(args.data) / name}")
            else:
                corpora.append(c)
    corpora += [_prepare_synthetic(n, args.work, log) for n in sizes]

    for c in corpora:
        n_questions = sum(1 for line in c["questions"].read_text(encoding="utf-8").splitlines() if line.strip())
        entry = {k: (str(v) if isinstance(v, Path) else v) for k, v in c.items()}
        entry.update(n_questions=n_questions, systems={})
        results["corpora"][c["name"]] = entry
        for s in systems:
            if skipped[s]:
                entry["systems"][s] = {"skipped": skipped[s]}
            else:
                entry["systems"][s] = _measure(c, s, args, log)
        results["seconds"] = time.perf_counter() - started
        results["qa_curve"] = _qa_curve(results)
        results["targets"] = _targets(results)
        save_json(args.out, results)  # after every corpus, so an interrupted run keeps what it measured
        print(format_corpus(entry) + "\n", flush=True)

    results["seconds"] = time.perf_counter() - started
    results["qa_curve"] = _qa_curve(results)
    results["targets"] = _targets(results)
    save_json(args.out, results)
    print(format_curve(results["qa_curve"]) + "\n")
    print(format_targets(results["targets"]) + "\n")
    for note in results["notes"]:
        print(f"note: {note}")
    print(f"total time {results['seconds'] / 60:.1f} min; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
