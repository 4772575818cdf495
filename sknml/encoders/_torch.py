"""TorchEncoder: features from any frozen PyTorch module."""

import copy
from collections.abc import Callable
from contextlib import contextmanager
from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

from sknml._device import resolve_device
from sknml.encoders._base import _BaseEncoder


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

    _docs = {
        "X_type": "array-like of shape (n_samples, ...) or list",
        "X_desc": "Inputs of the module (or of ``preprocess``), shaped like in "
        "``fit``.",
        "fit": "Check the inputs and the module; nothing is trained.\n\n"
        "Runs the module on the first sample to learn the output size.",
        "transform": "Features of ``X``: the module's flattened outputs.",
        "output": "features",
        "output_desc": "One row of features per sample.",
    }
    _source = "module"
    _unit = "sample"

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

    def _prepare(self):
        self.device_ = resolve_device(self.device)
        if _module_device(self.module) == self.device_:
            self.module_ = self.module
        else:
            self.module_ = copy.deepcopy(self.module).to(self.device_)

    def _embed_batch(self, chunk):
        module = self.module_
        with _frozen(module):
            if self.preprocess is not None:
                chunk = self.preprocess(chunk)
            batch = torch.as_tensor(chunk)
            if batch.is_floating_point() or self.preprocess is None:
                batch = batch.to(dtype=_module_dtype(module))
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
            return out.reshape(out.shape[0], -1).to("cpu", torch.float32).numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
