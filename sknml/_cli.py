"""The ``sknml`` command line: one sub-command per module that registers one.

A command module defines ``add_subcommand(subparsers)``, which adds its parser and
sets two defaults: ``check=callable(args) -> list[str]``, what is wrong with the
arguments beyond what argparse checks (output folders, caches), found without doing
any work; and ``run=callable(args) -> int``, the work. A problem found by ``check``
is an argparse error (exit 2) and nothing runs.
"""

import argparse
import importlib

import sknml

_COMMAND_MODULES = ("sknml.experiments.demo._cli", "sknml.experiments.study._cli")


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command; return its exit code."""
    parser = argparse.ArgumentParser(
        prog="sknml", description="Noisy Model Learning with scikit-learn."
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {sknml.__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).add_subcommand(subparsers)
    args = parser.parse_args(argv)
    problems = args.check(args)
    if problems:
        subparsers.choices[args.command].error("; ".join(problems))
    return args.run(args)
