"""Tests for sknml.plot: headless rendering, line counts, errors."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sknml import SpectrumProbe  # noqa: E402
from sknml.metrics import singular_values  # noqa: E402
from sknml.plot import plot_accuracy_vs_spectrum, plot_spectrum  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _assert_renders_png(fig, tmp_path):
    path = tmp_path / "figure.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_plot_spectrum_three_panels_one_line_per_curve(rng, tmp_path):
    curves = [
        ("noise 0%", rng.normal(size=(510, 505))),
        ("noise 5%", rng.normal(size=(510, 505)) ** 3),
        ("small", rng.normal(size=(60, 30))),
    ]
    fig = plot_spectrum(curves)
    assert len(fig.axes) == 3
    # The 30 values of "small" reach the first two panels only.
    assert [len(ax.lines) for ax in fig.axes] == [3, 3, 2]
    # Each panel holds exactly its index range of the spectrum.
    s = singular_values(curves[0][1])
    head, middle, tail = (ax.lines[0] for ax in fig.axes)
    np.testing.assert_array_equal(head.get_xdata(), np.arange(1, 21))
    np.testing.assert_allclose(head.get_ydata(), s[:20])
    np.testing.assert_array_equal(middle.get_xdata(), np.arange(21, 501))
    np.testing.assert_array_equal(tail.get_xdata(), np.arange(501, 506))
    np.testing.assert_array_equal(fig.axes[1].lines[2].get_xdata(), np.arange(21, 31))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["noise 0%", "noise 5%", "small"]
    _assert_renders_png(fig, tmp_path)


def test_plot_spectrum_short_spectra_leave_panels_empty(rng, tmp_path):
    fig = plot_spectrum({"a": rng.normal(size=(50, 8)), "b": rng.normal(size=(9, 40))})
    assert [len(ax.lines) for ax in fig.axes] == [2, 0, 0]
    assert "no singular value beyond 20" in fig.axes[1].texts[0].get_text()
    _assert_renders_png(fig, tmp_path)


def test_plot_spectrum_single_matrix_probe_and_given_axes(rng):
    X = rng.normal(size=(100, 30))
    fig, axes = plt.subplots(1, 2)
    out = plot_spectrum(X, splits=(10,), axes=axes)
    assert out is fig
    assert [len(ax.lines) for ax in axes] == [1, 1]
    assert axes[0].get_legend() is None
    probe = SpectrumProbe(center=None).fit(X)
    fig = plot_spectrum([("probe", probe)], splits=(10,))
    np.testing.assert_allclose(
        np.concatenate([ax.lines[0].get_ydata() for ax in fig.axes]),
        probe.singular_values_,
    )


@pytest.mark.parametrize("splits", [(20, 20), (500, 20), (0, 20)])
def test_plot_spectrum_bad_splits(rng, splits):
    with pytest.raises(ValueError, match="splits"):
        plot_spectrum(rng.normal(size=(10, 3)), splits=splits)


def test_plot_spectrum_wrong_number_of_axes(rng):
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="axes"):
        plot_spectrum(rng.normal(size=(10, 3)), axes=axes)


def test_plot_accuracy_vs_spectrum(tmp_path):
    sve = [3.10, 3.30, 3.40, 3.50]
    ax = plot_accuracy_vs_spectrum(
        sve + sve,
        [70.0, 71.0, 69.5, 68.0, 45.0, 43.0, 41.0, 38.0],
        metric="SVE",
        labels=["0%", "5%", "10%", "20%"] * 2,
        groups=["ID"] * 4 + ["OOD"] * 4,
    )
    assert len(ax.collections) == 2
    assert len(ax.texts) == 8
    assert ax.get_xlabel() == "SVE"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("ID (r = ") and legend[1].startswith("OOD (r = -")
    _assert_renders_png(ax.figure, tmp_path)


def test_plot_accuracy_vs_spectrum_single_group():
    ax = plot_accuracy_vs_spectrum([0.1, 0.2], [0.5, 0.6], metric="LSVR")
    assert len(ax.collections) == 1
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"spectral_values": [1.0], "accuracies": [1.0, 2.0]}, "same length"),
        ({"spectral_values": [], "accuracies": []}, "non-empty"),
        ({"spectral_values": [np.nan], "accuracies": [1.0]}, "finite"),
        ({"spectral_values": [1.0], "accuracies": [1.0], "labels": []}, "labels"),
    ],
)
def test_plot_accuracy_vs_spectrum_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_accuracy_vs_spectrum(**kwargs)


def test_missing_matplotlib_names_the_extra(monkeypatch, rng):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sknml\[plot\]"):
        plot_spectrum(rng.normal(size=(10, 3)))
