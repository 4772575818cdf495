"""FunctionEncoder: embeddings from any callable (an embedding API), cached."""

import functools
import hashlib
import inspect
import os
import time
from collections.abc import Callable
from numbers import Integral, Real

import joblib
import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from sknml.encoders._base import _BaseEncoder, _check_inputs, _text_tags


def _digest(value):
    """joblib's hash of ``value``, or its type's name where it cannot be hashed."""
    try:
        return joblib.hash(value)
    except Exception:
        # Unpicklable state (a client holding a socket): collisions are still
        # caught on the vectors' length; a cache_key avoids them.
        return type(value).__qualname__


def _bytecode(code):
    """Instructions, names and constants of ``code`` and of the code nested in it."""
    parts = [code.co_code.hex(), repr(code.co_names)]
    for const in code.co_consts:
        parts.append(_bytecode(const) if inspect.iscode(const) else repr(const))
    return "|".join(parts)


def _code_identity(func):
    """Source (else bytecode), defaults and closure values of a Python function."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        source = None
    code = [] if source is None else [source]
    # A lambda's source is the whole line around it, which may hold several.
    if source is None or func.__name__ == "<lambda>":
        code.append(_bytecode(func.__code__))
    closure = [cell.cell_contents for cell in func.__closure__ or ()]
    return [*code, _digest([func.__defaults__, func.__kwdefaults__, closure])]


def _default_cache_key(func):
    """A name for ``func``'s results that two different functions do not share.

    Module and qualified name, plus what makes two functions of one name differ:
    the code, defaults and closure of a Python function, the arguments of a
    ``functools.partial``, the state of the object a method is bound to (a
    ``HashingVectorizer(n_features=16).transform`` is not one of 32), or of a
    callable object.
    """
    parts = []
    while isinstance(func, functools.partial):
        parts.append(_digest([func.args, func.keywords]))
        func = func.func
    owner = getattr(func, "__self__", None)
    if owner is not None and not inspect.ismodule(owner):
        parts.append(_digest(owner))
    if inspect.ismethod(func):
        func = func.__func__
    if inspect.isfunction(func):
        parts.extend(_code_identity(func))
    elif not inspect.isroutine(func):
        parts.append(_digest(func))
    name = getattr(func, "__qualname__", type(func).__qualname__)
    module = getattr(func, "__module__", None) or type(func).__module__
    return "|".join([f"{module}.{name}", *parts])


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
        Name of ``func``'s results in the cache. By default it is derived from
        ``func``: its module and qualified name, its source code, defaults and
        closure variables, the arguments of a ``functools.partial``, and the
        state of the object a method is bound to; so two different functions,
        lambdas or ``HashingVectorizer(n_features=16 vs 32).transform`` never
        share results. Pass a name to keep the cache when the code changes but
        not the embeddings, or to start afresh when the model behind the same
        code changes (a new API version), or when ``func`` is an object whose
        state changes from run to run. Cached vectors whose length differs from
        ``func``'s output raise a ValueError naming the folder.
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

    _docs = {
        "X_type": "list or 1-d array-like",
        "X_desc": "The inputs of ``func`` (texts for an embedding API).",
        "fit": "Check the inputs and ``func``; nothing is trained.\n\n"
        "Embeds the first input (through the cache) to learn the dimension.",
        "transform": "Vectors of the inputs.",
        "output": "embeddings",
        "output_desc": "One vector per input.",
    }
    _source = "func"
    _unit = "input"

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

    def _check_X(self, X, *, reset):
        return _check_inputs(X, text=False)

    def _namespace(self):
        """The cache folder of ``func``'s results."""
        key = self.cache_key
        if key is None:
            key = _default_cache_key(self.func)
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return "function-" + digest[:24]

    def _embed_batch(self, batch):
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
        if np.iscomplexobj(out):
            raise ValueError(
                "func returned complex values; return real vectors (for example "
                "the real and imaginary parts side by side)."
            )
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

    def __sklearn_tags__(self):
        return _text_tags(super().__sklearn_tags__())
