"""A 2-D map of feature vectors: exact t-SNE (van der Maaten & Hinton 2008) for up to a few thousand points.

Distances are cosine (features are L2-normalised first), as for the look-alikes. Written out here rather than
imported: scikit-learn would be a large dependency for one function, and at 1,000 points the exact algorithm is
a few (N, N) matrix products per iteration, a second or two on a CPU. `place` puts a new point on an existing map from
its nearest neighbours, so the map is made once and a query costs one nearest-neighbour search.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .probe.knn import nearest


def squared_distances(features: torch.Tensor) -> torch.Tensor:
    """(N, N) squared Euclidean distances of the L2-normalised rows: 2 - 2 cos."""
    unit = F.normalize(features.double(), dim=1)
    return (2 - 2 * unit @ unit.T).clamp_min(0)


def affinities(distances: torch.Tensor, perplexity: float, steps: int = 64) -> torch.Tensor:
    """Symmetric joint probabilities P (N, N): each row's Gaussian precision found by bisection so that its
    conditional distribution has the given perplexity, all rows at once."""
    n = len(distances)
    target = math.log(min(perplexity, (n - 1) / 3))
    low = torch.zeros(n, 1, dtype=distances.dtype)
    high = torch.full((n, 1), float("inf"), dtype=distances.dtype)
    beta = torch.ones(n, 1, dtype=distances.dtype)
    off_diagonal = ~torch.eye(n, dtype=torch.bool)
    for _ in range(steps):
        logits = torch.where(off_diagonal, -distances * beta, -torch.inf)
        conditional = logits.softmax(dim=1)
        entropy = -(conditional * conditional.clamp_min(1e-300).log()).sum(dim=1, keepdim=True)
        too_flat = entropy > target  # too spread out: raise the precision
        low = torch.where(too_flat, beta, low)
        high = torch.where(too_flat, high, beta)
        beta = torch.where(torch.isinf(high), beta * 2, (low + high) / 2)
    joint = conditional + conditional.T
    return (joint / joint.sum()).clamp_min(1e-12)


def tsne(features: torch.Tensor, perplexity: float = 30.0, iterations: int = 600, seed: int = 0) -> torch.Tensor:
    """(N, D) features -> (N, 2) float32 coordinates, deterministic for a seed. Early exaggeration (12x for the
    first 250 iterations), momentum 0.5 then 0.8, and per-coordinate gains, as in the paper and scikit-learn."""
    n = len(features)
    if n < 4:
        return torch.zeros(n, 2)
    p = affinities(squared_distances(features), perplexity)
    centred = features.double() - features.double().mean(0)
    start = torch.linalg.svd(centred, full_matrices=False)[0][:, :2]  # PCA start: stable, seed-free layout
    y = start / start[:, 0].std() * 1e-4
    y = y + 1e-6 * torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=y.dtype)
    learning_rate = max(n / 12 / 4, 50.0)
    p, y = p.float(), y.float()
    velocity, gains = torch.zeros_like(y), torch.ones_like(y)
    for step in range(iterations):
        exaggeration, momentum = (12.0, 0.5) if step < 250 else (1.0, 0.8)
        squared = (y * y).sum(1)
        kernel = 1 / (1 + (squared.unsqueeze(1) + squared.unsqueeze(0) - 2 * y @ y.T).clamp_min(0))  # Student-t
        kernel.fill_diagonal_(0)
        q = (kernel / kernel.sum()).clamp_min(1e-12)
        weight = (exaggeration * p - q) * kernel
        gradient = 4 * (weight.sum(1, keepdim=True) * y - weight @ y)  # sum_j w_ij (y_i - y_j), as matrix products
        same_sign = (gradient > 0) == (velocity > 0)
        gains = torch.where(same_sign, gains * 0.8, gains + 0.2).clamp_min(0.01)
        velocity = momentum * velocity - learning_rate * gains * gradient
        y = y - y.mean(0) + velocity
    return y.float()


def place(queries: torch.Tensor, features: torch.Tensor, coordinates: torch.Tensor, k: int = 8) -> torch.Tensor:
    """(M, D) new points -> (M, 2) on a map of `features`: the similarity-weighted mean of their k nearest
    neighbours' coordinates (cosine)."""
    similarity, index = nearest(queries, features, k)
    weights = (similarity / 0.1).softmax(dim=1).unsqueeze(-1)           # (M, k, 1)
    return (weights * coordinates[index]).sum(1)
