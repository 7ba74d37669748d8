"""Moved to `qa.serve.library`; this module keeps the old import path working."""

from .serve.library import *  # noqa: F401,F403
from .serve import library as _moved


def __getattr__(name):
    return getattr(_moved, name)
