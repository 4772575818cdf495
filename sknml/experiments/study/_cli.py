"""``sknml study``: its arguments, the run and the files it writes."""

from pathlib import Path

from sknml.experiments._common import (
    command_line,
    folder_problem,
    int_at_least,
    noise_rate,
    positive_int,
    torch_device,
)
from sknml.experiments.study._data import FASHION_TRAIN_SIZE
from sknml.experiments.study._report import markdown_table, write_report
from sknml.experiments.study._runs import DEFAULT_SETTINGS, QUICK_SETTINGS, run_study

_GRID_OPTIONS = ("noise_rates", "seeds", "n_pretrain", "pretrain_epochs", "max_epochs")


def _command_line(args):
    """The command that reproduces ``args``, for the report."""
    return command_line(
        "study",
        [
            ("--out", args.out),
            ("--quick", args.quick),
            *(
                (f"--{name.replace('_', '-')}", getattr(args, name))
                for name in _GRID_OPTIONS
            ),
            ("--device", None if args.device == "auto" else args.device),
            ("--threads", args.n_threads),
            ("--n-jobs", None if args.n_jobs == 1 else args.n_jobs),
        ],
    )


def _folders(args):
    """The output folder and the backbone cache (None with ``--no-cache``)."""
    out = Path(args.out)
    return out, None if args.no_cache else Path(args.cache_dir or out / "backbones")


def _settings(args):
    """The settings of :func:`run_study`: --quick's or the defaults, and the flags."""
    settings = dict(QUICK_SETTINGS if args.quick else DEFAULT_SETTINGS)
    for name in _GRID_OPTIONS:
        value = getattr(args, name)
        if value is not None:
            settings[name] = value
    return settings


def _check(args):
    """What makes the folders or the data split unusable, if anything."""
    out, cache_dir = _folders(args)
    problems = [folder_problem(out, "--out")]
    # The default cache is inside --out: one problem, said once.
    if cache_dir is not None and not (problems[0] and args.cache_dir is None):
        problems.append(folder_problem(cache_dir, "--cache-dir"))
    settings = _settings(args)
    left = max(0, FASHION_TRAIN_SIZE - settings["n_pretrain"])
    if left < settings["n_probe"]:
        problems.append(
            f"--n-pretrain {settings['n_pretrain']} leaves {left} of the "
            f"{FASHION_TRAIN_SIZE} Fashion-MNIST training images for the "
            f"{settings['n_probe']} probe images; use at most "
            f"{FASHION_TRAIN_SIZE - settings['n_probe']}"
        )
    return [problem for problem in problems if problem]


def _run_command(args) -> int:
    settings = _settings(args)
    out, cache_dir = _folders(args)
    result = run_study(
        **settings,
        device=args.device,
        cache_dir=cache_dir,
        n_threads=args.n_threads,
        n_jobs=args.n_jobs,
        verbose=not args.quiet,
    )
    paths = write_report(result, out, command=_command_line(args))
    print(markdown_table(result))
    for claim in result["claims"]:
        print(f"- {claim['claim']}: {claim['verdict']}.")
    print(f"Wrote {paths['report']} and {paths['json']} ({result['seconds']:.0f} s).")
    return 0


def add_subcommand(subparsers) -> None:
    """Add ``sknml study`` to the CLI's sub-parsers.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From :meth:`argparse.ArgumentParser.add_subparsers`.

    Examples
    --------
    >>> import argparse
    >>> from sknml.experiments.study import add_subcommand
    >>> parser = argparse.ArgumentParser(prog="sknml")
    >>> add_subcommand(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["study", "--quick"]).quick
    True
    """
    parser = subparsers.add_parser(
        "study",
        help="noisy pre-training study: Fashion-MNIST CNN, ID/OOD, LP/MLP/NMTune, "
        "claims decided over seeds",
        description=(
            "The noisy pre-training study: the paper's finding and its mitigation, "
            "end to end."
        ),
    )
    parser.add_argument(
        "--out", default="sknml-study", help="output folder (default: ./sknml-study)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny settings that run every code path in seconds",
    )
    parser.add_argument(
        "--noise-rates",
        dest="noise_rates",
        type=noise_rate,
        nargs="+",
        help="pre-training noise ratios (default: "
        + " ".join(f"{r:g}" for r in DEFAULT_SETTINGS["noise_rates"])
        + ")",
    )
    parser.add_argument(
        "--seeds",
        type=int_at_least(0),
        nargs="+",
        help="pre-training seeds (default: "
        + " ".join(str(seed) for seed in DEFAULT_SETTINGS["seeds"])
        + ")",
    )
    parser.add_argument(
        "--n-pretrain",
        dest="n_pretrain",
        type=int_at_least(100),
        help="Fashion-MNIST images to pre-train on (default: "
        f"{DEFAULT_SETTINGS['n_pretrain']})",
    )
    parser.add_argument(
        "--pretrain-epochs",
        dest="pretrain_epochs",
        type=positive_int,
        help=f"pre-training epochs (default: {DEFAULT_SETTINGS['pretrain_epochs']})",
    )
    parser.add_argument(
        "--max-epochs",
        dest="max_epochs",
        type=positive_int,
        help="fixed epochs of each tuner (default: its early-stopped budget)",
    )
    parser.add_argument(
        "--device",
        type=torch_device,
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="'auto' uses CUDA when available",
    )
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache-dir",
        dest="cache_dir",
        help="folder of cached backbones (default: OUT/backbones)",
    )
    cache.add_argument(
        "--no-cache",
        dest="no_cache",
        action="store_true",
        help="pre-train every backbone anew and keep none",
    )
    parser.add_argument(
        "--threads",
        dest="n_threads",
        type=positive_int,
        help="torch CPU threads (default: torch's; 1 is fastest on a busy CPU)",
    )
    parser.add_argument(
        "--n-jobs",
        dest="n_jobs",
        type=positive_int,
        default=1,
        help="backbones evaluated side by side, --threads torch threads each "
        "(default: 1)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=_run_command, check=_check)
