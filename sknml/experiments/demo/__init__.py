"""The package's main job: ``sknml demo`` and ``sknml benchmark``.

Both start from raw texts and a noisy foundation model (all-MiniLM-L6-v2, pre-trained
on about a billion noisy web sentence pairs), embed the four sentiment domains of
Hutto & Gilbert once (cached), and compare what can be trained on the frozen
features: the linear probe (LP), MLP tuning and NMTune, with scikit-learn's logistic
regression as an outside reference, in-domain (ID: a held-out split of the training
domain) and out-of-domain (OOD: the other domains). The networks start at the probe
and keep it unless a trained epoch beats it by more than chance; ``MLP-trained`` and
``NMTune-trained`` are the same networks with ``keep_start=False`` (the most
accurate trained epoch), and every record says which epoch each network kept.

- ``sknml demo``: train on one domain (movie), 3 seeds, a table (also as
  ``table.md``), ``results.json`` and a figure (accuracy per domain, and the
  singular value spectrum of each method's features).
- ``sknml benchmark``: every domain as the training domain in turn, the paper's
  Table 2 layout, written as Markdown.

Hyper-parameters are the package's defaults, not the paper's (``docs/tuner.md`` says
how they were chosen); nothing is tuned on any test split.
"""
