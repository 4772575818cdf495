"""The ``sknml`` command line on bad input: argparse errors (exit 2), before any work.

Every test here replaces the work each sub-command starts with (embedding the
texts, running the study) by a function that fails the test, so a bad argument
must be caught while parsing, and the tests take seconds.
"""

import pytest

import sknml
from sknml._cli import main
from sknml.experiments.demo import _cli as demo_cli
from sknml.experiments.study import _cli as study_cli


def _no_work(*args, **kwargs):
    raise AssertionError("work started despite a bad argument")


@pytest.fixture(autouse=True)
def _forbid_work(monkeypatch, tmp_path):
    monkeypatch.setattr(demo_cli, "load_embedded_domains", _no_work)
    monkeypatch.setattr(study_cli, "run_study", _no_work)
    monkeypatch.setenv("SKNML_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def _usage_error(argv, capsys):
    """The message of the argparse error ``argv`` raises; fails if it exits 0."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err


def test_no_subcommand_or_an_unknown_one_is_a_usage_error(capsys):
    assert "required: command" in _usage_error([], capsys)
    err = _usage_error(["frobnicate"], capsys)
    assert "invalid choice: 'frobnicate'" in err


def test_help_lists_the_subcommands_and_exits_0(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    printed = capsys.readouterr().out
    assert all(name in printed for name in ("demo", "benchmark", "study"))


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"sknml {sknml.__version__}"
