"""The noisy pre-training study: backbone, pre-training loop, cache, runner, CLI."""

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sknml._cli import _COMMAND_MODULES, main
from sknml.datasets import load_fashion_mnist, make_shifted_images
from sknml.experiments.study import (
    QUICK_SETTINGS,
    SmallCNN,
    check_claims,
    load_or_pretrain,
    paired_interval,
    pretrain_backbone,
    run_study,
    summarize,
    verdict,
)
from sknml.experiments.study._claims import METHODS, NETWORKS, VERDICTS, method_key


@pytest.fixture(autouse=True)
def one_torch_thread():
    # Tests share the CPU (pytest -n 2, other jobs); one thread per process avoids
    # threads spinning on each other, which slows this small network ten-fold.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fashion_test():
    return load_fashion_mnist(subset="test")


def _state(module):
    return {name: tensor.clone() for name, tensor in module.state_dict().items()}


def _same_weights(a, b):
    return all(torch.equal(a[name], b[name]) for name in a)


def test_small_cnn_shapes_and_non_negative_features():
    cnn = SmallCNN(n_features=32, channels=(4, 8))
    x = torch.rand(3, 1, 28, 28)
    features = cnn.features(x)
    assert features.shape == (3, 32)
    assert (features >= 0).all()  # ReLU features, as the paper's penultimate layer
    torch.testing.assert_close(cnn(x), cnn.head(features))


def test_pretraining_learns_from_clean_labels(fashion_test):
    images, target = fashion_test.images, fashion_test.target
    cnn, info = pretrain_backbone(
        images[:3000], target[:3000], epochs=2, device="cpu", random_state=0
    )
    with torch.inference_mode():
        predicted = cnn(torch.from_numpy(images[5000:7000, None])).argmax(1).numpy()
    # Ten classes: chance is 0.1; two epochs on 3k images reach well above 0.6.
    assert (predicted == target[5000:7000]).mean() > 0.6
    assert info["realized_noise_rate"] == 0.0
    assert not cnn.training


@pytest.mark.parametrize("noise_rate", [0.05, 0.3])
def test_pretraining_flips_the_requested_share_of_labels(fashion_test, noise_rate):
    _, info = pretrain_backbone(
        fashion_test.images[:400],
        fashion_test.target[:400],
        noise_rate=noise_rate,
        epochs=1,
        device="cpu",
    )
    # Exactly round(r * 40) flips in each of the 10 balanced-ish classes.
    counts = np.bincount(fashion_test.target[:400])
    expected = sum(round(noise_rate * n) for n in counts) / 400
    assert info["realized_noise_rate"] == pytest.approx(expected)


def test_pretraining_is_seeded_and_leaves_global_rng_alone(fashion_test):
    images, target = fashion_test.images[:300], fashion_test.target[:300]
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first, _ = pretrain_backbone(
        images, target, noise_rate=0.2, epochs=1, device="cpu", random_state=4
    )
    assert torch.equal(torch.get_rng_state(), before)
    again, _ = pretrain_backbone(
        images, target, noise_rate=0.2, epochs=1, device="cpu", random_state=4
    )
    other, _ = pretrain_backbone(
        images, target, noise_rate=0.2, epochs=1, device="cpu", random_state=5
    )
    assert _same_weights(_state(first), _state(again))
    assert not _same_weights(_state(first), _state(other))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"images": np.zeros((5, 32, 32))}, ValueError, "shape"),
        ({"labels": np.zeros(4, dtype=int)}, ValueError, "labels has 4"),
        ({"noise_rate": 1.0}, ValueError, "noise_rate"),
        ({"epochs": 0}, ValueError, "epochs"),
    ],
)
def test_pretraining_rejects_bad_input(kwargs, error, match):
    arguments = {
        "images": np.zeros((5, 28, 28)),
        "labels": np.arange(5),
        **kwargs,
    }
    images, labels = arguments.pop("images"), arguments.pop("labels")
    with pytest.raises(error, match=match):
        pretrain_backbone(images, labels, device="cpu", **arguments)


def test_backbone_cache_hits_and_keys_on_settings(tmp_path):
    settings = {"noise_rate": 0.1, "random_state": 0, "n_pretrain": 300, "epochs": 1}
    first, info = load_or_pretrain(**settings, cache_dir=tmp_path, device="cpu")
    assert not info["cached"]
    files = list(tmp_path.glob("*.pt"))
    assert len(files) == 1 and info["key"] in files[0].name
    assert not list(tmp_path.glob("*.partial"))

    again, info_again = load_or_pretrain(**settings, cache_dir=tmp_path, device="cpu")
    assert info_again["cached"] and info_again["key"] == info["key"]
    assert info_again["realized_noise_rate"] == info["realized_noise_rate"]
    assert _same_weights(_state(first), _state(again))

    _, other = load_or_pretrain(
        **{**settings, "epochs": 2}, cache_dir=tmp_path, device="cpu"
    )
    assert not other["cached"] and other["key"] != info["key"]
    assert len(list(tmp_path.glob("*.pt"))) == 2


def test_no_cache_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, info = load_or_pretrain(
        noise_rate=0.0, random_state=0, n_pretrain=200, epochs=1, device="cpu"
    )
    assert not info["cached"]
    assert not list(tmp_path.iterdir())


def test_quick_study_from_the_command_line(tmp_path, capsys, sealed):
    """Every code path of ``sknml study`` on real data: CI runs this."""
    assert "sknml.experiments.study._cli" in _COMMAND_MODULES
    out = tmp_path / "study"
    torch.set_num_threads(2)
    argv = ["study", "--quick", "--out", str(out), "--quiet", "--device", "cpu"]
    assert main([*argv, "--threads", "1"]) == 0
    assert torch.get_num_threads() == 2  # the study restores the setting
    torch.set_num_threads(1)
    # Nothing written outside --out (its backbone cache included), no network.
    assert sealed.litter() == [] and sealed.network == []
    for name in (
        "results.json",
        "report.md",
        "fig2_accuracy_vs_noise.png",
        "fig3_accuracy_vs_spectrum.png",
        "fig5_tuning.png",
    ):
        assert (out / name).stat().st_size > 0
    result = json.loads((out / "results.json").read_text())
    rates, seeds = QUICK_SETTINGS["noise_rates"], QUICK_SETTINGS["seeds"]
    assert len(result["runs"]) == len(rates) * len(seeds)
    assert result["command"].startswith("sknml study --out")
    assert result["settings"]["n_threads"] == 1
    shifts = list(make_shifted_images(np.zeros((1, 28, 28))))
    for run in result["runs"]:
        metrics = run["metrics"]
        for method in METHODS:
            key = method_key(method)
            for test in ("mnist", "digits", "fashion", *shifts):
                assert 0.0 <= metrics[f"{key}_{test}"] <= 1.0
            # ID: the other data sets; OOD: the shifted copies of Fashion-MNIST.
            assert metrics[f"{key}_id"] == pytest.approx(
                (metrics[f"{key}_mnist"] + metrics[f"{key}_digits"]) / 2
            )
            assert metrics[f"{key}_ood"] == pytest.approx(
                np.mean([metrics[f"{key}_{shift}"] for shift in shifts])
            )
            for task in ("mnist", "digits", "fashion"):
                kept = metrics.get(f"{key}_kept_{task}")
                assert (kept is None) == (method not in NETWORKS)
                # keep_start=False never keeps the probe (epoch 0).
                assert kept is None or kept >= int(method.endswith("-trained"))
        for key in ("mlp_trained", "nmtune_trained"):
            assert 0 < metrics[f"{key}_z_id_sve"] <= np.log(128)
            assert 0 < metrics[f"{key}_z_ood_lsvr"] <= np.log(128)
        # A feature spectrum has a positive entropy and LSVR below log(D).
        assert 0 < metrics["id_sve"] <= np.log(128)
        assert 0 < metrics["ood_lsvr"] <= np.log(128)
        # Exact per-class counts: round(r * n_c) flips in each class.
        assert run["realized_noise_rate"] == pytest.approx(run["noise_rate"], abs=0.01)
    assert {claim["verdict"] for claim in result["claims"]} <= set(VERDICTS)
    report = (out / "report.md").read_text()
    for text in ("| 30% |", "NMTune left probe", "| rotation |", "95% interval"):
        assert text in report
    printed = capsys.readouterr().out
    assert "| noise |" in printed and "Wrote" in printed

    # A second run reuses the cached backbone and reproduces every number.
    last = result["runs"][-1]
    rerun = run_study(
        **{
            **QUICK_SETTINGS,
            "noise_rates": [last["noise_rate"]],
            "seeds": [last["seed"]],
        },
        device="cpu",
        cache_dir=out / "backbones",
        verbose=False,
    )["runs"][0]
    assert rerun["cached"] and rerun["backbone_key"] == last["backbone_key"]
    assert rerun["metrics"] == last["metrics"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"noise_rates": [0.0, 1.2]}, "noise_rates"),
        ({"noise_rates": []}, "noise_rates"),
        ({"seeds": [-1]}, "seeds"),
        ({"n_probe": 60000}, "n_probe"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_study_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_study(**{**QUICK_SETTINGS, **kwargs}, verbose=False)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 1, allow_nan=False, width=32), min_size=1, max_size=6).map(
        lambda values: [float(v) for v in values]
    )
)
def test_summarize_matches_numpy(values):
    runs = [
        {"noise_rate": 0.1, "seed": seed, "metrics": {"acc": value}}
        for seed, value in enumerate(values)
    ]
    entry = summarize(runs)["0.1"]["acc"]
    assert entry["values"] == values
    assert entry["mean"] == pytest.approx(np.mean(values))
    expected_std = np.std(values, ddof=1) if len(values) > 1 else 0.0
    assert entry["std"] == pytest.approx(expected_std, abs=1e-12)


def _runs(metric_by_rate, seeds=range(5), spread=0.001):
    """Runs of every (ratio, seed): each metric at its ratio's value, plus a
    small seeded wobble so that paired intervals have a width."""
    rng = np.random.RandomState(0)
    return [
        {
            "noise_rate": rate,
            "seed": seed,
            "metrics": {
                name: value + spread * rng.standard_normal()
                for name, value in values.items()
            },
        }
        for rate, values in metric_by_rate.items()
        for seed in seeds
    ]


def _claims(metric_by_rate, seeds=range(5)):
    runs = _runs(metric_by_rate, seeds)
    rates = sorted(metric_by_rate)
    return {
        claim["claim"]: claim
        for claim in check_claims(
            {"settings": {"noise_rates": rates, "seeds": list(seeds)}, "runs": runs}
        )
    }


def _pattern(**changes):
    """The paper's pattern at five ratios; ``changes`` replace a metric's row."""
    rows = {
        "lp_id": [0.80, 0.815, 0.81, 0.79, 0.78],
        "lp_ood": [0.70, 0.68, 0.66, 0.64, 0.62],
        "id_sve": [3.0, 3.1, 3.2, 3.3, 3.4],
        "ood_lsvr": [1.0, 1.1, 1.2, 1.3, 1.4],
        "nmtune_id": [0.85, 0.84, 0.83, 0.82, 0.81],
        "nmtune_ood": [0.75, 0.74, 0.73, 0.72, 0.71],
        "mlp_id": [0.81] * 5,
        "mlp_ood": [0.69] * 5,
        **changes,
    }
    rates = [0.0, 0.05, 0.1, 0.2, 0.3]
    return {r: {m: v[i] for m, v in rows.items()} for i, r in enumerate(rates)}


def test_claims_hold_on_the_papers_pattern():
    claims = _claims(_pattern())
    assert len(claims) == 6  # no trained networks: their two claims are left out
    assert {claim["verdict"] for claim in claims.values()} == {"holds"}
    comparison = claims["OOD accuracy falls from the first noise"]["comparisons"][0]
    assert comparison["comparison"] == "LP OOD: 0% - 5%"
    assert comparison["n_pairs"] == 5
    assert comparison["mean"] == pytest.approx(0.02, abs=0.002)
    assert 0 < comparison["low"] < comparison["mean"] < comparison["high"]


def test_claims_fail_where_the_pattern_breaks():
    claims = _claims(
        _pattern(
            lp_id=[0.80, 0.79, 0.78, 0.77, 0.76],  # no bump
            lp_ood=[0.70, 0.71, 0.68, 0.66, 0.64],  # rises at 5%
            id_sve=[3.4, 3.3, 3.2, 3.1, 3.0],  # falls
        )
    )
    for claim in (
        "ID accuracy rises at slight noise",
        "OOD accuracy falls from the first noise",
        "SVE of ID features rises with noise",
    ):
        assert claims[claim]["verdict"] == "does not hold"
    assert claims["LSVR of OOD features rises with noise"]["verdict"] == "holds"


def test_a_tie_is_never_a_win():
    # Every network kept the probe: NMTune equals LP and MLP on every run.
    tie = _pattern(nmtune_id=[0.80] * 5, nmtune_ood=[0.70] * 5)
    for rate in tie.values():
        rate.update(lp_id=0.80, lp_ood=0.70, mlp_id=0.80, mlp_ood=0.70)
    runs = _runs(tie, spread=0.0)
    result = {
        "settings": {"noise_rates": sorted(tie), "seeds": [0, 1, 2, 3, 4]},
        "runs": runs,
    }
    (claim,) = [c for c in check_claims(result) if c["claim"].startswith("NMTune b")]
    assert claim["verdict"] == "does not hold"
    assert all(c["mean"] == 0 and c["high"] == 0 for c in claim["comparisons"])


def test_one_seed_resolves_no_comparison_of_noise_ratios():
    claims = _claims(_pattern(), seeds=[0])
    # Two ratios of one seed are one pair: no interval.
    for name in (
        "ID accuracy rises at slight noise",
        "SVE of ID features rises with noise",
        "The clean backbone is best under NMTune",
    ):
        assert claims[name]["verdict"] == "not resolved at this power"
    # Two heads on one backbone are a pair on every backbone: five here.
    comparisons = claims["NMTune beats LP and MLP tuning"]["comparisons"]
    assert {c["n_pairs"] for c in comparisons} == {5}


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (0.001, 0.02, "holds"),
        (-0.02, 0.004, "does not hold"),  # an effect that counts is ruled out
        (0.001, 0.004, "does not hold"),  # real, but smaller than what counts
        (-0.01, 0.02, "not resolved at this power"),
        (float("nan"), float("nan"), "not resolved at this power"),
    ],
)
def test_verdict_reads_the_interval(low, high, expected):
    assert verdict(low, high, 0.005) == expected


def test_paired_interval_is_students_t():
    diffs = np.array([0.3, -0.1, 0.4, 0.2, 0.0])
    mean, low, high = paired_interval(diffs)
    expected = stats.t.interval(
        0.95, len(diffs) - 1, loc=diffs.mean(), scale=stats.sem(diffs)
    )
    assert mean == pytest.approx(diffs.mean())
    assert (low, high) == pytest.approx(expected)


def test_results_do_not_depend_on_n_jobs(tmp_path):
    tiny = {
        "noise_rates": [0.0, 0.2],
        "seeds": [0],
        "n_pretrain": 300,
        "pretrain_epochs": 1,
        "n_probe": 100,
        "n_test": 100,
        "n_id": 200,
        "max_epochs": 2,
        "device": "cpu",
        "cache_dir": tmp_path,
        "verbose": False,
    }
    alone = run_study(**tiny, n_threads=1)
    side_by_side = run_study(**tiny, n_jobs=2)
    assert side_by_side["settings"]["n_jobs"] == 2
    assert side_by_side["settings"]["n_threads"] == 1
    for a, b in zip(alone["runs"], side_by_side["runs"], strict=True):
        assert (a["noise_rate"], a["seed"]) == (b["noise_rate"], b["seed"])
        assert a["metrics"] == b["metrics"]
