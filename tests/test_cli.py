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


@pytest.mark.parametrize("command", ["demo", "benchmark", "study"])
@pytest.mark.parametrize("option", ["--out", "--cache-dir"])
def test_a_file_where_a_folder_goes_is_a_usage_error(command, option, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    err = _usage_error([command, option, str(afile)], capsys)
    assert f"{option} {afile}" in err and f"{afile} is not a folder" in err
    err = _usage_error([command, option, str(afile / "below")], capsys)
    assert f"{afile} is not a folder" in err
    assert afile.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize("command", ["demo", "study"])
def test_the_default_output_folder_is_checked_too(command, tmp_path, capsys):
    (tmp_path / f"sknml-{command}").write_text("")
    assert f"sknml-{command} is not a folder" in _usage_error([command], capsys)


def test_the_default_embedding_cache_is_checked_too(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SKNML_CACHE", str(tmp_path / "afile"))
    (tmp_path / "afile").write_text("")
    assert "afile is not a folder" in _usage_error(["demo"], capsys)
    # With --no-cache there is no cache to check.
    with pytest.raises(AssertionError, match="work started"):
        main(["demo", "--no-cache"])


def test_an_unwritable_output_folder_is_a_usage_error(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        (locked / "probe").touch()
    except PermissionError:
        pass
    else:
        pytest.skip("permissions do not stop this user's writes (root)")
    err = _usage_error(["study", "--out", str(locked / "out")], capsys)
    assert f"{locked} is not writable" in err
