#!/usr/bin/env python3
"""Check the manuals question set against its documents.

Usage: python verify.py [SET_DIR]   (default: the folder holding this script)
Needs pypdf and python-docx.

Adapted from realdocs/verify.py. Checks: ids unique; fields present and typed (realdocs fields
plus paraphrased, lang, unit); every answerable question names a file under docs/ whose kind
matches, and every answer_has phrase occurs in that file's text (case and runs of whitespace
ignored). Text per format:
  - DOCX: python-docx, the text of every body paragraph, then every table row (cells joined
    with " | "), joined by newlines;
  - PDF: pypdf extract_text, pages joined by newlines;
  - man pages (NAME.N.txt): the file as UTF-8 text, kept as it is. A page rendered with
    overstrike (char BACKSPACE char) must contain the phrase both raw and with the
    overstrike removed, so its phrases come from unformatted stretches;
  - other .txt: the UTF-8 file.
Unanswerable questions have source null, answer_has [], a boolean near and unit null; every
document has at least one question; each file is under 2 MB and docs/ under 6 MB.
Prints counts, and lists any answer phrase that also occurs in another document.
"""
import collections, json, logging, os, re, sys

from docx import Document
from pypdf import PdfReader

logging.disable(logging.CRITICAL)  # pypdf warns about fonts without fontTools; not relevant

UNITS = {"sentence", "list_item", "definition", "table_row", "code_after_colon", "heading_then_text"}
FIELDS = ("id", "question", "answerable", "source", "answer_has", "kind", "paraphrased", "lang", "unit")


def kind_of(name):
    if re.search(r"\.\d\.txt$", name):
        return "man"
    return {".docx": "docx", ".pdf": "pdf", ".txt": "txt", ".md": "md", ".html": "html"}.get(
        os.path.splitext(name)[1], "?")


def docx_text(path):
    d = Document(path)
    out = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            out.append(" | ".join(c.text for c in row.cells))
    return "\n".join(out)


def texts(path):
    k = kind_of(os.path.basename(path))
    if k == "docx":
        return [docx_text(path)]
    if k == "pdf":
        return ["\n".join((p.extract_text() or "") for p in PdfReader(path).pages)]
    raw = open(path, encoding="utf-8").read()
    if k == "man" and "\b" in raw:
        return [raw, re.sub(r".\x08", "", raw)]
    return [raw]


def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()


def main(set_dir):
    docs_dir = os.path.join(set_dir, "docs")
    docs = sorted(os.listdir(docs_dir))
    cache = {d: [norm(t) for t in texts(os.path.join(docs_dir, d))] for d in docs}
    rows = [json.loads(l) for l in open(os.path.join(set_dir, "questions.jsonl"), encoding="utf-8") if l.strip()]
    errors, elsewhere = [], []
    for i, n in collections.Counter(r.get("id") for r in rows).items():
        if n > 1:
            errors.append(f"duplicate id {i}")
    sizes = {d: os.path.getsize(os.path.join(docs_dir, d)) for d in docs}
    for d, s in sizes.items():
        if s >= 2_000_000:
            errors.append(f"docs/{d} is {s} bytes (limit 2 MB)")
    if sum(sizes.values()) >= 6_000_000:
        errors.append("docs/ is over 6 MB")
    used = collections.Counter()
    for r in rows:
        rid = r.get("id")
        for k in FIELDS:
            if k not in r:
                errors.append(f"{rid}: missing field {k}")
        if r.get("lang") not in ("en", "zh"):
            errors.append(f"{rid}: lang must be en or zh")
        if not isinstance(r.get("paraphrased"), bool):
            errors.append(f"{rid}: paraphrased must be true/false")
        if r.get("answerable") is True:
            src = r.get("source")
            if src not in cache:
                errors.append(f"{rid}: source {src!r} is not a file under docs/")
                continue
            used[src] += 1
            if r.get("unit") not in UNITS:
                errors.append(f"{rid}: unit {r.get('unit')!r} not one of {sorted(UNITS)}")
            if not isinstance(r.get("wrapped"), bool):
                errors.append(f"{rid}: wrapped must be true/false")
            if not r.get("answer_has"):
                errors.append(f"{rid}: empty answer_has")
            if r.get("kind") != kind_of(src):
                errors.append(f"{rid}: kind {r.get('kind')!r}, expected {kind_of(src)!r}")
            for ph in r.get("answer_has", []):
                for t in cache[src]:
                    if norm(ph) not in t:
                        errors.append(f"{rid}: phrase {ph!r} not found in {src}")
                        break
                others = [d for d in docs if d != src and any(norm(ph) in t for t in cache[d])]
                if others:
                    elsewhere.append(f"{rid}: {ph!r} also in {', '.join(others)}")
        elif r.get("answerable") is False:
            if r.get("source") is not None or r.get("answer_has") != [] or not isinstance(r.get("near"), bool) \
                    or r.get("unit") is not None:
                errors.append(f"{rid}: unanswerable needs source null, answer_has [], unit null, near true/false")
        else:
            errors.append(f"{rid}: answerable must be true or false")
    for d in docs:
        if not used[d]:
            errors.append(f"no question for docs/{d}")
    ans = [r for r in rows if r.get("answerable") is True]
    una = [r for r in rows if r.get("answerable") is False]
    fmt = collections.Counter(kind_of(d) for d in docs)
    fsize = collections.Counter()
    for d in docs:
        fsize[kind_of(d)] += sizes[d]
    print(f"documents: {len(docs)} ({sum(sizes.values())/1e6:.2f} MB): "
          + ", ".join(f"{k} {v} ({fsize[k]/1e6:.2f} MB)" for k, v in sorted(fmt.items())))
    print(f"questions: {len(rows)}: answerable {len(ans)}, unanswerable {len(una)} "
          f"(near {sum(r['near'] for r in una)}, off-topic {sum(not r['near'] for r in una)})")
    print("answerable by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(r['kind'] for r in ans).items())))
    print("answerable by unit: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(r['unit'] for r in ans).items())))
    print(f"answerable paraphrased {sum(r['paraphrased'] for r in ans)}, document-worded {sum(not r['paraphrased'] for r in ans)}")
    print(f"answers in hard-wrapped sentences (wrapped=true): {sum(bool(r.get('wrapped')) for r in ans)} of {len(ans)}")
    print("questions per document: " + ", ".join(f"{d} {used[d]}" for d in docs))
    print("\n".join(["answer phrases found in a second document:"] + elsewhere) if elsewhere
          else "no answer phrase occurs in a second document")
    print("\n".join(errors) if errors else "OK: ids unique, every phrase found, every document covered")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))))
