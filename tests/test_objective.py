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
from sslmodel.engine import EpochGenerators, Recipe
from sslmodel.holes import make_holes
from sslmodel.objective import Objective, feature_width, scale_gradient, step_losses
from sslmodel.trainer import CHECKPOINT_NAME
from sslmodel.views import augment

SMALL = ["--arch-config", '{"width": 8}', "--batch-size", "8", "--val-images-per-epoch", "4", "--no-compile"]


def small_images(n: int = 32) -> torch.Tensor:
    return torch.from_numpy(smooth_images(n)).permute(0, 3, 1, 2).contiguous()


def epoch(objective: Objective, images: torch.Tensor, weight: float, steps_total: int = 4,
          optimizer=None, scheduler=None, seed: int = 0, **recipe) -> engine.EpochStats:
    recipe = Recipe(batch_size=8, contrastive_weight=weight, schedule="constant", **recipe)
    if optimizer is None:
        optimizer, scheduler = trainer.build_optimizer(objective, recipe, steps_total, torch.device("cpu"))
    return engine.train_one_epoch(objective, optimizer, scheduler, images, recipe, EpochGenerators.single(seed))


@pytest.mark.parametrize("arch", ["dilated_unet", "tutorial"])
@pytest.mark.parametrize("stages", ["all", "deep"])
def test_the_projector_reads_pooled_encoder_stages_of_both_masked_inputs(arch, stages):
    model = build_model(arch, **({"width": 8} if arch == "dilated_unet" else {}))
    objective = Objective(model, contrastive=True, stages=stages)
    images = torch.rand(4, 3, 32, 32)
    holes = torch.zeros(4, 32, 32, dtype=torch.bool)
    view_holes = torch.rand(4, 32, 32) < 0.5
    reconstruction, projections = objective(images, holes, augment(images, torch.Generator().manual_seed(0)),
                                            view_holes)
    assert reconstruction.shape == images.shape and projections.shape == (8, 128)
    assert objective.projector.net[0].in_features == feature_width(model, stages)
    if stages == "all":  # the probe's features are the pooled stages of the unmasked image
        assert feature_width(model, stages) == model.features(images).shape[1]
    assert Objective(model)(images, holes)[1] is None and Objective(model).projector is None


def test_the_inpainting_pass_yields_the_features_of_the_masked_input():
    torch.manual_seed(0)
    model = build_model("dilated_unet", width=8).eval()
    images, holes = torch.rand(3, 3, 32, 32), torch.rand(3, 32, 32) < 0.3
    reconstruction, features = model.forward_with_features(images, holes)
    assert torch.allclose(reconstruction, model(images, holes))
    assert torch.allclose(features, model.masked_features(images, holes))
    assert torch.allclose(model.masked_features(images, torch.zeros_like(holes)), model.features(images))
    assert not torch.allclose(features, model.features(images)), "the holes change the features"


def test_a_view_differs_from_its_image_and_stays_in_range():
    images = small_images(8).float() / 255
    view = augment(images, torch.Generator().manual_seed(0))
    assert view.shape == images.shape and 0 <= view.min() and view.max() <= 1
    assert (view - images).abs().mean() > 0.02, "a view is a different picture"


def test_the_contrastive_weight_warms_up_linearly():
    recipe = Recipe(contrastive_weight=0.5, contrastive_warmup=2)
    assert recipe.contrastive_weight_at(0, 10) == pytest.approx(0.5 / 20)
    assert recipe.contrastive_weight_at(9, 10) == pytest.approx(0.25)
    assert recipe.contrastive_weight_at(19, 10) == recipe.contrastive_weight_at(500, 10) == 0.5
    assert Recipe(contrastive_weight=0.5).contrastive_weight_at(0, 10) == 0.5


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


def test_small_crops_join_the_projections_after_the_views():
    model = build_model("dilated_unet", width=8)
    objective = Objective(model, contrastive=True, loss="vicreg")
    images, holes = torch.rand(4, 3, 32, 32), torch.rand(4, 32, 32) < 0.5
    crops = torch.rand(8, 3, 16, 16)
    _, projections = objective(images, holes, images, torch.zeros_like(holes), crops)
    assert projections.shape == (16, 2048)  # masked, view, then two crops of each image; VICReg's expander
    losses = step_losses(torch.tensor(0.1), projections, 0.5, 0.2, "vicreg", views=4)
    assert losses.total.item() == pytest.approx(0.1 + 0.5 * losses.contrastive.item())


def test_the_encoder_gradient_scale_reaches_the_encoder_only():
    features = torch.randn(4, 6, requires_grad=True)
    scaled = scale_gradient(features, 0.25)
    assert torch.equal(scaled, features)
    scaled.sum().backward()
    assert torch.allclose(features.grad, torch.full_like(features, 0.25))
    grads = {}
    for scale in (1.0, 0.25):
        torch.manual_seed(0)
        objective = Objective(build_model("dilated_unet", width=8), contrastive=True, encoder_grad_scale=scale)
        images = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(1))
        holes = torch.zeros(8, 32, 32, dtype=torch.bool)
        _, projections = objective(images, holes, images.flip(-1), holes)
        step_losses(torch.tensor(0.0), projections, 1.0, 0.2).contrastive.backward()
        grads[scale] = (objective.model.stem[1][0].weight.grad.clone(), objective.projector.net[0].weight.grad.clone())
    assert torch.allclose(grads[0.25][0], 0.25 * grads[1.0][0], atol=1e-7), "the encoder gets a quarter"
    assert torch.allclose(grads[0.25][1], grads[1.0][1]), "the head learns at full strength"


@pytest.mark.parametrize("arm", [{"joint_loss": "vicreg"}, {"small_crops": 2}, {"view_jitter": 0.1, "view_gray": 0.0},
                                 {"encoder_grad_scale": 0.2}])
def test_every_arm_of_the_recipe_trains_and_moves_its_loss(arm):
    torch.manual_seed(0)
    recipe = Recipe(**arm)
    objective = Objective(build_model("dilated_unet", width=8), contrastive=True, loss=recipe.joint_loss,
                          encoder_grad_scale=recipe.encoder_grad_scale)
    images = small_images(32)
    optimizer, scheduler = trainer.build_optimizer(objective, Recipe(schedule="constant"), 100, torch.device("cpu"))
    first = epoch(objective, images, 1.0, optimizer=optimizer, scheduler=scheduler, **arm)
    for seed in range(1, 12):
        last = epoch(objective, images, 1.0, optimizer=optimizer, scheduler=scheduler, seed=seed, **arm)
    assert last.contrastive_loss < first.contrastive_loss and last.inpainting_loss < first.inpainting_loss


def fixed_contrastive_loss(objective: Objective, images: torch.Tensor) -> float:
    """NT-Xent on one fixed batch of views and holes, without a step: comparable before and after training."""
    batch = images.float() / 255
    holes = make_holes("center", len(batch))
    with torch.no_grad():
        _, projections = objective(batch, holes, augment(batch, torch.Generator().manual_seed(123)), holes)
    return step_losses(torch.tensor(0.0), projections, 1.0, 0.2).contrastive.item()


def test_contrastive_training_lowers_its_loss():
    torch.manual_seed(0)
    objective = Objective(build_model("dilated_unet", width=8), contrastive=True)
    images = small_images(32)
    optimizer, scheduler = trainer.build_optimizer(objective, Recipe(schedule="constant"), 100,
                                                   torch.device("cpu"))
    before = fixed_contrastive_loss(objective, images)
    for seed in range(25):
        epoch(objective, images, 1.0, optimizer=optimizer, scheduler=scheduler, seed=seed, holes="center")
    after = fixed_contrastive_loss(objective, images)
    assert after < 0.9 * before, (before, after)


@pytest.mark.slow
def test_a_joint_run_checkpoints_the_head_resumes_it_and_ships_only_the_model(image_folder, tmp_path):
    out = tmp_path / "joint"
    argv = ["--data", str(image_folder), "--out", str(out), *SMALL, "--contrastive-weight", "0.5"]
    with pytest.MonkeyPatch.context() as patch:
        interrupt_in_epoch(patch, 2)
        assert train.main([*argv, "--epochs", "2"]) == 130
    saved = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert saved["projector"] and saved["config"]["recipe"]["contrastive_weight"] == 0.5

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
