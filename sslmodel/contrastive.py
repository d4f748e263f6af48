"""The joint-embedding objectives: heads and losses that pull views of one image together.

SimCLR's NT-Xent (Chen et al. 2020) pulls two views together and pushes them away from the batch's other views;
VICReg (Bardes et al. 2022) keeps them close while holding every embedding dimension's variance up and the
dimensions decorrelated, with no negatives. The heads are used in training only; bundles keep the encoder.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

JOINT_LOSSES = ("nt_xent", "vicreg")
VICREG_COEFFICIENTS = (25.0, 25.0, 1.0)  # invariance, variance, covariance: the paper's


class Projector(nn.Module):
    """features (N, D) -> (N, out_dim): Linear, BatchNorm, ReLU, Linear (SimCLR's head)."""

    def __init__(self, in_dim: int, hidden_dim: int = 512, out_dim: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim), nn.ReLU(),
                                 nn.Linear(hidden_dim, out_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class Expander(nn.Module):
    """features (N, D) -> (N, width): VICReg's three-layer expander (two Linear-BatchNorm-ReLU, then Linear), 2048
    wide as in solo-learn's CIFAR configuration."""

    def __init__(self, in_dim: int, width: int = 2048):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                                 nn.Linear(width, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                                 nn.Linear(width, width))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


def head_for(loss: str, in_dim: int) -> nn.Module:
    if loss not in JOINT_LOSSES:
        raise ValueError(f"unknown joint loss {loss!r}; choose one of {', '.join(JOINT_LOSSES)}")
    return Expander(in_dim) if loss == "vicreg" else Projector(in_dim)


def nt_xent(first: torch.Tensor, second: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """Normalised-temperature cross-entropy of N positive pairs (rows of `first` and `second`), each view
    classifying its partner among the 2N - 1 other views. Computed in float32 whatever the input dtype."""
    z = F.normalize(torch.cat([first, second]).float(), dim=1)  # (2N, d)
    n = first.shape[0]
    similarity = z @ z.t() / temperature
    similarity.fill_diagonal_(float("-inf"))  # a view is not its own partner
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(similarity, partner)


def variance_and_covariance(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """VICReg's regularisers of one branch (N, D): the mean hinge of each dimension's standard deviation below 1,
    and the sum of the squared off-diagonal covariances over D."""
    z = z - z.mean(dim=0)
    variance = F.relu(1 - (z.var(dim=0) + 1e-4).sqrt()).mean()
    covariance = z.T @ z / (len(z) - 1)
    off_diagonal = covariance.pow(2).sum() - covariance.diagonal().pow(2).sum()
    return variance, off_diagonal / z.shape[1]


def vicreg(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """VICReg between N pairs of embeddings, divided by the invariance coefficient (25): the paper's balance of
    its three terms, at a scale comparable to NT-Xent's so that the joint weight means about the same for both."""
    first, second = first.float(), second.float()
    invariance = F.mse_loss(first, second)
    variance_a, covariance_a = variance_and_covariance(first)
    variance_b, covariance_b = variance_and_covariance(second)
    lam, mu, nu = VICREG_COEFFICIENTS
    total = lam * invariance + mu * (variance_a + variance_b) / 2 + nu * (covariance_a + covariance_b)
    return total / lam


def joint_loss(groups: list[torch.Tensor], loss: str = "nt_xent", temperature: float = 0.2) -> torch.Tensor:
    """The joint loss over the views of N images, `groups` of (N, d) embeddings: the masked image's, the whole
    view's, then any small crops'. The two global views form one pair; each small crop is paired with both
    (multi-crop: a local view predicts the global ones). The mean over the pairs."""
    pairs = [(0, 1)] + [(anchor, crop) for crop in range(2, len(groups)) for anchor in (0, 1)]
    def one(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return vicreg(a, b) if loss == "vicreg" else nt_xent(a, b, temperature)
    return torch.stack([one(groups[a], groups[b]) for a, b in pairs]).mean()
