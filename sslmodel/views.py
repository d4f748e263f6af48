"""Two augmented views of a batch, for the contrastive objective (SimCLR's recipe, scaled to 32x32).

Every transform is one batched tensor op with per-image parameters drawn from the given generator:
random resized crop with a horizontal flip (one `affine_grid` + `grid_sample`), colour jitter (brightness,
contrast, saturation) and random grayscale. Images are float (N, 3, H, W) in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R 601 luma
SMALL_CROP_SCALE = (0.1, 0.4)  # area of a small crop, as a fraction of the image


@dataclass(frozen=True)
class ViewConfig:
    crop_scale: tuple[float, float] = (0.2, 1.0)  # area of the crop, as a fraction of the image
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)  # aspect ratio of the crop
    jitter: float = 0.4                  # brightness, contrast and saturation factors in [1 - j, 1 + j]
    jitter_probability: float = 0.8
    gray_probability: float = 0.2


def _uniform(n: int, low: float, high: float, generator: torch.Generator, device) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator, device=device)


def resized_crop(images: torch.Tensor, config: ViewConfig, generator: torch.Generator,
                 size: int | None = None) -> torch.Tensor:
    """A random crop of every image, resized to `size` x `size` (default: the image's), bilinear, flipped for half
    of them."""
    n, device = images.shape[0], images.device
    area = _uniform(n, *config.crop_scale, generator, device)
    log_ratio = _uniform(n, math.log(config.crop_ratio[0]), math.log(config.crop_ratio[1]), generator, device)
    ratio = log_ratio.exp()
    width = (area * ratio).sqrt().clamp(max=1.0)  # fractions of the image side
    height = (area / ratio).sqrt().clamp(max=1.0)
    centre_x = (1 - width) * (2 * torch.rand(n, generator=generator, device=device) - 1)  # in [-1, 1] coordinates
    centre_y = (1 - height) * (2 * torch.rand(n, generator=generator, device=device) - 1)
    flip = torch.where(torch.rand(n, generator=generator, device=device) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=device, dtype=images.dtype)
    theta[:, 0, 0], theta[:, 0, 2] = width * flip, centre_x
    theta[:, 1, 1], theta[:, 1, 2] = height, centre_y
    out_shape = list(images.shape[:2]) + [size or images.shape[-2], size or images.shape[-1]]
    grid = F.affine_grid(theta, out_shape, align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def gray(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) -> luma (N, 1, H, W)."""
    weights = torch.tensor(GRAY_WEIGHTS, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    return (images * weights).sum(dim=1, keepdim=True)


def color_jitter(images: torch.Tensor, config: ViewConfig, generator: torch.Generator) -> torch.Tensor:
    """Brightness, contrast and saturation, each scaled by a factor in [1 - jitter, 1 + jitter], applied to a
    `jitter_probability` of the images; then grayscale for a `gray_probability` of them."""
    n, device = images.shape[0], images.device
    factors = _uniform(3 * n, 1 - config.jitter, 1 + config.jitter, generator, device).view(3, n, 1, 1, 1)
    apply = (torch.rand(n, generator=generator, device=device) < config.jitter_probability).view(n, 1, 1, 1)
    factors = torch.where(apply, factors, torch.ones_like(factors))
    out = images * factors[0]                                                    # brightness
    mean = gray(out).mean(dim=(2, 3), keepdim=True)
    out = (out - mean) * factors[1] + mean                                       # contrast
    luma = gray(out)
    out = (out - luma) * factors[2] + luma                                       # saturation
    to_gray = (torch.rand(n, generator=generator, device=device) < config.gray_probability).view(n, 1, 1, 1)
    return torch.where(to_gray, gray(out).expand_as(out), out).clamp(0, 1)


def augment(images: torch.Tensor, generator: torch.Generator, config: ViewConfig = ViewConfig(),
            size: int | None = None) -> torch.Tensor:
    """One random view of every image, `size` pixels square (default: the image's)."""
    return color_jitter(resized_crop(images, config, generator, size), config, generator)


def small_crops(images: torch.Tensor, count: int, generator: torch.Generator, config: ViewConfig = ViewConfig(),
                size: int = 16) -> torch.Tensor:
    """`count` small views of every image (multi-crop, Caron et al. 2020): crops of 10 to 40% of the image at
    `size` x `size`, so that each costs an encoder pass at a quarter of the pixels. (count * N, 3, size, size),
    crop by crop."""
    local = replace(config, crop_scale=SMALL_CROP_SCALE)
    return torch.cat([augment(images, generator, local, size) for _ in range(count)])


def two_views(images: torch.Tensor, generator: torch.Generator,
              config: ViewConfig = ViewConfig()) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent random views of every image (the positive pairs of a contrastive loss)."""
    return augment(images, generator, config), augment(images, generator, config)
