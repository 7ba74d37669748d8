"""Moved to `qa.serve.api`; this module keeps the old import path working."""

from .serve.api import *  # noqa: F401,F403
from .serve import api as _moved


def __getattr__(name):
    return getattr(_moved, name)
