"""The noisy pre-training study, at its former import path.

The study now lives in :mod:`sknml.experiments.study`, beside the other
applications; ``from sknml.study import run_study`` keeps working.
"""

from sknml.experiments.study import (
    DEFAULT_SETTINGS,
    QUICK_SETTINGS,
    SmallCNN,
    add_subcommand,
    check_claims,
    load_or_pretrain,
    pretrain_backbone,
    run_study,
    summarize,
    write_report,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "QUICK_SETTINGS",
    "SmallCNN",
    "add_subcommand",
    "check_claims",
    "load_or_pretrain",
    "pretrain_backbone",
    "run_study",
    "summarize",
    "write_report",
]
