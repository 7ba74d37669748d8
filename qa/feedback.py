"""Moved to `qa.serve.feedback`; this module keeps the old import path working."""

from .serve.feedback import *  # noqa: F401,F403
from .serve import feedback as _moved


def __getattr__(name):
    return getattr(_moved, name)
