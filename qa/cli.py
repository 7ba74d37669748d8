"""qa: ask questions of a folder of documents; answers are cited sentences from it.

Commands:
  qa index SOURCE... --out DIR       build an index of folders, document files or corpus.jsonl
             [--shards N [--scheduler ADDRESS]]   ... as N shards, built on a Dask cluster
  qa ask "QUESTION" [--json]         answer one question (default corpus: ./corpus)
  qa search --index DIR --queries Q  rank documents for each query in a JSONL file
  qa answer --index DIR --queries Q  answer each query in a JSONL file, one JSON object a line
  qa ui [--index DIR|--corpus DIR]   serve the web page and its JSON API (/api/ask, /api/health)
        [--host ADDR] [--allowed-host NAME] [--admin-password-file FILE]
  qa eval DATASET... [--systems S]   retrieval, answer and abstention figures on BEIR datasets
                                     (and on question-set folders: docs/ + questions.jsonl)
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import textwrap
import time
from pathlib import Path

from .errors import QAError, QuestionError
from .files import atomic_file

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit 2, as argparse does, without the usage dump
        self.exit(2, f"qa: error: {message} (see qa {self.prog.split()[-1] if ' ' in self.prog else ''} --help)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{value} is out of range; use 1 to 1000")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is out of range; use 1 to 65535")
    return value


def _scheduler_option(parser) -> None:
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="for a sharded index: score on the workers of this Dask scheduler, each holding shards in memory "
        "(default: $QA_SCHEDULER; without either, shards are searched in this process, memory-mapped)",
    )


def _open(args):
    """The index named by ``--index`` (or the default one), connected to ``--scheduler`` if sharded."""
    from .index.default import open_index

    index = open_index(args.index, log=_log)
    if args.scheduler:  # one index refuses it
        index.connect(args.scheduler)
    elif os.environ.get("QA_SCHEDULER"):  # the variable applies to sharded indexes only
        index.connect(os.environ["QA_SCHEDULER"], optional=True)
    return index


def _close(index) -> None:
    index.close()  # the Dask client of --scheduler, if any


@contextlib.contextmanager
def _batch(args):
    """``(index, queries, output)`` of qa search and qa answer; the index is released after."""
    index = _open(args)
    try:
        from .evaluate.datasets import read_queries  # the one reader of queries files (qa eval's too)

        queries = [(q.qid, q.text) for q in read_queries(args.queries, allow_empty=True, missing="--queries names")]
        with _Output(args.out) as out:
            yield index, queries, out
    finally:
        _close(index)


def _parser() -> argparse.ArgumentParser:
    from .ingest.loader import DOCUMENT_SUFFIXES

    formats = ", ".join(DOCUMENT_SUFFIXES)  # the loader's one list: help never lags behind what is read
    read = textwrap.fill(
        f"Formats read: {formats} files, any other text file (README, FAQ, METADATA, ... as plain text, "
        "whatever its encoding), and corpus.jsonl files "
        '(BEIR: one {"_id", "title", "text"} a line). A file that is not read (binary, too large, '
        "unreadable) is named with the reason.",
        width=100,
    )
    p = _Parser(prog="qa", description=f"{__doc__}\n{read}", formatter_class=argparse.RawDescriptionHelpFormatter)
    from . import __version__

    p.add_argument("--version", action="version", version=f"qa {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    s = sub.add_parser(
        "index",
        help="build or update an index",
        description=f"Index folders (every file in them: {formats} by their format, any other text file as "
        "plain text; what is not read is named with the reason), such files, or corpus.jsonl files. With --add "
        "or --remove, update the index in DIR in place (only the named documents are read; scores equal a full "
        "rebuild).",
    )
    s.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"a folder, a file ({formats}, or any text file), or a corpus.jsonl",
    )
    s.add_argument("--out", required=True, metavar="DIR", help="folder to write the index to (replaced atomically)")
    s.add_argument("--add", action="store_true", help="add SOURCE(s) to the index in DIR (a known id is replaced)")
    s.add_argument("--remove", nargs="+", default=[], metavar="DOC_ID", help="remove documents (ids as qa shows them)")
    s.add_argument(
        "--shards",
        type=_positive,
        metavar="N",
        help="build N shards on a Dask cluster (a LocalCluster of this machine unless --scheduler); "
        "scores equal a single build's",
    )
    s.add_argument(
        "--scheduler", metavar="ADDRESS", help="with --shards: the Dask scheduler to build on (tcp://host:8786)"
    )
    s.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help="processes to build on (default: one a usable core, at most 8; 1 builds in this process alone); "
        "the index is the same",
    )

    s = sub.add_parser("ask", help="answer one question", description="Answer one question with cited sentences.")
    s.add_argument("question", help="the question, in quotes")
    s.add_argument("--index", metavar="DIR", help="index folder (default: the cached index of ./corpus)")
    s.add_argument("--top-k", type=_positive, default=5, metavar="K", help="passages to show (default 5)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument(
        "--explain",
        action="store_true",
        help='also show each shown unit\'s features and their contributions (JSON: "explanation")',
    )
    _scheduler_option(s)

    for name, helptext, default_k in (
        ("search", "rank documents for a file of queries", 100),
        ("answer", "answer a file of queries", 5),
    ):
        s = sub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        s.add_argument("--index", metavar="DIR", help="index folder (default: the cached index of ./corpus)")
        s.add_argument("--queries", required=True, metavar="Q.jsonl", help='JSONL, one {"_id", "text"} a line')
        s.add_argument("--top-k", type=_positive, default=default_k, metavar="K", help=f"default {default_k}")
        s.add_argument("--out", metavar="FILE", help="write here (atomically) instead of standard output")
        _scheduler_option(s)

    s = sub.add_parser(
        "ui",
        help="serve the web page and its JSON API",
        description="Serve the question page and, from the same server, a JSON API on http://127.0.0.1:PORT: "
        "GET /api/ask?q=QUESTION&k=5 (the qa ask --json object) and GET /api/health.",
    )
    s.add_argument(
        "--index",
        metavar="DIR",
        help="index to serve (default: $QA_INDEX, else the cached index of ./corpus); the page keeps a copy "
        "in its data folder, rebuilt (with the page's uploads) when it was made from another source",
    )
    s.add_argument(
        "--corpus",
        metavar="DIR",
        help="folder of documents to serve instead (as $QA_CORPUS); the page follows its edits: changed, "
        "added and removed files are re-indexed before the next answer",
    )
    s.add_argument("--port", type=_port, default=8501, help="port to serve on (default 8501)")
    s.add_argument(
        "--host",
        metavar="ADDR",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1); elsewhere without an owner's password, uploads, removals "
        "and the feedback export are off (a warning says so)",
    )
    s.add_argument(
        "--allowed-host",
        metavar="NAME",
        action="append",
        default=[],
        help="a Host name the server answers besides the loopback names and the bound address (repeatable; "
        "behind a reverse proxy, its public name: docs/reverse-proxy.md); other names get 403. Without an owner's "
        "password, uploads, removals and the feedback export are then off for everyone",
    )
    s.add_argument(
        "--admin-password-file",
        metavar="FILE",
        help="file whose first line is the owner's password (default: $QA_ADMIN_PASSWORD); "
        "the owner may upload, remove documents and export feedback. Without one, only a request from this "
        "machine to a loopback-only page (no proxy in between) has those",
    )
    s.add_argument(
        "--data",
        metavar="DIR",
        help="folder for the page's own index, uploads and feedback (default: $QA_DATA, else ~/.local/share/qa); "
        "one live page a folder: another qa ui on it stops with one line naming the first",
    )

    s = sub.add_parser(
        "eval",
        help="evaluate on BEIR datasets and question-set folders",
        description="Rank every judged query of each BEIR dataset (corpus.jsonl, queries.jsonl, qrels/test.tsv) "
        "with each system and print nDCG@10, MAP@100, Recall@1/5/20/100, MRR@10, index seconds and queries/second; "
        "for datasets with answerable/answers, how often qa's summary holds the answer; and how often qa abstains "
        "on questions asked of another dataset or of the default corpus. Peers need: pip install .[bench]. "
        "A question-set folder (docs/ and questions.jsonl) is indexed and each of its questions answered by qa; "
        "the answers are scored as realdocs/check.py scores them (answered, source_top3, first_has, whole_has, abstained_near, "
        "abstained_off, markup_sentences, fragment_sentences) and shown beside their targets.",
    )
    s.add_argument(
        "datasets",
        nargs="+",
        metavar="DATASET_DIR",
        help="a BEIR dataset folder, or a question-set folder (docs/ and questions.jsonl)",
    )
    s.add_argument(
        "--systems",
        default="qa,qa+prf,bm25s,tantivy,sklearn-default",
        metavar="S,S",
        help="comma-separated, from qa, qa+prf, bm25s, tantivy, sklearn-default (default: all)",
    )
    s.add_argument("--json", metavar="OUT.json", help="write all figures and machine info here (atomically)")
    s.add_argument("--plot", metavar="FILE.png", help="draw a bar chart of the metrics here (needs matplotlib)")
    s.add_argument("--ood-corpus", metavar="DIR", help="corpus for out-of-domain abstention (default: qa ask's corpus)")
    s.add_argument(
        "--explain",
        metavar="ID",
        help="answer only question ID of the question sets given, showing each "
        "shown unit's features and contributions (with --json OUT.json: also its JSON object there)",
    )
    s.add_argument(
        "--verbose",
        action="store_true",
        help="also print each question set's misses, one line a question and problem (--json always keeps them)",
    )
    return p


def _log(message: str) -> None:
    print(message, file=sys.stderr)


class _Output:
    """Standard output, or a file written to a temporary name and renamed when complete
    (`qa.files.atomic_file`)."""

    def __init__(self, path: str | None):
        self.path = path

    def __enter__(self):
        if self.path is None:
            return sys.stdout
        target = Path(self.path)
        if target.is_dir():
            raise QAError(f"{target}: is a folder; --out takes a file name")
        target.parent.mkdir(parents=True, exist_ok=True)
        self._file = atomic_file(target)
        return self._file.__enter__()

    def __exit__(self, exc_type, exc, tb):
        if self.path is None:
            return False
        return self._file.__exit__(exc_type, exc, tb)


def _cmd_index(args) -> int:
    from .index.build import build_index, count_documents, describe, update_index
    from .index.parallel import default_jobs
    from .index.folders import load_index, save_index
    from .index.versions import check_writable, writer_lock

    if args.scheduler and not args.shards:
        raise QAError("--scheduler needs --shards N (the number of shards to build)")
    if args.shards and (args.add or args.remove):
        raise QAError("--shards builds a new index; a sharded index cannot be updated with --add/--remove: rebuild it")
    if args.jobs and (args.shards or args.add or args.remove):  # said, not silently ignored
        raise QAError(
            "--jobs sets the processes of a full build: --shards builds on Dask workers, and "
            "--add/--remove update in this process"
        )
    if args.shards:
        return _index_sharded(args)
    if args.add or args.remove:
        if args.add and not args.sources:
            raise QAError("--add needs at least one SOURCE to add")
        if args.sources and not args.add:
            raise QAError("name SOURCEs with --add to add them, or leave them out to only --remove")
        check_writable(args.out)
        with writer_lock(args.out, log=_log):  # read-modify-write: concurrent --add/--remove all land
            before = load_index(args.out)
            index, warnings = update_index(before, add=args.sources, remove=args.remove)
            for w in warnings:
                _log(f"qa: warning: {w}")
            save_index(index, args.out)
        _log(
            f"qa: updated {args.out}: {describe(index)['documents']} document(s), {index.n_passages} passage(s) "
            f"(was {before.passages.n_documents} and {before.n_passages})"
        )
        return 0
    if not args.sources:
        raise QAError("name at least one SOURCE to index (a folder, a .txt/.md file or a corpus.jsonl)")
    check_writable(args.out)  # before the build: a folder qa did not make is refused, untouched
    start = time.monotonic()
    with _progress("indexing", lambda: count_documents(args.sources), "documents") as bar:
        index, warnings = build_index(args.sources, progress=bar, jobs=args.jobs or default_jobs())
    for w in warnings:
        _log(f"qa: warning: {w}")
    with writer_lock(args.out, log=_log):
        save_index(index, args.out)
    _log(_index_summary(describe(index), warnings, args.out, time.monotonic() - start))
    return 0


def _progress(label: str, total, unit: str):
    """A `qa.progress.Progress` on stderr (drawn only on a terminal); `total` is a number or a
    function giving it, called only when the bar is drawn."""
    from .progress import Progress

    bar = Progress(label, None, unit)
    if bar.enabled:
        bar.total = total() if callable(total) else total
    return bar


def _index_summary(facts: dict, warnings, out, seconds: float) -> str:
    """The one line qa index ends with: documents, passages, terms (`facts`: `qa.index.build.describe`),
    skipped files and why, time, folder.

    >>> _index_summary({"documents": 2, "passages": 5, "terms": 40}, ["a.bin: skipped, binary"], "ix", 1.25)
    'qa: indexed 2 document(s), 5 passage(s), 40 terms in 1.2 s into ix; skipped 1 file(s): a.bin: skipped, binary'
    """
    from .progress import format_duration

    line = (
        f"qa: indexed {facts['documents']} document(s), {facts['passages']} passage(s), "
        f"{facts['terms']} terms in {format_duration(seconds)} into {out}"
    )
    if warnings:
        line += f"; skipped {len(warnings)} file(s): " + "; ".join(warnings)
    else:
        line += "; no file skipped"
    return line


def _index_sharded(args) -> int:
    from .index.build import describe
    from .index.shard_build import build_sharded
    from .index.sharded import load_sharded

    if not args.sources:
        raise QAError("name at least one SOURCE to index (a folder, a .txt/.md file or a corpus.jsonl)")
    build_sharded(args.sources, args.out, args.shards, scheduler=args.scheduler, log=_log)
    index = load_sharded(args.out, verify=False)
    facts = describe(index)
    for w in facts["warnings"]:
        _log(f"qa: warning: {w}")
    _log(
        f"qa: indexed {facts['documents']} document(s), {index.n_passages} passage(s), "
        f"{index.n_terms} terms into {args.out} ({len(index.shards)} shard(s))"
    )
    return 0


def _cmd_ask(args) -> int:
    from .serve.render import answer_to_dict, answer_to_text, explanation_to_text
    from .answering.summarize import answer

    index = _open(args)
    try:
        result = answer(index, args.question, k=args.top_k, explain=args.explain)
    finally:
        _close(index)
    if args.json:
        print(json.dumps(answer_to_dict(result, explain=args.explain), ensure_ascii=False))
    else:
        print(answer_to_text(result, analyzer=index.analyzer))
        if args.explain:
            print("\n" + explanation_to_text(result))
    return 0


def _cmd_search(args) -> int:
    from .answering.search import search_documents

    with _batch(args) as (index, queries, out), _progress("searching", len(queries), "queries") as bar:
        for qid, text in queries:
            bar.update()
            try:
                ranked = search_documents(index, text, k=args.top_k)
            except QuestionError as exc:
                _log(f"qa: query {qid}: {exc}")
                ranked = []
            out.write(json.dumps({"id": qid, "hits": [{"id": d, "score": round(s, 6)} for d, s in ranked]}) + "\n")
    return 0


def _cmd_answer(args) -> int:
    from .serve.render import answer_to_dict, refusal_to_dict
    from .answering.summarize import answer

    with _batch(args) as (index, queries, out), _progress("answering", len(queries), "queries") as bar:
        for qid, text in queries:
            bar.update()
            try:
                obj = answer_to_dict(answer(index, text, k=args.top_k))
            except QuestionError as exc:
                obj = refusal_to_dict(text, str(exc))
            out.write(json.dumps({"id": qid, **obj}, ensure_ascii=False) + "\n")
    return 0


def _cmd_ui(args) -> int:
    from .serve.launch import serve_page

    return serve_page(
        host=args.host,
        port=args.port,
        index=args.index,
        corpus=getattr(args, "corpus", None),
        data=args.data,
        allowed_hosts=args.allowed_host,
        password_file=args.admin_password_file,
        log=_log,
    )


def _cmd_eval(args) -> int:
    import shlex

    from .evaluate.datasets import load_dataset
    from .evaluate.report import format_table, plot, require_matplotlib
    from .evaluate.runs import evaluate, parse_systems
    from .files import save_json

    systems = parse_systems(args.systems)  # a bad name fails before any work
    if args.plot:
        require_matplotlib()
    for out in (args.json, args.plot):
        if out and Path(out).is_dir():
            raise QAError(f"{out}: is a folder; --json and --plot take a file name")
    datasets = [load_dataset(d) for d in args.datasets]
    if args.explain:
        from .evaluate.explain import explain_question

        print(explain_question(datasets, args.explain))
        if args.json:
            from .files import atomic_write

            atomic_write(Path(args.json), explain_question(datasets, args.explain, as_json=True) + "\n")
            _log(f"qa: wrote {args.json}")
        return 0
    command = ["qa", "eval", *args.datasets, "--systems", ",".join(systems)]
    for flag, value in (("--json", args.json), ("--plot", args.plot), ("--ood-corpus", args.ood_corpus)):
        if value:
            command += [flag, value]
    if args.verbose:
        command.append("--verbose")
    results = evaluate(datasets, systems, ood_corpus=args.ood_corpus, command=shlex.join(command), log=_log)
    print(format_table(results, verbose=args.verbose), end="")
    if args.json:
        save_json(args.json, results)
        _log(f"qa: wrote {args.json}")
    if args.plot:
        plot(results, args.plot)
        _log(f"qa: wrote {args.plot}")
    return 0


_COMMANDS = {
    "index": _cmd_index,
    "ask": _cmd_ask,
    "search": _cmd_search,
    "answer": _cmd_answer,
    "ui": _cmd_ui,
    "eval": _cmd_eval,
}


def _os_error(exc: OSError) -> str:
    """An `OSError` as one line: the file, what went wrong, and that nothing was left half-written."""
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno == errno.ENOSPC or (exc.errno is None and " requested and " in str(exc)):  # numpy's short write
        return (
            f"{where}no space left on the device; nothing half-written was kept and the previous files are "
            "unchanged (free some space and run it again)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}{exc.strerror or exc} (check the permissions)"
    return f"{where}{exc.strerror or exc}"


def main(argv=None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a user error, 2 a usage error)."""
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except QAError as exc:
        _log(f"qa: error: {exc}")
        return 1
    except KeyboardInterrupt:
        _log("qa: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # disk full, permissions, ...: one line, never a traceback
        _log(f"qa: error: {_os_error(exc)}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
