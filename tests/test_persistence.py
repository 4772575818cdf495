"""Model files: byte-identical round trips, and loading that never runs code."""

import json
import os
import pickle

import joblib
import numpy as np
import pytest
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknml import (
    ALLOWED_TYPES,
    NMTuneClassifier,
    NMTuneClassifierCV,
    SpectrumProbe,
    SymmetricLabelNoise,
    load_model,
    save_model,
)
from sknml._persistence import _FORMAT, _FORMAT_VERSION, _digest, _versions

_FAST = {"max_epochs": 2, "batch_size": 16, "device": "cpu", "random_state": 0}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = np.array(["cat", "dog", "emu"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    return X, y


@pytest.fixture(scope="module")
def tuner(data):
    return NMTuneClassifier(n_layers=2, residual=True, **_FAST).fit(*data)


def _round_trip(estimator, tmp_path):
    path = tmp_path / "model.sknml"
    save_model(estimator, path)
    return load_model(path)


def test_nmtune_round_trip_is_byte_identical(tuner, data, tmp_path):
    X, _ = data
    loaded = _round_trip(tuner, tmp_path)
    assert type(loaded) is NMTuneClassifier
    assert loaded.get_params() == tuner.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), tuner.predict_proba(X))
    np.testing.assert_array_equal(loaded.transform(X), tuner.transform(X))
    np.testing.assert_array_equal(loaded.predict(X), tuner.predict(X))
    np.testing.assert_array_equal(loaded.classes_, tuner.classes_)
    assert loaded.n_iter_ == tuner.n_iter_ == 2
    assert loaded.history_[-1]["train_loss"] == tuner.history_[-1]["train_loss"]


def test_unfitted_estimator_round_trip(tmp_path):
    loaded = _round_trip(NMTuneClassifier(lr=0.1, activation=None), tmp_path)
    assert loaded.get_params() == NMTuneClassifier(lr=0.1, activation=None).get_params()
    assert not hasattr(loaded, "net_")


def test_model_trained_on_another_device_loads_on_cpu(tuner, data, tmp_path):
    # What a CUDA fit leaves behind: device parameters naming the GPU. The file
    # holds CPU copies of every tensor, so loading needs no GPU.
    X, _ = data
    on_gpu = NMTuneClassifier(**{**tuner.get_params(), "device": "cuda"})
    fitted = {k: v for k, v in vars(tuner).items() if k not in tuner.get_params()}
    on_gpu.__dict__.update(fitted)
    on_gpu.device_ = "cuda:0"
    loaded = _round_trip(on_gpu, tmp_path)
    assert loaded.device == "cuda"
    assert loaded.device_ == "cpu"
    assert str(loaded.net_.device) == "cpu"
    assert all(p.device.type == "cpu" for p in loaded.net_.module_.parameters())
    np.testing.assert_array_equal(loaded.predict_proba(X), tuner.predict_proba(X))


def test_nmtune_cv_round_trip(data, tmp_path):
    X, y = data
    grid = [{"n_layers": [0]}, {"n_layers": [1], "max_epochs": [2]}]
    cv = NMTuneClassifierCV(grid, cv=2, device="cpu", random_state=0).fit(X, y)
    loaded = _round_trip(cv, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(X), cv.predict_proba(X))
    assert loaded.best_params_ == cv.best_params_
    np.testing.assert_array_equal(
        loaded.cv_results_["mean_test_score"], cv.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(
        loaded.cv_results_["param_max_epochs"].mask,
        cv.cv_results_["param_max_epochs"].mask,
    )


def test_spectrum_probe_round_trip(tmp_path):
    X = np.random.default_rng(1).normal(size=(40, 6))
    probe = SpectrumProbe(center="rows").fit(X)
    loaded = _round_trip(probe, tmp_path)
    np.testing.assert_array_equal(loaded.singular_values_, probe.singular_values_)
    assert (loaded.sve_, loaded.lsvr_) == (probe.sve_, probe.lsvr_)
    assert loaded.center == "rows"


def test_pipelines_round_trip(data, tmp_path):
    X, y = data
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    sk = make_pipeline(
        StandardScaler(),
        PCA(n_components=4),
        SpectrumProbe(),
        NMTuneClassifier(**_FAST),
    ).fit(frame, y)
    imb = ImbPipeline(
        [
            ("noise", SymmetricLabelNoise(noise_rate=0.2, random_state=0)),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression()),
        ]
    ).fit(X, y)
    for pipe, inputs in [(sk, frame), (imb, X)]:
        loaded = _round_trip(pipe, tmp_path)
        assert type(loaded) is type(pipe)
        assert [type(s) for s in loaded.named_steps.values()] == [
            type(s) for s in pipe.named_steps.values()
        ]
        np.testing.assert_array_equal(
            loaded.predict_proba(inputs), pipe.predict_proba(inputs)
        )
    np.testing.assert_array_equal(loaded[0].noise_mask_, imb[0].noise_mask_)
    loaded_sk = _round_trip(sk, tmp_path)
    np.testing.assert_array_equal(loaded_sk.feature_names_in_, sk.feature_names_in_)


def test_special_values_round_trip(tmp_path):
    probe = SpectrumProbe().fit(np.ones((3, 2)) + np.eye(3, 2))
    probe.extra_ = {
        "nan": np.float64("nan"),
        "inf": float("-inf"),
        2: (np.int32(7), None, [True, "x"]),
        "names": np.array(["a", None, 3], dtype=object),
        "rng": np.random.RandomState(3),
    }
    loaded = _round_trip(probe, tmp_path)
    extra = loaded.extra_
    assert np.isnan(extra["nan"]) and type(extra["nan"]) is np.float64
    assert extra["inf"] == float("-inf")
    assert extra[2] == (7, None, [True, "x"]) and type(extra[2][0]) is np.int32
    np.testing.assert_array_equal(extra["names"], probe.extra_["names"])
    assert extra["rng"].randint(1000) == np.random.RandomState(3).randint(1000)


def test_other_scikit_learn_version_warns(tmp_path):
    path = tmp_path / "model.sknml"
    node = {
        "t": "estimator",
        "type": "sknml.SpectrumProbe",
        "params": {"t": "dict", "items": []},
        "attrs": {"t": "dict", "items": []},
    }
    _forge(path, node, versions={"scikit-learn": "0.1"})
    with pytest.warns(UserWarning, match="saved with scikit-learn 0.1"):
        assert isinstance(load_model(path), SpectrumProbe)


def test_joblib_still_works(tuner, data, tmp_path):
    X, _ = data
    joblib.dump(tuner, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), tuner.predict_proba(X))


def test_unsupported_objects_are_refused_at_save(data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="the estimator.*not one a model file"):
        save_model(object(), tmp_path / "m")
    cv = NMTuneClassifierCV([{"n_layers": [0]}], cv=2, scoring=lambda e, X, y: 1.0)
    with pytest.raises(ValueError, match="function.*joblib"):
        save_model(cv, tmp_path / "m")


def _tamper(path, offset_from_end):
    data = bytearray(path.read_bytes())
    data[-offset_from_end] ^= 0xFF
    path.write_bytes(bytes(data))


def test_tampered_and_truncated_files_are_rejected(tuner, tmp_path):
    path = tmp_path / "model.sknml"
    save_model(tuner, path)
    good = path.read_bytes()
    _tamper(path, 3)  # a weight
    with pytest.raises(ValueError, match="does not match its SHA-256 digest"):
        load_model(path)
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="not a valid sknml model file"):
        load_model(path)
    path.write_bytes(good[:5])
    with pytest.raises(ValueError, match="not a valid sknml model file"):
        load_model(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="not a valid sknml model file"):
        load_model(path)


def _forge(path, estimator_node, versions=None):
    """A well-formed file, digest included, as an attacker could write it."""
    import safetensors.numpy

    tensors = {}
    document = json.dumps(
        {
            "version": _FORMAT_VERSION,
            "versions": versions or _versions(),
            "estimator": estimator_node,
        }
    )
    metadata = {
        "format": _FORMAT,
        "model": document,
        "sha256": _digest(document, tensors),
    }
    path.write_bytes(safetensors.numpy.save(tensors, metadata=metadata))


class _Exploit:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


def test_pickled_payload_is_refused_without_running(tmp_path):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "model.sknml"
    path.write_bytes(pickle.dumps(_Exploit(sentinel)))
    with pytest.raises(ValueError, match="not a valid sknml model file"):
        load_model(path)
    joblib.dump(_Exploit(sentinel), path)
    with pytest.raises(ValueError, match="not a valid sknml model file"):
        load_model(path)
    assert not sentinel.exists()


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "sknml.save_model"])
def test_type_outside_the_allowed_set_is_refused(tmp_path, name):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "model.sknml"
    node = {
        "t": "estimator",
        "type": name,
        "params": {"t": "dict", "items": [["command", f"touch {sentinel}"]]},
        "attrs": {"t": "dict", "items": []},
    }
    _forge(path, node)
    with pytest.raises(ValueError, match=f"type '{name}', which is not in the allowed"):
        load_model(path)
    assert not sentinel.exists()


def test_nested_disallowed_type_and_dunder_attribute_are_refused(tmp_path):
    path = tmp_path / "model.sknml"
    evil = {
        "t": "estimator",
        "type": "subprocess.Popen",
        "params": {"t": "dict", "items": []},
        "attrs": {"t": "dict", "items": []},
    }
    node = {
        "t": "estimator",
        "type": "sklearn.pipeline.Pipeline",
        "params": {
            "t": "dict",
            "items": [["steps", [{"t": "tuple", "items": ["x", evil]}]]],
        },
        "attrs": {"t": "dict", "items": []},
    }
    _forge(path, node)
    with pytest.raises(ValueError, match="'subprocess.Popen'"):
        load_model(path)
    node = {
        "t": "estimator",
        "type": "sknml.SpectrumProbe",
        "params": {"t": "dict", "items": []},
        "attrs": {"t": "dict", "items": [["__class__", None]]},
    }
    _forge(path, node)
    with pytest.raises(ValueError, match="Unexpected attribute '__class__'"):
        load_model(path)


class NearestCentroid(ClassifierMixin, BaseEstimator):
    """A user's own estimator, to register for model files."""

    def __init__(self, shrink=0.0):
        self.shrink = shrink

    def fit(self, X, y):
        self.classes_, index = np.unique(y, return_inverse=True)
        self.centroids_ = np.stack(
            [
                X[index == k].mean(axis=0) * (1 - self.shrink)
                for k in range(len(self.classes_))
            ]
        )
        return self

    def predict(self, X):
        distances = ((X[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2)
        return self.classes_[distances.argmin(axis=1)]


def test_a_registered_user_estimator_round_trips(data, tmp_path):
    X, y = data
    model = make_pipeline(StandardScaler(), NearestCentroid(shrink=0.1)).fit(X, y)
    with pytest.raises(ValueError, match="register"):
        save_model(model, tmp_path / "model.sknml")
    name = ALLOWED_TYPES.register(NearestCentroid)
    assert name == f"{__name__}.NearestCentroid" and name in ALLOWED_TYPES
    assert ALLOWED_TYPES.register(NearestCentroid) == name  # twice: a no-op
    loaded = _round_trip(model, tmp_path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded[-1].shrink == 0.1


def test_register_refuses_a_name_that_does_not_import_the_class():
    with pytest.raises(ValueError, match="does not import"):
        ALLOWED_TYPES.register(NearestCentroid, "sklearn.svm.SVC")
    with pytest.raises(TypeError, match="expects a class"):
        ALLOWED_TYPES.register("sklearn.svm.SVC")
