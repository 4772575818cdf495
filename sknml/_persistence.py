"""Model files that cannot run code: JSON for structure, safetensors for arrays.

A model file is one safetensors file. Its tensors are the numeric arrays of the model
(fitted attributes, network weights, always stored from the CPU); its header metadata
holds a JSON document describing everything else: which estimator classes, their
parameters and fitted attributes, with references to the tensors by name. Loading
parses JSON and raw little-endian numbers only, and instantiates classes from an
explicit allow-list (:data:`ALLOWED_TYPES`), so it never unpickles and a file cannot
name a class or function to call. A SHA-256 digest of the document and the tensors,
checked at load, rejects a truncated or edited file with a clear error.
"""

import hashlib
import importlib
import json
import os
import warnings
from numbers import Integral

import numpy as np
import safetensors.numpy
import sklearn
import torch
from safetensors import SafetensorError
from skorch.history import History

import sknml
from sknml._tuner import NMTuneClassifier

_FORMAT = "sknml-model"
_FORMAT_VERSION = 1

#: Classes a model file may contain, by their public import path. Only these are
#: instantiated at load; a file naming anything else is rejected.
ALLOWED_TYPES: tuple[str, ...] = (
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
)

# Array dtypes stored as JSON lists rather than tensors (text and Python objects).
_JSON_ARRAY_KINDS = "UO"
_SCALAR_KINDS = "biuf"
_JSON_SCALARS = (bool, int, float, str, np.generic)


def _unsupported(v, where):
    return ValueError(
        f"Cannot save {where}: its type {type(v).__module__}.{type(v).__qualname__} "
        "is not one a model file can hold (allowed classes: sknml.ALLOWED_TYPES; "
        "values: numbers, strings, lists, tuples, dicts, NumPy arrays). Use "
        "joblib.dump for this object."
    )


def _allowed_classes():
    """``{public name: class}`` for :data:`ALLOWED_TYPES` (fixed module names only)."""
    classes = {}
    for name in ALLOWED_TYPES:
        module, _, attr = name.rpartition(".")
        classes[name] = getattr(importlib.import_module(module), attr)
    return classes


class _Writer:
    """Turns an estimator into a JSON-able tree and a dict of named arrays."""

    def __init__(self):
        self.names = {cls: name for name, cls in _allowed_classes().items()}
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
        name = self.names[type(est)]
        params = est.get_params(deep=False)
        attrs = {k: v for k, v in vars(est).items() if k not in params}
        node = {"t": "estimator", "type": name}
        if isinstance(est, NMTuneClassifier) and "net_" in attrs:
            net = attrs.pop("net_")
            attrs.pop("history_")
            node["net"] = {
                "state": {
                    k: self.tensor(t.detach().cpu().numpy())
                    for k, t in net.module_.state_dict().items()
                },
                "history": self.value(list(net.history), f"{where}.history_"),
            }
        node["params"] = self.value(params, f"{where} parameters")
        node["attrs"] = self.value(attrs, f"{where} attributes")
        return node


class _Reader:
    """Rebuilds values from the tree, instantiating only allowed classes."""

    def __init__(self, tensors):
        self.classes = _allowed_classes()
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
        if name not in self.classes:
            raise ValueError(
                f"The model file names type {name!r}, which is not in the allowed "
                "set sknml.ALLOWED_TYPES; refusing to load it."
            )
        est = self.classes[name](**self.value(node["params"]))
        for key, value in self.value(node["attrs"]).items():
            if not (isinstance(key, str) and key.isidentifier()) or key[:2] == "__":
                raise ValueError(f"Unexpected attribute {key!r} for {name}.")
            setattr(est, key, value)
        if "net" in node:
            _restore_net(est, node["net"], self)
        return est


def _restore_net(est, net_node, reader):
    """Rebuild a fitted NMTuneClassifier's skorch net, on the CPU."""
    est.device_ = "cpu"
    state = {
        k: torch.from_numpy(reader.tensor(ref).copy())
        for k, ref in net_node["state"].items()
    }
    # Standardization statistics are buffers of the state loaded below.
    net = est._build_net(np.zeros((1, est.n_features_in_)), 1, 0)
    net.initialize()
    net.module_.load_state_dict(state)
    net.history = History(reader.value(net_node["history"]))
    est.net_ = net
    est.history_ = net.history


def _digest(document, tensors):
    h = hashlib.sha256(document.encode())
    for key in sorted(tensors):
        a = tensors[key]
        h.update(f"{key}:{a.dtype.str}:{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _versions():
    return {
        "sknml": sknml.__version__,
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
