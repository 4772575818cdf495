"""sknml: Noisy Model Learning for scikit-learn.

Tools to understand and mitigate the label noise hidden in the pre-training data of
foundation models (Chen et al., ICLR 2024): the NMTune classifier on frozen features,
spectral metrics of feature matrices, label-noise resamplers, encoders from raw
inputs to features, and the data sets and studies that show the paper's findings.
"""

from sknml._persistence import ALLOWED_TYPES, load_model, save_model
from sknml._spectrum_probe import SpectrumProbe
from sknml._tuner import NMTuneClassifier
from sknml._tuner_cv import NMTuneClassifierCV
from sknml.encoders import FunctionEncoder, SentenceEncoder, TorchEncoder
from sknml.noise import (
    PairFlipLabelNoise,
    SymmetricLabelNoise,
    TransitionMatrixLabelNoise,
)

__version__ = "0.1.0"

__all__ = [
    "ALLOWED_TYPES",
    "FunctionEncoder",
    "NMTuneClassifier",
    "NMTuneClassifierCV",
    "PairFlipLabelNoise",
    "SentenceEncoder",
    "SpectrumProbe",
    "SymmetricLabelNoise",
    "TorchEncoder",
    "TransitionMatrixLabelNoise",
    "__version__",
    "load_model",
    "save_model",
]
