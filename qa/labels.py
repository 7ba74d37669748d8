"""Moved to `qa.serve.labels`; this module keeps the old import path working."""

from .serve.labels import *  # noqa: F401,F403
from .serve import labels as _moved


def __getattr__(name):
    return getattr(_moved, name)
