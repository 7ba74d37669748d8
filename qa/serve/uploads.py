"""What an upload may be: file names reduced to safe ones, sizes and counts checked, before anything
is written (`check_uploads`). `qa.serve.library.Library.add_uploads` then saves and indexes them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import QAError
from ..ingest.kinds import ACCEPTED, NOT_DOCUMENTS
from ..ingest.loader import DOCUMENT_SUFFIXES

__all__ = [
    "ACCEPTED",
    "ALLOWED_SUFFIXES",
    "LibraryError",
    "MAX_UPLOAD_BYTES",
    "MAX_FILE_MB",
    "MAX_FILES",
    "UploadError",
    "check_uploads",
    "safe_name",
]

# What the page takes is what `qa index` reads (`qa.ingest.kinds`): these suffixes by name, and any
# other file that is text (README, FAQ, METADATA); a file that turns out not to be text is refused
# when it is read, with the loader's reason.
ALLOWED_SUFFIXES = DOCUMENT_SUFFIXES
MAX_FILE_MB = 20
MAX_UPLOAD_BYTES = MAX_FILE_MB * 1024 * 1024
MAX_FILES = 20  # per upload
_NAME_CHARS = re.compile(r"[^A-Za-z0-9._ -]")
_MAX_NAME = 120


class LibraryError(QAError):
    """The page's data folder or index cannot be changed as asked."""


class UploadError(LibraryError):
    """Uploaded files were refused (type, size, count, unreadable) or could not be indexed."""


def safe_name(name: str) -> str:
    """The name an upload is saved under: its base name with only ``[A-Za-z0-9._ -]`` kept,
    no leading dots or spaces, at most 120 characters; never a path.

    A name with nothing left of its stem (``"社保.txt"``) becomes ``upload-<hash>.txt``.

    Examples
    --------
    >>> safe_name("../../etc/passwd.txt")
    'passwd.txt'
    >>> safe_name("C:\\\\Users\\\\me\\\\.hidden notes.md")
    'hidden notes.md'
    """
    base = re.split(r"[\\/]", str(name).replace("\0", ""))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem.strip(". "):  # no suffix, or a name such as ".txt"
        stem, suffix = base, ""
    suffix = _NAME_CHARS.sub("", suffix).lower()
    stem = _NAME_CHARS.sub("", stem).lstrip(". ").rstrip(" ")
    if not stem:
        stem = "upload-" + hashlib.sha256(base.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    stem = stem[: _MAX_NAME - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def _shown(name: str) -> str:
    """A user's file name as quoted in a message: its base name, cut to 200 characters."""
    base = re.split(r"[\\/]", str(name))[-1] or str(name)
    return base if len(base) <= 200 else base[:199] + "\u2026"


def check_uploads(files) -> list[tuple[str, bytes]]:
    """Validate files before anything is written; returns ``(safe name, bytes)`` pairs.

    Raises
    ------
    UploadError
        No file, more than `MAX_FILES`, a kind qa does not read (`qa.ingest.kinds.refusal`), a file
        over `MAX_FILE_MB` MB or empty, or two files that would be saved under one
        name. The message names every refused file, one per line; nothing is accepted.
    """
    files = list(files or ())
    if not files:
        raise UploadError("no file chosen: choose one or more files first")
    if len(files) > MAX_FILES:
        raise UploadError(f"{len(files)} files chosen; at most {MAX_FILES} can be added at once")
    problems, out, seen = [], [], {}
    for name, data in files:
        shown = _shown(name)
        safe = safe_name(name)
        suffix = Path(safe).suffix.lower()
        if suffix in NOT_DOCUMENTS:  # `qa.ingest.kinds.refusal`'s list, in the page's words
            problems.append(f"{shown}: a {suffix} file cannot be added ({NOT_DOCUMENTS[suffix]}; qa reads {ACCEPTED})")
            continue
        if not isinstance(data, (bytes, bytearray, memoryview)):
            problems.append(f"{shown}: no file content")
            continue
        size = len(data)
        if size > MAX_UPLOAD_BYTES:
            problems.append(f"{shown}: {size / 1024 / 1024:.1f} MB is over the {MAX_FILE_MB} MB limit per file")
            continue
        if size == 0:
            problems.append(f"{shown}: the file is empty")
            continue
        if safe.lower() in seen:
            problems.append(f"{shown}: would be saved as {safe}, like {seen[safe.lower()]}; rename one of them")
            continue
        seen[safe.lower()] = shown
        out.append((safe, bytes(data)))
    if problems:
        raise UploadError("\n".join(problems))
    return out
