"""The documentation site, and the link to it in each estimator's HTML repr."""

#: Address of the published documentation (the package's ``Documentation`` URL).
DOCS_URL = "https://sknml.readthedocs.io/en/stable/"


class DocLinkMixin:
    """Link the estimator's HTML repr to its API page, as scikit-learn's estimators do.

    scikit-learn's HTML repr shows a "?" that opens ``_doc_link_template`` filled
    with the class name and its public module, the module up to its first private
    part (``sknml`` for ``sknml._tuner``, ``sknml.noise`` for
    ``sknml.noise._samplers``): the page the API reference generates for the class.
    Put it first among the bases, before ``BaseEstimator``.
    """

    _doc_link_module = "sknml"
    _doc_link_template = DOCS_URL + "generated/{estimator_module}.{estimator_name}.html"
