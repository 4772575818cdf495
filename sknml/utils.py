"""Utilities for running many small fits on the CPU."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["torch_threads"]


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run a block with ``n_threads`` torch threads, then restore the former count.

    The networks of :class:`~sknml.NMTuneClassifier` are small (layers of a few
    hundred units, batches of up to 256 rows): on a 2-core machine one thread per
    fit, with fits side by side (``n_jobs``), measured 3 to 8 times faster than
    two threads per fit, whose synchronization costs more than it saves. Use it
    inside each parallel job.

    Parameters
    ----------
    n_threads : int or None
        Number of threads torch uses inside the block
        (:func:`torch.set_num_threads`); None leaves it unchanged.

    Yields
    ------
    None
        The former number of threads is restored when the block ends, also on
        an error.

    See Also
    --------
    sknml.NMTuneClassifierCV : Fits its candidates in parallel with ``n_jobs``.

    Examples
    --------
    >>> import torch
    >>> from sknml.utils import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
