"""sknml: Noisy Model Learning for scikit-learn.

Tools to understand and mitigate the label noise hidden in the pre-training data of
foundation models (Chen et al., ICLR 2024): the NMTune classifier on frozen features,
spectral metrics of feature matrices, and label-noise resamplers.
"""

__version__ = "0.1.0"

__all__ = [
    "__version__",
]
