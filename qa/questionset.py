"""Moved to `qa.evaluate.questionset`; this module keeps the old import path working."""

from .evaluate.questionset import *  # noqa: F401,F403
from .evaluate import questionset as _moved


def __getattr__(name):
    return getattr(_moved, name)
