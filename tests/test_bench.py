"""Smoke tests of the benchmark scripts on tiny synthetic data: each runs, writes its figures, ends with its summary.

They check that the scripts work, never how fast anything is.
"""

import json
import math
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from sslmodel.bundle_config import BundleConfig, TrainingRecord
from sslmodel.device import fast_bf16
from sslmodel.holes import EVAL_FAMILIES
from sslmodel.models import DEFAULT_ARCH_CONFIG

# As when a bench script runs: bench/ on the path, so that the training benches import their helper (training.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from bench import inference, objectives, quality, time_to_quality, train_step, tutorial_loop  # noqa: E402
from training import TUTORIAL  # noqa: E402


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
                         "--grid", str(tmp_path / "grid.png"), "--json", str(tmp_path / "quality.json")]) == 0
    assert last_line(capsys).startswith("quality: no model evaluated; best OpenCV hole PSNR")


def write_tutorial_bundle_config(folder, target: float) -> None:
    config = BundleConfig(arch="tutorial", recipe=TUTORIAL, metrics={"pixels": {"hole_psnr": target}},
                          training=TrainingRecord(wall_time_seconds=1000.0, epochs_completed=5, train_images=45000))
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config.to_dict()))


TINY = ["--images", "16", "--repeats", "1", "--threads", "1"]


@pytest.mark.parametrize("script", [train_step, tutorial_loop, time_to_quality, objectives])
def test_help_says_what_the_bench_measures(script, capsys):
    with pytest.raises(SystemExit) as exit_:
        script.main(["--help"])
    output = capsys.readouterr().out
    assert exit_.value.code == 0 and script.__doc__.splitlines()[0] in output and "--data" in output


@pytest.mark.slow
def test_train_step(image_folder, tmp_path, capsys):
    figures = tmp_path / "step.json"
    assert train_step.main(["--data", str(image_folder), *TINY, "--bf16-images", "5", "--no-compile",
                            "--json", str(figures)]) == 0
    summary = last_line(capsys)
    assert summary.startswith("train_step: default model (dilated_unet width 64, batch 5): train.py's default "
                              "settings (") and "x the plain fp32 step's " in summary and "(target 2x)" in summary
    step = json.loads(figures.read_text())["default_step"]
    assert step["images"] == 16 and step["arch_config"] == DEFAULT_ARCH_CONFIG and step["batch_size"] == 5
    assert step["precision_default"] in ("fp32", "bf16") and step["compiled"] is False
    assert step["bf16_images"] == (16 if fast_bf16(torch.device("cpu")) else 5)
    assert set(step["images_per_second"]) == {"fp32 eager", "bf16 eager", "default settings"}
    assert all(rate > 0 for rate in step["images_per_second"].values())
    assert math.isclose(step["speedup"], step["images_per_second"]["default settings"]
                        / step["images_per_second"]["fp32 eager"])


@pytest.mark.slow
def test_tutorial_loop(image_folder, tmp_path, capsys):
    figures = tmp_path / "tutorial.json"
    assert tutorial_loop.main(["--data", str(image_folder), *TINY, "--json", str(figures)]) == 0
    summary = last_line(capsys)
    assert summary.startswith("tutorial_loop: ours (") and "the tutorial's own loop's " in summary
    result = json.loads(figures.read_text())["tutorial_model"]
    rates = result["images_per_second"]
    assert set(rates) == {"tutorial loop", "ours, small batch", "ours, large batch"}
    assert all(rate > 0 for rate in rates.values())
    assert result["batch_sizes"] == {"small": 4, "large": 5} and result["compiled"] is False  # large: fitted to 16
    assert math.isclose(result["speedup_small_batch"], rates["ours, small batch"] / rates["tutorial loop"])
    assert math.isclose(result["speedup_large_batch"], rates["ours, large batch"] / rates["tutorial loop"])


def test_a_training_bench_says_when_the_data_will_not_do(tmp_path, capsys):
    assert train_step.main(["--data", str(tmp_path / "none"), *TINY]) == 1
    assert capsys.readouterr().err.startswith(f"error: data folder {tmp_path / 'none'} does not exist")


TINY_QUALITY = [*TINY, "--budget", "64", "--check-every", "32"]


@pytest.mark.slow
def test_time_to_quality(image_folder, tmp_path, capsys):
    tutorial = tmp_path / "tutorial"
    write_tutorial_bundle_config(tutorial, target=5.0)  # reached at the first scoring
    figures = tmp_path / "quality.json"
    assert time_to_quality.main(["--data", str(image_folder), *TINY_QUALITY, "--tutorial", str(tutorial),
                                 "--json", str(figures)]) == 0
    summary = last_line(capsys)
    assert summary.startswith("time_to_quality: 5.00 dB reached in ")
    assert "of the recorded 1000 s (target 1/10), 1/" in summary and " s estimated here" in summary
    result = json.loads(figures.read_text())
    rate = result["recorded_settings_images_per_second"]
    assert rate > 0 and math.isclose(result["tutorial_seconds_estimated_here"], 5 * 45000 / rate)
    quality = result["time_to_quality"]
    assert quality["reached"] and quality["images"] == 32 and len(quality["checks"]) == 1 and quality["seconds"] > 0
    assert quality["val_images"] == 4 and quality["recipe"]["batch_size"] == 8 and quality["recipe"]["augment"]


@pytest.mark.slow
def test_time_to_quality_says_when_it_is_not_reached_or_there_is_no_tutorial(image_folder, tmp_path, capsys):
    tutorial = tmp_path / "tutorial"
    write_tutorial_bundle_config(tutorial, target=99.0)
    assert time_to_quality.main(["--data", str(image_folder), *TINY_QUALITY, "--tutorial", str(tutorial)]) == 0
    output = capsys.readouterr().out
    assert "not reached within 64 images" in output and "99.00 dB NOT reached within 64 images" in output
    assert len([line for line in output.splitlines() if "s of training: pixels hole PSNR" in line]) == 2
    assert time_to_quality.main(["--data", str(image_folder), *TINY_QUALITY, "--tutorial", str(tmp_path / "none")]) == 0
    assert last_line(capsys) == "time_to_quality: skipped (no tutorial bundle with pixels metrics and wall time)"


def test_objectives(image_folder, tmp_path, capsys):
    figures = tmp_path / "objectives.json"
    assert objectives.main(["--data", str(image_folder), "--steps", "2", "--batch-size", "8", "--weights", "0.5",
                            "--stages", "all", "deep", "--labels", "5", "--val-images", "4", "--arch-config",
                            '{"width": 8}', "--threads", "1", "--json", str(figures)]) == 0
    summary = last_line(capsys)
    assert summary.startswith("objectives: 2 steps of 8; inpainting: probe ")
    assert "; + 0.5 x NT-Xent (all): probe " in summary and "; + 0.5 x NT-Xent (deep): probe " in summary
    rows = json.loads(figures.read_text())
    assert [(row["contrastive_weight"], row["contrastive_stages"]) for row in rows] == [
        (0.0, None), (0.5, "all"), (0.5, "deep")]
    assert rows[0]["contrastive_loss"] is None and all(row["contrastive_loss"] > 0 for row in rows[1:])
    assert rows[1]["contrastive_loss"] != rows[2]["contrastive_loss"]  # the deep stage alone: other features
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
