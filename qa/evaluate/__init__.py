"""Stage 5, evaluate: figures for qa and its peers. May import every stage; nothing imports it
(but the command line's ``qa eval``).

The harness (datasets, runs, report) is `qa.evaluate.harness`; ranking metrics are
`qa.evaluate.metrics`; question sets `qa.evaluate.questionset` and `qa.evaluate.checks`.
``from qa.evaluate import ...`` keeps working for everything the harness defines.
"""

from . import harness as _harness
from .harness import *  # noqa: F401,F403
from .harness import __all__  # noqa: F401


def __getattr__(name):
    return getattr(_harness, name)
