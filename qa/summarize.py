"""Moved to `qa.answering.summarize`; this module keeps the old import path working."""

from .answering.summarize import *  # noqa: F401,F403
from .answering import summarize as _moved


def __getattr__(name):
    return getattr(_moved, name)
