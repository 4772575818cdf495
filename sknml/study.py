"""The noisy pre-training study, at its former import path.

The study now lives in :mod:`sknml.experiments.study`, beside the other
applications; ``from sknml.study import run_study`` keeps working.
"""

# The same public names, listed once in the package's __all__.
from sknml.experiments.study import *  # noqa: F403
from sknml.experiments.study import __all__  # noqa: F401
