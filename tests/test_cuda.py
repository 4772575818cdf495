"""NMTuneClassifier on a CUDA device: the same estimator, on the GPU.

Skipped without CUDA; ``make gpu-check`` (``benchmarks/bench_gpu.py``) runs them
on a machine that has it.
"""

import io

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sknml import NMTuneClassifier, load_model, save_model
from sknml._data import place_rows

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


@pytest.mark.parametrize("params", [{"n_layers": 0}, {}])
def test_fits_and_predicts_on_the_gpu(digits, params):
    X, y = digits
    clf = NMTuneClassifier(device="cuda", random_state=0, **params).fit(X, y)
    assert clf.device_.startswith("cuda")
    assert all(p.is_cuda for p in clf.net_.module_.parameters())
    assert clf.score(X, y) > 0.9
    assert clf.predict_proba(X.astype(np.float64)).dtype == np.float64


def test_the_probe_agrees_with_the_cpu(digits):
    X, y = digits
    gpu = NMTuneClassifier(n_layers=0, standardize=True, device="cuda").fit(X, y)
    cpu = NMTuneClassifier(n_layers=0, standardize=True, device="cpu").fit(X, y)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-3)


def test_training_rows_move_to_the_device_once(digits, monkeypatch):
    X, y = digits
    moved = []

    def recording(rows, device):
        placed = place_rows(rows, device)
        moved.append(placed.device.type)
        return placed

    monkeypatch.setattr("sknml._tuner.place_rows", recording)
    NMTuneClassifier(device="cuda", max_epochs=2, random_state=0).fit(X, y)
    assert moved and set(moved) == {"cuda"}


def test_a_gpu_model_saves_and_loads_on_the_cpu(digits, tmp_path):
    X, y = digits
    clf = NMTuneClassifier(device="cuda", max_epochs=2, random_state=0).fit(X, y)
    save_model(clf, tmp_path / "model.sknml")
    loaded = load_model(tmp_path / "model.sknml")
    assert loaded.device_ == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-5)
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict(X), clf.predict(X))
