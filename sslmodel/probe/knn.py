"""A k-nearest-neighbour classifier on frozen features: the lightly and solo-learn benchmarks' protocol.

Cosine similarity between L2-normalised features; each of the k nearest images of the memory bank (the labelled
training images) votes for its class with weight exp(similarity / temperature) (Wu et al. 2018's weighted kNN,
solo-learn's default: k = 200, temperature 0.07). Also the nearest-neighbour search the app's look-alikes use.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

KNN_K = 200
KNN_TEMPERATURE = 0.07


def nearest(queries: torch.Tensor, bank: torch.Tensor, k: int, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """The `k` most cosine-similar rows of `bank` for each query: (similarities, indices), each (N, k), most
    similar first. Features need not be normalised; queries go in chunks so the (N, M) matrix never exists."""
    bank = F.normalize(bank.float(), dim=1)
    k = min(k, len(bank))
    found = [(F.normalize(queries[i:i + chunk].float(), dim=1) @ bank.T).topk(k, dim=1)
             for i in range(0, len(queries), chunk)]
    return torch.cat([s for s, _ in found]), torch.cat([i for _, i in found])


def knn_predict(queries: torch.Tensor, bank: torch.Tensor, bank_labels: torch.Tensor, num_classes: int,
                k: int = KNN_K, temperature: float = KNN_TEMPERATURE) -> torch.Tensor:
    """Class scores (N, num_classes) from the weighted votes of each query's k nearest bank images."""
    similarity, index = nearest(queries, bank, k)
    votes = torch.zeros(len(queries), num_classes)
    return votes.scatter_add_(1, bank_labels[index], (similarity / temperature).exp())


def knn_accuracy(queries: torch.Tensor, labels: torch.Tensor, bank: torch.Tensor, bank_labels: torch.Tensor,
                 k: int = KNN_K, temperature: float = KNN_TEMPERATURE) -> float:
    """Top-1 accuracy (%) of the weighted kNN classifier."""
    num_classes = int(max(labels.max(), bank_labels.max())) + 1
    scores = knn_predict(queries, bank, bank_labels, num_classes, k, temperature)
    return 100.0 * (scores.argmax(1) == labels).float().mean().item()
