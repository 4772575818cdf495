"""The demo's data: four sentiment domains embedded once with MiniLM (cached)."""

import time

import numpy as np

from sknml.datasets import SENTIMENT_DOMAINS

# The sizes of --quick: enough real snippets for every code path, seconds to run.
_QUICK_TRAIN = 400
_QUICK_OOD = 150


def load_embedded_domains(
    *, cache, quick=False, device="auto", progress=True, random_state=0
):
    """Texts of the four domains, their labels and MiniLM embeddings.

    Returns a dict with ``X`` (n, 384) float32, ``y``, ``domain`` and the number
    of texts embedded; with ``quick`` a small stratified sample of each domain.
    """
    from sknml.datasets import load_sentiment_domains
    from sknml.encoders import SentenceEncoder

    data = load_sentiment_domains()
    keep = np.arange(len(data.data))
    if quick:
        rng = np.random.RandomState(random_state)
        keep = np.concatenate(
            [
                rng.choice(
                    np.flatnonzero(data.domain == domain),
                    _QUICK_TRAIN if domain == "movie" else _QUICK_OOD,
                    replace=False,
                )
                for domain in SENTIMENT_DOMAINS
            ]
        )
    encoder = SentenceEncoder(device=device, cache=cache, verbose=int(progress))
    start = time.perf_counter()
    X = encoder.fit_transform(data.data[keep])
    return {
        "X": X,
        "y": data.target[keep],
        "domain": data.domain[keep],
        "embed_seconds": time.perf_counter() - start,
    }
