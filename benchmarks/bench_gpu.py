"""The GPU check: CUDA tests, large fits, predictions, CPU agreement, in one call.

On a machine with a CUDA device (``make gpu-check``) it

1. runs the CUDA-marked tests (``pytest -m cuda``);
2. fits the linear probe, MLP tuning and NMTune on ``--rows`` x ``--features``
   float32 rows (``make_embedding_like``, generated on the device) for
   ``--epochs`` epochs without early stopping, and records the fit time, the time
   per epoch, the peak device memory and the host-to-device copies during the
   fit (counted by the torch profiler over the fit of the first network);
3. predicts the same rows with ``predict_proba`` and with a raw float32 forward
   pass of the same network, and records both times;
4. fits the probe and MLP tuning on ``--agree-rows`` rows on the CPU and on the
   device and reports how far their predictions are apart (the probe: largest
   probability difference, tolerance 1e-3; MLP tuning: share of equal labels,
   tolerance 0.98, since float32 kernels on the two devices round differently);

and writes one markdown table to ``--out``. Without CUDA it runs the same steps
on the CPU (no CUDA tests), which is how the test suite checks the script with tiny
sizes. The default sizes take about 3 minutes on one H200.

    python benchmarks/bench_gpu.py --out gpu_check.md
    python benchmarks/bench_gpu.py --rows 2000 --features 32 --agree-rows 500 \
        --out /tmp/check.md     # the CPU smoke run
"""

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sknml import NAMED_SETTINGS, NMTuneClassifier

METHODS = ("lp", "mlp", "nmtune")


def _data(n_rows, n_features, device):
    """Embedding-like rows: a decaying spectrum, unit-norm rows, 10 classes."""
    generator = torch.Generator(device=device).manual_seed(0)
    scales = torch.arange(1, n_features + 1, device=device) ** -1.0
    centers = torch.randn(10, n_features, generator=generator, device=device)
    y = torch.randint(0, 10, (n_rows,), generator=generator, device=device)
    noise = torch.randn(n_rows, n_features, generator=generator, device=device)
    X = (0.5 * centers[y] + noise) * scales
    X = torch.nn.functional.normalize(X + 4 * X.mean(0), dim=1)
    return X.float().cpu().numpy(), y.cpu().numpy()


def _sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _fit(method, X, y, device, epochs, profile=False):
    """Fit one method; its seconds, seconds per epoch, peak memory, copies."""
    clf = NMTuneClassifier(
        **NAMED_SETTINGS[method], device=device, random_state=0, standardize=False
    )
    if method != "lp":
        clf.set_params(max_epochs=epochs, early_stopping=False)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    copies = None
    start = time.perf_counter()
    if profile and device.startswith("cuda"):
        from torch.profiler import ProfilerActivity
        from torch.profiler import profile as torch_profile

        with torch_profile(activities=[ProfilerActivity.CUDA]) as prof:
            clf.fit(X, y)
        copies = sum(
            event.count for event in prof.key_averages() if "HtoD" in event.key
        )
    else:
        clf.fit(X, y)
    _sync(device)
    seconds = time.perf_counter() - start
    epoch = float(np.median(clf.history_[:, "dur"])) if len(clf.history_) else None
    peak = (
        torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
    )
    return clf, {"fit_s": seconds, "epoch_s": epoch, "peak_gib": peak, "htod": copies}


def _predict(clf, X, device):
    """Seconds of ``predict_proba`` and of a raw float32 forward pass."""
    module = clf.net_.module_
    start = time.perf_counter()
    clf.predict_proba(X)
    _sync(device)
    estimator = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(X), 8192):
            torch.softmax(module(torch.from_numpy(X[i : i + 8192]).to(device))[0], 1)
    _sync(device)
    return estimator, time.perf_counter() - start


def _agreement(X, y, device):
    """CPU vs ``device``: the probe's largest probability gap, MLP's equal labels."""
    fits = {
        where: {
            method: NMTuneClassifier(
                **NAMED_SETTINGS[method],
                device=where,
                random_state=0,
                standardize=True,
                max_epochs=5,
                early_stopping=False,
            ).fit(X, y)
            if method != "lp"
            else NMTuneClassifier(device=where, standardize=True, n_layers=0).fit(X, y)
            for method in ("lp", "mlp")
        }
        for where in ("cpu", device)
    }
    gap = np.abs(
        fits["cpu"]["lp"].predict_proba(X) - fits[device]["lp"].predict_proba(X)
    ).max()
    same = np.mean(fits["cpu"]["mlp"].predict(X) == fits[device]["mlp"].predict(X))
    return float(gap), float(same)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--agree-rows", type=int, default=20_000)
    parser.add_argument("--out", default="gpu_check.md")
    args = parser.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lines = [
        f"# GPU check: {args.rows:,} x {args.features:,} float32 rows, "
        f"{args.epochs} epochs, device {device}",
        "",
        f"`python benchmarks/bench_gpu.py {' '.join(argv or sys.argv[1:])}`; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; torch "
        f"{torch.__version__}; "
        + (torch.cuda.get_device_name() if device == "cuda" else platform.machine()),
        "",
    ]
    if device == "cuda":
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:xdist"],
            capture_output=True,
            text=True,
        )
        summary = (tests.stdout.strip().splitlines() or ["no output"])[-1]
        lines += [f"CUDA-marked tests: {summary} (exit {tests.returncode})", ""]
    X, y = _data(args.rows, args.features, device)
    lines += [
        "| method | fit (s) | s / epoch | peak device memory (GiB) | host-to-device "
        "copies in fit | predict_proba (s) | raw forward (s) | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for method in METHODS:
        clf, stats = _fit(method, X, y, device, args.epochs, profile=method == "mlp")
        estimator, raw = _predict(clf, X, device)

        def cell(value, fmt):
            return "-" if value is None else format(value, fmt)

        lines.append(
            f"| {method} | {stats['fit_s']:.2f} | {cell(stats['epoch_s'], '.3f')} | "
            f"{cell(stats['peak_gib'], '.2f')} | {cell(stats['htod'], 'd')} | "
            f"{estimator:.3f} | {raw:.3f} | {estimator / raw:.2f} |"
        )
    gap, same = _agreement(X[: args.agree_rows], y[: args.agree_rows], device)
    lines += [
        "",
        f"CPU vs {device} on {args.agree_rows:,} rows: the probe's largest "
        f"probability difference {gap:.2e} (tolerance 1e-3, "
        f"{'met' if gap <= 1e-3 else 'NOT met'}); MLP tuning, 5 epochs: "
        f"{100 * same:.2f}% equal labels (tolerance 98%, "
        f"{'met' if same >= 0.98 else 'NOT met'}).",
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if gap <= 1e-3 and same >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
