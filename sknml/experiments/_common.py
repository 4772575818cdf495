"""What the applications share: argument types, command echo and tuners.

The cache folder and the run record are public: :func:`sknml.utils.default_cache_dir`
and :func:`sknml.utils.environment`.
"""

import argparse
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sknml import NAMED_SETTINGS, NMTuneClassifier, inactive_parameters
from sknml.metrics import largest_singular_value_ratio, singular_value_entropy
from sknml.utils import resolve_device

#: The compared methods that are one ``NMTuneClassifier``: the named setting
#: and the parameters that set each apart. ``MLP-trained`` and
#: ``NMTune-trained`` keep the most accurate trained epoch on the validation
#: rows (``keep_start=False``), where MLP and NMTune keep the probe they start
#: at unless a trained epoch beats it by more than chance.
TUNED_METHODS = {
    "LP": ("lp", {}),
    "MLP": ("mlp", {}),
    "NMTune": ("nmtune", {}),
    "MLP-trained": ("mlp", {"keep_start": False}),
    "NMTune-trained": ("nmtune", {"keep_start": False}),
}


def make_tuner(method, **params):
    """A fresh ``NMTuneClassifier`` of one of :data:`TUNED_METHODS`.

    Parameters that cannot act in that setting (``max_epochs`` for the linear
    probe, which has no loop) are not passed.
    """
    setting, fixed = TUNED_METHODS[method]
    params = {**NAMED_SETTINGS[setting], **fixed, **params}
    inactive = inactive_parameters(NMTuneClassifier(**params))
    return NMTuneClassifier(**{k: v for k, v in params.items() if k not in inactive})


def spectrum(features):
    """``(SVE, LSVR)`` of a feature matrix, as Python floats."""
    return (
        float(singular_value_entropy(features)),
        float(largest_singular_value_ratio(features)),
    )


def kept_epoch(clf):
    """The epoch a fitted tuner's network holds (``best_epoch_``; 0: the probe).

    None where it holds no network: the linear probe, and
    ``NMTuneClassifierCV`` when its inner cross-validation chose the probe.
    """
    clf = getattr(clf, "best_estimator_", clf)
    if getattr(clf, "n_layers", 0) == 0:
        return None
    return int(clf.best_epoch_)


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
