"""Moved to `qa.ingest.reading`; this module keeps the old import path working."""

from .ingest.reading import *  # noqa: F401,F403
from .ingest import reading as _moved


def __getattr__(name):
    return getattr(_moved, name)
