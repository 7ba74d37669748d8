"""Moved to `qa.index.spelling`; this module keeps the old import path working."""

from .index.spelling import *  # noqa: F401,F403
from .index import spelling as _moved


def __getattr__(name):
    return getattr(_moved, name)
