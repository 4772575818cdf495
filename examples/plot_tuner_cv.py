"""
==================================================================
NMTuneClassifierCV: the head chosen by inner cross-validation
==================================================================

:class:`~sknml.NMTuneClassifierCV` is to :class:`~sknml.NMTuneClassifier` what
``LogisticRegressionCV`` is to ``LogisticRegression``: it cross-validates a grid of
candidates on the training set, keeps by default the simplest one whose score is
within one standard error of the best, and refits it on all the data.

Here the candidates are the linear probe, plain MLP tuning and NMTune with two
weights of the covariance regularizer, on features shaped like real embeddings.
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
candidates = {
    "LP": {"n_layers": [0]},
    "MLP": {"lambda_mse": [0.0], "lambda_cov": [0.0], "lambda_svd": [0.0]},
    "NMTune": {},
    "NMTune cov=0.3": {"lambda_cov": [0.3]},
}
model = NMTuneClassifierCV(list(candidates.values()), cv=3, random_state=0)
model.fit(X_train, y_train)
print("chosen:", model.best_params_)
print(f"test accuracy of the refitted model: {model.score(X_test, y_test):.3f}")

# %%
# Cross-validated accuracy of each candidate
# ------------------------------------------
results = model.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
positions = np.arange(len(candidates))
colors = ["tab:orange" if i == model.best_index_ else "tab:blue" for i in positions]
ax.bar(
    positions,
    results["mean_test_score"],
    yerr=results["std_test_score"],
    color=colors,
    capsize=4,
)
ax.set_xticks(positions, list(candidates))
ax.set_ylabel("3-fold accuracy (training set)")
ax.set_title("orange: the candidate NMTuneClassifierCV refitted")
lowest = results["mean_test_score"].min() - 2 * results["std_test_score"].max()
ax.set_ylim(max(0.0, lowest), 1.0)
fig.tight_layout()
plt.show()
