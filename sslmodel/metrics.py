"""Image quality metrics, on float images in [0, 1] of shape (N, 3, H, W). Each returns one value per image."""

from __future__ import annotations

import torch
import torch.nn.functional as F

MAX_PSNR = 100.0  # a perfect reconstruction would be infinite; cap it so averages stay finite


def _psnr(squared_error_sum: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    mse = squared_error_sum / count.clamp_min(1)
    return (10 * torch.log10(1 / mse.clamp_min(10 ** (-MAX_PSNR / 10)))).clamp(max=MAX_PSNR)


def hole_psnr(prediction: torch.Tensor, target: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
    """PSNR over the missing pixels only, per image (N,). NaN for an image with no hole."""
    inside = holes.unsqueeze(1).to(prediction.dtype)
    squared_error = ((prediction - target) ** 2 * inside).flatten(1).sum(1)
    count = inside.flatten(1).sum(1) * prediction.shape[1]
    return torch.where(count > 0, _psnr(squared_error, count), torch.full_like(count, float("nan")))


def psnr(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Whole-image PSNR, per image (N,)."""
    squared_error = ((prediction - target) ** 2).flatten(1).sum(1)
    return _psnr(squared_error, torch.full_like(squared_error, prediction[0].numel()))


def _gaussian_window(size: int = 11, sigma: float = 1.5, device=None) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(3, 1, size, size)


def ssim(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, valid region), per image (N,)."""
    window = _gaussian_window(device=prediction.device).to(prediction.dtype)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    channels = prediction.shape[1]
    blur = lambda x: F.conv2d(x, window[:channels], groups=channels)  # noqa: E731
    mu_p, mu_t = blur(prediction), blur(target)
    var_p = blur(prediction * prediction) - mu_p ** 2
    var_t = blur(target * target) - mu_t ** 2
    cov = blur(prediction * target) - mu_p * mu_t
    ssim_map = ((2 * mu_p * mu_t + c1) * (2 * cov + c2)) / ((mu_p ** 2 + mu_t ** 2 + c1) * (var_p + var_t + c2))
    return ssim_map.flatten(1).mean(1)


def composite(images: torch.Tensor, reconstruction: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
    """The known pixels of `images`, with the hole filled from `reconstruction`."""
    return torch.where(holes.unsqueeze(1), reconstruction, images)
