"""Moved to `qa.answering.search`; this module keeps the old import path working."""

from .answering.search import *  # noqa: F401,F403
from .answering import search as _moved


def __getattr__(name):
    return getattr(_moved, name)
