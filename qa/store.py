"""Moved to `qa.index.store`; this module keeps the old import path working."""

from .index.store import *  # noqa: F401,F403
from .index import store as _moved


def __getattr__(name):
    return getattr(_moved, name)


from .index.folders import is_sharded, load_index, save_index  # noqa: E402,F401  (either kind, as qa.store did)
