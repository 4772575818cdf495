"""scikit-learn's (and imbalanced-learn's) common checks on every public estimator."""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sknml


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
_INSTANCES = {}

# Checks that cannot apply, per class name: {check name: reason}.
_EXPECTED_FAILED = {}


def _instances():
    return [
        instance
        for cls in _public_estimators()
        for instance in _INSTANCES.get(cls.__name__, [cls()])
    ]


def _expected_failed_checks(estimator):
    return _EXPECTED_FAILED.get(type(estimator).__name__, {})


def test_every_public_estimator_is_checked():
    assert _public_estimators(), "sknml exports no estimator"


@parametrize_with_checks(_instances(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
