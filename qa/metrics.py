"""Moved to `qa.evaluate.metrics`; this module keeps the old import path working."""

from .evaluate.metrics import *  # noqa: F401,F403
from .evaluate import metrics as _moved


def __getattr__(name):
    return getattr(_moved, name)
