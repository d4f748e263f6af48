"""Smoke tests of the benchmark scripts on tiny synthetic data: each runs, writes its figures, ends with its summary.

They check that the scripts work, never how fast anything is.
"""

import json
import math

import pytest
import torch
from PIL import Image

from bench import inference, quality, train_speed
from sslmodel.holes import EVAL_FAMILIES


@pytest.fixture(autouse=True)
def one_thread():
    """The work here is tiny: one thread keeps it quick even when other jobs hold the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_quality(image_folder, bundle, tmp_path, capsys):
    grid, figures = tmp_path / "grid.png", tmp_path / "quality.json"
    assert quality.main(["--data", str(image_folder), "--no-shipped", "--model", str(bundle), "--grid", str(grid),
                         "--json", str(figures)]) == 0
    assert last_line(capsys).startswith(f"quality: {bundle} ")
    result = json.loads(figures.read_text())
    assert result["images"] == 4 and result["reference"] == str(bundle)
    assert list(result["results"]) == ["mean fill", "OpenCV Telea", "OpenCV NS", str(bundle)]
    for scores in result["results"].values():
        assert set(scores) == set(EVAL_FAMILIES)
        assert all(math.isfinite(s["hole_psnr"]) and 0 < s["ssim"] <= 1 for s in scores.values())
    for family, m in result["margin"].items():
        best = max(result["results"][name][family]["hole_psnr"] for name in ("OpenCV Telea", "OpenCV NS"))
        assert math.isclose(m["margin"], result["results"][str(bundle)][family]["hole_psnr"] - best)
    with Image.open(grid) as picture:  # rows: original, masked, 3 classical methods, the model
        assert picture.height > 6 * 32 * quality.GRID_SCALE and picture.width > 5 * 32 * quality.GRID_SCALE


def test_quality_without_models(image_folder, tmp_path, capsys):
    assert quality.main(["--data", str(image_folder), "--no-shipped", "--images", "2",
                         "--grid", str(tmp_path / "grid.png")]) == 0
    assert last_line(capsys).startswith("quality: no model evaluated; best OpenCV hole PSNR")


@pytest.mark.slow
def test_train_speed_from_logs(image_folder, tmp_path, capsys):
    run, tutorial = tmp_path / "run", tmp_path / "tutorial"
    run.mkdir()
    tutorial.mkdir()
    rows = [{"epoch": e, "elapsed_seconds": 10.0 * e, "val_hole_psnr": {"pixels": psnr}}
            for e, psnr in ((1, 18.0), (2, 21.5), (3, 23.0))]
    (run / "log.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (tutorial / "config.json").write_text(json.dumps({"metrics": {"pixels": {"hole_psnr": 21.0}},
                                                      "training": {"wall_time_seconds": 1000.0,
                                                                   "epochs_completed": 5}}))
    figures = tmp_path / "speed.json"
    assert train_speed.main(["--data", str(image_folder), "--images", "16", "--default", str(run),
                             "--tutorial", str(tutorial), "--json", str(figures)]) == 0
    summary = last_line(capsys)
    assert summary.startswith("train_speed: ours ") and "after 20 s = 1/50.0 of the tutorial's 1000 s" in summary
    result = json.loads(figures.read_text())
    assert result["pipelines"]["images"] == 16
    assert result["pipelines"]["speedup"] > 0
    timing = result["time_to_tutorial_quality"]
    assert timing["epoch"] == 2 and timing["seconds"] == 20.0 and math.isclose(timing["ratio"], 0.02)


@pytest.mark.slow
def test_train_speed_skips_missing_bundles(image_folder, tmp_path, capsys):
    assert train_speed.main(["--data", str(image_folder), "--images", "8", "--default", str(tmp_path / "none"),
                             "--tutorial", str(tmp_path / "none")]) == 0
    assert "time to tutorial quality skipped (no training history" in last_line(capsys)


def test_inference(bundle, tmp_path, capsys):
    figures = tmp_path / "inference.json"
    assert inference.main(["--no-shipped", "--model", str(bundle), "--repeats", "3", "--warm-up", "1",
                           "--json", str(figures)]) == 0
    assert last_line(capsys).startswith(f"inference: {bundle} ")
    timing = json.loads(figures.read_text())["models"][str(bundle)]
    assert 0 < timing["latency_ms_median"] <= timing["latency_ms_p95"] and timing["batch_images_per_second"] > 0


def test_inference_without_models(capsys):
    assert inference.main(["--no-shipped"]) == 1
    assert last_line(capsys).startswith("inference: no model to time")
