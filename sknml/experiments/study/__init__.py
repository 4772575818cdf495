"""The noisy pre-training study: the paper's finding and its mitigation, end to end.

Chen et al. (ICLR 2024) pre-train on data whose labels are partly wrong and find
that slight noise helps in-domain (ID) a little, always hurts out of domain (OOD),
flattens the feature spectrum (SVE and LSVR rise), and propose NMTune on the frozen
features as a remedy. This package replays that study at laptop scale, including
whether NMTune recovers some of that loss (the report shows where it does and where
it does not):

1. pre-train :class:`SmallCNN` on Fashion-MNIST whose labels
   :class:`~sknml.noise.SymmetricLabelNoise` flipped at each noise ratio,
   several seeds, caching each backbone on disk under a key of its settings;
2. freeze it and extract features with :class:`~sknml.encoders.TorchEncoder` on
   held-out Fashion-MNIST (ID) and on two digit sources out of the pre-training
   domain, MNIST-5k and aligned scikit-learn digits (OOD);
3. fit a linear probe, an MLP and NMTune (:class:`~sknml.NMTuneClassifier`) on
   those features, and measure SVE on ID features and LSVR on OOD features
   (:mod:`sknml.metrics`).

:func:`run_study` returns every number as a plain dict; :func:`write_report`
writes it as JSON, three figures (the paper's Figures 2, 3 and 5) and a markdown
report; ``sknml study`` on the command line does both.
"""

from sknml.experiments.study._backbone import (
    SmallCNN,
    load_or_pretrain,
    pretrain_backbone,
)
from sknml.experiments.study._claims import check_claims, summarize

# The command line's hook (sknml._cli imports it), not part of the public API.
from sknml.experiments.study._cli import add_subcommand as add_subcommand
from sknml.experiments.study._data import load_study_data
from sknml.experiments.study._report import write_report
from sknml.experiments.study._runs import DEFAULT_SETTINGS as _DEFAULT_SETTINGS
from sknml.experiments.study._runs import QUICK_SETTINGS as _QUICK_SETTINGS
from sknml.experiments.study._runs import run_study

#: The settings of ``sknml study`` (a dict of :func:`run_study`'s keyword
#: arguments): six noise ratios (0 to 50%), three seeds, 20,000 pre-training
#: images for 3 epochs, 5,000 probe-fitting rows, 10,000 ID test rows, every OOD
#: row, and the estimators' own training budget (``max_epochs=None``).
DEFAULT_SETTINGS = _DEFAULT_SETTINGS

#: The settings of ``sknml study --quick``: every code path on real data in
#: seconds (two noise ratios, two seeds, 2,000 pre-training images for one epoch,
#: 500 rows per split, 5 epochs per network); what the tests run.
QUICK_SETTINGS = _QUICK_SETTINGS

__all__ = [
    "DEFAULT_SETTINGS",
    "QUICK_SETTINGS",
    "SmallCNN",
    "check_claims",
    "load_study_data",
    "load_or_pretrain",
    "pretrain_backbone",
    "run_study",
    "summarize",
    "write_report",
]
