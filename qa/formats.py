"""Moved to `qa.ingest.formats`; this module keeps the old import path working."""

from .ingest.formats import *  # noqa: F401,F403
from .ingest import formats as _moved


def __getattr__(name):
    return getattr(_moved, name)
