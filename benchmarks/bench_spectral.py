"""Benchmark: the spectrum of a 100,000 x 1,024 float32 feature matrix.

Compares, in one run, on the same matrix:

- ``sknml.metrics.singular_values`` (float64 Gram matrix accumulated in chunks);
- ``numpy.linalg.svd(X, compute_uv=False)`` on the float32 matrix, and on the prepared
  float64 matrix (the accuracy reference);
- ``sklearn.decomposition.TruncatedSVD(n_components=D - 1)``, the reference code's
  method, on the first ``--tsvd-rows`` rows (all N by default); when capped, its time
  is extrapolated linearly to N (its cost is dominated by products with X, linear in
  N);
- ``singular_values`` on a ``--memmap-rows`` x D float32 ``np.memmap`` on disk.

Time is wall-clock (best of ``--repeat`` for ours and for the float32 SVD). Memory
beyond X is the larger of two measurements during the call: the peak of NumPy's
allocations traced by ``tracemalloc``, and the peak growth of the process's anonymous
resident memory (``RssAnon``, polled every 2 ms; it also sees LAPACK's workspaces). X
itself, and the page cache of a memmap, are not counted.

Run: ``python benchmarks/bench_spectral.py`` (about ten minutes on 2 cores).
"""

import argparse
import os
import platform
import tempfile
import threading
import time
import tracemalloc

import numpy as np
from sklearn.decomposition import TruncatedSVD

from sknml.metrics import singular_values


def _rss_anon_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("RssAnon is not in /proc/self/status (Linux only).")


def measure(fn, repeat=1):
    """Return ``(result, best seconds, peak extra anonymous memory in bytes)``."""
    best = float("inf")
    peak_extra = 0
    for _ in range(repeat):
        base = _rss_anon_bytes()
        peak = [base]
        done = threading.Event()

        def poll(peak=peak, done=done):
            while not done.is_set():
                peak[0] = max(peak[0], _rss_anon_bytes())
                time.sleep(0.002)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        tracemalloc.start()
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        done.set()
        thread.join()
        peak[0] = max(peak[0], _rss_anon_bytes())
        best = min(best, elapsed)
        peak_extra = max(peak_extra, peak[0] - base, traced_peak)
    return result, best, peak_extra


def make_features(rng, n_samples, n_features):
    """ReLU-like features: non-negative, a large common mean, a decaying spectrum."""
    scales = (np.arange(1, n_features + 1, dtype=np.float32) ** -0.5).astype(np.float32)
    X = rng.standard_normal((n_samples, n_features), dtype=np.float32)
    X *= scales
    X += np.float32(0.3) * scales
    np.maximum(X, 0, out=X)
    return X


def prepared_float64(X):
    """Rows L2-normalized, then columns centered, in float64 (the reference input)."""
    A = X.astype(np.float64)
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    A /= np.where(norms == 0, 1.0, norms)
    A -= A.mean(axis=0)
    return A


def sve_lsvr(s):
    p = s / s.sum()
    p_pos = p[p > 0]
    return -(p_pos * np.log(p_pos)).sum(), -np.log(p[0])


def rel_err(a, b):
    return abs(a - b) / abs(b)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=1_024)
    parser.add_argument("--tsvd-rows", type=int, default=None)
    parser.add_argument("--memmap-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n, d = args.n_samples, args.n_features
    gb = 1e9
    rng = np.random.default_rng(args.seed)
    X = make_features(rng, n, d)
    print(
        f"# bench_spectral: N={n}, D={d}, float32 ({X.nbytes / gb:.2f} GB); "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"numpy {np.__version__}"
    )

    ours, t_ours, m_ours = measure(lambda: singular_values(X), args.repeat)
    _, t_np32, m_np32 = measure(lambda: np.linalg.svd(X, compute_uv=False), args.repeat)
    ref, t_np64, m_np64 = measure(
        lambda: np.linalg.svd(prepared_float64(X), compute_uv=False)
    )
    sve_ref, lsvr_ref = sve_lsvr(ref)
    sve_ours, lsvr_ours = sve_lsvr(ours)

    rows = [
        (
            "sknml singular_values",
            n,
            t_ours,
            t_ours,
            m_ours,
            rel_err(sve_ours, sve_ref),
            rel_err(lsvr_ours, lsvr_ref),
        ),
        ("numpy.linalg.svd, float32 X", n, t_np32, t_np32, m_np32, None, None),
        ("numpy.linalg.svd, float64 prepared X", n, t_np64, t_np64, m_np64, 0.0, 0.0),
    ]

    cap = min(args.tsvd_rows or n, n)
    if cap == n:
        sub_sve, sub_lsvr = sve_ref, lsvr_ref
        Xc32 = prepared_float64(X).astype(np.float32)
    else:
        Xc = prepared_float64(X[:cap])
        sub_sve, sub_lsvr = sve_lsvr(np.linalg.svd(Xc, compute_uv=False))
        Xc32 = Xc.astype(np.float32)
        del Xc
    tsvd = TruncatedSVD(n_components=d - 1, random_state=args.seed)
    _, t_tsvd, m_tsvd = measure(lambda Xc32=Xc32: tsvd.fit(Xc32))
    t_sve, t_lsvr = sve_lsvr(tsvd.singular_values_.astype(np.float64))
    t_tsvd_full = t_tsvd * n / cap
    rows.append(
        (
            f"TruncatedSVD(n_components={d - 1}), float32 prepared X",
            cap,
            t_tsvd,
            t_tsvd_full,
            m_tsvd,
            rel_err(t_sve, sub_sve),
            rel_err(t_lsvr, sub_lsvr),
        )
    )

    if args.memmap_rows:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "features.f32")
            mm = np.memmap(
                path, dtype=np.float32, mode="w+", shape=(args.memmap_rows, d)
            )
            block = 50_000
            for start in range(0, args.memmap_rows, block):
                stop = min(start + block, args.memmap_rows)
                mm[start:stop] = make_features(rng, stop - start, d)
            mm.flush()
            del mm
            mm = np.memmap(
                path, dtype=np.float32, mode="r", shape=(args.memmap_rows, d)
            )
            _, t_mm, m_mm = measure(lambda: singular_values(mm))
            del mm
        rows.append(
            (
                f"sknml singular_values, np.memmap ({args.memmap_rows * d * 4 / gb:.1f}"
                " GB on disk)",
                args.memmap_rows,
                t_mm,
                None,
                m_mm,
                None,
                None,
            )
        )

    def fmt(v, spec):
        return "-" if v is None else format(v, spec)

    print()
    print(
        f"| method | rows run | time (s) | time at N={n} (s) | peak memory beyond X "
        "(GB) | SVE rel. error | LSVR rel. error |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, rows_run, t, t_full, mem, e_sve, e_lsvr in rows:
        print(
            f"| {name} | {rows_run:,} | {t:.2f} | {fmt(t_full, '.2f')} | "
            f"{mem / gb:.3f} | {fmt(e_sve, '.1e')} | {fmt(e_lsvr, '.1e')} |"
        )
    print()
    if cap < n:
        print(f"TruncatedSVD ran on {cap} rows; its time at N={n} is extrapolated.")
    print(
        f"Speed-up of ours over TruncatedSVD{' (extrapolated)' if cap < n else ''}: "
        f"{t_tsvd_full / t_ours:.1f}x"
    )
    print(f"Speed-up of ours over numpy.linalg.svd (float32 X): {t_np32 / t_ours:.1f}x")
    print(f"Speed-up of ours over numpy.linalg.svd (float64): {t_np64 / t_ours:.1f}x")
    print(
        f"SVE = {sve_ours:.12f} (reference {sve_ref:.12f}), "
        f"LSVR = {lsvr_ours:.12f} (reference {lsvr_ref:.12f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
