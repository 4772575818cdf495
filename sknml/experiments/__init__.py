"""The applications built on the library: what ``sknml`` runs on the command line.

- :mod:`sknml.experiments.demo`: ``sknml demo`` and ``sknml benchmark``, LP, MLP
  and NMTune on MiniLM features of four sentiment domains, in and out of domain.
- :mod:`sknml.experiments.study`: ``sknml study``, a CNN pre-trained on
  Fashion-MNIST with label noise, its feature spectrum and NMTune's mitigation.

Each is split by job (data, runs, reporting, command line); the pieces they share
(cache folder, environment record, command echo, argument types, the three
compared tuners) are in ``sknml.experiments._common``.
"""
