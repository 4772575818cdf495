"""Encoders: scikit-learn transformers from raw inputs to feature matrices.

The paper's setting starts from a frozen pre-trained model ``f`` that maps an input
to a feature vector; only what sits on top of ``f`` is trained. These transformers
are that ``f`` as the first step of a :class:`~sklearn.pipeline.Pipeline`:

- :class:`TorchEncoder` applies any frozen :class:`torch.nn.Module` to arrays of
  inputs (images, signals, token ids).
- :class:`SentenceEncoder` embeds texts with a sentence-transformers model, by
  default the bundled all-MiniLM-L6-v2 (no network needed).
- :class:`FunctionEncoder` wraps an embedding API (a callable from a list of inputs
  to vectors) with batching, caching and retries: the paper's "API" setting.

All three return ``(n_samples, n_features_out_)`` float32 matrices and never train
the model they wrap.
"""

from sknml.encoders._function import FunctionEncoder
from sknml.encoders._sentence import SentenceEncoder
from sknml.encoders._torch import TorchEncoder

__all__ = ["FunctionEncoder", "SentenceEncoder", "TorchEncoder"]
