"""The ``sknml`` command line on bad input: argparse errors (exit 2), before any work.

Every test here replaces the work each sub-command starts with (embedding the
texts, running the study) by a function that fails the test, so a bad argument
must be caught while parsing, and the tests take seconds.
"""

import pytest
import torch

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


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--seeds", "-1"], "argument --seeds: must be an integer >= 1"),
        (["demo", "--seeds", "two"], "argument --seeds: invalid integer value"),
        (["benchmark", "--max-epochs", "0"], "argument --max-epochs: must be an"),
        (["demo", "--n-jobs", "0"], "argument --n-jobs: must be an integer >= 1"),
        (["demo", "--noise", "2.0"], "argument --noise: must be in [0, 1), got 2.0"),
        (["demo", "--noise", "nan"], "argument --noise: must be in [0, 1)"),
        (["demo", "--train-domain", "imdb"], "invalid choice: 'imdb'"),
        (["demo", "--device", "tpu"], "argument --device: device='tpu' is not"),
        (["demo", "--cache-dir", "c", "--no-cache"], "not allowed with argument"),
        (["study", "--seeds", "-1"], "argument --seeds: must be an integer >= 0"),
        (["study", "--noise-rates", "0", "2.0"], "argument --noise-rates: must be"),
        (["study", "--noise-rates", "-0.1"], "argument --noise-rates: must be"),
        (["study", "--n-pretrain", "0"], "argument --n-pretrain: must be an integer"),
        (["study", "--pretrain-epochs", "0"], "argument --pretrain-epochs: must"),
        (["study", "--max-epochs", "-3"], "argument --max-epochs: must be"),
        (["study", "--threads", "0"], "argument --threads: must be an integer >= 1"),
        (["study", "--device", "tpu"], "argument --device: device='tpu' is not"),
        (["study", "--n-pretrain", "70000"], "leaves 0 of the 60000"),
        (["study", "--cache-dir", "c", "--no-cache"], "not allowed with argument"),
        (["study", "--n-pretrain", "59000"], "--n-pretrain 59000 leaves 1000"),
    ],
)
def test_bad_values_are_usage_errors_before_any_work(argv, message, capsys):
    assert message in _usage_error(argv, capsys)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_a_gpu_is_a_usage_error(capsys):
    for command in ("demo", "study"):
        err = _usage_error([command, "--device", "cuda"], capsys)
        assert "CUDA is not available" in err


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
