"""Scoring hole filling on fixed holes: hole PSNR (and PSNR and SSIM of the composite) per hole family.

Anything that fills holes is scored the same way, a network as OpenCV or the mean colour: a fill function takes
float images (N, 3, H, W) in [0, 1] and holes (N, H, W), True = missing, and returns float images of the same
shape. It gets the whole images, so not looking under the hole is its job (every model hides it first). Only its
pixels in the hole count: the known pixels are put back before scoring.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import torch

from . import metrics
from .convert import to_float
from .holes import EVAL_FAMILIES, fixed_holes

Fill = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def reconstruct(model, images: torch.Tensor, holes: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The model's raw output for float images (N, 3, H, W) in [0, 1] and holes: batched, run on its device."""
    model.eval()
    device = next(model.parameters()).device
    out = [model(images[i:i + batch_size].to(device).contiguous(memory_format=torch.channels_last),
                 holes[i:i + batch_size].to(device)).float().cpu()
           for i in range(0, len(images), batch_size)]
    return torch.cat(out)


@torch.no_grad()
def evaluate_fill(fill: Fill, images_uint8: torch.Tensor, families=EVAL_FAMILIES, seed: int = 0,
                  with_ssim: bool = False) -> dict[str, dict[str, float]]:
    """Mean hole PSNR (and whole-image PSNR and SSIM of the composite) per hole family, on fixed holes."""
    images = to_float(images_uint8)
    results = {}
    for family in families:
        holes = fixed_holes(family, len(images), images.shape[-1], seed)
        filled = metrics.composite(images, fill(images, holes), holes)
        row = {"hole_psnr": metrics.hole_psnr(filled, images, holes).nanmean().item()}
        if with_ssim:
            row["psnr"] = metrics.psnr(filled, images).mean().item()
            row["ssim"] = metrics.ssim(filled, images).mean().item()
        results[family] = row
    return results


def evaluate_model(model, images_uint8: torch.Tensor, families=EVAL_FAMILIES, seed: int = 0,
                   with_ssim: bool = False) -> dict[str, dict[str, float]]:
    """`evaluate_fill` with the model's reconstruction as the fill."""
    return evaluate_fill(partial(reconstruct, model), images_uint8, families, seed, with_ssim)
