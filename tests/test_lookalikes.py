"""The neighbour search, the kNN classifier and the 2-D map, on tiny fixtures with a known answer."""

import torch

from sslmodel.probe.knn import knn_accuracy, knn_predict, nearest
from sslmodel.projection import place, tsne


def clusters(n_per_class: int = 30, classes: int = 4, dim: int = 16, seed: int = 0):
    """Points around `classes` well-separated directions: cosine neighbours share their class."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, dim, generator=generator) * 4
    labels = torch.arange(classes).repeat_interleave(n_per_class)
    return centres[labels] + torch.randn(len(labels), dim, generator=generator), labels


def test_nearest_finds_the_most_cosine_similar_rows_in_order():
    bank = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    similarity, index = nearest(torch.tensor([[2.0, 0.1], [0.0, -3.0]]), bank, k=2)
    assert index[0].tolist() == [0, 2] and similarity[0, 0] > similarity[0, 1]
    assert index[1, 0] not in (1, 2), "(0, -3) points away from (0, 1) and (1, 1)"
    assert torch.allclose(similarity[0, 0], torch.cosine_similarity(torch.tensor([2.0, 0.1]), bank[0], dim=0))
    assert nearest(torch.zeros(3, 2) + 1, bank, k=10)[1].shape == (3, 4), "k is capped by the bank"


FLOAT32_ROUNDING = 1e-5  # a float32 cosine computed by another kernel (a chunk's matrix product, another CPU's SIMD)


def test_nearest_is_the_same_in_chunks():
    """Chunks change how matrix products round, not which neighbours are found: both runs give the exact (float64)
    k nearest similarities, and indices that differ only where two candidates tie within float32 rounding."""
    queries, _ = clusters()
    bank, _ = clusters(seed=1)
    unit_queries = torch.nn.functional.normalize(queries.double(), dim=1)
    exact = unit_queries @ torch.nn.functional.normalize(bank.double(), dim=1).T  # (N, M)
    best = exact.topk(5, dim=1).values
    for chunk in (1000, 7):
        similarity, index = nearest(queries, bank, 5, chunk=chunk)
        assert torch.allclose(similarity.double(), best, rtol=0, atol=FLOAT32_ROUNDING)
        assert torch.allclose(exact.gather(1, index), best, rtol=0, atol=FLOAT32_ROUNDING), "the true neighbours"
    whole, chunked = nearest(queries, bank, 5, chunk=1000), nearest(queries, bank, 5, chunk=7)
    ranked = exact.topk(6, dim=1).values  # one more: the 5th may tie with the first left out
    tie = (ranked[:, :-1] - ranked[:, 1:]) < 2 * FLOAT32_ROUNDING  # (N, 5): rank i ties with rank i + 1
    settled = ~tie & ~torch.cat([torch.zeros_like(tie[:, :1]), tie[:, :-1]], dim=1)  # ties with neither neighbour
    assert settled.float().mean() > 0.9, "the fixture has few ties, so the next line checks most ranks"
    assert torch.equal(whole[1][settled], chunked[1][settled])


def test_knn_classifies_clustered_points_and_not_shuffled_labels():
    bank, bank_labels = clusters(seed=0)
    queries, labels = clusters(seed=0)
    queries = queries + 0.5 * torch.randn(queries.shape, generator=torch.Generator().manual_seed(2))
    assert knn_accuracy(queries, labels, bank, bank_labels, k=10) > 95
    shuffled = bank_labels[torch.randperm(len(bank_labels), generator=torch.Generator().manual_seed(3))]
    assert knn_accuracy(queries, labels, bank, shuffled, k=10) < 60
    scores = knn_predict(queries[:2], bank, bank_labels, num_classes=4, k=10)
    assert scores.shape == (2, 4) and (scores >= 0).all()


def test_tsne_keeps_clusters_apart_and_is_deterministic():
    features, labels = clusters()
    coordinates = tsne(features, perplexity=10, iterations=300)
    assert coordinates.shape == (len(features), 2) and torch.isfinite(coordinates).all()
    distances = torch.cdist(coordinates, coordinates).fill_diagonal_(float("inf"))
    assert (labels[distances.argmin(1)] == labels).float().mean() > 0.9
    assert torch.equal(coordinates, tsne(features, perplexity=10, iterations=300))
    scrambled = tsne(torch.randn(features.shape, generator=torch.Generator().manual_seed(5)), 10, 300)
    scrambled_distances = torch.cdist(scrambled, scrambled).fill_diagonal_(float("inf"))
    assert (labels[scrambled_distances.argmin(1)] == labels).float().mean() < 0.6, "noise has no clusters to keep"


def test_a_new_point_lands_among_its_neighbours():
    features, labels = clusters()
    coordinates = tsne(features, perplexity=10, iterations=300)
    placed = place(features[:1] * 1.01, features, coordinates, k=5)
    same_class = coordinates[labels == labels[0]]
    own_spread = torch.cdist(same_class, same_class).max()
    assert torch.cdist(placed, same_class).min() < own_spread
