"""Callables with a stable repr for estimator parameters in parametrized checks.

scikit-learn's and imbalanced-learn's ``parametrize_with_checks`` name each test
after the estimator's repr; a function's repr holds its memory address, which
differs between pytest-xdist workers and breaks their collection.
"""


class Named:
    """``func(*args, **kwargs)`` that prints as ``func_name(kwargs)``."""

    def __init__(self, func, **kwargs):
        self.func = func
        self.kwargs = kwargs

    def __call__(self, *args):
        return self.func(*args, **self.kwargs)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.kwargs.items())
        return f"{self.func.__name__}({arguments})"
