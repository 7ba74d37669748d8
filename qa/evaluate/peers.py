"""The peer engines qa is compared with, configured in one place for `qa eval` and ``bench/``.

======================  ================================================================
bm25s                   Lucene BM25 (k1=1.5, b=0.75), PyStemmer's English stemmer, its
                        English stop words; documents are ``title + " " + text``
tantivy                 BM25 over ``title`` and ``body`` fields, ``en_stem`` tokenizer;
                        query syntax characters become spaces, the query is lowercased
sklearn-default         ``TfidfVectorizer()`` defaults, cosine similarity
======================  ================================================================

They are optional (``pip install .[bench]``) and imported only when used.
"""

from __future__ import annotations

import importlib.util
import re
from importlib import metadata
from pathlib import Path

__all__ = [
    "NEEDS",
    "bm25s_index",
    "bm25s_tokenize",
    "missing_package",
    "package_version",
    "tantivy_index",
    "tantivy_query",
]

# The modules each peer imports; `missing_package` names the one to install.
NEEDS = {"bm25s": ("bm25s", "Stemmer"), "tantivy": ("tantivy",), "sklearn-default": ("sklearn",), "qa": ("qa",)}
_PACKAGES = {"Stemmer": "PyStemmer", "sklearn": "scikit-learn"}
_NOT_WORD = re.compile(r"[^\w]+")


def missing_package(system: str) -> str | None:
    """The package a system needs that is not installed (its pip name), or None."""
    for module in NEEDS.get(system, ()):
        if importlib.util.find_spec(module) is None:
            return _PACKAGES.get(module, module)
    return None


def package_version(package: str) -> str | None:
    """The installed version of `package`, or None."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def bm25s_tokenize(texts, *, stemmer=None, return_ids: bool = True):
    """bm25s's tokenizer as every run uses it: English stop words, the Snowball English stemmer."""
    import bm25s
    import Stemmer

    return bm25s.tokenize(
        texts, stopwords="en", stemmer=stemmer or Stemmer.Stemmer("english"), show_progress=False, return_ids=return_ids
    )


def bm25s_index(texts, *, stemmer=None):
    """A bm25s retriever over `texts` (``title + " " + text`` each)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s_tokenize(texts, stemmer=stemmer), show_progress=False)
    return retriever


def tantivy_index(docs, path):
    """A tantivy index in folder `path` of ``(id, title, text)`` documents, committed and merged."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    Path(path).mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(builder.build(), path=str(path))
    writer = index.writer()
    for doc_id, title, text in docs:
        writer.add_document(tantivy.Document(id=doc_id, title=title, body=text))
    writer.commit()
    writer.wait_merging_threads()
    return index


def tantivy_query(index, text: str):
    """The tantivy query for a question: syntax characters replaced by spaces and lowercased (so
    AND/OR/NOT are words, not operators); None if nothing is left or it does not parse."""
    cleaned = _NOT_WORD.sub(" ", text).strip().lower()
    if not cleaned:
        return None
    try:
        return index.parse_query(cleaned, ["title", "body"])
    except ValueError:
        return None
