"""What a training step optimises: inpainting alone, or inpainting together with a contrastive loss.

Both objectives live in one module (`Objective`), so that DistributedDataParallel and torch.compile see every
parameter that a step updates: the inpainting model's and, when the contrastive loss is on, the projection head's.
The contrastive loss (SimCLR's NT-Xent) acts on the model's `features`, the pooled encoder stages that the linear
probe reads, so it shapes exactly the representation that the probe measures. Bundles keep the model, not the head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .contrastive import Projector, nt_xent
from .views import two_views


@dataclass(frozen=True)
class StepLosses:
    """The step's loss to minimise and its parts, as tensors (read on the host once per step)."""
    total: torch.Tensor
    inpainting: torch.Tensor
    contrastive: torch.Tensor


def feature_width(model: nn.Module, size: int = 32) -> int:
    """The length of `model.features` for one image (a tiny forward pass, without gradients)."""
    with torch.no_grad():
        was_training = model.training
        model.eval()
        width = model.features(torch.zeros(2, 3, size, size, device=next(model.parameters()).device)).shape[1]
        model.train(was_training)
    return width


class Objective(nn.Module):
    """The inpainting model, and a projection head on its features when `contrastive` is set.

    forward(images, holes, views) -> (reconstruction, projections): `views` are the two augmented views of the
    batch stacked as (2N, 3, H, W), or None for inpainting alone (then projections is None).
    """

    def __init__(self, model: nn.Module, contrastive: bool = False):
        super().__init__()
        self.model = model
        self.projector = Projector(feature_width(model)) if contrastive else None

    def forward(self, images: torch.Tensor, holes: torch.Tensor, views: torch.Tensor | None = None):
        reconstruction = self.model(images, holes)
        if views is None or self.projector is None:
            return reconstruction, None
        return reconstruction, self.projector(self.model.features(views))


def stacked_views(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Two augmented views of every image (the contrastive loss's positive pairs), stacked as (2N, 3, H, W)."""
    first, second = two_views(images, generator)
    return torch.cat([first, second]).contiguous(memory_format=torch.channels_last)


def step_losses(inpainting: torch.Tensor, projections: torch.Tensor | None, contrastive_weight: float,
                temperature: float) -> StepLosses:
    """Inpainting plus `contrastive_weight` times NT-Xent between the two halves of `projections` (the views)."""
    if projections is None:
        return StepLosses(inpainting, inpainting, torch.zeros_like(inpainting))
    first, second = projections.float().chunk(2)
    contrastive = nt_xent(first, second, temperature)
    return StepLosses(inpainting + contrastive_weight * contrastive, inpainting, contrastive)
