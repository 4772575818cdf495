"""Image loaders of sknml.datasets, on the real files installed on this machine."""

import gzip

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from torch.nn import functional as F

from sknml.datasets import load_digits_aligned, load_fashion_mnist, load_mnist_5k


@pytest.mark.parametrize(
    "subset, n_samples", [("train", 60000), ("test", 10000), ("all", 70000)]
)
def test_fashion_mnist_splits(subset, n_samples):
    fashion = load_fashion_mnist(subset=subset)
    assert fashion.images.shape == (n_samples, 28, 28)
    assert fashion.data.shape == (n_samples, 784)
    assert fashion.data.dtype == np.float32
    assert 0.0 <= fashion.data.min() and fashion.data.max() <= 1.0
    assert fashion.data.max() == 1.0
    np.testing.assert_array_equal(fashion.data, fashion.images.reshape(n_samples, -1))
    # Both published splits are exactly balanced over the 10 classes.
    np.testing.assert_array_equal(
        np.bincount(fashion.target), np.full(10, n_samples // 10)
    )
    assert len(fashion.target_names) == 10


def test_fashion_mnist_return_X_y_and_first_labels():
    X, y = load_fashion_mnist(subset="test", return_X_y=True)
    assert X.shape == (10000, 784) and y.dtype == np.int64
    # The published order of the test split starts with an ankle boot (9).
    assert y[0] == 9


def test_fashion_mnist_missing_files_say_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion"):
        load_fashion_mnist(data_home=tmp_path)


def test_fashion_mnist_rejects_a_file_that_is_not_idx(tmp_path):
    for prefix in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(tmp_path / f"{prefix}.gz", "wb") as f:
            f.write(np.arange(8, dtype=">u4").tobytes())
    with pytest.raises(ValueError, match="magic number 2051"):
        load_fashion_mnist(subset="test", data_home=tmp_path)


def test_fashion_mnist_rejects_an_unknown_subset():
    with pytest.raises(ValueError, match="subset"):
        load_fashion_mnist(subset="validation")


def test_mnist_5k():
    mnist = load_mnist_5k()
    assert mnist.images.shape == (5000, 28, 28)
    assert mnist.data.dtype == np.float32 and mnist.data.max() == 1.0
    np.testing.assert_array_equal(np.bincount(mnist.target), np.full(10, 500))
    assert mnist.target_names == [str(d) for d in range(10)]


def test_digits_aligned_keeps_mnist_layout():
    digits = load_digits_aligned()
    assert digits.images.shape == (1797, 28, 28)
    assert digits.images.dtype == np.float32
    np.testing.assert_array_equal(digits.target, load_digits().target)
    # MNIST's layout: ink inside the central 20 x 20 box, a 4-pixel empty border.
    border = np.ones((28, 28), dtype=bool)
    border[4:24, 4:24] = False
    assert digits.images[:, border].max() == 0.0
    assert 0.0 <= digits.images.min() and digits.images.max() <= 1.0


def test_digits_aligned_keeps_the_original_pixels():
    # Averaging the 20 x 20 box back to 8 x 8 must give the original image back,
    # up to the blur of bilinear upsampling.
    digits = load_digits_aligned()
    box = torch.from_numpy(digits.images[:, None, 4:24, 4:24])
    back = F.adaptive_avg_pool2d(box, 8)[:, 0].numpy()
    original = load_digits().images / 16.0
    correlation = np.corrcoef(back.ravel(), original.ravel())[0, 1]
    assert correlation > 0.95


def test_alignment_makes_mnist_and_digits_one_task():
    # A classifier trained on MNIST pixels reads the aligned digits far better than
    # chance, and far better than the digits resized to fill the whole frame.
    mnist = load_mnist_5k()
    digits = load_digits_aligned()
    fit_rows = np.arange(0, 5000, 4)  # 125 per class keeps the test fast
    clf = LogisticRegression(max_iter=100).fit(
        mnist.data[fit_rows], mnist.target[fit_rows]
    )
    aligned = clf.score(digits.data, digits.target)
    small = torch.from_numpy(load_digits().images.astype(np.float32) / 16)[:, None]
    naive = F.interpolate(small, size=(28, 28), mode="bilinear").reshape(1797, -1)
    naive_accuracy = clf.score(naive.numpy(), digits.target)
    assert aligned > 0.45
    assert aligned > naive_accuracy + 0.1
