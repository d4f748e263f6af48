import json
import math
import os
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import ROOT, interrupt_in_epoch, smooth_images
from PIL import Image

import train
from sslmodel import Inpainter, build_model, engine, trainer
from sslmodel.bundle import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME
from sslmodel.data import load_dataset
from sslmodel.engine import EpochGenerators, Recipe
from sslmodel.device import pick_precision
from sslmodel.holes import EVAL_FAMILIES, fixed_holes
from sslmodel.objective import Objective
from sslmodel.trainer import (
    CHECKPOINT_NAME,
    LOG_NAME,
    TrainConfig,
    TrainingError,
    epoch_generators,
)

SMALL = ["--arch-config", '{"width": 8}', "--batch-size", "8", "--val-images-per-epoch", "4", "--no-compile"]


def run(image_folder, out, *extra):
    return train.main(["--data", str(image_folder), "--out", str(out), *SMALL, *extra])


def log_rows(out) -> list[dict]:
    return [json.loads(line) for line in (out / LOG_NAME).read_text().splitlines()]


@pytest.fixture(scope="module")
def interrupted_run(image_folder, tmp_path_factory):
    """A 2-epoch run interrupted during epoch 2: its checkpoint holds epoch 1. Copy it before changing it."""
    out = tmp_path_factory.mktemp("interrupted") / "run"
    with pytest.MonkeyPatch.context() as patch:
        interrupt_in_epoch(patch, 2)
        assert run(image_folder, out, "--epochs", "2") == 130
    return out


@pytest.fixture(scope="module")
def flat_folder_of_70(tmp_path_factory):
    """70 images without class folders: 63 to train on, which no batch size of 16 per process divides."""
    root = tmp_path_factory.mktemp("flat70")
    for i, image in enumerate(smooth_images(70, seed=3)):
        Image.fromarray(image).save(root / f"{i:03d}.png")
    return root


@pytest.mark.parametrize("n_images, batch_size, world_size", [
    (63, 16, 2), (70, 16, 2), (64, 16, 2), (100, 7, 3), (31, 4, 4), (16, 16, 1), (17, 16, 1), (1000, 32, 8)])
def test_the_shards_of_an_epoch_are_disjoint_equal_and_cover_the_training_set(n_images, batch_size, world_size):
    shards = [engine.epoch_shard(n_images, batch_size, rank, world_size, torch.Generator().manual_seed(5))
              for rank in range(world_size)]
    lengths = {len(shard) for shard in shards}
    assert len(lengths) == 1, "every rank takes the same number of steps"
    steps, remainder = divmod(lengths.pop(), batch_size)
    assert remainder == 0 and steps == engine.epoch_steps(n_images, batch_size, world_size) >= 1
    union = torch.cat(shards)
    assert len(union.unique()) == len(union), "no image is in two shards"
    assert union.min() >= 0 and union.max() < n_images
    assert n_images - len(union) < world_size * batch_size


def test_the_order_is_shared_by_the_ranks_and_the_holes_are_not():
    def draws(generator):
        return torch.rand(4, generator=generator)

    ranks = [epoch_generators(seed=3, epoch=2, rank=rank) for rank in range(3)]
    assert all(torch.equal(draws(g.order), draws(epoch_generators(3, 2, 0).order)) for g in ranks)
    own_draws = [draws(g.own) for g in ranks]
    assert not torch.equal(own_draws[0], own_draws[1]) and not torch.equal(own_draws[1], own_draws[2])
    assert torch.equal(own_draws[1], draws(epoch_generators(3, 2, 1).own)), "resuming replays an epoch"
    assert not torch.equal(draws(epoch_generators(3, 2, 0).order), draws(epoch_generators(3, 3, 0).order))
    assert not torch.equal(draws(epoch_generators(3, 2, 0).order), draws(epoch_generators(4, 2, 0).order))


def test_a_step_reads_the_loss_once(monkeypatch):
    """The trainer's optimizer too: fused AdamW keeps its step count on the device (foreach AdamW reads it)."""
    torch.manual_seed(0)
    model = build_model("dilated_unet", width=8)
    recipe = Recipe(batch_size=8, holes="center", schedule="constant")
    optimizer, scheduler = trainer.build_optimizer(model, recipe, 3, torch.device("cpu"))
    images = torch.from_numpy(smooth_images(24)).permute(0, 3, 1, 2).contiguous()
    reads = []
    for read in ("item", "tolist", "__float__"):  # every way a tensor's value reaches Python
        real = getattr(torch.Tensor, read)
        monkeypatch.setattr(torch.Tensor, read, lambda tensor, real=real: reads.append(1) or real(tensor))
    stats = engine.train_one_epoch(Objective(model), optimizer, scheduler, images, recipe,
                                   EpochGenerators.single(0))
    assert len(reads) == 3 and scheduler.last_epoch == 3
    assert 0 < stats.loss < 1


def epoch_of_small_model(images: torch.Tensor, precision="fp32", family="mixed") -> engine.EpochStats:
    torch.manual_seed(0)
    model = build_model("dilated_unet", width=8).to(memory_format=torch.channels_last)
    recipe = Recipe(batch_size=8, holes=family, precision=precision)
    optimizer, scheduler = trainer.build_optimizer(model, recipe, 2, torch.device("cpu"))
    stats = engine.train_one_epoch(Objective(model), optimizer, scheduler, images, recipe, EpochGenerators.single(0))
    assert all(p.dtype == torch.float32 for p in model.parameters())
    return stats


def test_images_stored_channels_last_train_exactly_as_stored_plainly():
    images = torch.from_numpy(smooth_images(16)).permute(0, 3, 1, 2).contiguous()
    plain = epoch_of_small_model(images)
    stored = epoch_of_small_model(images.contiguous(memory_format=torch.channels_last))
    assert stored.loss == plain.loss


def test_a_bf16_autocast_epoch_trains_float32_weights():
    """bf16 is slow on a CPU without bf16 instructions, but it runs and gives a finite loss like fp32's."""
    images = torch.from_numpy(smooth_images(16)).permute(0, 3, 1, 2).contiguous()
    fp32, bf16 = epoch_of_small_model(images, family="boxes"), epoch_of_small_model(images, "bf16", "boxes")
    assert math.isfinite(bf16.loss) and bf16.loss == pytest.approx(fp32.loss, rel=0.05)


def test_non_finite_weights_are_found():
    model = build_model("dilated_unet", width=8)
    assert engine.non_finite_weights(model) == []
    with torch.no_grad():
        model.head[1].bias[0] = float("inf")
    assert engine.non_finite_weights(model) == ["head.1.bias"]


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
    assert config["recipe"]["precision"] == pick_precision("auto", torch.device("cpu")), "what auto chose"
    assert config["training"]["compiled"] is False
    assert set(config["metrics"]) == set(EVAL_FAMILIES)
    assert {"hole_psnr", "psnr", "ssim"} <= set(config["metrics"]["center"])
    assert config["training"]["command"].startswith("python train.py --data")
    assert config["training"]["val_fingerprint"] == load_dataset(str(image_folder)).val_fingerprint
    assert config["training"]["val_fingerprint"].startswith("sha256:") and config["training"]["val_images"] == 4
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
def test_a_compiled_run_saves_the_plain_module(image_folder, tmp_path):
    """The default architecture compiles by default; the bundle holds the module's own weights (no _orig_mod.)."""
    out = tmp_path / "compiled"
    assert train.main(["--data", str(image_folder), "--out", str(out), *SMALL[:-1], "--epochs", "1"]) == 0
    config = json.loads((out / CONFIG_NAME).read_text())
    assert config["training"]["compiled"] is True
    state = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert state["config"]["compile"] is True
    assert set(state["model"]) == set(build_model("dilated_unet", width=8).state_dict())
    Inpainter.from_pretrained(out)


@pytest.mark.slow
def test_resume_after_an_interruption_matches_an_uninterrupted_run(image_folder, interrupted_run, tmp_path):
    straight = tmp_path / "straight"
    assert run(image_folder, straight, "--epochs", "2") == 0

    interrupted = tmp_path / "interrupted"
    shutil.copytree(interrupted_run, interrupted)
    assert torch.load(interrupted / CHECKPOINT_NAME, weights_only=True)["epoch"] == 1
    assert not (interrupted / WEIGHTS_NAME).exists()
    assert run(image_folder, interrupted, "--epochs", "2", "--resume") == 0

    a = torch.load(straight / CHECKPOINT_NAME, weights_only=True)
    b = torch.load(interrupted / CHECKPOINT_NAME, weights_only=True)
    assert b["epoch"] == 2 and len(b["history"]) == 2
    for name, tensor in a["model"].items():
        assert torch.allclose(tensor, b["model"][name], atol=1e-6), name
    assert log_rows(interrupted) == b["history"]


@pytest.mark.slow
def test_the_checkpoint_is_written_before_the_log_row_and_resuming_mends_the_log(image_folder, interrupted_run,
                                                                                 tmp_path, monkeypatch):
    out = tmp_path / "run"
    shutil.copytree(interrupted_run, out)
    with open(out / LOG_NAME, "a") as log:  # what a crash after the row but before the checkpoint used to leave
        log.write(json.dumps({"epoch": 2, "loss": 1.0}) + "\n")
    real_save = trainer.save_checkpoint

    def crash_after_the_checkpoint(setup, state, epoch):
        real_save(setup, state, epoch)
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "save_checkpoint", crash_after_the_checkpoint)
    assert run(image_folder, out, "--epochs", "2", "--resume") == 130
    saved = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert saved["epoch"] == 2 and [row["epoch"] for row in log_rows(out)] == [1], "the stray row went, none added"
    monkeypatch.setattr(trainer, "save_checkpoint", real_save)
    assert run(image_folder, out, "--epochs", "2", "--resume") == 0
    assert log_rows(out) == saved["history"] == torch.load(out / CHECKPOINT_NAME, weights_only=True)["history"]


@pytest.mark.slow
def test_an_existing_run_is_never_overwritten(image_folder, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(image_folder, out, "--epochs", "1") == 0
    before = (out / CHECKPOINT_NAME).read_bytes()
    assert run(image_folder, out, "--epochs", "1") == 1
    assert "pass --resume" in capsys.readouterr().err
    assert (out / CHECKPOINT_NAME).read_bytes() == before


@pytest.mark.slow
def test_a_non_finite_loss_stops_with_a_message_and_keeps_the_checkpoint(image_folder, interrupted_run, tmp_path,
                                                                         monkeypatch, capsys):
    out = tmp_path / "run"
    shutil.copytree(interrupted_run, out)
    before = (out / CHECKPOINT_NAME).read_bytes()
    monkeypatch.setattr(engine, "inpainting_loss", lambda reconstruction, *args, **kw: reconstruction.sum() * torch.nan)
    assert run(image_folder, out, "--epochs", "2", "--resume") == 1
    err = capsys.readouterr().err
    assert "loss became nan" in err and "the checkpoint of epoch 1 is untouched" in err
    assert (out / CHECKPOINT_NAME).read_bytes() == before


@pytest.mark.slow
def test_weights_that_turn_nan_are_never_saved(image_folder, tmp_path):
    """--lr inf with one step per epoch: the step's loss is finite, the weights after it are not."""
    out = tmp_path / "run"
    config = TrainConfig(data=str(image_folder), out=str(out), arch_config={"width": 8},
                         recipe=Recipe(batch_size=32, lr=float("inf"), epochs=2), val_images_per_epoch=4, compile=False)
    with pytest.raises(TrainingError, match=r"NaN or infinite in epoch 1 .*\(nothing was saved\)"):
        trainer.train(config)
    assert not (out / CHECKPOINT_NAME).exists() and not (out / WEIGHTS_NAME).exists()


@pytest.mark.slow
def test_torchrun_with_two_processes_on_cpu_and_an_uneven_split(flat_folder_of_70, tmp_path):
    """63 training images, 16 per step and process: the ranks used to take 2 and 1 steps, and hang."""
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "train.py",
         "--data", str(flat_folder_of_70), "--out", str(out), "--epochs", "2", "--batch-size", "16",
         "--arch-config", '{"width": 8}', "--val-images-per-epoch", "4", "--no-compile",
         "--contrastive-weight", "0.5"],  # DDP syncs the projection head too (one module)
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [row["epoch"] for row in log_rows(out)] == [1, 2], "only rank 0 writes"
    config = json.loads((out / CONFIG_NAME).read_text())
    assert "2 process(es)" in config["training"]["hardware"] and config["training"]["train_images"] == 63
    checkpoint = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert checkpoint["world_size"] == 2 and checkpoint["projector"]
    Inpainter.from_pretrained(out)
