"""The GPU check script runs end to end (on the CPU here, with tiny sizes)."""

import runpy
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "bench_gpu.py"


def test_the_gpu_check_runs_and_writes_its_table(tmp_path, monkeypatch):
    out = tmp_path / "check.md"
    argv = [
        "--rows",
        "600",
        "--features",
        "16",
        "--epochs",
        "1",
        "--agree-rows",
        "300",
        "--out",
        str(out),
    ]
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *argv])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    table = out.read_text()
    assert exit_info.value.code == 0, table
    for method in ("lp", "mlp", "nmtune"):
        assert f"| {method} |" in table
    assert "tolerance 1e-3, met" in table
