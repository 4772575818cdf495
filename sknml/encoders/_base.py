"""What every encoder shares: input checks, tags and output feature names."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

_DEMO_EXTRA = "pip install 'sknml[demo]'"


def _check_inputs(X, *, text, empty="error"):
    """A list of the inputs in ``X`` (1-d array-like, or one column), checked.

    ``text=True`` requires strings; empty or blank strings then raise unless
    ``empty='encode'``. ``None`` and missing values always raise.
    """
    if isinstance(X, str | bytes):
        raise TypeError(
            "X must be a list of inputs (one per sample), not a single string; "
            "wrap it in a list."
        )
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:
        if X.shape[1] != 1:
            raise ValueError(
                f"X is a DataFrame with {X.shape[1]} columns; pass the one text "
                "column (e.g. df['text'])."
            )
        X = X.iloc[:, 0]
    if hasattr(X, "to_numpy"):
        X = X.to_numpy(dtype=object)
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                f"X must be 1-d (one input per sample), got shape {X.shape}."
            )
        X = X.tolist()
    elif not isinstance(X, list | tuple):
        try:
            X = list(X)
        except TypeError:
            raise TypeError(
                f"X must be a list or 1-d array of inputs, got {type(X).__name__}."
            ) from None
    X = list(X)
    if len(X) == 0:
        raise ValueError("X is empty: at least 1 sample is required.")
    for i, item in enumerate(X):
        if item is None or (isinstance(item, float) and np.isnan(item)):
            raise ValueError(f"X[{i}] is missing ({item!r}); drop or fill it first.")
        if text and not isinstance(item, str):
            raise TypeError(
                f"X[{i}] is a {type(item).__name__}, not a string; "
                "SentenceEncoder takes texts."
            )
        if text and empty == "error" and not item.strip():
            raise ValueError(
                f"X[{i}] is an empty or blank string; drop it, or pass "
                "empty='encode' to embed it like any other text."
            )
        if text and not _is_unicode_text(item):
            raise ValueError(
                f"X[{i}] contains a lone surrogate (a half of a UTF-16 pair, "
                "not a character), which no tokenizer can read; clean it, for "
                "example with text.encode('utf-8', 'replace').decode()."
            )
    return X


def _is_unicode_text(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_tags(tags):
    tags.input_tags.two_d_array = False
    tags.input_tags.string = True
    tags.transformer_tags.preserves_dtype = ["float32"]
    return tags


class _BaseEncoder(TransformerMixin, BaseEstimator):
    """Feature names ``<classname>0, <classname>1, ...`` for every encoder."""

    def get_feature_names_out(self, input_features=None):
        """Output feature names, e.g. ``sentenceencoder0``, ``sentenceencoder1``, ...

        Parameters
        ----------
        input_features : None
            Ignored; the output features are not the input features.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The output feature names.
        """
        check_is_fitted(self, "n_features_out_")
        prefix = type(self).__name__.lower()
        return np.asarray(
            [f"{prefix}{i}" for i in range(self.n_features_out_)], dtype=object
        )
