"""What every encoder shares: fit, transform, the cache, input checks and tags."""

import functools

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_is_fitted

from sknml._docs import DocLinkMixin
from sknml._runtime import progress_bar
from sknml.encoders._cache import _embed_cached

_DEMO_EXTRA = "pip install 'sknml[demo]'"

# The docstrings of the methods every encoder inherits, in each encoder's words
# (its ``_docs``), so that the API reference documents them per class.
_PARAMETERS = """
Parameters
----------
X : {X_type}
    {X_desc}
"""
_IGNORED_Y = """y : None
    Ignored.
"""
_RETURNS = """
Returns
-------
"""
_OUTPUT = """{output} : ndarray of shape (n_samples, `n_features_out_`), dtype float32
    {output_desc}
"""
_METHOD_DOCS = {
    "fit": "{fit}\n"
    + _PARAMETERS
    + _IGNORED_Y
    + _RETURNS
    + "self : {name}\n    The fitted encoder.\n",
    "transform": "{transform}\n" + _PARAMETERS + _RETURNS + _OUTPUT,
    "fit_transform": "Fit and return the {output} of ``X`` in one pass (no probe).\n"
    + _PARAMETERS
    + _IGNORED_Y
    + _RETURNS
    + _OUTPUT,
}


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


def _documented(method, owner, doc):
    """``method`` as a method of the class ``owner``, under another docstring."""

    @functools.wraps(method)
    def documented(self, *args, **kwargs):
        return method(self, *args, **kwargs)

    documented.__qualname__ = f"{owner.__name__}.{method.__name__}"
    documented.__doc__ = doc
    return documented


class _BaseEncoder(DocLinkMixin, TransformerMixin, BaseEstimator):
    """``fit``, ``transform``, ``fit_transform`` and the cache, for every encoder.

    An encoder writes only its hooks:

    - ``_check_X(X, *, reset)``: the inputs, checked, as a list or an array
      (``reset`` is True in fit);
    - ``_prepare()``: what fit sets up before the first embedding (a device, the
      model); nothing by default;
    - ``_embed_batch(batch)``: the float32 ``(len(batch), D)`` vectors of at most
      ``batch_size`` inputs; an encoder whose model batches by itself overrides
      ``_embed(items)``, all the inputs at once, instead;
    - ``_namespace()``: the name of the encoder's folder in its ``cache``; None
      (the default) for an encoder without a cache;

    and the words of its docstrings and errors: ``_docs`` (the pieces of
    ``_METHOD_DOCS``), ``_source`` (what returns the vectors) and ``_unit`` (what
    one input is). ``fit`` embeds the first input to learn the output width
    ``n_features_out_``, which every later output must have. An encoder with a
    namespace embeds each distinct input once per call, and never an input that
    its cache folder holds.
    """

    # Set by every encoder (see above).
    _docs: dict
    _source: str
    _unit: str

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, template in _METHOD_DOCS.items():
            doc = template.format(name=cls.__name__, **cls._docs)
            setattr(cls, name, _documented(_BaseEncoder.__dict__[name], cls, doc))

    # fit, fit_transform and transform are documented per encoder (_METHOD_DOCS).
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        items = self._fit_inputs(X)
        self.n_features_out_ = self._encode(items[:1]).shape[1]
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        embeddings = self._encode(self._fit_inputs(X))
        self.n_features_out_ = embeddings.shape[1]
        return embeddings

    def transform(self, X):
        check_is_fitted(self)
        embeddings = self._encode(self._check_X(X, reset=False))
        if embeddings.shape[1] != self.n_features_out_:
            raise ValueError(
                f"{self._source} returned {embeddings.shape[1]} features per "
                f"{self._unit}, {self.n_features_out_} in fit."
            )
        return embeddings

    def _fit_inputs(self, X):
        """The checked inputs of fit, once the encoder is set up and its cache named.

        The cache is named once, in fit: the default name of a FunctionEncoder's
        results digests the state of a callable object, which may change as it is
        called.
        """
        items = self._check_X(X, reset=True)
        self._prepare()
        self._cache_namespace = self._namespace()
        return items

    def _prepare(self):
        pass

    def _namespace(self):
        return None

    def _encode(self, items):
        """The vectors of the checked ``items``, through the cache if there is one."""
        if self._cache_namespace is None:
            return self._embed(items)
        return _embed_cached(
            items, self._embed, cache=self.cache, namespace=self._cache_namespace
        )

    def _embed(self, items):
        """The vectors of ``items``, ``batch_size`` at a time."""
        batches = progress_bar(
            list(gen_batches(len(items), self.batch_size)),
            enabled=self.verbose,
            desc=type(self).__name__,
            unit="batch",
        )
        parts = [self._embed_batch(items[batch]) for batch in batches]
        widths = {part.shape[1] for part in parts}
        if len(widths) > 1:
            raise ValueError(
                f"{self._source} returned vectors of several lengths: {widths}."
            )
        return np.concatenate(parts, axis=0)

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
