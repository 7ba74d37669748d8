"""From sources to an index: `build_index`, `update_index`, and the corpus's fingerprints.

A corpus's *fingerprint* is the sha256 of its documents' ids and texts, so two
indexes of the same text agree whatever the file times. Its cheaper *stat
signature* (paths, sizes and modification times) is what
`qa.index.default.open_index` checks on every start to decide whether the
cached default index is stale. The files a build reads are the loader's
(`qa.ingest.loader.folder_files`).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from ..ingest.chunking import iter_passages
from ..errors import EmptyCorpusError, SourceError, positive_int
from .index import Index, IndexParams
from ..ingest.loader import DocumentStream, fingerprint_update, folder_files
from ..ingest.parallel import ParallelDocumentStream

__all__ = ["build_index", "count_documents", "update_index", "stat_signature", "fingerprint", "describe"]


def fingerprint(documents) -> str:
    """sha256 over the documents' ids, titles and texts, in order."""
    h = hashlib.sha256()
    for d in documents:
        fingerprint_update(h, d)
    return h.hexdigest()


def _source_files(source: Path) -> list[Path]:
    """The files a build looks at in one (resolved) source (`qa.ingest.loader.folder_files`), sorted."""
    return [source] if source.is_file() else folder_files(source)


def count_documents(sources) -> int:
    """About how many documents a build of `sources` reads (for a progress bar's total): one a file,
    one a non-blank line of a ``.jsonl`` file. Unreadable files count as one (the build skips them)."""
    n = 0
    for s in sources:
        source = Path(s).resolve()
        for f in _source_files(source):
            if f.suffix.lower() == ".jsonl" and f != source and f.name != "corpus.jsonl":
                continue  # a .jsonl in a folder is read only when named corpus.jsonl
            if f.suffix.lower() == ".jsonl":
                try:
                    with open(f, "rb") as fh:
                        n += sum(1 for line in fh if line.strip())
                except OSError:
                    n += 1
            else:
                n += 1
    return n


def stat_signature(sources) -> str:
    """A hash of the paths, sizes and mtimes of every file a build would read."""
    h = hashlib.sha256()
    for s in sorted(Path(p).resolve() for p in sources):
        for f in _source_files(s):
            try:
                st = f.stat()
            except OSError:
                continue
            h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def build_index(
    sources, params: IndexParams | None = None, progress=None, jobs: int = 1, batch_size: int = 5_000
) -> tuple[Index, tuple[str, ...]]:
    """Load, chunk and index sources, streaming: no stage holds the whole corpus as text.

    Parameters
    ----------
    sources : path-like or sequence of path-like
        Folders, ``.txt``/``.md`` files or ``corpus.jsonl`` files.
    params : IndexParams, optional
    progress : qa.progress.Progress, optional
        Advanced by one a document read, with the passages so far (``qa index`` draws it on a terminal).
    jobs : int, default=1
        Processes to read the PDF, DOCX and HTML files on (`qa.ingest.parallel`) and to build on
        (see `Index.fit`); the index is the same whatever the number.
    batch_size : int, default=5000
        Passages tokenised at a time (see `Index.fit`).

    Returns
    -------
    index : Index
    warnings : tuple of str
        One per file skipped (binary, not UTF-8, empty).
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    sources = [Path(s) for s in sources]
    params = params or IndexParams()
    positive_int(jobs, "jobs")
    positive_int(batch_size, "batch_size")
    # PDFs, Word files and web pages are read on `jobs` processes too: in a real folder they take most of the time.
    stream = ParallelDocumentStream(sources, jobs) if jobs > 1 else DocumentStream(sources)
    digest = hashlib.sha256()

    n_passages = 0

    def fingerprinted(documents):
        for d in documents:
            fingerprint_update(digest, d)
            if progress is not None:
                progress.update(1, passages=n_passages)
            yield d

    def counted(passages):
        nonlocal n_passages
        for p in passages:
            n_passages += 1
            yield p

    too_long: list[str] = []
    passages = iter_passages(fingerprinted(stream), params.chunker(), too_long)
    if progress is not None:
        passages = counted(passages)
    try:
        index = Index.fit(passages, params, batch_size=batch_size, jobs=jobs)
    except ValueError:
        if not too_long or stream.count > len(too_long):
            raise
        raise EmptyCorpusError(f"no document could be indexed: {'; '.join(too_long)}") from None
    warnings = [*stream.warnings, *too_long]
    index = index.with_meta(
        root=stream.root,
        sources=[str(s.resolve()) for s in sources],
        fingerprint=digest.hexdigest(),
        stat_signature=stat_signature(sources),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        n_documents=stream.count - len(too_long),
        warnings=warnings,
    )
    return index, tuple(warnings)


def update_index(index: Index, add=(), remove=()) -> tuple[Index, tuple[str, ...]]:
    """Add and remove documents without re-reading the rest of the corpus.

    Parameters
    ----------
    index : Index
    add : sequence of path-like
        Sources to add. A document whose id is already indexed is replaced (its
        old passages removed first), so re-adding a changed file updates it.
        Ids are relative to the index's corpus root when the sources are inside it.
    remove : sequence of str
        Document ids to remove. An id not in the index is an error.

    Returns
    -------
    index : Index
        Scores exactly as a fresh build of the resulting documents would.
    warnings : tuple of str
    """
    index.check_updatable()  # a sharded index cannot be
    known = set(index.passages.doc_id)
    missing = [d for d in remove if d not in known]
    if missing:
        raise SourceError(
            f"document {missing[0]!r} is not in the index (ids are paths relative to {index.meta.get('root')})"
        )
    documents, warnings = [], []
    if add:
        stream = DocumentStream([Path(s) for s in add], root=index.meta.get("root"))
        documents = list(stream)
        warnings = list(stream.warnings)
    chunker = index.params.chunker()
    kept, passages = [], []
    for d in documents:
        n = len(warnings)
        ps = list(iter_passages([d], chunker, warnings))
        if len(warnings) == n:  # else skipped, over the passage limit: its old version stays indexed
            kept.append(d)
            passages.extend(ps)
    documents = kept
    replaced = [d.doc_id for d in documents if d.doc_id in known]
    gone = set(remove) | set(replaced)
    if not documents and gone >= known:
        raise EmptyCorpusError(
            f"removing {'this document' if len(gone) == 1 else f'these {len(gone)} documents'} "
            "would leave the index empty; nothing was written (to start again, build a "
            "new index with qa index SOURCE --out DIR)"
        )
    if gone:
        index = index.remove(gone)
    if documents:
        index = index.add(passages)  # repeats of indexed passages (and of each other) are dropped here
    n_docs = index.passages.n_documents
    index = index.with_meta(
        n_documents=n_docs, updated_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), fingerprint=None, stat_signature=None
    )
    return index, tuple(warnings)


def describe(index: Index) -> dict:
    """Facts about an index for the stages after this one, which never read its ``meta``: documents,
    passages and terms; ``root`` (the corpus folder its document ids are relative to); ``built_at``
    and ``updated_at`` (the last incremental change, or None); ``index_dir`` and ``version_dir``
    (the folder and live version it was loaded from, None if it was never saved); ``warnings`` (the
    build's, one line a skipped file); ``fingerprint`` (12 hex digits of the sources')."""
    m = index.meta
    return {
        "root": m.get("root"),
        "documents": m.get("n_documents", index.passages.n_documents),
        "passages": index.n_passages,
        "terms": index.n_terms,
        "built_at": m.get("built_at"),
        "updated_at": m.get("updated_at"),
        "index_dir": m.get("index_dir"),
        "version_dir": m.get("version_dir"),
        "warnings": list(m.get("warnings") or ()),
        "fingerprint": (m.get("fingerprint") or "")[:12],
    }
