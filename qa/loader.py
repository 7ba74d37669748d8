"""Moved to `qa.ingest.loader`; this module keeps the old import path working."""

from .ingest.loader import *  # noqa: F401,F403
from .ingest import loader as _moved


def __getattr__(name):
    return getattr(_moved, name)
