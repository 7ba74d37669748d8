"""Moved to `qa.index.weighting`; this module keeps the old import path working."""

from .index.weighting import *  # noqa: F401,F403
from .index import weighting as _moved


def __getattr__(name):
    return getattr(_moved, name)
