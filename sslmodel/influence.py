"""Where did it look? How strongly each known pixel sways the model's prediction of the missing ones.

For a missing pixel p, the influence of a known pixel q is the size of the gradient of p's predicted colour with
respect to q's colour: sum over p's three output channels and q's three input channels of |d out[c, p] / d in[c', q]|.
With no pixel chosen it is the same for the whole hole's fill (the sum of every missing pixel's prediction, per
output channel). Missing pixels never count: the model never sees them. One forward and one backward pass over
a batch of three copies (one per output channel): a few milliseconds for the shipped networks.

A number people can compare: the share of the influence that comes from known pixels further than `FAR` pixels
from the target (Euclidean, to the nearest target pixel). A network that copies neighbours has a share near zero;
one that reads the whole image, a large one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .convert import nhwc_to_float

FAR = 8.0  # pixels


@dataclass
class Influence:
    weights: np.ndarray  # float64 (H, W): gradient magnitudes, 0 on every missing pixel
    targets: np.ndarray  # bool (H, W): the predicted pixels they are for (the chosen one, or the whole hole)
    far_share: float | None  # the share of the weights further than FAR from the targets; None: no weight at all

    @property
    def pixel(self) -> tuple[int, int] | None:
        """(row, column) of the chosen pixel, None when the map is for the whole hole."""
        rows, cols = np.nonzero(self.targets)
        return (int(rows[0]), int(cols[0])) if len(rows) == 1 else None


def distance_to(targets: np.ndarray) -> np.ndarray:
    """float (H, W): every pixel's Euclidean distance to the nearest True pixel of `targets` (inf: none)."""
    height, width = targets.shape
    grid = np.stack(np.mgrid[0:height, 0:width], axis=-1).reshape(-1, 1, 2)  # (HW, 1, 2)
    points = np.argwhere(targets).reshape(1, -1, 2)  # (1, K, 2)
    if points.shape[1] == 0:
        return np.full(targets.shape, np.inf)
    return np.sqrt(((grid - points) ** 2).sum(-1)).min(axis=1).reshape(height, width)


def influence(model: nn.Module, image: np.ndarray, holes: np.ndarray,
              pixel: tuple[int, int] | None = None) -> Influence:
    """The influence map of uint8 (H, W, 3) `image` with bool (H, W) `holes` for the missing `pixel` (row, column),
    or for the whole hole when `pixel` is None or not missing."""
    holes = np.array(holes, dtype=bool)  # a copy: torch takes no read-only arrays
    targets = np.zeros_like(holes)
    if pixel is not None and 0 <= pixel[0] < holes.shape[0] and 0 <= pixel[1] < holes.shape[1] and holes[pixel]:
        targets[pixel] = True
    else:
        targets = holes.copy()
    if not targets.any():  # no hole: nothing is predicted, so nothing to trace
        return Influence(np.zeros(holes.shape), targets, None)
    parameter = next(model.parameters())
    images = nhwc_to_float(np.asarray(image, dtype=np.uint8)).to(parameter.device).expand(3, -1, -1, -1).clone()
    hole_batch = torch.from_numpy(holes).to(parameter.device).expand(3, -1, -1)
    chosen = torch.from_numpy(targets).to(parameter.device)
    channel = torch.arange(3)
    with torch.enable_grad():
        images.requires_grad_(True)
        output = model.eval()(images, hole_batch)  # (3, 3, H, W): copy c answers for output channel c
        total = (output[channel, channel] * chosen).sum()
        gradient, = torch.autograd.grad(total, images)
    weights = gradient.abs().sum(dim=(0, 1)).double().cpu().numpy()  # over output and input channels: (H, W)
    weights[holes] = 0.0
    mass = weights.sum()
    far_share = float(weights[distance_to(targets) > FAR].sum() / mass) if mass > 0 else None
    return Influence(weights, targets, far_share)
