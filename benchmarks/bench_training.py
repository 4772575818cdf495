"""Training and prediction speed of NMTuneClassifier against what a user would use.

One run, on the same float32 rows (``make_embedding_like``, 10 classes), the same
network shape (two hidden layers of width D, as ``MLPClassifier((D, D))``), batch
256, AdamW-style training for a fixed number of epochs, no early stopping:

- ``NMTuneClassifier`` as plain MLP tuning (``lambda_*=0``) and as NMTune;
- scikit-learn's ``MLPClassifier(hidden_layer_sizes=(D, D))``;
- a bare skorch ``NeuralNetClassifier`` with its default ``DataLoader``;
- the raw torch loop over pre-loaded tensors (the limit), for both losses;
- the linear probe (``standardize='auto'``) against ``LogisticRegression()`` on
  the raw and the standardized rows (time and accuracy);
- ``predict_proba`` against the raw float32 forward pass (through the whole
  network, and through the composed head as ``predict_proba``) and
  ``MLPClassifier``;
- one hidden layer's matrix product in torch and in NumPy (the BLAS
  ``MLPClassifier`` uses), the kernel both forward passes spend most time in.

Epoch times are medians of the per-epoch wall times; prints markdown tables.

    python benchmarks/bench_training.py                  # the documented run
    python benchmarks/bench_training.py --features 768   # wider rows
    python benchmarks/bench_training.py --quick          # a smoke run
"""

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier
from threadpoolctl import threadpool_limits

from sknml import NMTuneClassifier, NMTuneLoss, NMTuneNetwork
from sknml.datasets import make_embedding_like

BATCH_SIZE = 256
_NETWORK = {"n_layers": 2, "hidden_ratio": 1.0}
_METHODS = {
    "MLP": {"lambda_mse": 0.0, "lambda_cov": 0.0, "lambda_svd": 0.0},
    "NMTune": {},
}


def _median_epoch(seconds):
    return float(np.median(seconds))


def ours(X, y, X_test, y_test, params, epochs):
    """``NMTuneClassifier.fit``: (s per epoch, fit s, accuracy, estimator)."""
    start = time.perf_counter()
    clf = NMTuneClassifier(
        **_NETWORK,
        **params,
        max_epochs=epochs,
        batch_size=BATCH_SIZE,
        standardize=False,
        early_stopping=False,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    fit = time.perf_counter() - start
    per_epoch = _median_epoch(clf.history_[:, "dur"])
    return per_epoch, fit, clf.score(X_test, y_test), clf


def sklearn_mlp(X, y, X_test, y_test, epochs):
    """``MLPClassifier((D, D))`` for ``epochs`` epochs: (s per epoch, fit s, acc)."""
    clf = MLPClassifier(
        hidden_layer_sizes=(X.shape[1],) * 2,
        batch_size=BATCH_SIZE,
        random_state=0,
        tol=0.0,
        n_iter_no_change=epochs + 1,
    )
    classes = np.unique(y)
    seconds = []
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            tick = time.perf_counter()
            clf.partial_fit(X, y, classes=classes)
            seconds.append(time.perf_counter() - tick)
    fit = time.perf_counter() - start
    return _median_epoch(seconds), fit, clf.score(X_test, y_test), clf


class _MLP(torch.nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(n_features, n_features),
            torch.nn.ReLU(),
            torch.nn.Linear(n_features, n_features),
            torch.nn.ReLU(),
            torch.nn.Linear(n_features, n_classes),
        )

    def forward(self, x):
        return self.layers(x)


def bare_skorch(X, y, X_test, y_test, epochs):
    """skorch's ``NeuralNetClassifier`` with its defaults but the budget."""
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        _MLP,
        module__n_features=X.shape[1],
        module__n_classes=int(y.max()) + 1,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.AdamW,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=BATCH_SIZE,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    start = time.perf_counter()
    net.fit(X, y)
    fit = time.perf_counter() - start
    accuracy = float(np.mean(net.predict(X_test) == y_test))
    return _median_epoch(net.history[:, "dur"]), fit, accuracy


def raw_loop(X, y, params, epochs):
    """The network and loss of ``NMTuneClassifier`` in a bare loop: s per epoch."""
    torch.manual_seed(0)
    network = NMTuneNetwork(
        X.shape[1],
        int(y.max()) + 1,
        activation="relu",
        batch_norm=True,
        residual=True,
        **_NETWORK,
    )
    defaults = NMTuneClassifier().get_params()
    criterion = NMTuneLoss(
        **{
            key: params.get(key, defaults[key])
            for key in ("lambda_mse", "lambda_cov", "lambda_svd", "svd_top_k")
        },
        scale_invariant=True,
    )
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-3, weight_decay=1e-4)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    seconds = []
    with network.standardized_input():
        for _ in range(epochs):
            tick = time.perf_counter()
            for rows in torch.randperm(len(X)).split(BATCH_SIZE):
                optimizer.zero_grad()
                logits, z, x = network(X_t[rows])
                loss, _ = criterion(logits, z, x, y_t[rows], None)
                loss.backward()
                optimizer.step()
            seconds.append(time.perf_counter() - tick)
    return _median_epoch(seconds)


def raw_forward(module, X, logits_only=False):
    """``softmax`` of the logits of ``module`` on X in float32, 4,096 rows at a
    time (the fastest chunk size measured here), without autograd: through the
    whole network, or with ``logits_only`` through the composed head as
    ``predict_proba`` computes them."""
    with torch.inference_mode():
        return torch.cat(
            [
                F.softmax(
                    module(chunk, logits_only=True)
                    if logits_only
                    else module(chunk)[0],
                    dim=1,
                )
                for chunk in torch.from_numpy(X).split(4096)
            ]
        ).numpy()


def _cpu_name():
    """The processor's model name where Linux says it, else its architecture."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def _median_times(functions, repeats, rounds=3):
    """Median seconds of each function: ``rounds`` rounds, each giving every
    function ``repeats`` timed calls in a row, so drifts of the machine hit all
    alike.

    Each block starts with an untimed call: the thread pools of torch (OpenMP)
    and of NumPy's OpenBLAS spin for a while after their last job and slow the
    other library's next call (a torch product right after a NumPy one: 0.29 s
    instead of 0.23 s here), and a pool that has gone to sleep wakes slowly.
    """
    seconds = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            function()
            for _ in range(repeats):
                tick = time.perf_counter()
                function()
                seconds[name].append(time.perf_counter() - tick)
    return {name: float(np.median(values)) for name, values in seconds.items()}


def _print_times(title, seconds, *, reference, column):
    """A markdown table of ``seconds`` by name, each also as a ratio to
    ``seconds[reference]``."""
    print(f"\n| {title} | s | {column} |")
    print("|---|---:|---:|")
    for name, value in seconds.items():
        print(f"| {name} | {value:.3f} | {value / seconds[reference]:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--features", type=int, default=384, help="width D of the rows (384)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    n_samples, n_predict, epochs, repeats = (
        (2000, 5000, 2, 1) if args.quick else (20000, 100000, 5, 5)
    )
    width = args.features
    data = make_embedding_like(n_samples + 5000, width, 10, random_state=0)
    X, X_test, y, y_test = train_test_split(
        data.data.astype(np.float32), data.target, test_size=5000, random_state=0
    )
    print(
        f"# bench_training: {len(X)} x {X.shape[1]} float32 training rows, 10 "
        f"classes, two hidden layers of width {X.shape[1]}, batch {BATCH_SIZE}, "
        f"{epochs} epochs, {args.threads} threads; torch {torch.__version__}, "
        f"{_cpu_name()}\n"
    )
    # The first fit of a process pays torch's one-off imports; not timed.
    ours(X[:300], y[:300], X_test, y_test, {}, 1)
    rows, fitted = [], {}
    for method, params in _METHODS.items():
        per_epoch, fit, accuracy, fitted[method] = ours(
            X, y, X_test, y_test, params, epochs
        )
        rows.append((f"NMTuneClassifier, {method}", per_epoch, fit, accuracy))
        rows.append(
            (f"raw torch loop, {method}", raw_loop(X, y, params, epochs), None, None)
        )
    *mlp_row, sk_mlp = sklearn_mlp(X, y, X_test, y_test, epochs)
    rows.append((f"MLPClassifier(({width}, {width}))", *mlp_row))
    rows.append(
        ("skorch NeuralNetClassifier", *bare_skorch(X, y, X_test, y_test, epochs))
    )
    reference = rows[-2][1]
    print("| trainer | s / epoch | vs MLPClassifier | fit s | test accuracy |")
    print("|---|---:|---:|---:|---:|")
    for name, per_epoch, fit, accuracy in rows:
        cells = [f"{per_epoch:.3f}", f"{per_epoch / reference:.2f}"]
        cells += ["-" if fit is None else f"{fit:.2f}"]
        cells += ["-" if accuracy is None else f"{accuracy:.4f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")

    print("\n| linear probe | fit s | test accuracy |\n|---|---:|---:|")
    for name, probe in (
        ("NMTuneClassifier(n_layers=0)", NMTuneClassifier(n_layers=0, device="cpu")),
        ("LogisticRegression()", LogisticRegression()),
        (
            "StandardScaler() + LogisticRegression()",
            make_pipeline(StandardScaler(), LogisticRegression()),
        ),
    ):
        start = time.perf_counter()
        # LogisticRegression() on the raw rows stops at max_iter (the table says).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            probe.fit(X, y)
        fit = time.perf_counter() - start
        print(f"| {name} | {fit:.2f} | {probe.score(X_test, y_test):.4f} |")

    big = make_embedding_like(n_predict, width, 10, random_state=1).data.astype(
        np.float32
    )
    network = fitted["NMTune"].net_.module_.eval()
    predictors = {
        "raw float32 forward (same network)": lambda: raw_forward(network, big),
        "raw float32 forward, composed head": lambda: raw_forward(
            network, big, logits_only=True
        ),
        "NMTuneClassifier (NMTune)": lambda: fitted["NMTune"].predict_proba(big),
        "NMTuneClassifier (MLP)": lambda: fitted["MLP"].predict_proba(big),
        f"MLPClassifier(({width}, {width}))": lambda: sk_mlp.predict_proba(big),
    }
    _print_times(
        f"predict_proba on {n_predict} x {width} float32 rows",
        _median_times(predictors, repeats),
        reference="raw float32 forward (same network)",
        column="vs raw forward",
    )

    weight = network.head.weight.new_empty(width, width).normal_()
    rows = torch.from_numpy(big)
    with torch.inference_mode():
        products = {
            "torch (F.linear)": lambda: F.linear(rows, weight),
            "NumPy (X @ W.T)": lambda: big @ weight.numpy().T,
        }
        seconds = _median_times(products, repeats)
    _print_times(
        f"{n_predict} x {width} by {width} x {width} float32 product",
        seconds,
        reference="torch (F.linear)",
        column="vs torch",
    )


if __name__ == "__main__":
    main()
