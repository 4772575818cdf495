"""What NMTuneClassifier and NMTuneClassifierCV share: checks and the public
prediction methods, written once.

Both are classifiers and transformers over a fitted :class:`NMTuneNetwork
<sknml._network.NMTuneNetwork>`; each subclass says which network answers
(:meth:`_NMTuneBase._network`), and :class:`_NMTuneBase` writes ``predict``,
``predict_proba``, ``predict_log_proba``, ``decision_function`` and ``transform``
on it.
"""

from functools import partial

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils._tags import TransformerTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from sknml._docs import DocLinkMixin
from sknml._validation import check_float32_range


class _NMTuneBase(
    DocLinkMixin,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Checks of fit's input and the prediction methods of a fitted network."""

    def _network(self):
        """The fitted network that predicts (a subclass's hook)."""
        raise NotImplementedError

    def _check_fit_input(self, X, y, sample_weight, reset):
        """X, y and sample_weight, checked (the classes by :meth:`_check_classes`)."""
        X, y = validate_data(self, X, y, dtype=(np.float32, np.float64), reset=reset)
        check_float32_range(X)
        check_classification_targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight must not be all zero.")
        return X, y, sample_weight

    def _check_classes(self, classes):
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y; "
                f"got 1 class: {classes[0]!r}."
            )

    def _predict(self, X, output, finish=None):
        """The network's output ``output`` (0: logits, 1: z) for X, as an ndarray."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float32, np.float64), reset=False)
        check_float32_range(X)
        return self._network().predict_chunks(X, output, finish)

    def decision_function(self, X):
        """Class scores (logits) of the head.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Logits; for two classes, the logit difference of the second class
            over the first (positive means ``classes_[1]``).
        """
        logits = self._predict(X, 0)
        if len(self.classes_) == 2:
            logits = logits[:, 1] - logits[:, 0]
        return logits

    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._predict(X, 0, partial(torch.log_softmax, dim=1))

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._predict(X, 0, partial(torch.softmax, dim=1))

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        indices = self._predict(X, 0, partial(torch.argmax, dim=1))
        return self.classes_[indices]

    def transform(self, X):
        """The tuned features ``z`` the head classifies.

        With ``n_layers=0`` these are the (standardized) input features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
            Tuned features, in the dtype of X (float32 or float64).
        """
        return self._predict(X, 1)

    @property
    def _n_features_out(self):
        return self.n_features_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64", "float32"])
        return tags
