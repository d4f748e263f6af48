"""The joint objective's pieces: batched views, small crops, and the NT-Xent and VICReg losses."""

import torch

import pytest

from sslmodel.contrastive import Expander, Projector, head_for, joint_loss, nt_xent, vicreg
from sslmodel.views import ViewConfig, augment, color_jitter, gray, resized_crop, small_crops, two_views


def batch(n: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def test_views_keep_shape_and_range_and_are_seeded():
    images = batch()
    first, second = two_views(images, torch.Generator().manual_seed(1))
    again, _ = two_views(images, torch.Generator().manual_seed(1))
    assert first.shape == images.shape and 0 <= first.min() and first.max() <= 1
    assert torch.equal(first, again) and not torch.equal(first, second)


def test_a_full_unflipped_crop_is_the_identity():
    images = batch()
    config = ViewConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0))
    cropped = resized_crop(images, config, torch.Generator().manual_seed(0))
    same = [torch.allclose(c, i, atol=1e-5) or torch.allclose(c, i.flip(-1), atol=1e-5)
            for c, i in zip(cropped, images)]
    assert all(same)


def test_jitter_without_change_is_the_identity_and_grayscale_is_gray():
    images = batch()
    none = ViewConfig(jitter=0.0, gray_probability=0.0)
    assert torch.allclose(color_jitter(images, none, torch.Generator().manual_seed(0)), images, atol=1e-6)
    always_gray = ViewConfig(jitter=0.0, gray_probability=1.0)
    out = color_jitter(images, always_gray, torch.Generator().manual_seed(0))
    assert torch.allclose(out, gray(images).expand_as(images), atol=1e-6)
    assert augment(images, torch.Generator().manual_seed(0)).dtype == images.dtype


def test_nt_xent_rewards_matching_pairs():
    z = torch.randn(16, 32, generator=torch.Generator().manual_seed(0))
    matched = nt_xent(z, z + 0.01 * torch.randn_like(z))
    shuffled = nt_xent(z, z[torch.randperm(16)])
    assert matched < shuffled and matched.ndim == 0
    assert nt_xent(z.bfloat16(), z.bfloat16()).dtype == torch.float32


def test_a_few_steps_lower_the_contrastive_loss():
    torch.manual_seed(0)
    encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 64))
    head = Projector(64, 128, 32)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-3)
    images, generator = batch(32), torch.Generator().manual_seed(0)
    losses = []
    for _ in range(30):
        first, second = two_views(images, generator)
        loss = nt_xent(head(encoder(first)), head(encoder(second)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) < sum(losses[:5])


def test_small_crops_are_small_seeded_views_of_every_image():
    images = batch(4)
    crops = small_crops(images, 2, torch.Generator().manual_seed(0))
    assert crops.shape == (8, 3, 16, 16) and 0 <= crops.min() and crops.max() <= 1
    assert torch.equal(crops, small_crops(images, 2, torch.Generator().manual_seed(0)))
    assert not torch.equal(crops[:4], crops[4:]), "each crop of an image is drawn anew"


def test_colour_keeping_views_keep_colour():
    images = batch(16)
    keep = ViewConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), jitter=0.0, gray_probability=0.0)
    view = augment(images, torch.Generator().manual_seed(0), keep)
    # a full crop, unjittered: each view is its image or its mirror image, colours and all
    assert all(torch.allclose(v, i, atol=1e-5) or torch.allclose(v, i.flip(-1), atol=1e-5)
               for v, i in zip(view, images))


def test_vicreg_rewards_matching_pairs_and_penalises_collapse():
    z = torch.randn(64, 32, generator=torch.Generator().manual_seed(0))
    matched = vicreg(z, z + 0.01 * torch.randn_like(z))
    shuffled = vicreg(z, z[torch.randperm(64)])
    collapsed = vicreg(torch.zeros_like(z), torch.zeros_like(z))  # invariant, but no variance at all
    assert matched < shuffled and matched < collapsed and matched.ndim == 0
    assert collapsed == pytest.approx(1 - 1e-2, rel=1e-3)  # 25 x the branches' mean variance hinge, / 25
    assert vicreg(z.bfloat16(), z.bfloat16()).dtype == torch.float32


def test_the_joint_loss_pairs_both_global_views_with_each_crop():
    groups = [torch.randn(8, 16, generator=torch.Generator().manual_seed(i)) for i in range(4)]
    expected = torch.stack([nt_xent(groups[a], groups[b]) for a, b in [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3)]])
    assert torch.allclose(joint_loss(groups), expected.mean())
    assert torch.allclose(joint_loss(groups[:2], "vicreg"), vicreg(*groups[:2]))
    assert isinstance(head_for("vicreg", 10), Expander) and isinstance(head_for("nt_xent", 10), Projector)
    with pytest.raises(ValueError, match="unknown joint loss"):
        head_for("byol", 10)


@pytest.mark.parametrize("loss", ["nt_xent", "vicreg"])
def test_a_few_steps_lower_each_joint_loss(loss):
    torch.manual_seed(0)
    encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 64))
    head = head_for(loss, 64)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-3)
    images, generator = batch(32), torch.Generator().manual_seed(0)
    losses = []
    for _ in range(30):
        first, second = two_views(images, generator)
        value = joint_loss([head(encoder(first)), head(encoder(second))], loss)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        losses.append(value.item())
    assert sum(losses[-5:]) < sum(losses[:5])
