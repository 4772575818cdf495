"""Real data sets, found inside installed packages; nothing is downloaded."""

from sknml.datasets._images import (
    load_digits_aligned,
    load_fashion_mnist,
    load_mnist_5k,
)
from sknml.datasets._sentiment import load_sentiment_domains
from sknml.datasets._synthetic import make_embedding_like

__all__ = [
    "load_digits_aligned",
    "load_fashion_mnist",
    "load_mnist_5k",
    "load_sentiment_domains",
    "make_embedding_like",
]
