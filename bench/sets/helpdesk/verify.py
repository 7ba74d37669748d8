#!/usr/bin/env python3
"""Check the helpdesk question set (prefix hd) against its documents.

Adapted from bench/sets/policies/verify.py (itself from shared/realdocs/verify.py). Usage: python verify.py [SET_DIR]
(default: the folder holding this script). Needs beautifulsoup4, lxml and pypdf;
python-docx only if docs/ holds a .docx file.

Checks: ids unique; fields present and typed (realdocs fields plus paraphrased, lang, unit);
every answerable question names a file under docs/ whose kind matches, and every answer_has
phrase occurs in that file's text (case and runs of whitespace ignored). Text used:
  HTML  BeautifulSoup get_text with both html.parser and lxml (the phrase must be in both)
  PDF   pypdf extract_text, pages joined by newlines
  DOCX  python-docx: paragraph texts, then every table cell's text, joined by newlines
  man pages (.1 ... .9) and everything else: the UTF-8 file as it is
Unanswerable questions have source null, answer_has [], a boolean near and unit null;
every document has at least one question. Prints counts, and lists (for information) any
answer phrase that also occurs in another document.
"""
import collections, json, logging, os, re, sys, warnings
from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from pypdf import PdfReader

warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)  # harmless for the HTML pages here
logging.getLogger("pypdf").setLevel(logging.ERROR)  # font-encoding notes from pypdf

KINDS = {".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "txt", ".docx": "docx"}
UNITS = {"sentence", "list_item", "definition", "table_row", "code_after_colon", "heading_then_text"}
FIELDS = ("id", "question", "answerable", "source", "answer_has", "kind", "paraphrased", "lang", "unit")

def kind_of(name):
    if name.endswith(".rst.txt"):
        return "rst"
    if re.search(r"\.[1-9][a-z]*$", name):
        return "man"
    return KINDS.get(os.path.splitext(name)[1].lower(), "?")

def texts(path):
    if path.endswith((".html", ".htm")):
        raw = open(path, "rb").read()
        return [BeautifulSoup(raw, "html.parser").get_text(), BeautifulSoup(raw, "lxml").get_text()]
    if path.endswith(".pdf"):
        return ["\n".join((p.extract_text() or "") for p in PdfReader(path).pages)]
    if path.endswith(".docx"):
        import docx
        d = docx.Document(path)
        parts = [p.text for p in d.paragraphs]
        for t in d.tables:
            for row in t.rows:
                for cell in row.cells:
                    parts.append(cell.text)
        return ["\n".join(parts)]
    return [open(path, encoding="utf-8").read()]

def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()

def main(set_dir):
    docs_dir = os.path.join(set_dir, "docs")
    docs = sorted(os.listdir(docs_dir))
    cache = {d: [norm(t) for t in texts(os.path.join(docs_dir, d))] for d in docs}
    rows = [json.loads(l) for l in open(os.path.join(set_dir, "questions.jsonl"), encoding="utf-8") if l.strip()]
    errors, shared = [], []
    for i, n in collections.Counter(r.get("id") for r in rows).items():
        if n > 1:
            errors.append(f"duplicate id {i}")
    used = collections.Counter()
    for r in rows:
        rid = r.get("id")
        for k in FIELDS:
            if k not in r:
                errors.append(f"{rid}: missing field {k}")
        if not isinstance(r.get("paraphrased"), bool):
            errors.append(f"{rid}: paraphrased must be true/false")
        if r.get("lang") not in ("en", "zh"):
            errors.append(f"{rid}: lang must be en or zh")
        elif (r.get("lang") == "zh") != bool(re.search(r"[\u4e00-\u9fff]", r.get("question", ""))):
            errors.append(f"{rid}: lang {r.get('lang')!r} does not match the question's script")
        if not isinstance(r.get("question"), str) or not r.get("question").strip():
            errors.append(f"{rid}: question must be a non-empty string")
        if not isinstance(r.get("answer_has"), list) or not all(isinstance(x, str) for x in r.get("answer_has", [])) or len(r.get("answer_has", [])) > 3:
            errors.append(f"{rid}: answer_has must be a list of at most 3 strings")
        if r.get("answerable") is True:
            src = r.get("source")
            if src not in cache:
                errors.append(f"{rid}: source {src!r} is not a file under docs/"); continue
            used[src] += 1
            if not r.get("answer_has"):
                errors.append(f"{rid}: empty answer_has")
            if r.get("kind") != kind_of(src):
                errors.append(f"{rid}: kind {r.get('kind')!r}, expected {kind_of(src)!r}")
            if r.get("unit") not in UNITS:
                errors.append(f"{rid}: unit {r.get('unit')!r} not one of {sorted(UNITS)}")
            if not isinstance(r.get("wrapped"), bool):
                errors.append(f"{rid}: wrapped must be true/false")
            for ph in r.get("answer_has", []):
                for t in cache[src]:
                    if norm(ph) not in t:
                        errors.append(f"{rid}: phrase {ph!r} not found in {src}"); break
                others = [d for d in docs if d != src and any(norm(ph) in t for t in cache[d])]
                if others:
                    shared.append(f"{rid}: {ph!r} also in {', '.join(others)}")
        elif r.get("answerable") is False:
            if r.get("source") is not None or r.get("answer_has") != [] or not isinstance(r.get("near"), bool):
                errors.append(f"{rid}: unanswerable needs source null, answer_has [], near true/false")
            if r.get("unit") is not None or r.get("kind") is not None:
                errors.append(f"{rid}: unanswerable needs unit null and kind null")
        else:
            errors.append(f"{rid}: answerable must be true or false")
    for d in docs:
        if not used[d]:
            errors.append(f"no question for docs/{d}")
    ans = [r for r in rows if r.get("answerable") is True]
    una = [r for r in rows if r.get("answerable") is False]
    sizes = {d: os.path.getsize(os.path.join(docs_dir, d)) for d in docs}
    fmt = collections.Counter(kind_of(d) for d in docs)
    print(f"documents: {len(docs)} ({sum(sizes.values())/1e6:.2f} MB): " + ", ".join(f"{k} {v}" for k, v in sorted(fmt.items())))
    print(f"largest document: {max(sizes, key=sizes.get)} ({max(sizes.values())/1e3:.0f} KB)")
    print(f"questions: {len(rows)}: answerable {len(ans)}, unanswerable {len(una)} "
          f"(near {sum(r['near'] for r in una)}, off-topic {sum(not r['near'] for r in una)})")
    print("answerable by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(r['kind'] for r in ans).items())))
    print("answerable by unit: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(r['unit'] for r in ans).items())))
    print(f"answerable paraphrased {sum(r['paraphrased'] for r in ans)}, document-worded {sum(not r['paraphrased'] for r in ans)}")
    print(f"answers in hard-wrapped sentences (wrapped=true): {sum(bool(r.get('wrapped')) for r in ans)} of {len(ans)}")
    print("lang: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(r.get('lang') for r in rows).items())))
    print("questions per document: " + ", ".join(f"{d} {used[d]}" for d in docs))
    print("answer phrases also found in another document: " + ("; ".join(shared) if shared else "none"))
    print("\n".join(errors) if errors else "OK: ids unique, every phrase found, every document covered")
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))))
