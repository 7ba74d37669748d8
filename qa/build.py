"""Moved to `qa.index.build`; this module keeps the old import path working."""

from .index.build import *  # noqa: F401,F403
from .index import build as _moved


def __getattr__(name):
    return getattr(_moved, name)
