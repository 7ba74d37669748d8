"""Moved to `qa.index.shards`; this module keeps the old import path working."""

from .index.shards import *  # noqa: F401,F403
from .index import shards as _moved


def __getattr__(name):
    return getattr(_moved, name)
