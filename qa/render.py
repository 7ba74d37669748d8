"""Moved to `qa.serve.render`; this module keeps the old import path working."""

from .serve.render import *  # noqa: F401,F403
from .serve import render as _moved


def __getattr__(name):
    return getattr(_moved, name)
