"""Smoke tests of ``sknml demo`` and ``sknml benchmark`` on real data (``--quick``)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sknml._cli import main
from sknml.datasets import SENTIMENT_DOMAINS as DOMAINS
from sknml.experiments.demo._report import _cell, benchmark_markdown
from sknml.experiments.demo._runs import METHODS, summarize
from sknml.utils import default_cache_dir


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One embedding cache for the module: the first run embeds, later ones read."""
    return tmp_path_factory.mktemp("sknml-cache")


@pytest.fixture(autouse=True)
def _cache_env(cache_dir, monkeypatch):
    monkeypatch.setenv("SKNML_CACHE", str(cache_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SKNML_CACHE", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("SKNML_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "sknml"


def test_demo_quick(tmp_path, cache_dir, capsys, sealed):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--no-progress"]) == 0
    # Nothing written outside --out and the cache, no network.
    assert sealed.litter() == [] and sealed.network == []
    printed = capsys.readouterr().out
    for method in METHODS:
        assert method in printed
    assert "movie (ID)" in printed and "nyt (OOD)" in printed
    result = json.loads((out / "results.json").read_text())
    assert result["command"] == "sknml demo --quick"
    records = result["records"]
    # Every method x 2 seeds x 4 test domains.
    assert len(records) == len(METHODS) * 2 * 4
    assert {r["test_domain"] for r in records} == set(DOMAINS)
    assert {r["split"] for r in records if r["test_domain"] == "movie"} == {"ID"}
    for record in records:
        assert 0 <= record["accuracy"] <= 1 and 0 <= record["macro_f1"] <= 1
        assert record["sve"] > 0 and record["lsvr"] > 0
    # Real features carry signal: the reference beats chance in-domain.
    logreg_id = [
        r["accuracy"] for r in records if r["method"] == "LogReg" and r["split"] == "ID"
    ]
    assert np.mean(logreg_id) > 0.6
    assert (out / "figure.png").stat().st_size > 10_000
    # The embeddings are now cached for any later run.
    assert list((cache_dir / "embeddings").glob("sentence-*/*.npz"))


def test_demo_noise_goes_into_training_labels_only(tmp_path, capsys):
    out = tmp_path / "noisy"
    argv = ["demo", "--quick", "--seeds", "1", "--noise", "0.3"]
    assert main(argv + ["--out", str(out), "--no-progress"]) == 0
    assert "30% symmetric label noise" in capsys.readouterr().out
    result = json.loads((out / "results.json").read_text())
    assert result["settings"]["noise"] == 0.3
    assert result["command"] == "sknml demo --quick --seeds 1 --noise 0.3"
    # Test labels are clean: the records count test samples, not noisy ones.
    assert len(result["records"]) == len(METHODS) * 1 * 4


def test_benchmark_quick(tmp_path, capsys):
    out = tmp_path / "bench"
    argv = ["benchmark", "--quick", "--seeds", "1", "--out", str(out)]
    assert main(argv + ["--no-progress"]) == 0
    markdown = (out / "results.md").read_text()
    assert "sknml benchmark --quick --seeds 1" in markdown
    assert "## Where NMTune does not win" in markdown
    # Every domain trained on in turn: 4 x 4 train -> test rows.
    pair_rows = [line for line in markdown.splitlines() if "(OOD) |" in line]
    id_rows = [line for line in markdown.splitlines() if "(ID) |" in line]
    assert len(pair_rows) == 12 and len(id_rows) == 4
    result = json.loads((out / "results.json").read_text())
    assert {r["train_domain"] for r in result["records"]} == set(DOMAINS)


def _records(accuracies):
    """Records of one train domain from {(method, test_domain): [acc per seed]}."""
    return [
        {
            "train_domain": "movie",
            "test_domain": test,
            "split": "ID" if test == "movie" else "OOD",
            "method": method,
            "seed": seed,
            "accuracy": acc,
            "macro_f1": acc,
            "sve": 1.0,
            "lsvr": 1.0,
        }
        for (method, test), values in accuracies.items()
        for seed, acc in enumerate(values)
    ]


def test_summary_and_losses_are_reported():
    accuracies = {}
    for test in DOMAINS:
        accuracies[("LP", test)] = [0.70, 0.72]
        accuracies[("MLP", test)] = [0.72, 0.72]
        # NMTune wins on movie and nyt, ties with MLP on amazon, loses on tweets.
        accuracies[("NMTune", test)] = {
            "tweets": [0.60, 0.64],
            "amazon": [0.72] * 2,
        }.get(test, [0.8, 0.8])
    summary = summarize(_records(accuracies))
    cell = _cell(summary, "accuracy", method="NMTune", test_domain="tweets")
    assert cell == pytest.approx((0.62, 0.02))
    markdown = benchmark_markdown(
        summary,
        methods=("LP", "MLP", "NMTune"),
        command="sknml benchmark",
        environment={
            "date": "today",
            "sknml": "0",
            "torch": "0",
            "scikit-learn": "0",
            "cpu_threads": 2,
        },
        settings={"seeds": [0, 1], "max_epochs": 30, "noise": 0.0},
    )
    assert "in 3 of 4 train -> test pairs" in markdown
    rows = {
        line.split(" | ")[1]: line
        for line in markdown.splitlines()
        if line.startswith("| movie | ")
    }
    assert rows["tweets (OOD)"].endswith("| 62.0 ± 2.0 | MLP |")
    assert rows["amazon (OOD)"].endswith("| 72.0 ± 0.0 | MLP = NMTune |")
    assert "- movie -> tweets: MLP is ahead by 10.0 points" in markdown


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "sknml", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--quick" in done.stdout and "--noise" in done.stdout
