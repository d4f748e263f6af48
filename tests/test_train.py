import json
import os
import subprocess
import sys

import pytest
import torch

import train
from conftest import ROOT, smooth_images
from sslmodel import Inpainter, build_model, engine
from sslmodel.bundle import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME
from sslmodel.holes import EVAL_FAMILIES, fixed_holes
from sslmodel.trainer import CHECKPOINT_NAME

SMALL = ["--arch-config", '{"width": 8}', "--batch-size", "8", "--val-images-per-epoch", "4"]


def run(image_folder, out, *extra):
    return train.main(["--data", str(image_folder), "--out", str(out), *SMALL, *extra])


def test_a_few_steps_lower_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model = build_model("dilated_unet", width=16)
    images = torch.from_numpy(smooth_images(16)).permute(0, 3, 1, 2).float() / 255
    holes = fixed_holes("boxes", 16)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss = engine.inpainting_loss(model(images, holes), images, holes)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.slow
def test_train_end_to_end_writes_logs_pictures_and_a_bundle(image_folder, tmp_path):
    out = tmp_path / "run"
    assert run(image_folder, out, "--epochs", "2") == 0
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in log] == [1, 2]
    assert set(log[0]["val_hole_psnr"]) == set(EVAL_FAMILIES) and log[0]["images_per_second"] > 0
    for name in (CHECKPOINT_NAME, "curves.png", "samples/epoch_001.png", "samples/epoch_002.png",
                 WEIGHTS_NAME, CONFIG_NAME, CARD_NAME, "frames/epoch_002.png"):
        assert (out / name).is_file(), name
    config = json.loads((out / CONFIG_NAME).read_text())
    assert config["arch"] == "dilated_unet" and config["recipe"]["epochs"] == 2
    assert set(config["metrics"]) == set(EVAL_FAMILIES)
    assert {"hole_psnr", "psnr", "ssim"} <= set(config["metrics"]["center"])
    assert config["training"]["command"].startswith("python train.py --data")
    assert "| center 16x16 |" in (out / CARD_NAME).read_text()
    Inpainter.from_pretrained(out)


@pytest.mark.slow
def test_the_tutorial_recipe_runs(image_folder, tmp_path):
    out = tmp_path / "tutorial"
    code = train.main(["--data", str(image_folder), "--out", str(out), "--arch", "tutorial", "--holes", "pixels",
                       "--epochs", "1", "--batch-size", "4", "--lr", "1e-3", "--weight-decay", "0",
                       "--schedule", "constant", "--loss", "mse", "--loss-region", "all", "--no-augment"])
    assert code == 0
    assert json.loads((out / CONFIG_NAME).read_text())["recipe"]["loss_region"] == "all"


@pytest.mark.slow
def test_resume_after_an_interruption_matches_an_uninterrupted_run(image_folder, tmp_path, monkeypatch):
    straight = tmp_path / "straight"
    assert run(image_folder, straight, "--epochs", "2") == 0

    interrupted = tmp_path / "interrupted"
    real_epoch = engine.train_one_epoch

    def stop_in_epoch_two(*args, description="", **kwargs):
        if description.startswith("epoch 2"):
            raise KeyboardInterrupt
        return real_epoch(*args, description=description, **kwargs)

    monkeypatch.setattr(engine, "train_one_epoch", stop_in_epoch_two)
    assert run(image_folder, interrupted, "--epochs", "2") == 130
    assert torch.load(interrupted / CHECKPOINT_NAME, weights_only=True)["epoch"] == 1
    assert not (interrupted / WEIGHTS_NAME).exists()
    monkeypatch.setattr(engine, "train_one_epoch", real_epoch)
    assert run(image_folder, interrupted, "--epochs", "2", "--resume") == 0

    a = torch.load(straight / CHECKPOINT_NAME, weights_only=True)
    b = torch.load(interrupted / CHECKPOINT_NAME, weights_only=True)
    assert b["epoch"] == 2 and len(b["history"]) == 2
    for name, tensor in a["model"].items():
        assert torch.allclose(tensor, b["model"][name], atol=1e-6), name


@pytest.mark.slow
def test_an_existing_run_is_never_overwritten(image_folder, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(image_folder, out, "--epochs", "1") == 0
    before = (out / CHECKPOINT_NAME).read_bytes()
    assert run(image_folder, out, "--epochs", "1") == 1
    assert "pass --resume" in capsys.readouterr().err
    assert (out / CHECKPOINT_NAME).read_bytes() == before


@pytest.mark.slow
def test_a_non_finite_loss_stops_with_a_message_and_keeps_the_checkpoint(image_folder, tmp_path, monkeypatch,
                                                                         capsys):
    out = tmp_path / "run"
    assert run(image_folder, out, "--epochs", "1") == 0
    before = (out / CHECKPOINT_NAME).read_bytes()
    monkeypatch.setattr(engine, "inpainting_loss", lambda *args, **kwargs: torch.tensor(float("nan")))
    assert run(image_folder, out, "--epochs", "2", "--resume") == 1
    assert "loss became nan" in capsys.readouterr().err
    assert (out / CHECKPOINT_NAME).read_bytes() == before


def test_unusable_data_and_flags_are_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert train.main(["--data", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 1
    assert "no images" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    for bad in (["--epochs", "0"], ["--lr", "-1"], ["--holes", "spiral"], ["--arch", "nope"]):
        with pytest.raises(SystemExit) as exit_info:
            train.parse_args(bad)
        assert exit_info.value.code == 2


@pytest.mark.slow
def test_torchrun_with_two_processes_on_cpu(image_folder, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "train.py",
         "--data", str(image_folder), "--out", str(out), "--epochs", "2", *SMALL],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (out / "log.jsonl").read_text().splitlines()
    assert len(log) == 2, "only rank 0 writes"
    config = json.loads((out / CONFIG_NAME).read_text())
    assert "2 process(es)" in config["training"]["hardware"]
    Inpainter.from_pretrained(out)
