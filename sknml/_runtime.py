"""Progress bars of long jobs."""

from collections.abc import Iterable

from tqdm.auto import tqdm


def progress_bar(iterable: Iterable, *, enabled, **tqdm_params) -> Iterable:
    """``iterable`` wrapped in a tqdm bar when ``enabled``, else unchanged."""
    return tqdm(iterable, **tqdm_params) if enabled else iterable
