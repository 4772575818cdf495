"""The noisy pre-training study: the paper's finding and its mitigation, end to end.

Chen et al. (arXiv:2309.17002) pre-train on data whose labels are partly wrong
and report that slight noise helps in-domain (ID) a little, hurts out of domain
(OOD) from the first few percent, flattens the feature spectrum (SVE and LSVR
rise), and propose NMTune on the frozen features as a remedy. This package
replays that study at laptop scale with the paper's protocol, and decides each
claim from paired differences over seeds with a 95% interval:

1. pre-train :class:`SmallCNN` on Fashion-MNIST whose labels
   :class:`~sknml.noise.SymmetricLabelNoise` flipped at each noise ratio,
   several seeds, caching each backbone on disk under a key of its settings;
2. freeze it and extract features with :class:`~sknml.encoders.TorchEncoder`;
3. ID: fit and score heads on other data sets (MNIST-5k and aligned
   scikit-learn digits, each on its own split); OOD: fit heads on clean
   Fashion-MNIST rows outside pre-training and score them on shifted copies of
   the test split (:func:`~sknml.datasets.make_shifted_images`);
4. the heads: ``LogisticRegression()``, a linear probe, MLP tuning and NMTune
   (:class:`~sknml.NMTuneClassifier`), and the two networks as they train
   (``keep_start=False``); SVE of ID features, LSVR of OOD features
   (:mod:`sknml.metrics`), and both on the trained networks' tuned features.

:func:`run_study` returns every number as a plain dict; :func:`write_report`
writes it as JSON, three figures (the paper's Figures 2, 3 and 5) and a markdown
report; ``sknml study`` on the command line does both.
"""

from sknml.experiments.study._backbone import (
    SmallCNN,
    load_or_pretrain,
    pretrain_backbone,
)
from sknml.experiments.study._claims import (
    check_claims,
    paired_interval,
    summarize,
    verdict,
)

# The command line's hook (sknml._cli imports it), not part of the public API.
from sknml.experiments.study._cli import add_subcommand as add_subcommand
from sknml.experiments.study._data import load_study_data
from sknml.experiments.study._report import write_report
from sknml.experiments.study._runs import DEFAULT_SETTINGS as _DEFAULT_SETTINGS
from sknml.experiments.study._runs import QUICK_SETTINGS as _QUICK_SETTINGS
from sknml.experiments.study._runs import run_study

#: The settings of ``sknml study`` (a dict of :func:`run_study`'s keyword
#: arguments): the paper's five noise ratios (0 to 30%), five seeds, 50,000
#: pre-training images for 10 epochs, 8,000 clean Fashion-MNIST rows to fit the
#: OOD heads on, 10,000 test images to shift, every ID row, and the
#: estimators' own training budget (``max_epochs=None``).
DEFAULT_SETTINGS = _DEFAULT_SETTINGS

#: The settings of ``sknml study --quick``: every code path on real data in
#: seconds (two noise ratios, two seeds, 2,000 pre-training images for one epoch,
#: 500 Fashion-MNIST rows to fit and to shift, 400 rows of each ID data set,
#: 5 epochs per network); what the tests run.
QUICK_SETTINGS = _QUICK_SETTINGS

__all__ = [
    "DEFAULT_SETTINGS",
    "QUICK_SETTINGS",
    "SmallCNN",
    "check_claims",
    "load_study_data",
    "load_or_pretrain",
    "paired_interval",
    "pretrain_backbone",
    "run_study",
    "summarize",
    "verdict",
    "write_report",
]
