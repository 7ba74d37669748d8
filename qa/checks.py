"""Moved to `qa.evaluate.checks`; this module keeps the old import path working."""

from .evaluate.checks import *  # noqa: F401,F403
from .evaluate import checks as _moved


def __getattr__(name):
    return getattr(_moved, name)
