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


class _LazyTuner(torch.nn.Module):
    """A module of any input width returning NMTune's ``(logits, z, x)``."""

    def __init__(self, n_classes=3):
        super().__init__()
        self.g = torch.nn.LazyLinear(4)
        self.head = torch.nn.LazyLinear(n_classes)

    def forward(self, x):
        z = torch.tanh(self.g(x.float()))
        return self.head(z), z, z


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
    "NMTuneNet": [
        sknml.NMTuneNet(_LazyTuner, max_epochs=2, train_split=None, verbose=0)
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

# NMTuneNet is a skorch net: its API is skorch's, which departs from
# scikit-learn's estimator contract on purpose in these checks.
_SKORCH = {
    "skorch's NeuralNet records its state (history_, initialized_) and stores "
    "prefixed arguments such as module__n_classes in __init__": [
        "check_no_attributes_set_in_init",
    ],
    "skorch passes data to torch as a Dataset holds it (arrays, tensors, dicts), "
    "without scikit-learn's input validation: it records no n_features_in_ and "
    "leaves bad input (empty, NaN, sparse, complex, object, 1-D, 2-D y, "
    "continuous y, one class, changing widths) to fail in torch": [
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_complex_data",
        "check_dtype_object",
        "check_estimators_empty_data_messages",
        "check_estimators_nan_inf",
        "check_estimator_sparse_tag",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_classifier_data_not_an_array",
        "check_classifiers_one_label",
        "check_classifiers_regression_target",
        "check_supervised_y_no_nan",
        "check_supervised_y_2d",
        "check_fit2d_predict1d",
        "check_requires_y_none",
        "check_estimators_partial_fit_n_features",
    ],
    "skorch's NeuralNetClassifier trains on class indices and predicts them: "
    "labels of other types are not encoded": [
        "check_classifiers_classes",
        "check_classifiers_train",
    ],
    "skorch's set_params re-initializes the component a parameter belongs to and "
    "refuses the check's arbitrary values": ["check_set_params"],
    "each skorch fit draws new initial weights from torch's global RNG; seed it "
    "with torch.manual_seed for identical fits": ["check_fit_idempotent"],
}

# Checks that cannot apply, per class name: {check name: reason}.
_EXPECTED_FAILED = {
    "NMTuneNet": {
        check: reason for reason, checks in _SKORCH.items() for check in checks
    },
    "NMTuneClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "a network trains by mini-batch descent: repeating a row changes the "
            "batches and the number of steps, so weight 2 equals a duplicated row "
            "only on average; the probe (n_layers=0) equals it to L-BFGS's "
            "tolerance, about 1e-4 in probability, not the check's 1e-7 "
            "(test_probe.py checks it to 2e-4)"
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
