"""Read sources into `Document`s: decoding, extraction and newline handling, nothing else.

A source is a folder (read recursively: every file but hidden ones, whose names
start with "."), a single file, or a BEIR-style ``corpus.jsonl`` (one
``{"_id", "title", "text"}`` object a line). A file is dispatched by its suffix:
PDF, DOCX and HTML files go through `qa.ingest.formats`; a suffix that names no
document's text (an image, an archive: `qa.ingest.kinds`) is not opened; every
other file, ``.txt``/``.md``/``.rst`` or any other name (``README``, ``FAQ``,
``METADATA``), is read as text if it is text.

Text files are decoded by `qa.ingest.decoding` (a byte-order mark, UTF-8, else
the encoding charset-normalizer finds: cp1252, Latin-1, UTF-16, ...) with
universal newlines; ``Document.text`` is the decoded text, and a passage's
offsets index it (for a UTF-8 file, exactly what ``open(path, encoding="utf-8")``
reads). Markdown and rst are read as such by suffix, or by content when
unmistakable (`qa.ingest.reading.sniff_format`, which also knows rendered man
pages). PDF, DOCX and HTML files' ``Document.text`` is the extracted text
(headings as ``#`` lines), offsets point into it, and a PDF's ``Document.pages``
says where each page starts. A file that is not read (binary, not a document,
encrypted, corrupt, a scan without text, too big, unreadable) is skipped and
named in a warning with the reason; no readable document at all raises
`EmptyCorpusError`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmptyCorpusError, SourceError
from .decoding import decode
from .formats import EXTRACTORS
from .kinds import ACCEPTED, refusal
from .reading import read, sniff_format
from .headers import header_fields
from .terminal import has_residue
from ..text import squash_spaces
from ..types import Document

__all__ = [
    "TEXT_SUFFIXES",
    "DOCUMENT_SUFFIXES",
    "DocumentStream",
    "LoadResult",
    "fingerprint_update",
    "folder_files",
    "load_documents",
    "read_text_file",
    "read_document",
    "read_files",
    "read_jsonl_range",
    "corpus_root",
]

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".rst")  # text by name (any other file is text if it decodes as text)
DOCUMENT_SUFFIXES = TEXT_SUFFIXES + tuple(EXTRACTORS)  # the suffixes read by name; other files are sniffed
MAX_FILE_BYTES = 50 * 1024 * 1024  # a bigger "text" file is almost surely not prose
_KINDS = ACCEPTED + " or corpus.jsonl"


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Documents read from the sources, and a warning for each file skipped."""

    root: str
    documents: tuple[Document, ...]
    warnings: tuple[str, ...]


def fingerprint_update(h, d) -> None:
    """Feed a document's id, title and text to the hash `h` (each length-prefixed): the corpus
    fingerprint (`qa.index.build.fingerprint`, the sharded build's scan)."""
    for part in (d.doc_id, d.title, d.text):
        b = part.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)


def read_text_file(path: str | os.PathLike) -> str:
    """Decode a text file as the loader does; raise `SourceError` if it is not text.

    Parameters
    ----------
    path : path-like
        The file to read.

    Returns
    -------
    str
        The file's text (`qa.ingest.decoding.decode`: the encoding of its byte-order mark,
        UTF-8, else the one detected) with universal newlines (``\\r\\n`` and ``\\r``
        become ``\\n``); a UTF-8 byte-order mark is kept as the character ``\\ufeff`` so
        offsets agree with ``open(path, encoding="utf-8").read()``.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(f"{path}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for a text file")
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return decode(raw, str(path)).text


def read_document(path: str | os.PathLike, doc_id: str, notes: list[str] | None = None) -> Document:
    """Read one file into a `Document`: PDF, DOCX, HTML by suffix, any other as text if it is text.

    Parameters
    ----------
    path : path-like
        The file; its suffix chooses how it is read (`qa.ingest.kinds`).
    doc_id : str
        Its id and ``source`` (the path relative to the corpus root).
    notes : list of str, optional
        Receives warnings about parts of the file that were lost (an unreadable
        PDF page) when the rest was read.

    Returns
    -------
    Document
        ``text`` as `read_text_file` gives it for text files, the extracted text
        for PDF, DOCX and HTML; ``pages`` set for PDFs.

    Raises
    ------
    SourceError
        The file cannot be read, is binary or not a document, is over
        `MAX_FILE_BYTES`, or holds no text; the message names the file and the reason.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    why = refusal(path.name)
    if why:
        raise SourceError(f"{path}: {why}")
    if suffix not in EXTRACTORS:
        text = read_text_file(path)
        if not text.strip().lstrip("\ufeff").strip():
            raise SourceError(f"{path}: empty file")
        fmt = text_format(path, text)
        return Document(
            doc_id=doc_id, source=doc_id, title=_title_of(text, suffix, fmt, path.name), text=text, format=fmt
        )
    extract = EXTRACTORS[suffix]
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if size > MAX_FILE_BYTES:
        raise SourceError(f"{path}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for a document")
    got = extract(path)
    if not got.text.strip():
        raise SourceError(f"{path}: no text found in it")
    if notes is not None:
        notes.extend(got.notes)
    return Document(
        doc_id=doc_id,
        source=doc_id,
        title=got.title or _title_of(got.text, ".md"),
        text=got.text,
        pages=got.pages,
        format="extracted",
        blocks=got.blocks,
    )


def _real(path: Path) -> Path:
    """`path` made absolute with its folders resolved, but not a file's own symlink,
    so a linked file stays in the folder it is listed in."""
    path = Path(path)
    return path.resolve() if path.is_dir() else path.absolute().parent.resolve() / path.name


def corpus_root(sources: list[Path]) -> Path:
    """The folder that document paths are made relative to."""
    resolved = [_real(s) for s in sources]
    parents = [s if s.is_dir() else s.parent for s in resolved]
    return Path(os.path.commonpath([str(p) for p in parents]))


def text_format(path: Path, text: str) -> str:
    """How a text file is read (`qa.ingest.reading`): by its suffix (``.md``, ``.markdown``, ``.rst``, and
    ``NAME.rst.txt``/``NAME.md.txt``), else by its content (`qa.ingest.reading.sniff_format`)."""
    suffixes = [s.lower() for s in Path(path).suffixes[-2:]]
    for suffix in reversed(suffixes):
        if suffix in (".md", ".markdown"):
            return "markdown"
        if suffix == ".rst":
            return "rst"
    return sniff_format(text)


def _title_of(text: str, suffix: str, fmt: str = "plain", name: str = "") -> str:
    fields = header_fields(text)
    if fields.get("name") or fields.get("subject"):  # a package's METADATA ("pip: The PyPA ..."), an e-mail
        if fields.get("name") and fields.get("summary"):
            return f"{fields['name']}: {fields['summary']}"[:200]
        return (fields.get("name") or fields["subject"])[:200]
    if fmt == "man" or has_residue(text):
        # As a reader sees it: a man page by its NAME line ("gzip, gunzip, zcat - compress or expand
        # files"), other terminal output by its first block, escapes and overstrike read through.
        reading = read(Document(doc_id="", source="", title="", text=text, format=fmt))
        blocks = [b for b in reading.blocks if b.kind != "meta"]
        at = (
            next(
                (
                    k + 1
                    for k, b in enumerate(blocks)
                    if b.kind == "heading" and reading.text[b.start : b.end].strip().upper() == "NAME"
                ),
                0,
            )
            if fmt == "man"
            else 0
        )
        if at < len(blocks):
            return squash_spaces(reading.text[blocks[at].start : blocks[at].end])[:200]
    if fmt in ("markdown", "rst"):
        # The first heading as a reader sees it: a top-level one, or one before any paragraph;
        # a README whose first heading is "Sponsors" below its introduction is named by its file.
        reading = read(Document(doc_id="", source="", title="", text=text, format=fmt))
        blocks = [b for b in reading.blocks if b.kind != "meta"]
        first = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
        if first is None and blocks and blocks[0].kind == "heading":
            first = blocks[0]
        if first is not None:
            return squash_spaces(reading.text[first.start : first.end])[:200]
        if name:
            return name.split(".")[0] or name
    lines = [ln.strip().lstrip("\ufeff").strip() for ln in text.split("\n")]
    if suffix in (".md", ".markdown"):
        for ln in lines:
            if ln.startswith("# "):
                return ln[2:].strip()
    for ln in lines:
        if ln:
            return ln.lstrip("#").strip()[:200]
    return ""


def folder_files(folder: Path) -> list[Path]:
    """Every file under `folder` but hidden ones (a name starting with "."), in sorted path order: a
    build reads each, or names it with the reason it was not read. A ``.jsonl`` file other than
    ``corpus.jsonl`` is among them (`DocumentStream` names it as not read)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath, name) for name in filenames if not name.startswith("."))
    return sorted(found, key=lambda p: p.parts)  # os.walk lists a folder's files before its subfolders


def _other_jsonl(path: Path) -> bool:
    """A ``.jsonl`` file found in a folder that is not named ``corpus.jsonl``: not read (its lines
    are records of some other kind, such as a question set)."""
    return path.suffix.lower() == ".jsonl" and path.name != "corpus.jsonl"


def _jsonl_document(line: str, where: str, rel: str, warnings: list[str]) -> Document | None:
    """The document on one ``corpus.jsonl`` line (None for a blank or skipped line; a warning names it)."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
        doc_id, text = str(obj["_id"]), obj.get("text") or ""
        title = obj.get("title") or ""
        if not isinstance(text, str) or not isinstance(title, str):
            raise TypeError("text and title must be strings")
    except (ValueError, KeyError, TypeError) as exc:
        warnings.append(f'{where}: skipped, not a {{"_id", "title", "text"}} object ({exc})')
        return None
    except RecursionError:  # json.loads of a line nested too deep (a crafted file): skip only that line
        warnings.append(f"{where}: skipped, JSON nested too deep")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip() and not title.strip():
        return None
    return Document(doc_id=doc_id, source=rel, title=title.strip(), text=text)


def _read_jsonl(path: Path, rel: str, warnings: list[str]):
    try:
        fh = open(path, encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        try:
            for lineno, line in enumerate(fh, 1):
                doc = _jsonl_document(line, f"{path}:{lineno}", rel, warnings)
                if doc is not None:
                    yield doc
        except UnicodeDecodeError:
            raise SourceError(f"{path}: not UTF-8 text; save it as UTF-8") from None


def read_jsonl_range(path, rel: str, start: int, end: int, warnings: list[str]):
    """The documents of the ``corpus.jsonl`` lines that start in bytes ``[start, end)`` of `path`.

    `start` and `end` must be line starts (or the file's ends), as `qa.index.shard_build`
    cuts them, so ranges that tile a file read each line exactly once. Warnings
    name a skipped line by its byte offset (line numbers would need the bytes
    before `start` to be read).
    """
    path = Path(path)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        fh.seek(start)
        at = start
        while at < end:
            raw = fh.readline()
            if not raw:
                break
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise SourceError(f"{path}: not UTF-8 text; save it as UTF-8") from None
            if at == 0:
                line = line.lstrip("\ufeff")  # as utf-8-sig reads the first line
            doc = _jsonl_document(line, f"{path}@byte {at}", rel, warnings)
            at += len(raw)
            if doc is not None:
                yield doc


def _inside(path: Path, root: Path) -> bool:
    try:
        _real(path).relative_to(root.resolve())
        return True
    except ValueError:
        return False


def read_files(files, warnings: list[str]):
    """The documents of `files`, ``(path, rel)`` or ``(path, rel, start, end)`` items, in order.

    A 4-item entry is a byte range of a ``corpus.jsonl`` (`read_jsonl_range`).
    An unreadable file is skipped with a line in `warnings`, as `DocumentStream` does.
    """
    for item in files:
        f, rel = Path(item[0]), item[1]
        if f.suffix.lower() == ".jsonl":
            try:
                if len(item) == 4:
                    yield from read_jsonl_range(f, rel, item[2], item[3], warnings)
                else:
                    yield from _read_jsonl(f, rel, warnings)
            except SourceError as exc:  # not UTF-8 or unreadable: skipped like any other file
                warnings.append(f"skipped {exc}")
            continue
        notes: list[str] = []
        try:
            doc = read_document(f, rel, notes)
        except SourceError as exc:
            warnings.append(f"skipped {exc}")
            continue
        warnings.extend(notes)
        yield doc


class DocumentStream:
    """The documents of some sources, read one at a time as they are iterated.

    Sources are checked when the stream is made (`SourceError` for a missing
    or unsupported one); files are read only during iteration, so a corpus of
    any size streams through in bounded memory. After a full iteration,
    `warnings` names every skipped file and `count` is the number of documents.
    Iteration raises `EmptyCorpusError` at the end if no document was found,
    and `SourceError` at the second occurrence of a document id.

    Parameters
    ----------
    sources : path-like or sequence of path-like
        Folders, files of the `DOCUMENT_SUFFIXES` types, or ``corpus.jsonl`` files.
    root : path-like, optional
        Make document ids relative to this folder when every source is inside
        it (as when adding files to an existing index); else to the sources'
        common folder.
    """

    def __init__(self, sources, root=None):
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        self.paths = [Path(s) for s in sources]
        if not self.paths:
            raise SourceError(f"no source given: name a folder or a file ({_KINDS})")
        for p in self.paths:
            if not p.exists():
                raise SourceError(f"{p}: no such file or folder")
            why = refusal(p.name) if p.is_file() else None
            if why:
                raise SourceError(f"{p}: {why}; qa reads {_KINDS}")
        self.root = str(corpus_root(self.paths))
        if root is not None and all(_inside(p, Path(root)) for p in self.paths):
            self.root = str(Path(root).resolve())  # keep ids relative to an existing index's root
        self.warnings: list[str] = []
        self.count = 0

    def _files(self) -> list[Path]:
        files: list[Path] = []
        for p in self.paths:
            files.extend([f for f in folder_files(p) if not _other_jsonl(f)] if p.is_dir() else [p])
        return files

    def unread(self) -> list[str]:
        """A warning for each file in a source folder that `files` leaves out: ``.jsonl`` files not
        named ``corpus.jsonl`` (every other file is read, or named by the reader with its reason)."""
        return [
            f"skipped {f}: a .jsonl file in a folder is read only when named corpus.jsonl "
            "(name it as a source to index its lines as documents)"
            for p in self.paths
            if p.is_dir()
            for f in folder_files(p)
            if _other_jsonl(f)
        ]

    def files(self) -> list[tuple[Path, str]]:
        """Every file a full iteration reads, in order, with its path relative to `root` (each once)."""
        root = Path(self.root)
        out, seen = [], set()
        for f in self._files():
            rel = _real(f).relative_to(root).as_posix()
            if rel not in seen:
                seen.add(rel)
                out.append((f, rel))
        return out

    def _documents(self):
        files = self.files()
        self.warnings.extend(self.unread())
        yield from read_files(files, self.warnings)

    def __iter__(self):
        self.warnings.clear()
        self.count = 0
        ids: set[str] = set()
        for doc in self._documents():
            if doc.doc_id in ids:
                raise SourceError(f"document id {doc.doc_id!r} occurs more than once; document ids must be unique")
            ids.add(doc.doc_id)
            self.count += 1
            yield doc
        if not self.count:
            where = ", ".join(str(p) for p in self.paths)
            detail = f" ({len(self.warnings)} file(s) skipped: {self.warnings[0]})" if self.warnings else ""
            raise EmptyCorpusError(f"no readable documents ({_KINDS}) in {where}{detail}")


def load_documents(sources) -> LoadResult:
    """Read every document under the given sources.

    Parameters
    ----------
    sources : path-like or sequence of path-like
        Folders, files of the `DOCUMENT_SUFFIXES` types, or ``corpus.jsonl`` files.

    Returns
    -------
    LoadResult
        The documents in a stable order (sorted paths), the corpus root their
        ``source`` fields are relative to, and one warning per skipped file.

    Raises
    ------
    SourceError
        A source does not exist or is of an unsupported type, or two documents
        share an id.
    EmptyCorpusError
        No document with any text was found.
    """
    stream = DocumentStream(sources)
    documents = tuple(stream)
    return LoadResult(root=stream.root, documents=documents, warnings=tuple(stream.warnings))
