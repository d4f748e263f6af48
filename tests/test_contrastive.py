"""The contrastive objective's pieces: batched views and the NT-Xent loss."""

import torch

from sslmodel.contrastive import Projector, nt_xent
from sslmodel.views import ViewConfig, augment, color_jitter, gray, resized_crop, two_views


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
