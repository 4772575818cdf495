"""scikit-learn's (and imbalanced-learn's) common checks on every public estimator,
and the link of its HTML repr."""

import inspect

import pytest
import torch
from _named import Named
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_docs import documented_objects

import sknml
from sknml._docs import DOCS_URL
from sknml.noise import pair_flip_transition_matrix


def _public_estimators():
    """Every estimator class exported by ``sknml`` (``all_estimators``-style)."""
    objects = (getattr(sknml, name) for name in sknml.__all__)
    return [
        obj
        for obj in objects
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
    ]


# Instances to check, per class. Settings keep the checks fast; every class gets at
# least its default construction unless it has a required argument.
_INSTANCES = {
    # A shape-agnostic real module: the checks feed many numbers of features.
    "TorchEncoder": [
        sknml.TorchEncoder(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Tanh()))
    ],
    # Text input (tags say so): scikit-learn runs no data check on it;
    # test_encoders.py runs the data-free API checks and its own input tests.
    "FunctionEncoder": [sknml.FunctionEncoder(sknml.SentenceEncoder().fit_transform)],
    "NMTuneClassifier": [
        sknml.NMTuneClassifier(),
        sknml.NMTuneClassifier(n_layers=0),  # the linear probe
    ],
    # The default grid: 16 fits per check fit, about 3 minutes of one core in all.
    "NMTuneClassifierCV": [sknml.NMTuneClassifierCV()],
    "SymmetricLabelNoise": [
        sknml.SymmetricLabelNoise(),
        sknml.SymmetricLabelNoise(exclude_true=False, exact=False),
    ],
    # The number of classes changes from check to check: a fixed matrix would fail
    # every check with another class count, so a callable builds it from K at fit.
    "TransitionMatrixLabelNoise": [
        sknml.TransitionMatrixLabelNoise(Named(pair_flip_transition_matrix))
    ],
}

# Checks that cannot apply, per class name: {check name: reason}.
_EXPECTED_FAILED = {
    "NMTuneClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "a network trains by mini-batch descent: repeating a row changes the "
            "batches and the number of steps, so weight 2 equals a duplicated row "
            "only on average; the probe (n_layers=0) equals it to L-BFGS's "
            "tolerance, about 1e-5 in probability, not the check's 1e-7 "
            "(test_probe.py checks it to 1e-4)"
        ),
    },
    "NMTuneClassifierCV": {
        "check_sample_weight_equivalence_on_dense_data": (
            "its candidates are NMTuneClassifiers, trained by mini-batch descent "
            "(see above); test_tuner_cv.py checks that weights reach every fit"
        ),
    },
}


def _instances():
    return [
        instance
        for cls in _public_estimators()
        for instance in (
            _INSTANCES[cls.__name__] if cls.__name__ in _INSTANCES else [cls()]
        )
    ]


def _expected_failed_checks(estimator):
    return _EXPECTED_FAILED.get(type(estimator).__name__, {})


def test_every_public_estimator_is_checked():
    assert _public_estimators(), "sknml exports no estimator"


@parametrize_with_checks(_instances(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", _instances(), ids=lambda e: type(e).__name__)
def test_html_repr_links_to_the_api_page(estimator):
    """The "?" of the HTML repr opens the page autosummary generates for the class."""
    pages = {
        obj: name for name, obj in documented_objects().items() if isinstance(obj, type)
    }
    link = f"{DOCS_URL}generated/{pages[type(estimator)]}.html"
    assert estimator._get_doc_link() == link
    assert f'href="{link}"' in estimator._repr_html_()
