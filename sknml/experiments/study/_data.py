"""The study's data: fixed splits of Fashion-MNIST and of two digit sources."""

import numpy as np
from sklearn.model_selection import train_test_split

from sknml.datasets import (
    load_digits_aligned,
    load_fashion_mnist,
    load_mnist_5k,
    make_shifted_images,
)

# The images each backbone is pre-trained on and probed with are fixed by this
# seed, so that the study's seeds vary only the pre-training and the probes.
DATA_SEED = 0

# Images in Fashion-MNIST's training split, which pre-training and probes share.
FASHION_TRAIN_SIZE = 60_000

# The in-domain tasks: other data sets, each fitted and scored on its own split.
ID_TASKS = ("mnist", "digits")

# The out-of-domain tests: shifted copies of Fashion-MNIST's test split, every
# shift of make_shifted_images, in its order.
OOD_SHIFTS = tuple(make_shifted_images(np.zeros((1, 28, 28))))


def fashion_permutation(n):
    """The fixed order of Fashion-MNIST's training images: pre-training first."""
    return np.random.RandomState(DATA_SEED).permutation(n)


def _stratified_subset(target, n, seed):
    """At most ``n`` row indices, a fixed shuffle, every class in proportion."""
    order = np.random.RandomState(seed).permutation(len(target))
    if n is None or n >= len(target):
        return order
    rows, _ = train_test_split(
        order, train_size=n, stratify=target[order], random_state=seed
    )
    return rows


def load_study_data(
    n_pretrain: int, n_probe: int, n_test: int, n_id: int | None
) -> dict:
    """The study's fixed downstream splits, the same in every run.

    ``fashion``, the pre-training domain: Fashion-MNIST training images that
    pre-training never sees (after the first ``n_pretrain`` of its fixed
    permutation) to fit on, a stratified subset of the test split to score on
    (the study also scores on shifted copies of it). ``mnist`` and ``digits``,
    the in-domain tasks: MNIST-5k and the aligned digits, each a stratified
    subset split in half, stratified.

    Parameters
    ----------
    n_pretrain : int
        Fashion-MNIST training images reserved for pre-training.
    n_probe : int
        Fashion-MNIST images to fit on, after those.
    n_test : int
        Fashion-MNIST test images (stratified subset).
    n_id : int or None
        Images of each digit source before its halving; None for all.

    Returns
    -------
    tasks : dict
        ``{task: (fit images, fit labels, test images, test labels)}``, images of
        shape (n, 28, 28) in [0, 1].

    Examples
    --------
    >>> from sknml.experiments.study import load_study_data
    >>> tasks = load_study_data(2000, 500, 500, 400)
    >>> sorted(tasks), tasks["fashion"][0].shape
    (['digits', 'fashion', 'mnist'], (500, 28, 28))
    """
    train = load_fashion_mnist(subset="train")
    test = load_fashion_mnist(subset="test")
    unused = fashion_permutation(len(train.target))[n_pretrain:]
    if n_probe > len(unused):
        raise ValueError(
            f"n_probe={n_probe} plus n_pretrain={n_pretrain} exceeds the "
            f"{len(train.target)} Fashion-MNIST training images."
        )
    probe_rows = unused[:n_probe]
    test_rows = _stratified_subset(test.target, n_test, DATA_SEED)
    tasks = {
        "fashion": (
            train.images[probe_rows],
            train.target[probe_rows],
            test.images[test_rows],
            test.target[test_rows],
        )
    }
    for name, source in (("mnist", load_mnist_5k()), ("digits", load_digits_aligned())):
        rows = _stratified_subset(source.target, n_id, DATA_SEED)
        fit_rows, test_rows = train_test_split(
            rows, test_size=0.5, stratify=source.target[rows], random_state=DATA_SEED
        )
        tasks[name] = (
            source.images[fit_rows],
            source.target[fit_rows],
            source.images[test_rows],
            source.target[test_rows],
        )
    return tasks
