"""The API reference lists every public name; the getting-started page runs."""

import importlib
import re
from pathlib import Path

import pytest

import sknml

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
SUBMODULES = ["metrics", "noise", "encoders", "datasets", "plot", "utils"]
# Public modules below sknml.experiments whose API is documented as well.
APPLICATIONS = ["experiments.study"]


def documented_objects():
    """The objects the autosummary tables of docs/api.rst resolve to."""
    objects = {}
    module, in_table = "sknml", False
    for line in API.read_text(encoding="utf-8").splitlines():
        entry = line.strip()
        if entry.startswith((".. currentmodule::", ".. py:module::")):
            module, in_table = entry.split("::")[1].strip(), False
        elif entry == ".. autosummary::":
            in_table = True
        elif in_table and line and not line[0].isspace():
            in_table = False
        elif in_table and entry and not entry.startswith(":"):
            owner, _, attr = f"{module}.{entry}".rpartition(".")
            objects[f"{module}.{entry}"] = getattr(importlib.import_module(owner), attr)
    return objects


def _public_names():
    """(where, name, object) for sknml.__all__ and each public submodule's."""
    rows = [
        ("sknml", n, getattr(sknml, n)) for n in sknml.__all__ if n != "__version__"
    ]
    for sub in SUBMODULES + APPLICATIONS:
        module = importlib.import_module(f"sknml.{sub}")
        rows += [(module.__name__, n, getattr(module, n)) for n in module.__all__]
    return rows


def test_api_entries_resolve():
    assert documented_objects(), "no autosummary entries found in docs/api.rst"


@pytest.mark.parametrize(
    "where, name, obj", _public_names(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_public_name_in_api_reference(where, name, obj):
    assert any(obj is doc for doc in documented_objects().values()), (
        f"{where}.{name} is public but has no entry in docs/api.rst"
    )


def test_every_public_submodule_is_checked():
    public = {
        path.stem if path.suffix else path.name
        for path in Path(sknml.__file__).parent.iterdir()
        if not path.name.startswith("_")
        and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert public - {"experiments"} == set(SUBMODULES)


def test_getting_started_runs_as_written(tmp_path, monkeypatch):
    """The getting-started page's code blocks run, in order, in one namespace."""
    page = API.parent / "getting_started.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)
    assert namespace["cv"].score(namespace["X_test"], namespace["y_test"]) > 0.9
