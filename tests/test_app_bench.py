"""bench/app_latency.py runs against a tiny bundle, bench/ui_latency.py against the shipped page, each ending with its
summary line (smoke tests, not speed tests)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from app_inputs import MODEL_NAMES
from bench import app_latency

ROOT = Path(__file__).resolve().parent.parent

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


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's Chromium is not installed")
def test_ui_latency_times_two_checkouts_pages_side_by_side(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))  # as when a bench script runs: its helpers import as modules
    ui_latency = importlib.import_module("ui_latency")
    figures = tmp_path / "ui.json"
    assert ui_latency.main(["--actions", "1", "--warm-up", "0", "--against", str(ROOT), "--json", str(figures)]) == 0
    result = json.loads(figures.read_text())
    assert result["other checkout"] == str(ROOT) and list(result["pages"]) == ["this checkout", "other checkout"]
    for page in result["pages"].values():
        assert list(page) == list(ui_latency.ACTIONS)
        assert all(row["actions"] + row["dropped"] == 1 and row["p50_ms"] > 0 for row in page.values())
    output = capsys.readouterr().out
    assert "p50 ratio" in output and output.strip().splitlines()[-1].startswith("ui_latency (other checkout): ")
