"""Shared fixtures: the repository's seed corpus, its index, and tiny corpora written to tmp_path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import qa
from qa.ingest.chunking import chunk_documents

REPO = Path(__file__).resolve().parent.parent
# The helpers beside this file (pages.py, serving.py) are imported by tests in the stage folders below it.
sys.path.insert(0, str(Path(__file__).resolve().parent))
CORPUS_DIR = REPO / "corpus"
SEED = CORPUS_DIR / "000_88822b98fb06234c.txt"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_document():
    (doc,) = qa.load_documents(SEED).documents
    return doc


@pytest.fixture(scope="session")
def seed_passages(seed_document):
    return chunk_documents([seed_document])


@pytest.fixture(scope="session")
def corpus_index():
    """The index of the repository's corpus/ folder, built once per test session. Do not mutate."""
    index, warnings = qa.build_index(CORPUS_DIR)
    assert warnings == ()
    return index


@pytest.fixture(scope="session")
def saved_corpus_index(corpus_index, tmp_path_factory):
    """The seed index saved once to a folder (tests that alter files must copy it first)."""
    out = tmp_path_factory.mktemp("seed-index") / "idx"
    qa.save_index(corpus_index, out)
    return out


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    """A small folder: two text files, a Markdown file in a subfolder, and files the loader must ignore."""
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("Cats\n\nCats purr when they are content.\n", encoding="utf-8")
    (root / "b.txt").write_text("Dogs\n\nDogs bark at the postman every morning.\n", encoding="utf-8")
    (root / "sub" / "c.md").write_text("# Birds\n\nBirds sing at dawn.\n", encoding="utf-8")
    (root / "slides.pptx").write_bytes(b"PK\x03\x04 not a document type qa reads")
    (root / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (root / ".hidden.txt").write_text("Hidden\n\nnever loaded\n", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "x.txt").write_text("Git\n\nnever loaded either\n", encoding="utf-8")
    return root


@pytest.fixture
def isolated_page(monkeypatch, tmp_path):
    """Isolate a page test: a tmp cache (``$QA_CACHE_DIR``) and data folder (``$QA_DATA``), no
    ``$QA_INDEX``, a loopback bind with no owner's password (the owner's actions on), and Streamlit's in-process caches cleared before and after."""
    import streamlit as st

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("QA_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("QA_INDEX", raising=False)
    monkeypatch.setenv("QA_UI_HOST", "127.0.0.1")  # as `qa ui` binds by default: no owner's password needed
    for name in ("QA_ADMIN_PASSWORD", "QA_ADMIN_PASSWORD_FILE", "QA_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(autouse=True)
def _environment_restored():
    """Every test leaves the process environment as it found it: `qa ui`'s launch writes the page's
    settings into os.environ before it execs, and a test that stops it before the exec (a fake
    execv) would otherwise hand them to every later test's servers."""
    saved = dict(os.environ)
    yield
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)
