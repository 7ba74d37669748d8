"""Errors a user can cause. The CLI prints their message as one line, never a traceback."""

from __future__ import annotations

__all__ = ["QAError", "EmptyCorpusError", "IndexFormatError", "QuestionError", "SourceError"]


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
