"""Linear probe with and without input standardization, on real MiniLM features.

Trains on each sentiment domain in turn (80% of it; ID = the other 20%, OOD = the
three other domains) and prints accuracy of ``LogisticRegression()``,
``NMTuneClassifier(n_layers=0)`` (standardized input, the default) and the same
with ``standardize=False``, and the synthetic ``make_embedding_like`` case, where
standardization is what makes the probe work. Needs the ``demo`` extra; embeddings
are cached where ``sknml demo`` caches them.

    python benchmarks/bench_probe_standardization.py
"""

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sknml import NMTuneClassifier
from sknml.datasets import make_embedding_like
from sknml.datasets._sentiment import DOMAINS
from sknml.experiments._common import default_cache_dir
from sknml.experiments.demo._data import load_embedded_domains

PROBES = {
    "LogisticRegression()": lambda: LogisticRegression(max_iter=2000),
    "LP, standardize=True": lambda: NMTuneClassifier(n_layers=0, random_state=0),
    "LP, standardize=False": lambda: NMTuneClassifier(
        n_layers=0, standardize=False, random_state=0
    ),
}


def main():
    torch.set_num_threads(2)
    print("| data | train | probe | ID acc | OOD acc |\n|---|---|---|---|---|")
    data = make_embedding_like(4000, 384, 10, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, random_state=0
    )
    for name, make in PROBES.items():
        accuracy = make().fit(X_train, y_train).score(X_test, y_test)
        print(f"| make_embedding_like | - | {name} | {accuracy:.4f} | - |")

    domains = load_embedded_domains(
        cache=default_cache_dir() / "embeddings", progress=False
    )
    X, y, domain = domains["X"], domains["y"], domains["domain"]
    for train in DOMAINS:
        inside = domain == train
        X_train, X_test, y_train, y_test = train_test_split(
            X[inside], y[inside], test_size=0.2, random_state=0, stratify=y[inside]
        )
        for name, make in PROBES.items():
            probe = make().fit(X_train, y_train)
            ood = np.mean(
                [
                    probe.score(X[domain == d], y[domain == d])
                    for d in DOMAINS
                    if d != train
                ]
            )
            print(
                f"| MiniLM sentiment | {train} | {name} | "
                f"{probe.score(X_test, y_test):.4f} | {ood:.4f} |"
            )


if __name__ == "__main__":
    main()
