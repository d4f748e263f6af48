import math
from functools import partial

import pytest
import torch

from sslmodel.evaluate import evaluate_fill, evaluate_model, reconstruct
from sslmodel.holes import EVAL_FAMILIES
from sslmodel.metrics import MAX_PSNR, composite, hole_psnr, psnr, ssim
from sslmodel.models import build_model


def test_hole_psnr_counts_only_missing_pixels():
    target = torch.full((2, 3, 8, 8), 0.5)
    prediction = target.clone()
    holes = torch.zeros(2, 8, 8, dtype=torch.bool)
    holes[:, :4] = True
    prediction[:, :, :4] += 0.1   # error 0.1 in the hole -> 20 dB
    prediction[:, :, 4:] += 0.4   # errors outside the hole must not count
    assert torch.allclose(hole_psnr(prediction, target, holes), torch.tensor([20.0, 20.0]), atol=1e-4)


def test_hole_psnr_is_per_image_and_nan_without_hole():
    target = torch.zeros(3, 3, 4, 4)
    prediction = target.clone()
    prediction[0] += 0.1
    prediction[1] += 0.01
    holes = torch.ones(3, 4, 4, dtype=torch.bool)
    holes[2] = False
    values = hole_psnr(prediction, target, holes)
    assert torch.allclose(values[:2], torch.tensor([20.0, 40.0]), atol=1e-3) and math.isnan(values[2])


def test_psnr_caps_perfect_reconstruction():
    images = torch.rand(2, 3, 8, 8)
    assert torch.equal(psnr(images, images), torch.full((2,), MAX_PSNR))
    off_by_a_tenth = psnr(torch.full((2, 3, 8, 8), 0.5), torch.full((2, 3, 8, 8), 0.6))
    assert torch.allclose(off_by_a_tenth, torch.tensor([20.0, 20.0]), atol=1e-4)


def test_ssim_is_one_for_identical_and_falls_with_noise():
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(2, 3, 32, 32, generator=generator)
    noisy = (images + 0.1 * torch.randn(images.shape, generator=generator)).clamp(0, 1)
    noisier = (images + 0.3 * torch.randn(images.shape, generator=generator)).clamp(0, 1)
    assert torch.allclose(ssim(images, images), torch.ones(2), atol=1e-5)
    assert (ssim(noisier, images) < ssim(noisy, images)).all() and (ssim(noisy, images) < 0.99).all()


def test_composite_keeps_known_pixels():
    images, reconstruction = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    holes = torch.zeros(1, 4, 4, dtype=torch.bool)
    holes[0, 0, 0] = True
    out = composite(images, reconstruction, holes)
    assert out[0, :, 0, 0].eq(1).all() and out.sum() == 3


def test_evaluate_fill_scores_any_fill_per_family():
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    perfect = evaluate_fill(lambda x, holes: x, images, with_ssim=True)  # the fill gets the whole image
    assert list(perfect) == list(EVAL_FAMILIES)
    for row in perfect.values():
        assert row["hole_psnr"] == row["psnr"] == MAX_PSNR and row["ssim"] == pytest.approx(1.0)
    black = evaluate_fill(lambda x, holes: torch.zeros_like(x), images, families=("center",))
    assert list(black) == ["center"] and list(black["center"]) == ["hole_psnr"] and black["center"]["hole_psnr"] < 10
    model = build_model("tutorial")
    assert evaluate_model(model, images, seed=2) == evaluate_fill(partial(reconstruct, model), images, seed=2)
