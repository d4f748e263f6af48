"""The contrastive objective: a projection head and the NT-Xent loss (SimCLR, Chen et al. 2020).

The encoder's pooled features of two views of the same image are pulled together and pushed away from the
other 2N - 2 views in the batch. The head is used in training only; bundles keep the encoder, not the head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Projector(nn.Module):
    """features (N, D) -> (N, out_dim): Linear, BatchNorm, ReLU, Linear (SimCLR's head)."""

    def __init__(self, in_dim: int, hidden_dim: int = 512, out_dim: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim), nn.ReLU(),
                                 nn.Linear(hidden_dim, out_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


def nt_xent(first: torch.Tensor, second: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """Normalised-temperature cross-entropy of N positive pairs (rows of `first` and `second`), each view
    classifying its partner among the 2N - 1 other views. Computed in float32 whatever the input dtype."""
    z = F.normalize(torch.cat([first, second]).float(), dim=1)  # (2N, d)
    n = first.shape[0]
    similarity = z @ z.t() / temperature
    similarity.fill_diagonal_(float("-inf"))  # a view is not its own partner
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(similarity, partner)
