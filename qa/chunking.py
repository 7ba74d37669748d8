"""Moved to `qa.ingest.chunking`; this module keeps the old import path working."""

from .ingest.chunking import *  # noqa: F401,F403
from .ingest import chunking as _moved


def __getattr__(name):
    return getattr(_moved, name)
