#!/usr/bin/env python3
"""Check the sitedocs question set against its documents.

Usage: python verify.py [SET_DIR]   (default: the folder holding this script)
Needs beautifulsoup4 and lxml (pypdf only if a PDF is ever added).

Adapted from realdocs/verify.py. Checks: ids unique; fields present and typed (realdocs fields plus
paraphrased, lang, unit); every answerable question names a file under docs/ whose kind matches, and
every answer_has phrase occurs in that file's text (case and runs of whitespace ignored):
  - HTML: BeautifulSoup get_text with both html.parser and lxml (the phrase must occur in both);
  - PDF: pypdf extract_text, pages joined by newlines;
  - everything else (md, rst, rendered man pages, txt): the UTF-8 file as it is.
Phrases taken from md/rst sources must not contain markup characters (` * | { } # ::), so they also
match the text with its markup removed. Unanswerable questions have source null, answer_has [] and a
boolean near; every document has at least one question. Prints counts, and lists any answer phrase
that also occurs in a second document.
"""
import collections, json, os, re, sys
from bs4 import BeautifulSoup

UNITS = {"sentence", "list_item", "definition", "table_row", "code_after_colon", "heading_then_text"}
MARKUP = re.compile(r"[`*|{}#]|::")


def kind_of(name):
    if name.endswith(".html"):
        return "html"
    if name.endswith(".md"):
        return "md"
    if name.endswith(".rst") or name.endswith(".rst.txt"):
        return "rst"
    if name.endswith(".pdf"):
        return "pdf"
    if re.search(r"\.[1-9]\.txt$", name):
        return "man"  # a manual page rendered to plain text with man(1)
    if name.endswith(".txt"):
        return "txt"
    return "?"


def texts(path):
    if path.endswith(".html"):
        raw = open(path, "rb").read()
        return [BeautifulSoup(raw, "html.parser").get_text(), BeautifulSoup(raw, "lxml").get_text()]
    if path.endswith(".pdf"):
        from pypdf import PdfReader
        return ["\n".join((p.extract_text() or "") for p in PdfReader(path).pages)]
    return [open(path, encoding="utf-8").read()]


def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()


def main(set_dir):
    docs_dir = os.path.join(set_dir, "docs")
    docs = sorted(os.listdir(docs_dir))
    cache = {d: [norm(t) for t in texts(os.path.join(docs_dir, d))] for d in docs}
    rows = [json.loads(l) for l in open(os.path.join(set_dir, "questions.jsonl"), encoding="utf-8") if l.strip()]
    errors, shared = [], []
    ids = [r.get("id") for r in rows]
    for i, n in collections.Counter(ids).items():
        if n > 1:
            errors.append(f"duplicate id {i}")
    used = collections.Counter()
    for r in rows:
        rid = r.get("id")
        for k in ("id", "question", "answerable", "source", "answer_has", "kind", "paraphrased", "lang"):
            if k not in r:
                errors.append(f"{rid}: missing field {k}")
        if not isinstance(r.get("paraphrased"), bool):
            errors.append(f"{rid}: paraphrased must be true/false")
        if r.get("lang") not in ("en", "zh"):
            errors.append(f"{rid}: lang must be en or zh")
        if r.get("answerable") is True:
            src = r.get("source")
            if src not in cache:
                errors.append(f"{rid}: source {src!r} is not a file under docs/"); continue
            used[src] += 1
            if r.get("unit") not in UNITS:
                errors.append(f"{rid}: unit {r.get('unit')!r} not one of {sorted(UNITS)}")
            if not isinstance(r.get("wrapped"), bool):
                errors.append(f"{rid}: wrapped must be true/false")
            if not r.get("answer_has"):
                errors.append(f"{rid}: empty answer_has")
            want = kind_of(src)
            if r.get("kind") != want:
                errors.append(f"{rid}: kind {r.get('kind')!r}, expected {want!r}")
            for ph in r.get("answer_has", []):
                if want in ("md", "rst") and MARKUP.search(ph):
                    errors.append(f"{rid}: phrase {ph!r} contains a markup character")
                for t in cache[src]:
                    if norm(ph) not in t:
                        errors.append(f"{rid}: phrase {ph!r} not found in {src}"); break
                others = [d for d in docs if d != src and all(norm(ph) in t for t in cache[d])]
                if others:
                    shared.append(f"{rid}: {ph!r} also in {', '.join(others)}")
        elif r.get("answerable") is False:
            if r.get("source") is not None or r.get("answer_has") != [] or not isinstance(r.get("near"), bool):
                errors.append(f"{rid}: unanswerable needs source null, answer_has [], near true/false")
        else:
            errors.append(f"{rid}: answerable must be true or false")
    for d in docs:
        if not used[d]:
            errors.append(f"no question for docs/{d}")
    ans = [r for r in rows if r.get("answerable") is True]
    una = [r for r in rows if r.get("answerable") is False]
    size = sum(os.path.getsize(os.path.join(docs_dir, d)) for d in docs)
    fmt = collections.Counter(kind_of(d) for d in docs)
    c = lambda it: ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(it).items()))
    print(f"documents: {len(docs)} ({size/1e6:.2f} MB): " + c(kind_of(d) for d in docs))
    print(f"questions: {len(rows)}: answerable {len(ans)}, unanswerable {len(una)} "
          f"(near {sum(r['near'] for r in una)}, off-topic {sum(not r['near'] for r in una)})")
    print("questions by lang: " + c(r.get("lang") for r in rows)
          + "; answerable by lang: " + c(r.get("lang") for r in ans))
    print("answerable by kind: " + c(r["kind"] for r in ans))
    print("answerable by unit: " + c(r.get("unit") for r in ans))
    print(f"answerable paraphrased {sum(r['paraphrased'] for r in ans)}, document-worded "
          f"{sum(not r['paraphrased'] for r in ans)}")
    print(f"answers in hard-wrapped sentences (wrapped=true): {sum(bool(r.get('wrapped')) for r in ans)} of {len(ans)}")
    print("questions per document: " + ", ".join(f"{d} {used[d]}" for d in docs))
    print("\n".join(shared) if shared else "no answer phrase occurs in a second document")
    print("\n".join(errors) if errors else "OK: ids unique, every phrase found, every document covered")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))))
