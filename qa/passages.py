"""Moved to `qa.index.passages`; this module keeps the old import path working."""

from .index.passages import *  # noqa: F401,F403
from .index import passages as _moved


def __getattr__(name):
    return getattr(_moved, name)
