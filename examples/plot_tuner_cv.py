"""
==================================================================
NMTuneClassifierCV: the head chosen by inner cross-validation
==================================================================

:class:`~sknml.NMTuneClassifierCV` is to :class:`~sknml.NMTuneClassifier` what
``LogisticRegressionCV`` is to ``LogisticRegression``: it cross-validates a grid of
candidates on the training set, keeps by default the simplest one whose score is
within one standard error of the best, and refits it on all the data.

Here the candidates are the linear probe, plain MLP tuning and NMTune, each
network once from the probe (``init='probe'``, the default) and once from a random
start (``init='random'``, as in the paper), on features shaped like real
embeddings.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from sknml import NMTuneClassifierCV
from sknml.datasets import make_embedding_like

data = make_embedding_like(800, 32, 4, class_sep=0.4, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.25, stratify=data.target, random_state=0
)
mlp = {"lambda_mse": [0.0], "lambda_cov": [0.0], "lambda_svd": [0.0]}
candidates = {
    "LP": {"n_layers": [0]},
    "MLP": mlp,
    "MLP,\nrandom start": {**mlp, "init": ["random"]},
    "NMTune": {},
    "NMTune,\nrandom start": {"init": ["random"]},
}
model = NMTuneClassifierCV(list(candidates.values()), cv=3, random_state=0)
model.fit(X_train, y_train)
print("chosen:", model.best_params_)
print(f"test accuracy of the refitted model: {model.score(X_test, y_test):.3f}")

# %%
# Cross-validated accuracy of each candidate
# ------------------------------------------
# Bars are the mean over the 3 folds, dots the folds (the probe's three fold
# scores happen to be equal here, so its dots coincide). The networks that start at
# the probe score exactly as the probe: on each fold, none of their trained epochs
# beat the probe on its validation rows by more than chance, so each kept the probe
# it started from. The networks that start at random stay well below it. With
# ties at the top, the one-standard-error rule refits the simplest candidate, the
# probe.
results = model.cv_results_
folds = np.array([results[f"split{i}_test_score"] for i in range(model.n_splits_)])
fig, ax = plt.subplots(figsize=(7, 4))
positions = np.arange(len(candidates))
colors = ["tab:orange" if i == model.best_index_ else "tab:blue" for i in positions]
ax.bar(positions, results["mean_test_score"], color=colors, alpha=0.7)
for fold in folds:
    ax.plot(positions, fold, "k.", markersize=8)
ax.set_xticks(positions, list(candidates))
ax.set_ylabel("3-fold accuracy (training set)")
ax.set_title("orange: the candidate NMTuneClassifierCV refitted")
ax.set_ylim(max(0.0, folds.min() - 0.05), min(1.0, folds.max() + 0.03))
fig.tight_layout()
plt.show()
