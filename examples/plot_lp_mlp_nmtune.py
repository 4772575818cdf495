"""
LP, MLP tuning and NMTune are one grid
=======================================

``NMTuneClassifier(n_layers=0)`` is the linear probe, all ``lambda_*=0`` is plain MLP
tuning and the defaults are NMTune, so one ``GridSearchCV`` compares the three on
frozen features. Here the features are synthetic but shaped like real embeddings
(unit-norm rows, a dominant shared direction, a decaying spectrum); the plot shows
cross-validated accuracy and, through ``sve_scorer``, the singular value entropy
of the features each model's head sees on the held-out folds.

Run: ``python examples/plot_lp_mlp_nmtune.py`` (well under a minute on 2 cores).
"""

import matplotlib.pyplot as plt
from sklearn.model_selection import GridSearchCV

from sknml import NMTuneClassifier
from sknml.datasets import make_embedding_like
from sknml.metrics import sve_scorer

data = make_embedding_like(600, 64, 5, class_sep=0.3, random_state=0)
X, y = data.data, data.target

grid = GridSearchCV(
    NMTuneClassifier(max_epochs=20, random_state=0),
    [
        {"n_layers": [0]},
        {
            "n_layers": [2],
            "lambda_mse": [0.0],
            "lambda_cov": [0.0],
            "lambda_svd": [0.0],
        },
        {"n_layers": [2], "lambda_cov": [0.01, 0.04], "svd_top_k": [1, 5]},
    ],
    scoring={"accuracy": "accuracy", "sve": sve_scorer},
    refit="accuracy",
    cv=3,
).fit(X, y)

labels = []
scores = grid.cv_results_["mean_test_accuracy"]
entropies = grid.cv_results_["mean_test_sve"]
for params, score in zip(grid.cv_results_["params"], scores, strict=True):
    if params["n_layers"] == 0:
        label = "LP"
    elif params.get("lambda_mse") == 0.0:
        label = "MLP"
    else:
        label = f"NMTune\ncov={params['lambda_cov']} k={params['svd_top_k']}"
    labels.append(label)
    print(f"{label.replace(chr(10), ' '):28s} CV accuracy {score:.4f}")

fig, (ax_acc, ax_sve) = plt.subplots(1, 2, figsize=(11, 4))
ax_acc.bar(labels, scores, color="tab:blue")
ax_acc.set_ylim(min(scores) - 0.02, max(scores) + 0.01)
ax_acc.set_ylabel("3-fold CV accuracy")
ax_sve.bar(labels, entropies, color="tab:orange")
ax_sve.set_ylabel("SVE of the features the head sees")
for ax in (ax_acc, ax_sve):
    ax.tick_params(axis="x", labelsize=8)
fig.suptitle(f"Best: {grid.best_params_}")
fig.tight_layout()
plt.show()
