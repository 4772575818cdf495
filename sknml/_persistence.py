"""Model files that cannot run code: JSON for structure, safetensors for arrays.

A model file is one safetensors file. Its tensors are the numeric arrays of the model
(fitted attributes, network weights, always stored from the CPU); its header metadata
holds a JSON document describing everything else: which estimator classes, their
parameters and fitted attributes, with references to the tensors by name. Loading
parses JSON and raw little-endian numbers only, and instantiates classes from an
explicit allow-list (:data:`ALLOWED_TYPES`, which users extend with their own
estimators), so it never unpickles and a file cannot name a class or function to
call. A SHA-256 digest of the document and the tensors, checked at load, rejects a
truncated or edited file with a clear error.

An estimator owns what it saves: a class may define the private pair
``_get_model_state() -> dict`` (its fitted state as values this format holds) and
``_set_model_state(state)`` (itself rebuilt from that dict); any other allowed
class is saved as its parameters plus the other entries of its ``__dict__``.
"""

import hashlib
import importlib
import json
import os
import warnings
from collections.abc import Mapping
from numbers import Integral

import numpy as np
import safetensors.numpy
import sklearn
import torch
from safetensors import SafetensorError

from sknml._version import __version__

_FORMAT = "sknml-model"
_FORMAT_VERSION = 2


class AllowedTypes(Mapping):
    """The classes a model file may contain, by their public import path.

    Only these are instantiated by :func:`load_model`; a file naming anything
    else is rejected before any class is touched. It is a read-only mapping from
    names such as ``"sknml.NMTuneClassifier"`` to classes (each imported when
    first looked up), plus ``register`` to add a class of your own.

    Examples
    --------
    >>> from sknml import ALLOWED_TYPES
    >>> "sklearn.preprocessing.StandardScaler" in ALLOWED_TYPES
    True
    >>> ALLOWED_TYPES["sknml.SpectrumProbe"].__name__
    'SpectrumProbe'
    """

    def __init__(self, names):
        self._names = list(names)
        self._classes = {}

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._classes:
            module, _, attr = name.rpartition(".")
            self._classes[name] = getattr(importlib.import_module(module), attr)
        return self._classes[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __repr__(self):
        return f"AllowedTypes({self._names!r})"

    def register(self, cls: type, name: str | None = None) -> str:
        """Allow ``cls`` in model files, under its import path.

        The class must be importable by that path, take its parameters in
        ``__init__`` (``get_params``), and hold in its parameters and fitted
        attributes only values a model file can hold (numbers, strings, lists,
        tuples, dicts, NumPy arrays and allowed estimators), unless it defines
        ``_get_model_state`` / ``_set_model_state``. Registering it again is a
        no-op.

        Parameters
        ----------
        cls : type
            An estimator class.
        name : str, default=None
            Its public import path (``"package.module.Class"``); None uses
            ``cls.__module__`` and ``cls.__qualname__``.

        Returns
        -------
        name : str
            The name files will use for ``cls``.

        Examples
        --------
        >>> from sklearn.preprocessing import QuantileTransformer
        >>> from sknml import ALLOWED_TYPES
        >>> ALLOWED_TYPES.register(
        ...     QuantileTransformer, "sklearn.preprocessing.QuantileTransformer"
        ... )
        'sklearn.preprocessing.QuantileTransformer'
        """
        if not isinstance(cls, type):
            raise TypeError(f"register expects a class, got {cls!r}.")
        name = name or f"{cls.__module__}.{cls.__qualname__}"
        module, _, attr = name.rpartition(".")
        try:
            found = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError, ValueError):
            found = None
        if found is not cls:
            raise ValueError(
                f"{name!r} does not import {cls.__qualname__}: a model file names "
                "a class by a path that imports it; pass that path as name."
            )
        if name not in self._names:
            self._names.append(name)
        self._classes[name] = cls
        return name


#: Classes a model file may contain, by their public import path; extend it with
#: :meth:`AllowedTypes.register`.
ALLOWED_TYPES = AllowedTypes(
    [
        "sknml.NMTuneClassifier",
        "sknml.NMTuneClassifierCV",
        "sknml.PairFlipLabelNoise",
        "sknml.SpectrumProbe",
        "sknml.SymmetricLabelNoise",
        "sknml.TransitionMatrixLabelNoise",
        "imblearn.pipeline.Pipeline",
        "sklearn.decomposition.PCA",
        "sklearn.decomposition.TruncatedSVD",
        "sklearn.linear_model.LogisticRegression",
        "sklearn.linear_model.RidgeClassifier",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing.MaxAbsScaler",
        "sklearn.preprocessing.MinMaxScaler",
        "sklearn.preprocessing.Normalizer",
        "sklearn.preprocessing.RobustScaler",
        "sklearn.preprocessing.StandardScaler",
    ]
)

# Array dtypes stored as JSON lists rather than tensors (text and Python objects).
_JSON_ARRAY_KINDS = "UO"
_SCALAR_KINDS = "biuf"
_JSON_SCALARS = (bool, int, float, str, np.generic)


def _unsupported(v, where):
    return ValueError(
        f"Cannot save {where}: its type {type(v).__module__}.{type(v).__qualname__} "
        "is not one a model file can hold (allowed classes: sknml.ALLOWED_TYPES, "
        "which ALLOWED_TYPES.register extends; values: numbers, strings, lists, "
        "tuples, dicts, NumPy arrays). Register the class, or use joblib.dump."
    )


class _Writer:
    """Turns an estimator into a JSON-able tree and a dict of named arrays."""

    def __init__(self):
        self.names = {cls: name for name, cls in ALLOWED_TYPES.items()}
        self.tensors = {}

    def tensor(self, array):
        key = f"t{len(self.tensors)}"
        self.tensors[key] = np.ascontiguousarray(array)
        return key

    def value(self, v, where):
        if isinstance(v, np.generic):  # before float: np.float64 is a float
            return self.scalar(v, where)
        if v is None or isinstance(v, bool | str):
            return v
        if isinstance(v, Integral):
            return int(v)
        if isinstance(v, float):
            return v if np.isfinite(v) else {"t": "float", "v": str(float(v))}
        if isinstance(v, np.ma.MaskedArray):
            return {
                "t": "masked",
                "data": self.array(np.ma.getdata(v), where),
                "mask": self.array(np.ma.getmaskarray(v), where),
            }
        if isinstance(v, np.ndarray):
            return self.array(v, where)
        if type(v) is list:
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if type(v) is tuple:
            return {"t": "tuple", "items": self.value(list(v), where)}
        if type(v) is dict:
            return {
                "t": "dict",
                "items": [
                    [self.value(k, where), self.value(x, f"{where}[{k!r}]")]
                    for k, x in v.items()
                ],
            }
        if isinstance(v, torch.device):
            return {"t": "device", "v": str(v)}
        if isinstance(v, type) and issubclass(v, np.generic):
            return {"t": "dtype", "v": np.dtype(v).str}
        if type(v) is np.random.RandomState:
            return {"t": "random_state", "state": self.value(v.get_state(), where)}
        if type(v) in self.names:
            return self.estimator(v, where)
        raise _unsupported(v, where)

    def scalar(self, v, where):
        if v.dtype.kind not in _SCALAR_KINDS:
            raise ValueError(f"Cannot save {where}: NumPy scalar of dtype {v.dtype}.")
        return {"t": "scalar", "dtype": v.dtype.str, "v": self.value(v.item(), where)}

    def array(self, a, where):
        if a.dtype.kind in _SCALAR_KINDS:
            return {"t": "ndarray", "ref": self.tensor(a)}
        if a.dtype.kind in _JSON_ARRAY_KINDS:
            values = a.ravel().tolist()
            if not all(x is None or isinstance(x, _JSON_SCALARS) for x in values):
                raise ValueError(
                    f"Cannot save {where}: an object array holding non-scalar values."
                )
            items = [self.value(x, where) for x in values]
            return {
                "t": "json_array",
                "dtype": a.dtype.str,
                "shape": list(a.shape),
                "items": items,
            }
        raise ValueError(f"Cannot save {where}: array of dtype {a.dtype}.")

    def estimator(self, est, where):
        params = est.get_params(deep=False)
        if hasattr(est, "_get_model_state"):
            state = est._get_model_state()
        else:
            state = {k: v for k, v in vars(est).items() if k not in params}
        return {
            "t": "estimator",
            "type": self.names[type(est)],
            "params": self.value(params, f"{where} parameters"),
            "attrs": self.value(state, f"{where} attributes"),
        }


class _Reader:
    """Rebuilds values from the tree, instantiating only allowed classes."""

    def __init__(self, tensors):
        self.tensors = tensors

    def tensor(self, ref):
        if not isinstance(ref, str) or ref not in self.tensors:
            raise ValueError(f"The model file refers to a missing tensor {ref!r}.")
        return self.tensors[ref]

    def value(self, v):
        if v is None or isinstance(v, bool | int | float | str):
            return v
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            raise ValueError(f"Unexpected JSON value in the model file: {v!r}.")
        kind = v.get("t")
        if kind == "float":
            return float(v["v"])
        if kind == "scalar":
            return self.dtype(v["dtype"], _SCALAR_KINDS).type(self.value(v["v"]))
        if kind == "ndarray":
            return self.tensor(v["ref"])
        if kind == "masked":
            return np.ma.MaskedArray(self.value(v["data"]), mask=self.value(v["mask"]))
        if kind == "json_array":
            dtype = self.dtype(v["dtype"], _JSON_ARRAY_KINDS)
            a = np.empty(len(v["items"]), dtype=dtype)
            a[:] = [self.value(x) for x in v["items"]]
            return a.reshape(v["shape"])
        if kind == "tuple":
            return tuple(self.value(v["items"]))
        if kind == "dict":
            return {self.value(k): self.value(x) for k, x in v["items"]}
        if kind == "device":
            return torch.device(str(v["v"]))
        if kind == "dtype":
            return self.dtype(v["v"], _SCALAR_KINDS).type
        if kind == "random_state":
            rng = np.random.RandomState()
            rng.set_state(self.value(v["state"]))
            return rng
        if kind == "estimator":
            return self.estimator(v)
        raise ValueError(f"Unknown value kind {kind!r} in the model file.")

    @staticmethod
    def dtype(text, kinds):
        dtype = np.dtype(str(text))
        if dtype.kind not in kinds:
            raise ValueError(f"Unexpected dtype {text!r} in the model file.")
        return dtype

    def estimator(self, node):
        name = node.get("type")
        if not isinstance(name, str) or name not in ALLOWED_TYPES:
            raise ValueError(
                f"The model file names type {name!r}, which is not in the allowed "
                "set sknml.ALLOWED_TYPES; refusing to load it."
            )
        est = ALLOWED_TYPES[name](**self.value(node["params"]))
        state = self.value(node["attrs"])
        for key in state:
            if not (isinstance(key, str) and key.isidentifier()) or key[:2] == "__":
                raise ValueError(f"Unexpected attribute {key!r} for {name}.")
        if hasattr(est, "_set_model_state"):
            est._set_model_state(state)
        else:
            for key, value in state.items():
                setattr(est, key, value)
        return est


def _digest(document, tensors):
    h = hashlib.sha256(document.encode())
    for key in sorted(tensors):
        a = tensors[key]
        h.update(f"{key}:{a.dtype.str}:{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _versions():
    return {
        "sknml": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "torch": torch.__version__,
    }


def save_model(estimator, path: str | os.PathLike) -> None:
    """Save a fitted (or unfitted) estimator to a model file that cannot run code.

    The file is a `safetensors <https://huggingface.co/docs/safetensors>`_ file:
    arrays and network weights as raw tensors (copied to the CPU first, so the file
    does not depend on the device the model was trained on), and parameters and
    other fitted attributes as a JSON document in its header, protected by a
    SHA-256 digest. Load it with :func:`load_model`.

    Parameters
    ----------
    estimator : estimator
        An instance of one of the classes in :data:`sknml.ALLOWED_TYPES`, such as
        :class:`~sknml.NMTuneClassifier`, :class:`~sknml.NMTuneClassifierCV`,
        :class:`~sknml.SpectrumProbe`, or a scikit-learn or imbalanced-learn
        ``Pipeline`` whose steps are all allowed.
    path : str or path-like
        Where to write the file (overwritten if it exists).

    Raises
    ------
    ValueError
        If the estimator, one of its steps, or one of their parameters or
        attributes is of a type the format cannot hold (a callable ``scoring``,
        a custom class): use :func:`joblib.dump` for such objects.

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknml import NMTuneClassifier, load_model, save_model
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> pipe = make_pipeline(
    ...     StandardScaler(), NMTuneClassifier(max_epochs=2, random_state=0)
    ... ).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.sknml")
    >>> save_model(pipe, path)
    >>> loaded = load_model(path)
    >>> bool((loaded.predict_proba(X) == pipe.predict_proba(X)).all())
    True
    """
    writer = _Writer()
    if type(estimator) not in writer.names:
        raise _unsupported(estimator, "the estimator")
    tree = {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "versions": _versions(),
        "estimator": writer.estimator(estimator, type(estimator).__name__),
    }
    document = json.dumps(tree)
    metadata = {
        "format": _FORMAT,
        "model": document,
        "sha256": _digest(document, writer.tensors),
    }
    data = safetensors.numpy.save(writer.tensors, metadata=metadata)
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    """The checked JSON tree and tensors of a model file, or a ValueError."""
    with open(path, "rb") as f:
        data = f.read()
    what = f"{os.fspath(path)!r} is not a valid sknml model file"
    try:
        header_size = int.from_bytes(data[:8], "little")
        if len(data) < 8 or header_size > len(data) - 8:
            raise ValueError("truncated header")
        header = json.loads(data[8 : 8 + header_size])
        metadata = header.get("__metadata__") or {}
        tensors = safetensors.numpy.load(data)
    except (ValueError, SafetensorError, UnicodeDecodeError, AttributeError) as e:
        raise ValueError(
            f"{what} (it may be truncated, corrupted or of another format, such as "
            f"a pickle: {e})."
        ) from None
    if metadata.get("format") != _FORMAT or not isinstance(metadata.get("model"), str):
        raise ValueError(f"{what}: it has no sknml model description.")
    document = metadata["model"]
    if metadata.get("sha256") != _digest(document, tensors):
        raise ValueError(
            f"{what}: its content does not match its SHA-256 digest (the file was "
            "modified or damaged after it was saved)."
        )
    tree = json.loads(document)
    if tree.get("version") != _FORMAT_VERSION:
        raise ValueError(
            f"{what}: format version {tree.get('version')!r}, this sknml reads "
            f"version {_FORMAT_VERSION}."
        )
    return tree, tensors


def load_model(path: str | os.PathLike):
    """Load an estimator saved by :func:`save_model`, without running any code.

    Only JSON and raw numeric tensors are parsed (never a pickle), and only the
    classes in :data:`sknml.ALLOWED_TYPES` are instantiated. Network weights are
    loaded onto the CPU whatever device the model was trained on. A warning is
    issued when the file was written with another scikit-learn version.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    estimator : estimator
        The estimator, fitted if it was fitted when saved; its predictions are
        identical to the saved one's.

    Raises
    ------
    ValueError
        If the file is truncated, corrupted, modified after saving (digest
        mismatch), not a model file (for example a pickle or joblib file), or names
        a class outside the allowed set.

    See Also
    --------
    save_model : Write a model file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sknml import SpectrumProbe, load_model, save_model
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> path = os.path.join(tempfile.mkdtemp(), "probe.sknml")
    >>> save_model(SpectrumProbe().fit(X), path)
    >>> probe = load_model(path)
    >>> probe.singular_values_.shape
    (3,)
    """
    tree, tensors = _read(path)
    saved = tree.get("versions", {}).get("scikit-learn")
    if saved != sklearn.__version__:
        warnings.warn(
            f"{os.fspath(path)!r} was saved with scikit-learn {saved}, this is "
            f"{sklearn.__version__}; check the loaded model's predictions.",
            UserWarning,
            stacklevel=2,
        )
    node = tree.get("estimator")
    if not isinstance(node, dict) or node.get("t") != "estimator":
        raise ValueError(f"{os.fspath(path)!r} holds no estimator.")
    try:
        return _Reader(tensors).estimator(node)
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise ValueError(
            f"{os.fspath(path)!r} has a malformed model description: {e!r}."
        ) from None
