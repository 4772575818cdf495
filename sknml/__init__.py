"""sknml: Noisy Model Learning for scikit-learn.

Tools to understand and mitigate the label noise hidden in the pre-training data of
foundation models (Chen et al., ICLR 2024): the NMTune classifier on frozen features,
spectral metrics of feature matrices, label-noise resamplers, encoders from raw
inputs to features, and the data sets and studies that show the paper's findings.
"""

# First: a submodule that needs the version reads it from here, never from a
# package that is still being imported.
from sknml._version import __version__

# isort: split
from sknml._losses import NMTuneLoss
from sknml._net import NMTuneNet
from sknml._network import NMTuneNetwork
from sknml._persistence import ALLOWED_TYPES, load_model, save_model
from sknml._recipe import inactive_parameters
from sknml._settings import NAMED_SETTINGS as _NAMED_SETTINGS
from sknml._spectrum_probe import SpectrumProbe
from sknml._tuner import NMTuneClassifier
from sknml._tuner_cv import DEFAULT_PARAM_GRID as _DEFAULT_PARAM_GRID
from sknml._tuner_cv import NMTuneClassifierCV
from sknml.encoders import FunctionEncoder, SentenceEncoder, TorchEncoder
from sknml.noise import (
    PairFlipLabelNoise,
    SymmetricLabelNoise,
    TransitionMatrixLabelNoise,
)

#: Parameters of :class:`~sknml.NMTuneClassifier` for each method the package
#: compares, by name; any parameter not named keeps its default:
#:
#: - ``"lp"``: the linear probe, L2 logistic regression on the frozen features;
#: - ``"mlp"``: plain MLP tuning, NMTune's network with its three regularizers off;
#: - ``"nmtune"``: NMTune with the package's defaults;
#: - ``"nmtune-reference"``: the reference code's weights (1.0, 0.04, 0.001, top 5)
#:   on the paper's literal formulas;
#: - ``"nmtune-paper"``: the paper's text, all weights 0.01, ``svd_top_k=1``, a
#:   plain 2-layer MLP of width D, literal formulas.
#:
#: Use it as ``NMTuneClassifier(**NAMED_SETTINGS["mlp"])``; the mapping and its
#: entries are read-only.
NAMED_SETTINGS = _NAMED_SETTINGS

#: The candidates :class:`~sknml.NMTuneClassifierCV` compares by default
#: (``param_grid=None``), in :class:`~sklearn.model_selection.GridSearchCV`'s
#: format, from the simplest to the most complex (the order
#: ``selection='one_standard_error'`` prefers):
#:
#: 1. ``{"n_layers": [0]}``: the linear probe, ``NAMED_SETTINGS["lp"]``;
#: 2. ``{"lambda_mse": [0.0], "lambda_cov": [0.0], "lambda_svd": [0.0]}``: plain
#:    MLP tuning, ``NAMED_SETTINGS["mlp"]``;
#: 3. ``{}``: NMTune with :class:`~sknml.NMTuneClassifier`'s defaults,
#:    ``NAMED_SETTINGS["nmtune"]``.
#:
#: Every other parameter keeps its default. To extend the search, pass a new
#: list, such as ``[*DEFAULT_PARAM_GRID, {"lambda_svd": [0.1]}]``, rather than
#: changing this one.
DEFAULT_PARAM_GRID = _DEFAULT_PARAM_GRID

__all__ = [
    "ALLOWED_TYPES",
    "DEFAULT_PARAM_GRID",
    "FunctionEncoder",
    "NAMED_SETTINGS",
    "NMTuneClassifier",
    "NMTuneClassifierCV",
    "NMTuneLoss",
    "NMTuneNet",
    "NMTuneNetwork",
    "PairFlipLabelNoise",
    "SentenceEncoder",
    "SpectrumProbe",
    "SymmetricLabelNoise",
    "TorchEncoder",
    "TransitionMatrixLabelNoise",
    "__version__",
    "inactive_parameters",
    "load_model",
    "save_model",
]
