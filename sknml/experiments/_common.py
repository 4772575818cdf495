"""What the applications share: argument types, command echo and tuners.

The cache folder and the run record are public: :func:`sknml.utils.default_cache_dir`
and :func:`sknml.utils.environment`.
"""

import argparse
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sknml import NAMED_SETTINGS, NMTuneClassifier, inactive_parameters
from sknml.utils import resolve_device


def make_tuner(kind, **params):
    """A fresh ``NMTuneClassifier`` of one named setting ('lp', 'mlp', 'nmtune').

    Parameters that cannot act in that setting (``max_epochs`` for the linear
    probe, which has no loop) are not passed.
    """
    setting = NAMED_SETTINGS[kind]
    inactive = inactive_parameters(NMTuneClassifier(**setting, **params))
    params = {k: v for k, v in params.items() if k not in inactive}
    return NMTuneClassifier(**setting, **params)


def _word(value) -> str:
    """A value as typed on the command line: short, but never rounded."""
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def command_line(subcommand: str, options: Iterable[tuple[str, object]]) -> str:
    """The command that reproduces a run, from its ``(flag, value)`` options.

    A value of None or False leaves its flag out, True writes the flag alone and
    a list writes each item after the flag.
    """
    parts = ["sknml", subcommand]
    for flag, value in options:
        if value is None or value is False:
            continue
        parts.append(flag)
        if value is not True:
            values = value if isinstance(value, list | tuple) else [value]
            parts += [_word(item) for item in values]
    return " ".join(parts)


def folder_problem(path: Path, option: str) -> str | None:
    """Why ``path`` can be neither used nor created as a writable folder, or None.

    Checked before a run starts, so that a bad ``--out`` or cache costs nothing.
    """
    path = Path(path)
    blocker = next(p for p in (path, *path.absolute().parents) if p.exists())
    if not blocker.is_dir():
        where = "" if blocker == path else f": {blocker}"
        return f"{option} {path}{where} is not a folder"
    if not os.access(blocker, os.W_OK | os.X_OK):
        return f"{option} {path}: {blocker} is not writable"
    return None


def noise_rate(value: str) -> float:
    """argparse type of a label-noise rate: a float in [0, 1)."""
    rate = float(value)
    if not 0 <= rate < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return rate


def int_at_least(low: int) -> Callable[[str], int]:
    """argparse type of an integer >= ``low``."""

    def integer(value: str) -> int:
        number = int(value)
        if number < low:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {low}, got {value}"
            )
        return number

    return integer


positive_int = int_at_least(1)


def torch_device(value: str) -> str:
    """argparse type of a device that exists here: 'auto', 'cpu', 'cuda:1'..."""
    try:
        resolve_device(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value
