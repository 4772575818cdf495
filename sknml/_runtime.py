"""How long jobs run: progress bars and torch's thread count."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
from tqdm.auto import tqdm


def progress_bar(iterable: Iterable, *, enabled, **tqdm_params) -> Iterable:
    """``iterable`` wrapped in a tqdm bar when ``enabled``, else unchanged."""
    return tqdm(iterable, **tqdm_params) if enabled else iterable


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run with ``n_threads`` torch threads (None: leave it), then restore it.

    The networks here are small (384 x 384 layers, batches of 256): on a 2-core
    machine one thread per fit, and fits side by side, measured 3 to 8 times faster
    than two threads per fit, whose synchronization costs more than it saves.
    """
    previous = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
