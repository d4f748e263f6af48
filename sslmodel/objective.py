"""What a training step optimises: inpainting alone, or inpainting together with a contrastive loss.

Both objectives live in one module (`Objective`), so that DistributedDataParallel and torch.compile see every
parameter that a step updates: the inpainting model's and, when the contrastive loss is on, the projection head's.

The contrastive loss costs about half an inpainting step, not a step of its own: the masked image's encoder
stages come from the inpainting pass itself, and its partner is one augmented view of the same image, masked with
holes of its own and passed through the encoder only (no decoder). SimCLR's NT-Xent pulls the two together. The
features are those the linear probe reads (the pooled encoder stages), or the deep stage alone. Bundles keep the
model, not the head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .contrastive import Projector, nt_xent

FEATURE_STAGES = ("all", "deep")  # which pooled encoder stages the contrastive loss acts on


@dataclass(frozen=True)
class StepLosses:
    """The step's loss to minimise and its parts, as tensors (read on the host once per step)."""
    total: torch.Tensor
    inpainting: torch.Tensor
    contrastive: torch.Tensor


def feature_width(model: nn.Module, stages: str = "all", size: int = 32) -> int:
    """The length of the model's pooled `stages` for one image (a tiny forward pass, without gradients)."""
    with torch.no_grad():
        was_training = model.training
        model.eval()
        images = torch.zeros(2, 3, size, size, device=next(model.parameters()).device)
        holes = torch.zeros(2, size, size, dtype=torch.bool, device=images.device)
        width = model.masked_features(images, holes, stages).shape[1]
        model.train(was_training)
    return width


class Objective(nn.Module):
    """The inpainting model, and a projection head on its pooled encoder `stages` when `contrastive` is set.

    forward(images, holes, view, view_holes) -> (reconstruction, projections): `view` is an augmented view of
    every image with its own holes, or None for inpainting alone (then projections is None). projections is
    (2N, d): the masked images' first, then their views'.
    """

    def __init__(self, model: nn.Module, contrastive: bool = False, stages: str = "all"):
        super().__init__()
        if stages not in FEATURE_STAGES:
            raise ValueError(f"unknown feature stages {stages!r}; choose one of {', '.join(FEATURE_STAGES)}")
        self.model, self.stages = model, stages
        self.projector = Projector(feature_width(model, stages)) if contrastive else None

    def forward(self, images: torch.Tensor, holes: torch.Tensor, view: torch.Tensor | None = None,
                view_holes: torch.Tensor | None = None):
        if view is None or self.projector is None:
            return self.model(images, holes), None
        reconstruction, features = self.model.forward_with_features(images, holes, self.stages)
        view_features = self.model.masked_features(view, view_holes, self.stages)
        return reconstruction, self.projector(torch.cat([features, view_features]))


def step_losses(inpainting: torch.Tensor, projections: torch.Tensor | None, contrastive_weight: float,
                temperature: float) -> StepLosses:
    """Inpainting plus `contrastive_weight` times NT-Xent between the two halves of `projections`."""
    if projections is None:
        return StepLosses(inpainting, inpainting, torch.zeros_like(inpainting))
    first, second = projections.float().chunk(2)
    contrastive = nt_xent(first, second, temperature)
    return StepLosses(inpainting + contrastive_weight * contrastive, inpainting, contrastive)
