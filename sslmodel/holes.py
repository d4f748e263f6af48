"""Hole generators for the inpainting pretext task.

Convention, used everywhere in this package: a hole map is a bool tensor of shape (N, H, W),
True where a pixel is missing. All colour channels of a pixel are missing together.

Every generator is batched and vectorised (no Python loop per image) and draws its randomness
from the `torch.Generator` it is given, so the same seed gives the same holes.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

Generator = torch.Generator | None


def _uniform(n: int, low: float, high: float, generator: Generator, device) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator, device=device)


def _as_per_image(value, n: int, device) -> torch.Tensor:
    """A scalar or an (N,) tensor of per-image parameters, as a float tensor of shape (N,)."""
    return torch.as_tensor(value, dtype=torch.float32, device=device).expand(n)


def pixels(n: int, size: int = 32, *, p: float | torch.Tensor = 0.5, generator: Generator = None,
           device="cpu") -> torch.Tensor:
    """Each pixel missing independently with probability `p` (a float, or one per image)."""
    p = _as_per_image(p, n, device).view(n, 1, 1)
    return torch.rand(n, size, size, generator=generator, device=device) < p


def center(n: int, size: int = 32, *, side: int = 16, generator: Generator = None, device="cpu") -> torch.Tensor:
    """A centred square of `side` pixels."""
    hole = torch.zeros(n, size, size, dtype=torch.bool, device=device)
    start = (size - side) // 2
    hole[:, start:start + side, start:start + side] = True
    return hole


def _grid(size: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    coords = torch.arange(size, device=device, dtype=torch.float32)
    return coords.view(1, 1, size, 1), coords.view(1, 1, 1, size)  # rows (1,1,H,1), cols (1,1,1,W)


def boxes(n: int, size: int = 32, *, count: tuple[int, int] = (1, 3), side: tuple[float, float] = (6, 14),
          generator: Generator = None, device="cpu") -> torch.Tensor:
    """`count` random rectangles per image, each side uniform in `side` pixels (scaled to `size`/32)."""
    k = count[1]
    scale = size / 32
    heights = torch.floor(_uniform(n * k, side[0] * scale, side[1] * scale + 1, generator, device)).view(n, k, 1, 1)
    widths = torch.floor(_uniform(n * k, side[0] * scale, side[1] * scale + 1, generator, device)).view(n, k, 1, 1)
    tops = torch.floor(torch.rand(n, k, 1, 1, generator=generator, device=device) * (size - heights + 1))
    lefts = torch.floor(torch.rand(n, k, 1, 1, generator=generator, device=device) * (size - widths + 1))
    used = torch.randint(count[0], count[1] + 1, (n, 1), generator=generator, device=device)
    active = (torch.arange(k, device=device).view(1, k) < used).view(n, k, 1, 1)
    rows, cols = _grid(size, device)
    inside = (rows >= tops) & (rows < tops + heights) & (cols >= lefts) & (cols < lefts + widths)
    return (inside & active).any(dim=1)


def strokes(n: int, size: int = 32, *, count: tuple[int, int] = (1, 3), vertices: int = 5,
            width: tuple[float, float] = (2, 4), step: tuple[float, float] = (4, 10),
            generator: Generator = None, device="cpu") -> torch.Tensor:
    """Free-form brush strokes: `count` random polylines per image, `width` pixels wide."""
    k = count[1]
    scale = size / 32
    start = torch.rand(n, k, 1, 2, generator=generator, device=device) * (size - 1)
    angle = torch.rand(n, k, vertices - 1, generator=generator, device=device) * 2 * math.pi
    length = _uniform(n * k * (vertices - 1), step[0] * scale, step[1] * scale, generator, device).view(n, k, -1)
    moves = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1) * length.unsqueeze(-1)
    points = torch.cat([start, start + moves.cumsum(dim=2)], dim=2)  # (N, K, V, 2) as (x, y)
    span = size - 1  # reflect walks off the edge back inside, rather than piling strokes along the border
    points = span - (points.remainder(2 * span) - span).abs()
    a, b = points[:, :, :-1], points[:, :, 1:]  # segment ends (N, K, S, 2)
    half_width = _uniform(n * k, width[0] * scale, width[1] * scale, generator, device).view(n, k, 1, 1, 1) / 2

    used = torch.randint(count[0], count[1] + 1, (n, 1), generator=generator, device=device)
    active = (torch.arange(k, device=device).view(1, k) < used).unsqueeze(-1)

    rows, cols = _grid(size, device)
    pixel = torch.stack(torch.broadcast_tensors(cols, rows), dim=-1).view(1, 1, 1, size * size, 2) + 0.5
    a, b = a.unsqueeze(3) + 0.5, b.unsqueeze(3) + 0.5  # (N, K, S, 1, 2), pixel centres
    hole = torch.empty(n, size * size, dtype=torch.bool, device=device)
    for i in range(0, n, 256):  # chunks of images bound the (chunk, K, S, H*W) distance tensor's memory
        sa, sb = a[i:i + 256], b[i:i + 256]
        ab = sb - sa
        t = (((pixel - sa) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-6)).clamp(0, 1)
        distance = (pixel - (sa + t.unsqueeze(-1) * ab)).norm(dim=-1)  # (chunk, K, S, H*W)
        on_stroke = (distance <= half_width[i:i + 256].squeeze(-1)).any(dim=2)  # (chunk, K, H*W)
        hole[i:i + 256] = (on_stroke & active[i:i + 256]).any(dim=1)
    return hole.view(n, size, size)


def patches(n: int, size: int = 32, *, ratio: float | torch.Tensor = 0.75, patch: int = 4,
            generator: Generator = None, device="cpu") -> torch.Tensor:
    """MAE-style: the image cut into `patch` x `patch` squares, a `ratio` of them missing (exactly rounded)."""
    side = size // patch
    count = side * side
    missing = torch.round(_as_per_image(ratio, n, device) * count).view(n, 1)
    rank = torch.rand(n, count, generator=generator, device=device).argsort(dim=1).argsort(dim=1)
    hole = (rank < missing).view(n, side, side)
    return hole.repeat_interleave(patch, dim=1).repeat_interleave(patch, dim=2)


def mixed(n: int, size: int = 32, *, generator: Generator = None, device="cpu") -> torch.Tensor:
    """A random family per image, with varied coverage, for training a model that handles all of them."""
    candidates = torch.stack([
        pixels(n, size, p=_uniform(n, 0.3, 0.8, generator, device), generator=generator, device=device),
        center(n, size, side=16 * size // 32, generator=generator, device=device),
        boxes(n, size, generator=generator, device=device),
        strokes(n, size, generator=generator, device=device),
        patches(n, size, ratio=_uniform(n, 0.5, 0.9, generator, device), generator=generator, device=device),
    ], dim=1)  # (N, F, H, W)
    choice = torch.randint(0, candidates.shape[1], (n,), generator=generator, device=device)
    return candidates[torch.arange(n, device=device), choice]


FAMILIES: dict[str, Callable[..., torch.Tensor]] = {
    "pixels": pixels, "center": center, "boxes": boxes, "strokes": strokes, "patches": patches, "mixed": mixed,
}
# The families that validation, benchmarks and model cards report, each with its default parameters.
EVAL_FAMILIES = ("pixels", "center", "boxes", "strokes", "patches")
# How tables and pictures name them: the parameters are part of the name.
FAMILY_LABELS = {"pixels": "pixels 50%", "center": "center 16x16", "boxes": "boxes", "strokes": "strokes",
                 "patches": "patches 75%"}


def make_holes(family: str, n: int, size: int = 32, *, generator: Generator = None, device="cpu",
               **params) -> torch.Tensor:
    """Holes of a named family: (N, size, size) bool, True = missing."""
    if family not in FAMILIES:
        raise ValueError(f"unknown hole family {family!r}; choose one of {', '.join(FAMILIES)}")
    return FAMILIES[family](n, size, generator=generator, device=device, **params)


def fixed_holes(family: str, n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    """The same holes every time for a family and seed: what validation and benchmarks use."""
    return make_holes(family, n, size, generator=torch.Generator().manual_seed(seed))
