"""Training speed of NMTuneClassifier against a hand-written torch loop.

For LP, MLP and NMTune at D=384 and D=768 it times, in one run and interleaved,
(a) ``NMTuneClassifier.fit`` end to end and (b) the minimal torch loop over
pre-loaded tensors with the same network, loss, optimizer and schedule (the limit).
It also times NMTune's regularizers written the naive way (``svdvals`` and a D x D
covariance) inside the same raw loop, and checks that the linear probe matches
``LogisticRegression`` on the same features. Prints a markdown table.

    python benchmarks/bench_training.py            # the documented run
    python benchmarks/bench_training.py --quick    # a smoke run
"""

import argparse
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknml import NMTuneClassifier
from sknml._losses import NMTuneLoss
from sknml._network import NMTuneNetwork
from sknml._tuner import _column_scaling
from sknml.datasets import make_embedding_like

METHODS = {
    "LP": {"n_layers": 0},
    "MLP": {"lambda_mse": 0.0, "lambda_cov": 0.0, "lambda_svd": 0.0},
    "NMTune": {},
}
# An LP epoch takes ~0.1 s: more of them keep its timings above the noise.
EPOCH_FACTOR = {"LP": 5, "MLP": 1, "NMTune": 1}


class _NaiveNMTuneLoss(NMTuneLoss):
    """The regularizers as first written: full SVD and a D x D covariance."""

    def forward(self, output, target, sample_weight=None):
        logits, z, x = output
        loss = F.cross_entropy(logits, target)
        loss = loss + self.lambda_mse * F.mse_loss(
            F.normalize(z, dim=1), F.normalize(x.detach(), dim=1)
        )
        centered = z - z.mean(dim=0)
        cov = centered.T @ centered / (len(z) - 1)
        off_diagonal = cov.square().sum() - cov.diagonal().square().sum()
        loss = loss + self.lambda_cov * off_diagonal / z.shape[1]
        s = torch.linalg.svdvals(z)
        return loss - self.lambda_svd * s[: self.svd_top_k].mean() / s.sum()


def raw_loop(X, y, params, epochs, batch_size, seed, loss_class=NMTuneLoss):
    """Train the estimator's network with nothing but torch; return seconds."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    estimator = NMTuneClassifier(**params)
    linear_probe = estimator.n_layers == 0
    mean, scale = _column_scaling(X)
    module = NMTuneNetwork(
        mean,
        scale,
        n_classes=int(y.max()) + 1,
        n_layers=estimator.n_layers,
        hidden_ratio=estimator.hidden_ratio,
        activation=estimator.activation,
        batch_norm=estimator.batch_norm,
        residual=estimator.residual,
    )
    criterion = loss_class(
        estimator.lambda_mse,
        estimator.lambda_cov,
        estimator.lambda_svd,
        estimator.svd_top_k,
    )
    optimizer = torch.optim.AdamW(
        module.parameters(),
        lr=1e-2 if linear_probe else 1e-3,
        weight_decay=0.0 if linear_probe else 1e-4,
    )
    n_batches = -(-len(X) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * n_batches)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(seed)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for i in range(n_batches):
            rows = order[i * batch_size : (i + 1) * batch_size]
            optimizer.zero_grad()
            loss = criterion(module(X_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()
            schedule.step()
    return time.perf_counter() - start


def estimator_fit(X, y, params, epochs, batch_size, seed):
    """``NMTuneClassifier.fit`` end to end; return seconds."""
    start = time.perf_counter()
    # Like the raw loop: standardized input, every row trained on, a fixed budget.
    NMTuneClassifier(
        max_epochs=epochs,
        batch_size=batch_size,
        standardize=True,
        early_stopping=False,
        random_state=seed,
        device="cpu",
        **params,
    ).fit(X, y)
    return time.perf_counter() - start


def bench_speed(n_samples, n_features, epochs, repeats, batch_size):
    data = make_embedding_like(n_samples, n_features, 10, random_state=0)
    X, y = data.data, data.target
    per_epoch = {}
    for method, params in METHODS.items():
        n_epochs = epochs * EPOCH_FACTOR[method]
        timings = {"estimator": [], "raw": []}
        if method == "NMTune":
            timings["naive"] = []
        for repeat in range(repeats):
            timings["estimator"].append(
                estimator_fit(X, y, params, n_epochs, batch_size, repeat)
            )
            timings["raw"].append(raw_loop(X, y, params, n_epochs, batch_size, repeat))
            if method == "NMTune":
                timings["naive"].append(
                    raw_loop(
                        X, y, params, n_epochs, batch_size, repeat, _NaiveNMTuneLoss
                    )
                )
        per_epoch[method] = {k: np.median(v) / n_epochs for k, v in timings.items()}
    return per_epoch


def bench_probe_accuracy(n_samples, n_features):
    data = make_embedding_like(n_samples, n_features, 10, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, random_state=0
    )
    probe = NMTuneClassifier(n_layers=0, random_state=0, device="cpu")
    probe_accuracy = probe.fit(X_train, y_train).score(X_test, y_test)
    plain = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    scaled = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    scaled.fit(X_train, y_train)
    return probe_accuracy, plain.score(X_test, y_test), scaled.score(X_test, y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n_samples, epochs, repeats = (2000, 1, 1) if args.quick else (20000, 2, 5)
    batch_size = 256
    # The first optimizer of a process imports torch's compiler stack (seconds);
    # pay it before timing anything.
    warm = make_embedding_like(300, 16, 10, random_state=0)
    estimator_fit(warm.data, warm.target, {}, 1, batch_size, 0)

    print(
        f"# bench_training: N={n_samples}, 10 classes, batch {batch_size}, "
        f"{args.threads} threads, {epochs} epochs ({5 * epochs} for LP) x {repeats} "
        f"repeats, median; "
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}\n"
    )
    print(
        "| D | method | estimator s/epoch | raw loop s/epoch | estimator / raw |"
        " vs MLP (estimator) |"
    )
    print("|---|---|---|---|---|---|")
    for n_features in (384, 768):
        timings = bench_speed(n_samples, n_features, epochs, repeats, batch_size)
        mlp = timings["MLP"]["estimator"]
        for method, t in timings.items():
            print(
                f"| {n_features} | {method} | {t['estimator']:.3f} | {t['raw']:.3f} | "
                f"{t['estimator'] / t['raw']:.3f} | {t['estimator'] / mlp:.2f} |"
            )
        naive = timings["NMTune"]["naive"]
        print(
            f"| {n_features} | NMTune, naive svdvals + DxD covariance (raw loop) | - |"
            f" {naive:.3f} | - | {naive / timings['MLP']['raw']:.2f} (vs raw MLP) |"
        )

    print(
        "\n| D | linear probe (n_layers=0) | LogisticRegression | ratio |"
        " StandardScaler + LogisticRegression | ratio |"
    )
    print("|---|---|---|---|---|---|")
    for n_features in (384, 768):
        probe, plain, scaled = bench_probe_accuracy(n_samples, n_features)
        print(
            f"| {n_features} | {probe:.4f} | {plain:.4f} | {probe / plain:.3f} |"
            f" {scaled:.4f} | {probe / scaled:.3f} |"
        )


if __name__ == "__main__":
    main()
