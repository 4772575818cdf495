"""Utilities for running fits: torch's threads, devices and progress bars.

The package's own applications (``sknml demo``, ``sknml study``) and benchmarks
use these as any user would.
"""

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import torch

from sknml._device import resolve_device
from sknml._runtime import progress_bar
from sknml._version import __version__

__all__ = [
    "default_cache_dir",
    "environment",
    "progress_bar",
    "resolve_device",
    "torch_threads",
]


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


def default_cache_dir() -> Path:
    """Where the package caches what it computes: ``$SKNML_CACHE``, else
    ``$XDG_CACHE_HOME/sknml``, else ``~/.cache/sknml``.

    ``sknml demo``, ``sknml study`` and the benchmarks keep their embeddings,
    pre-trained backbones and image features there.

    Returns
    -------
    path : pathlib.Path
        The folder (not created).

    Examples
    --------
    >>> from sknml.utils import default_cache_dir
    >>> default_cache_dir().name
    'sknml'
    """
    env = os.environ.get("SKNML_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sknml"


def environment(**extra) -> dict:
    """Date, versions and machine of a run, plus ``extra``, for its results file.

    Parameters
    ----------
    **extra
        Further entries (command line, wall time...).

    Returns
    -------
    record : dict
        ``date`` (UTC), the versions of sknml, torch, scikit-learn and Python,
        the machine and torch's thread count, then ``extra``.

    Examples
    --------
    >>> from sknml.utils import environment
    >>> sorted(environment(seconds=1.5))[:3]
    ['cpu_threads', 'date', 'machine']
    """
    import sklearn

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "sknml": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        **extra,
    }
