"""Smoke tests of ``sknml demo`` and ``sknml benchmark`` on real data (``--quick``)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sknml._cli import main
from sknml.datasets import SENTIMENT_DOMAINS as DOMAINS
from sknml.experiments._common import kept_epoch
from sknml.experiments.demo._report import _cell, benchmark_markdown
from sknml.experiments.demo._runs import (
    METHODS,
    NETWORKS,
    _classifier,
    _make_method,
    _with_noise,
    summarize,
)
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
        # The epoch each network kept; none for the methods without a network.
        kept = record["kept_epoch"]
        if record["method"] in ("LogReg", "LP"):
            assert kept is None
        elif record["method"].endswith("-trained"):
            # keep_start=False never keeps the start: one of the 2 epochs.
            assert kept in (1, 2)
        elif record["method"] != "NMTuneCV":
            assert kept in (0, 1, 2)
    kept_rows = [e for e in result["summary"] if e["method"] == "MLP-trained"]
    assert all(len(e["kept_epochs"]) == 2 for e in kept_rows)
    # Real features carry signal: the reference beats chance in-domain.
    logreg_id = [
        r["accuracy"] for r in records if r["method"] == "LogReg" and r["split"] == "ID"
    ]
    assert np.mean(logreg_id) > 0.6
    assert (out / "figure.png").stat().st_size > 10_000
    # The same table in Markdown, with the kept epochs of the networks.
    table = (out / "table.md").read_text().splitlines()
    assert table[2].startswith("| method | movie (ID) | amazon (OOD) |")
    assert table[2].endswith("| kept |")
    rows = {line.split(" | ")[0][2:]: line for line in table[4:]}
    assert list(rows) == list(METHODS)
    assert rows["LP"].endswith("|  |")
    assert all(rows[m].count(", ") == 1 for m in ("MLP-trained", "NMTune-trained"))
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
    assert "## NMTune against LP and MLP: wins, ties and losses" in markdown
    assert "## What the networks did" in markdown
    assert "### When the networks train (`keep_start=False`)" in markdown
    # Every domain trained on in turn: 4 x 4 train -> test rows.
    pair_rows = [line for line in markdown.splitlines() if "(OOD) |" in line]
    id_rows = [line for line in markdown.splitlines() if "(ID) |" in line]
    assert len(pair_rows) == 12 and len(id_rows) == 4
    result = json.loads((out / "results.json").read_text())
    assert {r["train_domain"] for r in result["records"]} == set(DOMAINS)


def test_trained_networks_drop_the_keep_the_start_rule():
    for name, base in (("MLP-trained", "MLP"), ("NMTune-trained", "NMTune")):
        trained = _make_method(name, seed=0, max_epochs=3, device="cpu")
        plain = _make_method(base, seed=0, max_epochs=3, device="cpu")
        assert trained.keep_start is False and plain.keep_start is True
        assert trained.get_params() == {**plain.get_params(), "keep_start": False}
    with pytest.raises(ValueError, match="unknown method 'MLP-Trained'"):
        _make_method("MLP-Trained", seed=0, max_epochs=None, device="cpu")
    assert set(NETWORKS) < set(METHODS)


def test_kept_epoch_reads_the_network_inside_a_pipeline_or_search():
    from sklearn.datasets import make_classification

    from sknml import NMTuneClassifierCV

    X, y = make_classification(200, 8, random_state=0)
    fitted = _with_noise(
        _make_method("MLP-trained", seed=0, max_epochs=2, device="cpu"), 0.1, 0
    ).fit(X, y)
    assert hasattr(fitted, "steps")
    assert kept_epoch(_classifier(fitted)) == fitted[-1].best_epoch_ in (1, 2)
    lp = _make_method("LP", seed=0, max_epochs=None, device="cpu").fit(X, y)
    assert kept_epoch(_classifier(lp)) is None
    probe = NMTuneClassifierCV([{"n_layers": [0]}], cv=2, random_state=0).fit(X, y)
    assert kept_epoch(probe) is None


def _records(accuracies, kept=None):
    """Records of one train domain from {(method, test_domain): [acc per seed]}.

    ``kept`` gives the epoch each seed's network kept, per method.
    """
    kept = kept or {}
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
            "kept_epoch": kept.get(method, [None] * len(values))[seed],
        }
        for (method, test), values in accuracies.items()
        for seed, acc in enumerate(values)
    ]


def _markdown(summary, methods):
    return benchmark_markdown(
        summary,
        methods=methods,
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


def _pair_rows(markdown):
    """The rows of the per-pair table, by test column."""
    return {
        line.split(" | ")[1]: line
        for line in markdown.splitlines()
        if line.startswith("| movie | ") and "(" in line
    }


def test_wins_and_losses_are_counted():
    accuracies = {}
    for test in DOMAINS:
        accuracies[("LP", test)] = [0.70, 0.72]
        accuracies[("MLP", test)] = [0.72, 0.72]
        # NMTune wins on movie and nyt, ties with MLP on amazon, loses on tweets.
        accuracies[("NMTune", test)] = {
            "tweets": [0.60, 0.64],
            "amazon": [0.72] * 2,
        }.get(test, [0.8, 0.8])
    kept = {"MLP": [2, 0], "NMTune": [3, 4]}
    summary = summarize(_records(accuracies, kept))
    cell = _cell(summary, "accuracy", method="NMTune", test_domain="tweets")
    assert cell == pytest.approx((0.62, 0.02))
    assert [e["kept_epochs"] for e in summary if e["method"] == "MLP"] == [[2, 0]] * 4
    markdown = _markdown(summary, ("LP", "MLP", "NMTune"))
    assert "NMTune wins 2, ties 1 and loses 1 of 4 train -> test pairs." in markdown
    assert "- movie -> movie: 8.00 points ahead of MLP" in markdown
    assert "- movie -> nyt: 8.00 points ahead of MLP" in markdown
    assert "- movie -> tweets: MLP is ahead by 10.00 points" in markdown
    # The tie is no same-model tie: the networks kept trained epochs.
    assert "0 of the 1 ties are pairs where LP, MLP and NMTune are the same" in (
        markdown
    )
    rows = _pair_rows(markdown)
    assert rows["tweets (OOD)"].endswith("| 62.0 ± 2.0 | MLP |")
    assert rows["amazon (OOD)"].endswith("| 72.0 ± 0.0 | MLP = NMTune |")
    assert "| movie | 2, 0 | 3, 4 |" in markdown
    assert "MLP kept a trained epoch in 1 of 2 fits." in markdown
    assert "NMTune kept a trained epoch in 2 of 2 fits." in markdown
    # Without the -trained methods there is no section about them.
    assert "### When the networks train" not in markdown


def test_a_tie_is_written_as_a_tie():
    methods = ("LP", "MLP", "NMTune", "NMTuneCV", "MLP-trained", "NMTune-trained")
    accuracies = {}
    for test in DOMAINS:
        # Every network kept the probe: LP, MLP, NMTune and NMTuneCV are one model.
        for method in methods[:4]:
            accuracies[(method, test)] = [0.75, 0.75]
        accuracies[("MLP-trained", test)] = [0.70, 0.70]
        # Trained, NMTune wins on movie, ties on amazon and tweets (a lead of
        # 0.03 point is within the tie), loses on nyt.
        accuracies[("NMTune-trained", test)] = {
            "movie": [0.72, 0.72],
            "tweets": [0.7003, 0.7003],
            "nyt": [0.69, 0.69],
        }.get(test, [0.70, 0.70])
    kept = {
        "MLP": [0, 0],
        "NMTune": [0, 0],
        "NMTuneCV": [None, 0],
        "MLP-trained": [3, 5],
        "NMTune-trained": [4, 6],
    }
    markdown = _markdown(summarize(_records(accuracies, kept)), methods)
    assert "NMTune wins 0, ties 4 and loses 0 of 4 train -> test pairs." in markdown
    assert "4 of the 4 ties are pairs where LP, MLP and NMTune are the same model" in (
        markdown
    )
    # A tie is never called a win: no pair is listed as won by NMTune.
    section = markdown.split("## NMTune against LP and MLP")[1].split("###")[0]
    assert "It wins in" not in section and "It loses in" not in section
    assert "(or tied best)" not in markdown
    assert _pair_rows(markdown)["movie (ID)"].endswith("| LP = MLP = NMTune |")
    assert "Average ID accuracy ranks: LP = MLP = NMTune." in markdown
    # What the networks did.
    assert "| train | MLP | NMTune | NMTuneCV | MLP-trained | NMTune-trained |" in (
        markdown
    )
    assert "| movie | 0, 0 | 0, 0 | probe, 0 | 3, 5 | 4, 6 |" in markdown
    assert (
        "Every MLP, NMTune and NMTuneCV network kept the probe (epoch 0, or "
        "NMTuneCV chose it) on every seed: their columns are the probe's."
    ) in markdown
    assert "MLP-trained kept epochs 3 to 5 (median 4)." in markdown
    # The trained networks, by the same rule.
    assert "NMTune-trained wins 1, ties 2 and loses 1 of 4 train -> test" in markdown
    assert "- movie -> movie: 2.00 points ahead of MLP-trained" in markdown
    assert "- movie -> nyt: MLP-trained is ahead by 1.00 points" in markdown
    assert "+2.00 points over the ID pairs, -0.32 over the OOD pairs" in markdown
    assert (
        "Average ID accuracy ranks, networks trained: "
        "LP > NMTune-trained > MLP-trained."
    ) in markdown


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "sknml", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--quick" in done.stdout and "--noise" in done.stdout
