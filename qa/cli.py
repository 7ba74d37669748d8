"""qa: ask questions of a folder of documents; answers are cited sentences from it.

Commands:
  qa index SOURCE... --out DIR       build an index of folders, .txt/.md files or corpus.jsonl
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
    from .index.build import open_index

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
        queries = _read_queries(args.queries)
        with _Output(args.out) as out:
            yield index, queries, out
    finally:
        _close(index)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="qa", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    from . import __version__

    p.add_argument("--version", action="version", version=f"qa {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    s = sub.add_parser(
        "index",
        help="build or update an index",
        description="Index folders, .txt/.md files or corpus.jsonl files. With --add or --remove, update the "
        "index in DIR in place (only the named documents are read; scores equal a full rebuild).",
    )
    s.add_argument("sources", nargs="*", metavar="SOURCE", help="a folder, a .txt/.md file, or a corpus.jsonl")
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
        help="a Host name the server answers besides the loopback names and the bound address (repeatable); "
        "other names get 403",
    )
    s.add_argument(
        "--admin-password-file",
        metavar="FILE",
        help="file whose first line is the owner's password (default: $QA_ADMIN_PASSWORD); "
        "the owner may upload, remove documents and export feedback",
    )
    s.add_argument(
        "--data",
        metavar="DIR",
        help="folder for the page's own index, uploads and feedback (default: $QA_DATA, else ~/.local/share/qa)",
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
        "--verbose",
        action="store_true",
        help="also print each question set's misses, one line a question and problem (--json always keeps them)",
    )
    return p


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def _read_queries(path: str) -> list[tuple[str, str]]:
    try:
        fh = open(path, encoding="utf-8-sig")
    except OSError as exc:
        raise QAError(f"{path}: cannot read queries ({exc.strerror or exc})") from None
    out = []
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                out.append((str(obj["_id"]), str(obj["text"])))
            except (ValueError, KeyError, TypeError, RecursionError):
                raise QAError(f'{path}:{lineno}: not a {{"_id", "text"}} JSON object') from None
    return out


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
    from .index.build import build_index, count_documents, update_index
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
            f"qa: updated {args.out}: {index.meta['n_documents']} document(s), {index.n_passages} passage(s) "
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
    _log(_index_summary(index, warnings, args.out, time.monotonic() - start))
    return 0


def _progress(label: str, total, unit: str):
    """A `qa.progress.Progress` on stderr (drawn only on a terminal); `total` is a number or a
    function giving it, called only when the bar is drawn."""
    from .progress import Progress

    bar = Progress(label, None, unit)
    if bar.enabled:
        bar.total = total() if callable(total) else total
    return bar


def _index_summary(index, warnings, out, seconds: float) -> str:
    """The one line qa index ends with: documents, passages, terms, skipped files and why, time, folder.

    >>> class I: meta = {"n_documents": 2}; n_passages = 5; n_terms = 40
    >>> _index_summary(I(), ["a.bin: skipped, binary"], "ix", 1.25)
    'qa: indexed 2 document(s), 5 passage(s), 40 terms in 1.2 s into ix; skipped 1 file(s): a.bin: skipped, binary'
    """
    from .progress import format_duration

    line = (
        f"qa: indexed {index.meta['n_documents']} document(s), {index.n_passages} passage(s), "
        f"{index.n_terms} terms in {format_duration(seconds)} into {out}"
    )
    if warnings:
        line += f"; skipped {len(warnings)} file(s): " + "; ".join(warnings)
    else:
        line += "; no file skipped"
    return line


def _index_sharded(args) -> int:
    from .index.shards import build_sharded, load_sharded

    if not args.sources:
        raise QAError("name at least one SOURCE to index (a folder, a .txt/.md file or a corpus.jsonl)")
    build_sharded(args.sources, args.out, args.shards, scheduler=args.scheduler, log=_log)
    index = load_sharded(args.out, verify=False)
    for w in index.meta.get("warnings", []):
        _log(f"qa: warning: {w}")
    _log(
        f"qa: indexed {index.meta['n_documents']} document(s), {index.n_passages} passage(s), "
        f"{index.n_terms} terms into {args.out} ({len(index.shards)} shard(s))"
    )
    return 0


def _cmd_ask(args) -> int:
    from .serve.render import answer_to_dict, answer_to_text
    from .answering.summarize import answer

    index = _open(args)
    try:
        result = answer(index, args.question, k=args.top_k)
    finally:
        _close(index)
    if args.json:
        print(json.dumps(answer_to_dict(result), ensure_ascii=False))
    else:
        print(answer_to_text(result, analyzer=index.analyzer))
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
    from .serve.render import answer_to_dict
    from .answering.summarize import answer

    with _batch(args) as (index, queries, out), _progress("answering", len(queries), "queries") as bar:
        for qid, text in queries:
            bar.update()
            try:
                obj = answer_to_dict(answer(index, text, k=args.top_k))
            except QuestionError as exc:
                obj = {
                    "question": text,
                    "answer": "",
                    "abstained": True,
                    "reason": str(exc),
                    "reason_code": "bad_question",
                    "confidence": 0.0,
                    "sentences": [],
                    "passages": [],
                }
            out.write(json.dumps({"id": qid, **obj}, ensure_ascii=False) + "\n")
    return 0


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line, before Streamlit starts, if `port` cannot be listened on."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no conflict
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            reason = exc.strerror or exc
            raise QAError(f"port {port} on {host} is not available ({reason}); choose another with --port") from None


def _ui_environment(args) -> dict[str, str]:
    """The page's environment: ``QA_INDEX`` (the index it starts from) and ``QA_DATA`` (its own folder).
    Checks both first, so a bad index or data folder is one clear error here, not a broken page."""
    from .index.build import open_index

    env = {}
    corpus = getattr(args, "corpus", None)
    if corpus:
        if args.index:
            raise QAError("--index and --corpus name two sources; give one")
        if not Path(corpus).is_dir():
            raise QAError(f"{corpus}: is not a folder; --corpus takes a folder of documents")
        env["QA_CORPUS"] = str(Path(corpus).resolve())
        os.environ["QA_CORPUS"] = env["QA_CORPUS"]
        os.environ.pop("QA_INDEX", None)  # the folder is served, not an index named elsewhere
    index = None if corpus else args.index or os.environ.get("QA_INDEX")
    if index:
        open_index(index)  # fail here, with a clear message, rather than in the page
        env["QA_INDEX"] = str(Path(index).resolve())
    else:
        open_index(None, log=_log)  # builds the default corpus's cache before the page starts
    data = args.data or os.environ.get("QA_DATA")
    if data:
        path = Path(data)
        if path.exists() and not path.is_dir():
            raise QAError(f"{path}: is not a folder; --data takes a folder (created if missing)")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise QAError(f"{path}: cannot create the data folder ({exc.strerror or exc})") from None
        env["QA_DATA"] = str(path.resolve())
    return env


def _ui_access(args) -> dict[str, str]:
    """The page's access settings: ``QA_UI_HOST``, ``QA_ALLOWED_HOSTS`` and ``QA_ADMIN_PASSWORD_FILE``
    (checked readable and non-empty here; its content is never printed or put in the environment).
    Warns on stderr when binding a non-loopback address with no owner's password."""
    from .serve.access import admin_password, bind_warning

    env = {"QA_UI_HOST": args.host}
    names = [n.strip() for n in args.allowed_host]
    bad = [n for n in names if not n or "," in n or "/" in n or " " in n]
    if bad:
        raise QAError(f"--allowed-host {bad[0]!r} is not a host name (a name such as qa.example.org, or name:port)")
    env["QA_ALLOWED_HOSTS"] = ",".join(names)
    if args.admin_password_file:
        path = Path(args.admin_password_file).resolve()
        old = os.environ.get("QA_ADMIN_PASSWORD_FILE")
        os.environ["QA_ADMIN_PASSWORD_FILE"] = str(path)
        try:
            if os.environ.get("QA_ADMIN_PASSWORD"):
                raise QAError("both $QA_ADMIN_PASSWORD and --admin-password-file are set; use one")
            if admin_password() is None:
                raise QAError(f"{path}: the owner's password file is empty")
        finally:
            if old is None:
                os.environ.pop("QA_ADMIN_PASSWORD_FILE")
            else:
                os.environ["QA_ADMIN_PASSWORD_FILE"] = old
        env["QA_ADMIN_PASSWORD_FILE"] = str(path)
        has_password = True
    else:
        has_password = admin_password() is not None
    warning = bind_warning(args.host, has_password)
    if warning:
        _log(warning)
    return env


def _page_script() -> Path:
    """qa/serve/server.py (st.App: the page qa/serve/page.py plus qa.serve.api's routes), found through
    the installed package (a wheel's site-packages or a checkout alike), never the working folder."""
    import importlib.util

    spec = importlib.util.find_spec("qa.serve.server")
    server = Path(spec.origin).resolve() if spec and spec.origin else None
    if server is None or not (server.is_file() and server.with_name("page.py").is_file()):
        raise QAError(
            f"the page scripts of the installed qa package are missing ({server}); reinstall qa (pip install .)"
        )
    return server


def _cmd_ui(args) -> int:
    server = _page_script()
    host = args.host
    access = _ui_access(args)
    env = _ui_environment(args)
    _check_port_free(host, args.port)
    os.environ.update(env)
    os.environ.update(access)
    from .serve.api import page_index_dir

    page_index_dir()  # the page's own index (with qa.library: made in its data folder now, not on first view)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(server),
        "--server.address",
        host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",  # no Deploy button or developer menu for visitors
    ]
    _log(f"qa: serving http://{host}:{args.port} (JSON API: /api/ask?q=..., /api/health)")
    sys.stderr.flush()
    os.execv(sys.executable, cmd)
    return 0  # pragma: no cover


def _cmd_eval(args) -> int:
    import shlex

    from . import evaluate as ev

    systems = ev.parse_systems(args.systems)  # a bad name fails before any work
    if args.plot:
        ev.require_matplotlib()
    for out in (args.json, args.plot):
        if out and Path(out).is_dir():
            raise QAError(f"{out}: is a folder; --json and --plot take a file name")
    datasets = [ev.load_dataset(d) for d in args.datasets]
    command = ["qa", "eval", *args.datasets, "--systems", ",".join(systems)]
    for flag, value in (("--json", args.json), ("--plot", args.plot), ("--ood-corpus", args.ood_corpus)):
        if value:
            command += [flag, value]
    if args.verbose:
        command.append("--verbose")
    results = ev.evaluate(datasets, systems, ood_corpus=args.ood_corpus, command=shlex.join(command), log=_log)
    print(ev.format_table(results, verbose=args.verbose), end="")
    if args.json:
        ev.write_json(results, args.json)
        _log(f"qa: wrote {args.json}")
    if args.plot:
        ev.plot(results, args.plot)
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
