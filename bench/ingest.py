"""Ingest speed (issue 23): `make bench-ingest` (also run by `make bench`).

usage: .venv/bin/python bench/ingest.py [--pdf PATH ...] [--fetch] [--work bench/.work/ingest]
                                        [--out bench/results/ingest.json] [--jobs 1,2]

PDF
    Every PDF found (``--pdf`` files or folders; by default ``/usr/share/doc/**/*.pdf``,
    ``../shared/realdocs/docs/*.pdf`` and the work folder's, where ``--fetch`` unpacks the PDFs
    of a few Debian ``-doc`` packages fetched with ``apt-get download``) is read by qa
    (`qa.ingest.formats.extract_pdf`: layout, furniture, tables, the whole reading) and by the
    *floor*: pypdfium2 opening the file and taking each page's text and each character's box
    (``PdfTextPage.get_text_range`` and ``get_charbox`` per character), the least a
    layout-aware reader on pdfium does. Both in this process, alternately, file by file, the
    best of `REPEATS` runs each; pages a second per file and over all of them.
HTML, Markdown, DOCX
    MB of file a second through `qa.ingest.loader.read_document` and `qa.ingest.reading.read`
    (the structure the chunker reads): the HTML and Markdown files of ``../shared/realdocs``
    and ``/usr/share/doc``, and DOCX files pandoc writes from the Markdown ones (no DOCX ships
    with Debian's documentation) when pandoc is installed.
qa index
    ``qa index`` end to end on a folder of the mixed real files above (links to them), with
    each ``--jobs`` value: wall seconds, documents, passages.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

REPEATS = 2
# Debian packages whose documentation is PDF (the policy manual and the FHS, the developers' reference,
# libtasn1's manual, the Debian Reference in Chinese): fetched with apt-get download and unpacked with dpkg-deb -x, nothing installed.
FETCH = ("debian-policy", "developers-reference", "libtasn1-doc", "debian-reference-zh-cn")
REALDOCS = ROOT.parent / "shared" / "realdocs" / "docs"


def _best(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def floor_pass(path: Path) -> int:
    """pypdfium2's text and character boxes of every page: the floor a reader on pdfium stands on."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        for page in document:
            textpage = page.get_textpage()
            textpage.get_text_range()
            for i in range(textpage.count_chars()):
                textpage.get_charbox(i)
            textpage.close()
            page.close()
        return len(document)
    finally:
        document.close()


def fetch_pdfs(work: Path) -> list[str]:
    """Unpack the PDFs of `FETCH` into `work` (apt-get download + dpkg-deb -x); the notes of what failed."""
    notes = []
    debs = work / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    for package in FETCH:
        if any(debs.glob(f"{package}_*.deb")):
            continue
        run = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True, text=True)
        if run.returncode:
            notes.append(f"apt-get download {package} failed: {run.stderr.strip()[:200]}")
    for deb in debs.glob("*.deb"):
        out = work / "unpacked" / deb.stem
        if not out.exists():
            out.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(out)], check=False)
            for gz in out.rglob("*.pdf.gz"):  # Debian compresses documentation: policy.pdf.gz
                gz.with_suffix("").write_bytes(gzip.decompress(gz.read_bytes()))
    return notes


def find_pdfs(paths: list[str], work: Path) -> list[Path]:
    found: list[Path] = []
    if paths:
        for p in map(Path, paths):
            found += sorted(p.rglob("*.pdf")) if p.is_dir() else [p]
    else:
        found += map(Path, sorted(glob.glob("/usr/share/doc/**/*.pdf", recursive=True)))
        found += sorted(REALDOCS.glob("*.pdf"))
        found += sorted(work.rglob("*.pdf"))
    seen, out = set(), []
    for p in found:
        key = (p.name, p.stat().st_size) if p.is_file() else None
        if key and key not in seen and p.stat().st_size > 0:
            seen.add(key)
            out.append(p)
    return out


def bench_pdfs(pdfs: list[Path]) -> dict:
    from qa.ingest.formats import extract_pdf
    from qa.errors import SourceError

    rows = []
    floor_pass(pdfs[0]) if pdfs else None  # imports and first-call costs out of the timings
    for path in pdfs:
        try:
            pages = len(extract_pdf(path).pages)
        except SourceError as exc:
            rows.append({"file": path.name, "error": str(exc)})
            continue
        qa_s = _best(lambda path=path: extract_pdf(path))
        floor_s = _best(lambda path=path: floor_pass(path))
        rows.append(
            {
                "file": path.name,
                "path": str(path),
                "pages": pages,
                "qa_s": qa_s,
                "floor_s": floor_s,
                "qa_pages_s": pages / qa_s,
                "floor_pages_s": pages / floor_s,
            }
        )
    ok = [r for r in rows if "pages" in r]
    pages = sum(r["pages"] for r in ok)
    qa_s, floor_s = sum(r["qa_s"] for r in ok), sum(r["floor_s"] for r in ok)
    return {
        "files": rows,
        "pages": pages,
        "qa_pages_s": pages / qa_s if qa_s else None,
        "floor_pages_s": pages / floor_s if floor_s else None,
        "floor_ratio": qa_s / floor_s if floor_s else None,
    }


_BEFORE = """
import sys, time
from qa.ingest.formats import extract_pdf
pages = seconds = 0
for path in sys.argv[1:]:
    t = time.perf_counter()
    pages += len(extract_pdf(path).pages)
    seconds += time.perf_counter() - t
print(pages / seconds)
"""


def before_pages_s(python: str, tree: str, pdfs: list[Path]) -> float | None:
    """Pages a second of the PDF reader in `tree` (qa before pdfium), run by `python`, on `pdfs` (one run)."""
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
    run = subprocess.run(
        [python, "-c", _BEFORE, *map(str, pdfs)], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir()
    )
    return float(run.stdout.strip()) if run.returncode == 0 else None


def _text_files(pattern_sets) -> list[Path]:
    out = []
    for patterns in pattern_sets:
        for pattern in patterns:
            out += [Path(p) for p in sorted(glob.glob(pattern, recursive=True)) if os.path.getsize(p) > 0]
    return out


def make_docx(sources: list[Path], work: Path) -> list[Path]:
    """DOCX files pandoc writes from `sources` (with a table of contents field), when pandoc is here."""
    pandoc = shutil.which("pandoc")
    if not pandoc:
        return []
    out_dir = work / "docx"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for src in sources:
        target = out_dir / (src.stem.replace(".", "-") + ".docx")
        if not target.exists():
            run = subprocess.run([pandoc, "--toc", "-f", "gfm", str(src), "-o", str(target)], capture_output=True)
            if run.returncode:
                continue
        out.append(target)
    return out


def bench_formats(work: Path) -> dict:
    import warnings

    from qa.ingest.loader import read_document
    from qa.ingest.reading import read

    warnings.filterwarnings("ignore")  # BeautifulSoup's notes on XHTML files read as HTML: not the figure

    md_plain = work / "markdown"
    md_plain.mkdir(parents=True, exist_ok=True)
    for gz in glob.glob("/usr/share/doc/**/*.md.gz", recursive=True):  # Debian compresses most of them
        target = md_plain / (Path(gz).parent.name + "-" + Path(gz).stem)
        if not target.exists():
            target.write_bytes(gzip.decompress(Path(gz).read_bytes()))
    sets = {
        "HTML": _text_files([[str(REALDOCS / "*.html"), "/usr/share/doc/**/*.html"]]),
        "Markdown": _text_files([[str(REALDOCS / "*.md"), "/usr/share/doc/**/*.md", str(md_plain / "*.md")]]),
    }
    sets["DOCX"] = make_docx(sorted(REALDOCS.glob("*.md")) + sorted(md_plain.glob("*.md"))[:20], work)
    out = {}
    for kind, files in sets.items():
        ok, size = [], 0
        for f in files:
            try:
                read(read_document(f, f.name))
            except Exception:  # a file qa refuses is not part of the speed figure
                continue
            ok.append(f)
            size += f.stat().st_size
        if not ok:
            continue
        seconds = _best(lambda ok=ok: [read(read_document(f, f.name)) for f in ok])
        out[kind] = {"files": len(ok), "mb": size / 1e6, "seconds": seconds, "mb_s": size / 1e6 / seconds}
    return out


def bench_index(files: list[Path], jobs_list: list[int]) -> dict:
    qa_bin = Path(sys.executable).parent / "qa"
    with tempfile.TemporaryDirectory(prefix="qa-ingest-") as tmp:
        folder = Path(tmp) / "mixed"
        folder.mkdir()
        for i, f in enumerate(files):
            (folder / f"{i:03d}-{f.name}").symlink_to(f.resolve())
        size = sum(f.stat().st_size for f in files)
        runs = []
        for jobs in jobs_list:
            out = Path(tmp) / f"index-{jobs}"
            t = time.perf_counter()
            run = subprocess.run(
                [str(qa_bin), "index", str(folder), "--out", str(out), "--jobs", str(jobs)],
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - t
            line = (run.stdout + run.stderr).strip().splitlines()
            runs.append(
                {
                    "jobs": jobs,
                    "seconds": seconds,
                    "returncode": run.returncode,
                    "summary": next((s for s in line if s.startswith("qa: indexed")), line[-1] if line else ""),
                }
            )
    kinds = {}
    for f in files:
        kinds[f.suffix.lower() or "(none)"] = kinds.get(f.suffix.lower() or "(none)", 0) + 1
    return {"files": len(files), "mb": size / 1e6, "kinds": kinds, "runs": runs}


def format_table(results: dict) -> str:
    pdf = results["pdf"]
    lines = [
        "PDF reading, pages a second (best of %d; qa's whole reading beside pypdfium2's text + character boxes):"
        % results.get("repeats", REPEATS),
        "",
        f"{'file':34} {'pages':>5} {'qa p/s':>8} {'floor p/s':>9} {'qa/floor':>8}",
    ]
    for r in pdf["files"]:
        if "pages" in r:
            lines.append(
                f"{r['file'][:34]:34} {r['pages']:5d} {r['qa_pages_s']:8.1f} {r['floor_pages_s']:9.1f} "
                f"{r['floor_pages_s'] and r['qa_s'] / r['floor_s']:7.2f}x"
            )
        else:
            lines.append(f"{r['file'][:34]:34} refused: {r['error'][:80]}")
    if pdf["pages"]:
        lines.append(
            f"{'all':34} {pdf['pages']:5d} {pdf['qa_pages_s']:8.1f} {pdf['floor_pages_s']:9.1f} "
            f"{pdf['floor_ratio']:7.2f}x"
        )
    lines += [
        "",
        "Other formats, MB of file a second (loader + reader):",
        "",
        f"{'format':10} {'files':>5} {'MB':>7} {'MB/s':>7}",
    ]
    for kind, r in results["formats"].items():
        lines.append(f"{kind:10} {r['files']:5d} {r['mb']:7.2f} {r['mb_s']:7.2f}")
    index = results["index"]
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(index["kinds"].items()))
    lines += ["", f"qa index end to end: {index['files']} real files ({kinds}), {index['mb']:.1f} MB:", ""]
    for r in index["runs"]:
        lines.append(f"--jobs {r['jobs']}: {r['seconds']:6.1f} s wall   {r['summary']}")
    for target in results.get("targets", []):
        lines.append(target)
    if results.get("load"):
        lines.append(
            f"1-minute load average {results['load'][0]:.1f} at the start, {results['load'][1]:.1f} at the end, "
            f"on {results.get('machine', {}).get('cores', '?')} cores (the timings are of one shared machine)"
        )
    return "\n".join(lines)


def targets(results: dict, before: float | None) -> list[str]:
    pdf = results["pdf"]
    out = [""]
    if before:
        x = pdf["qa_pages_s"] / before
        out.append(
            f"target >= 5x the reader before (pdfplumber, c9b5154: {before:.1f} p/s on these files, "
            f"same run): {x:.1f}x "
            f"{'met' if x >= 5 else 'missed'}"
        )
    out.append(
        f"target within 2x of the pypdfium2 floor: {pdf['floor_ratio']:.2f}x "
        f"{'met' if pdf['floor_ratio'] <= 2 else 'missed'}"
    )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", nargs="*", default=[], help="PDF files or folders (default: those found)")
    parser.add_argument("--fetch", action="store_true", help=f"apt-get download {' '.join(FETCH)} into --work first")
    parser.add_argument("--work", type=Path, default=HERE / ".work" / "ingest")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ingest.json")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument(
        "--before",
        nargs=2,
        metavar=("PYTHON", "TREE"),
        default=None,
        help="a Python with pdfplumber and a checkout of qa before issue 23 (git archive c9b5154 qa): "
        "its PDF reader is timed on the same files, for the 5x target",
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    notes = fetch_pdfs(args.work) if args.fetch else []
    started = time.time()
    pdfs = find_pdfs(args.pdf, args.work)
    command = (
        "make bench-ingest"
        if not args.before
        else "bench/ingest.py --fetch --before PYTHON TREE (TREE: git archive c9b5154 qa; PYTHON: one with pdfplumber)"
    )
    load = os.getloadavg()[0]
    results = {
        "command": command,
        "date": time.strftime("%Y-%m-%d"),
        "repeats": REPEATS,
        "pdf": bench_pdfs(pdfs),
        "formats": bench_formats(args.work),
    }
    mixed = pdfs + [f for r in ("*.html", "*.md", "*.txt", "*.rst") for f in sorted(REALDOCS.glob(r))]
    mixed += [Path(p) for p in sorted(glob.glob(str(args.work / "docx" / "*.docx")))]
    results["index"] = bench_index(mixed, [int(j) for j in args.jobs.split(",")])
    before = None
    if args.before:
        before = before_pages_s(
            args.before[0], args.before[1], [Path(r["path"]) for r in results["pdf"]["files"] if "path" in r]
        )
        results["pdf"]["before_pages_s"] = before
    results["targets"] = targets(results, before)
    results["notes"] = notes
    results["seconds"] = time.time() - started
    results["load"] = [load, os.getloadavg()[0]]  # the machine is shared: 1-minute load at start and end
    import bench as common  # bench/bench.py: machine facts, atomic JSON writing

    results["machine"] = common.machine_info()
    common.write_json(results, args.out)
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
