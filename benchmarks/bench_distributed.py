"""Benchmark: sknml's two expensive jobs on a dask.distributed LocalCluster.

1. A 24-candidate ``GridSearchCV`` of ``NMTuneClassifier`` (3 folds, 72 fits) on a
   synthetic 3-class problem, run through ``joblib.parallel_backend("dask")`` on a
   cluster of 1 and then 2 worker processes (1 thread each). Workers import torch
   and sknml before the clock starts. The two searches must give the same
   ``cv_results_`` scores; the script checks it.
2. The spectrum (``sknml.metrics.singular_values``) of a ``--rows`` x 384 float32
   dask array drawn block by block on the 2 workers, so it is never materialized on
   the client. Peak memory per worker is the process's maximum resident set size
   (``ru_maxrss``) after the job, next to its value before.

The machine's load average is printed with the results: on a shared machine the
times are upper bounds.

Run: ``python benchmarks/bench_distributed.py`` (about three minutes on 2 cores).
"""

import argparse
import os
import platform
import resource
import time

import numpy as np
from distributed import Client, LocalCluster
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV

from sknml import NMTuneClassifier
from sknml.metrics import singular_values

GRID = {
    "n_layers": [1, 2],
    "lambda_mse": [0.0, 0.01],
    "lambda_cov": [0.0, 0.01],
    "lambda_svd": [0.0, 0.01, 0.1],
}


def _cluster(n_workers):
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )


def _warm_up(client):
    def imports():
        import sknml  # noqa: F401

    client.run(imports)


def _peak_rss_mib():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _search(X, y):
    search = GridSearchCV(
        NMTuneClassifier(max_epochs=5, batch_size=128, device="cpu", random_state=0),
        GRID,
        cv=3,
        n_jobs=-1,
    )
    with parallel_backend("dask"):
        start = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds, search.cv_results_["mean_test_score"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--search-rows", type=int, default=6000)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # inherited by the workers

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.search_rows, 64)).astype(np.float32)
    y = (X[:, :3] @ rng.normal(size=3) + rng.normal(size=len(X)) > 0).astype(int)
    y += (X[:, 3] > 1).astype(int)

    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()}"
    )
    search_seconds, scores = {}, {}
    for n_workers in (1, 2):
        with _cluster(n_workers) as cluster, Client(cluster) as client:
            _warm_up(client)
            search_seconds[n_workers], scores[n_workers] = _search(X, y)
        print(f"search, {n_workers} worker(s): {search_seconds[n_workers]:.1f} s")
    np.testing.assert_array_equal(scores[1], scores[2])

    import dask.array as da

    with _cluster(2) as cluster, Client(cluster) as client:
        _warm_up(client)
        before = client.run(_peak_rss_mib)
        F = da.random.default_rng(0).standard_normal(
            (args.rows, 384), chunks=(args.chunk_rows, 384), dtype=np.float32
        )
        F = F + da.arange(384, dtype=np.float32) / 384  # a non-zero column mean
        start = time.perf_counter()
        s = singular_values(F)
        spectrum_seconds = time.perf_counter() - start
        after = client.run(_peak_rss_mib)
    print(
        f"spectrum of {args.rows} x 384 float32 "
        f"({args.rows * 384 * 4 / 2**30:.2f} GiB, chunks of {args.chunk_rows} "
        f"rows): {spectrum_seconds:.1f} s, s_1 = {s[0]:.4f}"
    )
    for worker in before:
        print(
            f"  worker {worker}: peak RSS {before[worker]:.0f} MiB before, "
            f"{after[worker]:.0f} MiB after"
        )
    print(f"load average at the end {os.getloadavg()}")

    print("\n| Job | 1 worker | 2 workers |\n|---|---|---|")
    print(
        f"| GridSearchCV, 24 candidates x 3 folds ({args.search_rows} x 64) | "
        f"{search_seconds[1]:.1f} s | {search_seconds[2]:.1f} s |"
    )
    peaks = " / ".join(f"{v:.0f}" for v in after.values())
    print(
        f"| Spectrum, {args.rows:,} x 384 float32 dask array | - | "
        f"{spectrum_seconds:.1f} s, peak RSS per worker {peaks} MiB |"
    )


if __name__ == "__main__":
    main()
