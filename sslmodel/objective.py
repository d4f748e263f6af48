"""What a training step optimises: inpainting alone, or inpainting together with a contrastive loss.

Both objectives live in one module (`Objective`), so that DistributedDataParallel and torch.compile see every
parameter that a step updates: the inpainting model's and, when the contrastive loss is on, the projection head's.

The joint loss costs about half an inpainting step, not a step of its own: the masked image's encoder stages come
from the inpainting pass itself, and its partner is one augmented view of the same image passed through the encoder
only (no decoder); small crops, if any, are further encoder-only passes at their own size. NT-Xent or VICReg
(contrastive.py) pulls them together. The features are those the linear probe reads (the pooled encoder stages),
or the deep stage alone. Bundles keep the model, not the head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .contrastive import head_for, joint_loss

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


def scale_gradient(tensor: torch.Tensor, scale: float) -> torch.Tensor:
    """`tensor` unchanged going forward; the gradient flowing back through it times `scale`."""
    if scale == 1.0:
        return tensor
    return tensor * scale + tensor.detach() * (1 - scale)


class Objective(nn.Module):
    """The inpainting model, and the joint `loss`'s head (NT-Xent's projector or VICReg's expander) on its pooled
    encoder `stages` when `contrastive` is set. The head learns from the joint loss at full strength; the shared
    encoder gets that loss's gradient times `encoder_grad_scale`, so that it can be kept from drowning out what
    inpainting needs.

    forward(images, holes, view, view_holes, crops) -> (reconstruction, projections): `view` is an augmented view
    of every image with its own holes, or None for inpainting alone (then projections is None); `crops` is None or
    (k * N, 3, h, w): k small crops of every image, crop by crop. projections is ((2 + k) * N, d): the masked
    images' first, then their views', then the crops'.
    """

    def __init__(self, model: nn.Module, contrastive: bool = False, stages: str = "all", loss: str = "nt_xent",
                 encoder_grad_scale: float = 1.0):
        super().__init__()
        if stages not in FEATURE_STAGES:
            raise ValueError(f"unknown feature stages {stages!r}; choose one of {', '.join(FEATURE_STAGES)}")
        self.model, self.stages, self.encoder_grad_scale = model, stages, encoder_grad_scale
        self.projector = head_for(loss, feature_width(model, stages)) if contrastive else None

    def forward(self, images: torch.Tensor, holes: torch.Tensor, view: torch.Tensor | None = None,
                view_holes: torch.Tensor | None = None, crops: torch.Tensor | None = None):
        if view is None or self.projector is None:
            return self.model(images, holes), None
        reconstruction, features = self.model.forward_with_features(images, holes, self.stages)
        features = [features, self.model.masked_features(view, view_holes, self.stages)]
        if crops is not None:
            no_holes = torch.zeros(crops.shape[0], *crops.shape[2:], dtype=torch.bool, device=crops.device)
            features.append(self.model.masked_features(crops, no_holes, self.stages))
        joint = scale_gradient(torch.cat(features), self.encoder_grad_scale)
        return reconstruction, self.projector(joint)


def step_losses(inpainting: torch.Tensor, projections: torch.Tensor | None, contrastive_weight: float,
                temperature: float, loss: str = "nt_xent", views: int = 2) -> StepLosses:
    """Inpainting plus `contrastive_weight` times the joint `loss` over the `views` equal groups of `projections`
    (contrastive.joint_loss)."""
    if projections is None:
        return StepLosses(inpainting, inpainting, torch.zeros_like(inpainting))
    contrastive = joint_loss(list(projections.float().chunk(views)), loss, temperature)
    return StepLosses(inpainting + contrastive_weight * contrastive, inpainting, contrastive)
