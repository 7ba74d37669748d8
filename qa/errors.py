"""Errors a user can cause (the CLI prints their message as one line, never a traceback), and the
one argument check shared by the API (`positive_int`)."""

from __future__ import annotations

__all__ = ["QAError", "EmptyCorpusError", "IndexFormatError", "QuestionError", "SourceError", "positive_int"]


class QAError(Exception):
    """Base class: something the user can fix, with a message that says how."""


class SourceError(QAError):
    """A corpus source is missing or unusable."""


class EmptyCorpusError(QAError):
    """The sources hold no readable text."""


class IndexFormatError(QAError):
    """An index on disk is missing, corrupt, stale or of another format version."""


class QuestionError(QAError):
    """The question is empty or too long."""


def positive_int(value, name: str) -> int:
    """`value` if it is an int of at least 1 (not a bool), else ``ValueError`` naming it.

    >>> positive_int(3, "k")
    3
    >>> positive_int(0, "k")
    Traceback (most recent call last):
    ValueError: k must be a positive integer, got 0
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value
