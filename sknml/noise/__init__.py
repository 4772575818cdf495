"""Label-noise resamplers: inject class-conditional label noise into training data.

Every resampler is an imbalanced-learn sampler (``fit_resample``): it returns ``X``
untouched and a copy of ``y`` in which some labels are replaced by other labels of
the same label set. Inside an :class:`imblearn.pipeline.Pipeline` a sampler runs at fit
time only, so a model is trained on noisy labels while cross-validation scores it on
clean ones (noisy downstream data: arXiv:2309.17002, section 4.3 and appendix B.5).

The noise process is described by a transition matrix ``T`` with
``T[i, j] = P(noisy = classes_[j] | true = classes_[i])`` (rows: true class, columns:
noisy class, both in ``classes_`` order, i.e. the sorted unique labels). With
``exact=False`` every sample draws its noisy label independently from its row of
``T``; with ``exact=True`` (cleanlab's convention) the *number* of changed labels in
each class is fixed in advance. See ``docs/noise.md`` for how the conventions of the
paper, its reference code, cleanlab and Co-teaching map onto these parameters.
"""

from sknml.noise._matrices import (
    pair_flip_transition_matrix,
    symmetric_transition_matrix,
)
from sknml.noise._samplers import (
    PairFlipLabelNoise,
    SymmetricLabelNoise,
    TransitionMatrixLabelNoise,
    flip_labels,
)

__all__ = [
    "PairFlipLabelNoise",
    "SymmetricLabelNoise",
    "TransitionMatrixLabelNoise",
    "flip_labels",
    "pair_flip_transition_matrix",
    "symmetric_transition_matrix",
]
