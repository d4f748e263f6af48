"""Smoke tests of the benchmark scripts on tiny synthetic data: each runs, writes its figures, ends with its summary.

They check that the scripts work, never how fast anything is.
"""

import json
import math

import pytest
import torch
from PIL import Image

from bench import inference, objectives, quality, train_speed
from sslmodel import holes
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


def write_tutorial_bundle_config(folder, target: float) -> None:
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "metrics": {"pixels": {"hole_psnr": target}},
        "training": {"wall_time_seconds": 1000.0, "epochs_completed": 5, "train_images": 45000}}))


TINY_SPEED = ["--images", "16", "--bf16-images", "8", "--repeats", "1", "--budget", "64", "--check-every", "32",
              "--no-compile"]


@pytest.mark.slow
def test_train_speed(image_folder, tmp_path, capsys):
    tutorial = tmp_path / "tutorial"
    write_tutorial_bundle_config(tutorial, target=5.0)  # reached at the first scoring
    figures = tmp_path / "speed.json"
    assert train_speed.main(["--data", str(image_folder), *TINY_SPEED, "--tutorial", str(tutorial),
                             "--json", str(figures)]) == 0
    summary = last_line(capsys)
    assert summary.startswith("train_speed: default step ") and "x (target 2x)" in summary
    assert "5.00 dB reached in" in summary and "of the recorded 1000 s (target 1/10)" in summary
    result = json.loads(figures.read_text())
    step = result["default_step"]
    assert step["images"] == 16 and step["precision_auto"] in ("fp32", "bf16") and step["compiled"] is False
    assert set(step["images_per_second"]) == {"fp32 today", "fp32 eager", "bf16 eager", "new default"}
    assert all(rate > 0 for rate in step["images_per_second"].values())
    assert math.isclose(step["speedup"], step["images_per_second"]["new default"]
                        / step["images_per_second"]["fp32 today"])
    rates = result["tutorial_model"]["images_per_second"]
    assert set(rates) == {"tutorial loop", "ours, small batch", "ours, large batch", "recorded run's settings"}
    assert result["tutorial_model"]["batch_sizes"]["small"] == 4
    assert math.isclose(result["tutorial_seconds_estimated_here"], 5 * 45000 / rates["recorded run's settings"])
    quality = result["time_to_quality"]
    assert quality["reached"] and quality["images"] == 32 and len(quality["checks"]) == 1 and quality["seconds"] > 0
    assert quality["val_images"] == 4 and quality["recipe"]["arch"] == "tutorial"


@pytest.mark.slow
def test_train_speed_says_when_the_quality_is_not_reached_or_there_is_no_tutorial(image_folder, tmp_path, capsys):
    tutorial = tmp_path / "tutorial"
    write_tutorial_bundle_config(tutorial, target=99.0)
    assert train_speed.main(["--data", str(image_folder), *TINY_SPEED, "--tutorial", str(tutorial)]) == 0
    output = capsys.readouterr().out
    assert "not reached within 64 images" in output and "99.00 dB NOT reached within 64 images" in output
    assert train_speed.main(["--data", str(image_folder), *TINY_SPEED, "--tutorial", str(tmp_path / "none")]) == 0
    assert last_line(capsys).endswith("time to tutorial quality skipped (no tutorial bundle with pixels metrics and "
                                      "wall time)")


def test_todays_mixed_holes_match_the_new_ones_in_distribution():
    """The benchmark's "today's way" draws every family per image; make_holes("mixed") only the one it keeps."""
    generator = torch.Generator().manual_seed(0)
    today = train_speed.todays_holes("mixed", 2000, 32, generator).float().mean(dim=(1, 2))
    now = holes.make_holes("mixed", 2000, generator=generator).float().mean(dim=(1, 2))
    assert abs(today.mean() - now.mean()) < 0.02
    assert abs((today == 0.25).float().mean() - (now == 0.25).float().mean()) < 0.04  # centre squares, a fifth


def test_objectives(image_folder, tmp_path, capsys):
    figures = tmp_path / "objectives.json"
    assert objectives.main(["--data", str(image_folder), "--steps", "2", "--batch-size", "8", "--weights", "0",
                            "0.5", "--labels", "5", "--val-images", "4", "--arch-config", '{"width": 8}',
                            "--json", str(figures)]) == 0
    assert last_line(capsys).startswith("objectives: 2 steps of 8; weight 0: probe ")
    rows = json.loads(figures.read_text())
    assert [row["contrastive_weight"] for row in rows] == [0.0, 0.5]
    assert rows[0]["contrastive_loss"] is None and rows[1]["contrastive_loss"] > 0
    for row in rows:
        assert set(row["hole_psnr"]) == set(EVAL_FAMILIES) and 0 <= row["probe_accuracy"] <= 100


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
