"""The joint objective: inpainting, plus a contrastive loss on the model's features through a projection head."""

import json
import shutil

import pytest
import torch
import train
from conftest import interrupt_in_epoch, smooth_images
from safetensors.torch import load_file

from sslmodel import Inpainter, build_model, engine, trainer
from sslmodel.bundle import WEIGHTS_NAME
from sslmodel.objective import Objective, feature_width, stacked_views, step_losses
from sslmodel.trainer import CHECKPOINT_NAME, TrainConfig

SMALL = ["--arch-config", '{"width": 8}', "--batch-size", "8", "--val-images-per-epoch", "4", "--no-compile"]


def small_images(n: int = 32) -> torch.Tensor:
    return torch.from_numpy(smooth_images(n)).permute(0, 3, 1, 2).contiguous()


def epoch(objective: Objective, images: torch.Tensor, weight: float, steps_total: int = 4,
          optimizer=None, scheduler=None, seed: int = 0) -> engine.EpochStats:
    if optimizer is None:
        optimizer, scheduler = trainer.build_optimizer(objective, TrainConfig(schedule="constant"), steps_total,
                                                       torch.device("cpu"))
    return engine.train_one_epoch(objective, optimizer, scheduler, images, batch_size=8, hole_family="mixed",
                                  loss_kind="l1", loss_region="hole", augment=True,
                                  generator=torch.Generator().manual_seed(seed), device=torch.device("cpu"),
                                  contrastive_weight=weight, progress=False)


@pytest.mark.parametrize("arch", ["dilated_unet", "tutorial"])
def test_the_projector_reads_the_features_the_probe_reads(arch):
    model = build_model(arch)
    objective = Objective(model, contrastive=True)
    images = torch.rand(4, 3, 32, 32)
    holes = torch.zeros(4, 32, 32, dtype=torch.bool)
    reconstruction, projections = objective(images, holes, stacked_views(images, torch.Generator().manual_seed(0)))
    assert reconstruction.shape == images.shape and projections.shape == (8, 128)
    assert objective.projector.net[0].in_features == feature_width(model) == model.features(images).shape[1]
    assert Objective(model)(images, holes)[1] is None and Objective(model).projector is None


def test_the_two_views_differ_and_stay_in_range():
    images = small_images(8).float() / 255
    views = stacked_views(images, torch.Generator().manual_seed(0))
    assert views.shape == (16, 3, 32, 32) and 0 <= views.min() and views.max() <= 1
    assert (views[:8] - views[8:]).abs().mean() > 0.02, "two views of an image are different pictures"


def test_the_loss_adds_the_weighted_contrastive_term():
    inpainting = torch.tensor(0.1)
    projections = torch.randn(16, 8)
    losses = step_losses(inpainting, projections, 0.5, 0.2)
    assert losses.total == pytest.approx(0.1 + 0.5 * losses.contrastive.item())
    assert step_losses(inpainting, None, 0.5, 0.2).total == inpainting


def test_a_joint_epoch_trains_the_head_and_sends_the_contrastive_gradient_into_the_encoder():
    images = small_images()
    results = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        objective = Objective(build_model("dilated_unet", width=8), contrastive=weight > 0)
        head_before = [p.clone() for p in objective.projector.parameters()] if weight else []
        stats = epoch(objective, images, weight)
        results[weight] = (stats, objective.model.state_dict())
        if weight:
            assert all(not torch.equal(a, b) for a, b in zip(head_before, objective.projector.parameters()))
    inpainting_only, joint = results[0.0][0], results[1.0][0]
    assert inpainting_only.contrastive_loss is None and joint.contrastive_loss > 0
    assert joint.loss == pytest.approx(joint.inpainting_loss + joint.contrastive_loss, rel=1e-6)
    stem = "stem.1.0.weight"
    assert not torch.allclose(results[0.0][1][stem], results[1.0][1][stem]), "the encoder feels the second loss"


def test_contrastive_training_lowers_its_loss():
    torch.manual_seed(0)
    objective = Objective(build_model("dilated_unet", width=8), contrastive=True)
    images = small_images(32)
    optimizer, scheduler = trainer.build_optimizer(objective, TrainConfig(schedule="constant"), 60,
                                                   torch.device("cpu"))
    losses = [epoch(objective, images, 1.0, optimizer=optimizer, scheduler=scheduler, seed=i).contrastive_loss
              for i in range(15)]
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3, losses


@pytest.mark.slow
def test_a_joint_run_checkpoints_the_head_resumes_it_and_ships_only_the_model(image_folder, tmp_path):
    out = tmp_path / "joint"
    argv = ["--data", str(image_folder), "--out", str(out), *SMALL, "--contrastive-weight", "0.5"]
    with pytest.MonkeyPatch.context() as patch:
        interrupt_in_epoch(patch, 2)
        assert train.main([*argv, "--epochs", "2"]) == 130
    saved = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert saved["projector"] and saved["config"]["contrastive_weight"] == 0.5

    changed = tmp_path / "changed"
    shutil.copytree(out, changed)
    assert train.main(["--data", str(image_folder), "--out", str(changed), *SMALL, "--contrastive-weight", "0.1",
                       "--epochs", "2", "--resume"]) == 1

    assert train.main([*argv, "--epochs", "2", "--resume"]) == 0
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in rows] == [1, 2] and all(row["contrastive_loss"] > 0 for row in rows)
    config = json.loads((out / "config.json").read_text())
    assert config["recipe"]["contrastive_weight"] == 0.5 and config["recipe"]["temperature"] == 0.2
    weights = load_file(out / WEIGHTS_NAME)
    assert set(weights) == set(build_model("dilated_unet", width=8).state_dict()), "no projector in the bundle"
    Inpainter.from_pretrained(out)
