"""The ``sknml`` command line: one sub-command per module that registers one.

A command module defines ``add_subcommand(subparsers)``, which adds its parser and
sets ``run=callable(args) -> int`` as its default.
"""

import argparse
import importlib

_COMMAND_MODULES = ("sknml.experiments.demo._cli", "sknml.experiments.study._cli")


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command; return its exit code."""
    parser = argparse.ArgumentParser(
        prog="sknml", description="Noisy Model Learning with scikit-learn."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).add_subcommand(subparsers)
    args = parser.parse_args(argv)
    return args.run(args)
