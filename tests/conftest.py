"""Test-session settings."""

import os
import socket
from types import SimpleNamespace

import joblib
import pytest
import torch
from hypothesis import settings

# pytest-xdist runs one worker per core; torch's default of one thread per core in
# each of them oversubscribes the CPU, and the spinning OpenMP threads then made
# the small fits of the suite about 6 times slower (2 workers x 2 threads, 2 cores).
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    torch.set_num_threads(
        max(1, joblib.cpu_count() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    )

# CI explores the same examples on every run (a green main stays green); local runs
# keep drawing new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def sealed(tmp_path_factory, monkeypatch):
    """An empty home and working folder, and a record of network use.

    A test runs a command inside, then checks that ``sealed.litter()`` is empty
    (no file written to the home or working folder, outside the folders the
    command was given) and so is ``sealed.network`` (no host name resolved, no
    connection opened).
    """
    root = tmp_path_factory.mktemp("sealed")
    home, cwd = root / "home", root / "cwd"
    home.mkdir()
    cwd.mkdir()

    # matplotlib's own per-user font cache, written the first time any program
    # imports it, is not ours to move: its folder also holds the user's matplotlibrc.
    matplotlib = {(".cache", "matplotlib"), (".config", "matplotlib")}

    def litter():
        return [
            str(path)
            for folder in (home, cwd)
            for path in folder.rglob("*")
            if path.is_file() and path.relative_to(folder).parts[:2] not in matplotlib
        ]

    sealed = SimpleNamespace(home=home, cwd=cwd, network=[], litter=litter)
    monkeypatch.setenv("HOME", str(sealed.home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.chdir(sealed.cwd)

    def refuse(*args, **kwargs):
        sealed.network.append(args)
        raise OSError("no network in the tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return sealed
