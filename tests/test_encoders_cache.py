"""The embedding cache shared by the encoders: damage, concurrency, collisions."""

import functools
import multiprocessing
import os
import shutil
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

import sknml.encoders._cache
from sknml.encoders import FunctionEncoder

TEXTS = [f"text number {i}" for i in range(12)]
MANY_TEXTS = TEXTS + [f"more text {i}" for i in range(40)]


# Every input sent to _api; the cache identifies _api by code, not by this list.
SENT = []


def _api(texts, width=8):
    """Character-count vectors of a fixed width: a local stand-in for an API."""
    SENT.extend(texts)
    vectorizer = HashingVectorizer(
        n_features=width, alternate_sign=False, analyzer="char"
    )
    return vectorizer.transform(texts)


@pytest.fixture(autouse=True)
def _nothing_sent_yet():
    SENT.clear()


def _expected(texts, width=8):
    vectors = np.asarray(_api(texts, width).toarray(), dtype=np.float32)
    SENT[len(SENT) - len(texts) :] = []
    return vectors


def _entries(folder):
    return sorted(folder.rglob("*.npz"))


def _damage(file, kind, cut):
    if kind == "truncated":
        data = file.read_bytes()
        file.write_bytes(data[: int(cut * len(data))])
    elif kind == "garbage":
        file.write_bytes(os.urandom(int(cut * 200)))
    elif kind == "nan":
        with np.load(file) as data:
            keys, vectors = data["keys"], data["vectors"].copy()
        vectors.flat[int(cut * (vectors.size - 1))] = np.nan
        np.savez(file, keys=keys, vectors=vectors)
    elif kind == "mismatched keys":
        with np.load(file) as data:
            np.savez(file, keys=data["keys"][:-1], vectors=data["vectors"])
    elif kind == "no vectors":
        with np.load(file) as data:
            np.savez(file, keys=data["keys"])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    kind=st.sampled_from(
        ["truncated", "garbage", "nan", "mismatched keys", "no vectors"]
    ),
    cut=st.floats(0.0, 0.99),
)
def test_any_damaged_entry_is_recomputed_with_a_warning(tmp_path_factory, kind, cut):
    folder = tmp_path_factory.mktemp("cache")
    FunctionEncoder(_api, cache=folder).fit_transform(TEXTS)
    (entry,) = _entries(folder)
    _damage(entry, kind, cut)
    SENT.clear()
    with pytest.warns(UserWarning, match="damaged.*embedded again"):
        X = FunctionEncoder(_api, cache=folder).fit_transform(TEXTS)
    np.testing.assert_array_equal(X, _expected(TEXTS))
    assert sorted(SENT) == sorted(TEXTS)
    # The damaged entry is gone: the next run is all hits, and silent.
    SENT.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FunctionEncoder(_api, cache=folder).fit_transform(TEXTS)
    assert SENT == []


def test_temporary_files_are_never_read(tmp_path):
    FunctionEncoder(_api, cache=tmp_path).fit_transform(TEXTS[:2])
    (namespace,) = tmp_path.iterdir()
    # What an interrupted writer leaves, under today's and yesterday's names.
    (namespace / ".0123.tmp").write_bytes(b"PK\x03\x04 half")
    (namespace / ".4567.tmp.npz").write_bytes(b"PK\x03\x04 half")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X = FunctionEncoder(_api, cache=tmp_path).fit_transform(TEXTS)
    np.testing.assert_array_equal(X, _expected(TEXTS))
    assert (namespace / ".4567.tmp.npz").exists()  # not ours to delete


def _write_concurrently(folder, seed, n_calls, queue):
    try:
        rng = np.random.default_rng(seed)
        encoder = FunctionEncoder(_api, cache=folder)
        for _ in range(n_calls):
            texts = list(rng.choice(MANY_TEXTS, size=5))
            np.testing.assert_array_equal(
                encoder.fit_transform(texts), _expected(texts)
            )
        queue.put(None)
    except BaseException as exc:  # reported to the parent, which fails the test
        queue.put(repr(exc))


def test_concurrent_writers_share_one_cache_safely(tmp_path, monkeypatch):
    # Merge often, so that merges and writes of the processes overlap.
    monkeypatch.setattr(sknml.encoders._cache._EmbeddingStore, "_MAX_FILES", 3)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_write_concurrently, args=(tmp_path, seed, 40, queue))
        for seed in range(3)
    ]
    try:
        for worker in workers:
            worker.start()
        errors = [queue.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
    assert errors == [None, None, None]


def test_a_cache_path_that_is_a_file_fails_before_any_work(tmp_path):
    file = tmp_path / "cache.txt"
    file.write_text("not a folder")
    for cache in (file, file / "below"):
        with pytest.raises(ValueError, match="is a file|cannot be a folder"):
            FunctionEncoder(_api, cache=cache).fit_transform(TEXTS)
    assert SENT == []


def test_missing_parents_of_the_cache_are_created(tmp_path):
    cache = tmp_path / "a" / "b" / "c"
    FunctionEncoder(_api, cache=cache).fit_transform(TEXTS)
    assert len(_entries(cache)) == 1


def test_read_only_cache_serves_hits_and_computes_misses(tmp_path, monkeypatch):
    FunctionEncoder(_api, cache=tmp_path).fit_transform(TEXTS[:6])

    def refuse(*args):
        raise PermissionError("read-only file system")

    # chmod cannot stop root; refuse the write where it happens instead.
    monkeypatch.setattr(sknml.encoders._cache.os, "replace", refuse)
    SENT.clear()
    with pytest.warns(UserWarning, match="returned but not cached"):
        X = FunctionEncoder(_api, cache=tmp_path).fit_transform(TEXTS)
    np.testing.assert_array_equal(X, _expected(TEXTS))
    assert sorted(SENT) == sorted(TEXTS[6:])
    assert not list(tmp_path.rglob(".*.tmp"))


def test_cache_deleted_between_calls_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    encoder = FunctionEncoder(_api, cache=cache).fit(TEXTS)
    shutil.rmtree(cache)
    np.testing.assert_array_equal(encoder.transform(TEXTS), _expected(TEXTS))
    assert len(_entries(cache)) == 1


def test_cache_deleted_while_embedding_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"

    def deleting_api(texts):
        shutil.rmtree(cache, ignore_errors=True)
        return _api(texts)

    encoder = FunctionEncoder(deleting_api, cache=cache)
    np.testing.assert_array_equal(encoder.fit_transform(TEXTS), _expected(TEXTS))
    assert len(_entries(cache)) == 1


def _closure(scale):
    def embed(texts):
        return [[scale * len(text), 1.0] for text in texts]

    return embed


def _scaled(texts, scale):
    return [[scale * len(text), 1.0] for text in texts]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (lambda t: [[len(x), 0.0] for x in t], lambda t: [[0.0, len(x)] for x in t]),
        (_closure(1.0), _closure(2.0)),
        (functools.partial(_scaled, scale=1.0), functools.partial(_scaled, scale=3.0)),
        (
            HashingVectorizer(n_features=16).transform,
            HashingVectorizer(n_features=32).transform,
        ),
    ],
    ids=["lambdas", "closures", "partials", "bound methods"],
)
def test_different_functions_never_share_cached_vectors(tmp_path, first, second):
    X_first = FunctionEncoder(first, cache=tmp_path).fit_transform(TEXTS)
    X_second = FunctionEncoder(second, cache=tmp_path).fit_transform(TEXTS)
    np.testing.assert_array_equal(
        X_second, FunctionEncoder(second).fit_transform(TEXTS)
    )
    assert not np.array_equal(X_first, X_second)
    # The same function again is all hits.
    FunctionEncoder(_api, cache=tmp_path).fit_transform(TEXTS)
    SENT.clear()
    FunctionEncoder(_api, cache=tmp_path).fit_transform(TEXTS)
    assert SENT == []


def test_one_cache_key_for_two_widths_is_detected(tmp_path):
    FunctionEncoder(_api, cache=tmp_path, cache_key="api").fit(TEXTS[:4])
    other = FunctionEncoder(
        functools.partial(_api, width=16), cache=tmp_path, cache_key="api"
    )
    with pytest.raises(ValueError, match="8 and of 16 features.*cache_key"):
        other.fit_transform(TEXTS)


def test_a_cache_entry_rewritten_with_another_width_is_detected(tmp_path):
    encoder = FunctionEncoder(_api, cache=tmp_path).fit(TEXTS[:4])
    (entry,) = _entries(tmp_path)
    with np.load(entry) as data:
        np.savez(entry, keys=data["keys"], vectors=np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="3 and of 8 features"):
        encoder.transform(TEXTS)
    with pytest.raises(ValueError, match="3 features per input, 8 in fit"):
        encoder.transform(TEXTS[:1])


@pytest.mark.parametrize("cache", [None, "folder"])
def test_lone_surrogates_are_inputs_like_any_other(tmp_path, cache):
    texts = ["\ud800", "fine", "\udfff tail"]
    encoder = FunctionEncoder(
        lambda t: [[float(len(x))] for x in t],
        cache=None if cache is None else tmp_path,
    )
    np.testing.assert_array_equal(encoder.fit_transform(texts), [[1.0], [4.0], [6.0]])


def test_complex_output_is_refused():
    with pytest.raises(ValueError, match="complex"):
        FunctionEncoder(lambda t: np.ones((len(t), 2)) * 1j).fit_transform(["a"])
