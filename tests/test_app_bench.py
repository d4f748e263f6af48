"""bench/app_latency.py runs against a tiny bundle and ends with its summary line (a smoke test, not a speed test)."""

from __future__ import annotations

import pytest

import json

from app_inputs import MODEL_NAMES
from bench import app_latency

pytestmark = pytest.mark.slow  # launches a server


def test_app_latency_reports_both_modes(tiny_bundles, tmp_path, capsys):
    figures = tmp_path / "latency.json"
    assert app_latency.main(["--model", str(tiny_bundles[MODEL_NAMES[0]]), "--requests", "4", "--clients", "2",
                             "--warm-up", "1", "--json", str(figures)]) == 0
    output = capsys.readouterr().out.strip().splitlines()
    assert output[-1].startswith("app_latency: /inpaint p50 ") and "2 concurrent clients" in output[-1]
    result = json.loads(figures.read_text())
    for mode in ("floor", "sequential", "concurrent"):
        assert result[mode]["requests"] == 4 and 0 < result[mode]["p50_ms"] <= result[mode]["p95_ms"]
    assert result["p50_over_floor"] == result["sequential"]["p50_ms"] / result["floor"]["p50_ms"]
    assert "x the do-nothing endpoint's p50" in output[-1]


def test_app_latency_without_a_model_says_so(tmp_path, capsys):
    assert app_latency.main(["--model", str(tmp_path / "missing")]) == 1
