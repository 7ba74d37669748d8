"""Moved to `qa.answering.suggest`; this module keeps the old import path working."""

from .answering.suggest import *  # noqa: F401,F403
from .answering import suggest as _moved


def __getattr__(name):
    return getattr(_moved, name)
