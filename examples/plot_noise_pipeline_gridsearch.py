"""
===========================================================
Label noise in a pipeline, and a grid search over lambda
===========================================================

The resamplers of :mod:`sknml.noise` flip a share of the training labels inside an
imbalanced-learn :class:`~imblearn.pipeline.Pipeline`. A resampler runs only when
the pipeline is fitted, so in a cross-validated search every training fold gets
noisy labels while every validation fold is scored against its clean labels: the
search measures how well each setting resists the noise.

Here :class:`~sknml.NMTuneClassifier` is trained on features shaped like real
embeddings, with 40% of the training labels flipped by
:class:`~sknml.noise.SymmetricLabelNoise`, and ``GridSearchCV`` varies ``lambda_cov``,
the weight of the covariance regularizer (the other two weights keep their
defaults). Each network trains a fixed 30 epochs (``early_stopping=False``): with
early stopping on these few rows the networks would keep the linear probe they
start from, and every setting would score the same.
"""

import matplotlib.pyplot as plt
import numpy as np
from imblearn.pipeline import Pipeline
from sklearn.model_selection import GridSearchCV

from sknml import NMTuneClassifier, SymmetricLabelNoise
from sknml.datasets import make_embedding_like

data = make_embedding_like(600, 32, 4, class_sep=0.5, random_state=0)
X, y = data.data, data.target

pipe = Pipeline(
    [
        ("noise", SymmetricLabelNoise(noise_rate=0.4, random_state=0)),
        (
            "clf",
            NMTuneClassifier(early_stopping=False, max_epochs=30, random_state=0),
        ),
    ]
)
lambdas = [0.0, 0.03, 0.3, 3.0]
search = GridSearchCV(
    pipe,
    {"clf__lambda_cov": lambdas, "noise__noise_rate": [0.0, 0.4]},
    cv=3,
).fit(X, y)
print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# Validation accuracy (clean labels) per ``lambda_cov`` and training noise
# -------------------------------------------------------------------------
results = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for rate in (0.0, 0.4):
    rows = np.flatnonzero(results["param_noise__noise_rate"] == rate)
    ax.errorbar(
        lambdas,
        results["mean_test_score"][rows],
        yerr=results["std_test_score"][rows],
        marker="o",
        capsize=3,
        label=f"{rate:.0%} of training labels flipped",
    )
ax.set_xscale("symlog", linthresh=0.03)
ax.set_xlabel("lambda_cov")
ax.set_ylabel("3-fold validation accuracy")
ax.legend()
fig.tight_layout()
plt.show()
