"""Progress bars of long jobs."""

from collections.abc import Iterable

from tqdm.auto import tqdm


def progress_bar(iterable: Iterable, *, enabled: bool, **tqdm_params) -> Iterable:
    """``iterable`` wrapped in a tqdm bar when ``enabled``, else unchanged.

    Parameters
    ----------
    iterable : iterable
        What to iterate over.
    enabled : bool
        Whether to show a bar.
    **tqdm_params
        Passed to ``tqdm`` (``desc``, ``total``, ``unit``...).

    Returns
    -------
    iterable : iterable
        The bar, or ``iterable`` itself.

    Examples
    --------
    >>> from sknml.utils import progress_bar
    >>> list(progress_bar(range(3), enabled=False))
    [0, 1, 2]
    """
    return tqdm(iterable, **tqdm_params) if enabled else iterable
