"""Input checks that several modules share (private).

It imports no other sknml module, so that any module can use it without an import
cycle; in particular the spectrum and its dask reduction both check here.
"""

import numpy as np


def is_dask_array(X) -> bool:
    """Whether ``X`` is a dask array, without importing dask."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def check_numpy_dtype(dtype, what):
    """A ValueError unless ``dtype`` (a NumPy dtype) holds real numbers."""
    if dtype.kind in "fiub":
        return
    if dtype.kind == "O":
        raise ValueError(
            f"{what} has object dtype; convert it to a numeric dtype (for example "
            "X.astype(np.float32)) before computing its spectrum."
        )
    if dtype.kind == "c":
        raise ValueError(
            f"{what} is complex ({dtype}); only real matrices are supported."
        )
    raise ValueError(
        f"{what} has non-numeric dtype {dtype}; expected a real number dtype."
    )


def check_not_empty(shape):
    """``shape`` as a tuple; a ValueError if it has no sample or no feature."""
    shape = tuple(shape)
    if 0 in shape:
        raise ValueError(
            f"X is empty (shape {shape}); at least 1 sample and 1 feature are required."
        )
    return shape


def check_ndim(shape, what):
    """A ValueError unless ``shape`` is that of a 2-D matrix."""
    if len(shape) != 2:
        hint = (
            " Reshape it with X.reshape(-1, 1) for a single feature or "
            "X.reshape(1, -1) for a single sample."
            if len(shape) == 1
            else ""
        )
        raise ValueError(
            f"Expected {what} to be a 2-D matrix (n_samples, n_features), got "
            f"{len(shape)}-D with shape {tuple(shape)}.{hint}"
        )


def forget_fit(estimator):
    """Remove every fitted attribute, as before the first fit.

    A fit that fails or is interrupted calls this, so that no half-fitted model
    passes ``check_is_fitted``.
    """
    for name in [key for key in vars(estimator) if key.endswith("_")]:
        delattr(estimator, name)


def check_float32_range(X):
    """Raise if X holds values that become infinite in float32."""
    limit = np.finfo(np.float32).max
    if X.dtype != np.float32 and X.size and max(X.max(), -X.min()) > limit:
        raise ValueError(
            f"X contains values of magnitude up to {max(X.max(), -X.min()):.3g}, "
            f"beyond the float32 range ({limit:.3g}) the network computes in; "
            "rescale X."
        )
