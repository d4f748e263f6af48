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


def _turns(shape: tuple[int, int], segments: int, momentum: float, generator: Generator, device) -> torch.Tensor:
    """Heading changes of a random walk with momentum, (N, K, S): turn_i = momentum * turn_(i-1) + noise_i,
    as one matrix product (decay[i, j] = momentum ** (i - j) for j <= i) rather than a loop."""
    noise = torch.rand(*shape, segments, generator=generator, device=device) * 2 - 1
    i = torch.arange(segments, device=device)
    decay = torch.tril(momentum ** (i.view(-1, 1) - i.view(1, -1)).clamp_min(0).float())
    return noise @ decay.T


def _disc_kernels(widths: range, scale: float, device) -> torch.Tensor:
    """One brush per width: (len(widths), 1, k, k), 1 where a pixel centre lies within width / 2 of the centre."""
    reach = math.ceil(widths[-1] * scale / 2)
    offsets = torch.arange(-reach, reach + 1, device=device, dtype=torch.float32)
    squared = offsets.view(-1, 1) ** 2 + offsets.view(1, -1) ** 2  # (k, k)
    radii = torch.tensor([w * scale / 2 for w in widths], device=device).view(-1, 1, 1, 1)
    return (squared <= radii ** 2).float()


def strokes(n: int, size: int = 32, *, count: tuple[int, int] = (1, 4), width: tuple[int, int] = (1, 5),
            segments: tuple[int, int] = (2, 8), step: tuple[float, float] = (2, 7), turn: float = 1.0,
            momentum: float = 0.7, generator: Generator = None, device="cpu") -> torch.Tensor:
    """Free-form brush strokes: `count` per image, each a random walk of `segments` steps of `step` pixels,
    drawn with a round brush `width` pixels wide (a whole number, uniform in the range).

    The heading turns with momentum, by at most `turn` radians of fresh noise per step, scaled per stroke from
    straight (0) to curly (1), so strokes range from straight lines to arcs and loops. Walks that leave the image
    bounce back in. Drawn by stamping the brush at points every half pixel along each walk: one scatter and one
    small convolution per chunk of images, whatever the number of strokes.
    """
    k, s = count[1], segments[1]
    scale = size / 32
    start = torch.rand(n, k, 1, 2, generator=generator, device=device) * size  # (x, y) in [0, size)
    curl = torch.rand(n, k, 1, generator=generator, device=device) * turn  # per stroke: straight to curly
    heading = (torch.rand(n, k, 1, generator=generator, device=device) * 2 * math.pi
               + (curl * _turns((n, k), s, momentum, generator, device)).cumsum(dim=2))  # (N, K, S)
    length = _uniform(n * k * s, step[0] * scale, step[1] * scale, generator, device).view(n, k, s)
    used_segments = torch.randint(segments[0], s + 1, (n, k, 1), generator=generator, device=device)
    length = length * (torch.arange(s, device=device) < used_segments)  # unused segments stay where they end
    moves = torch.stack([torch.cos(heading), torch.sin(heading)], dim=-1) * length.unsqueeze(-1)  # (N, K, S, 2)
    vertices = torch.cat([start, start + moves.cumsum(dim=2)], dim=2)  # (N, K, S + 1, 2)
    samples = math.ceil(2 * step[1] * scale) + 1  # every half pixel along the longest step
    t = torch.linspace(0, 1, samples, device=device).view(1, 1, 1, -1, 1)
    a, b = vertices[:, :, :-1].unsqueeze(3), vertices[:, :, 1:].unsqueeze(3)
    points = (a + t * (b - a)).flatten(2, 3)  # (N, K, P, 2)
    points = size - (points.remainder(2 * size) - size).abs()  # bounce off the edges: reflect into [0, size]
    column, row = points.floor().long().clamp(0, size - 1).unbind(-1)  # the pixel each point falls in (N, K, P)

    widths = range(width[0], width[1] + 1)
    brush = torch.randint(0, len(widths), (n, k, 1), generator=generator, device=device)  # width index per stroke
    used = torch.randint(count[0], count[1] + 1, (n, 1, 1), generator=generator, device=device)
    active = (torch.arange(k, device=device).view(1, k, 1) < used).expand_as(row)
    kernels = _disc_kernels(widths, scale, device)
    hole = torch.empty(n, size, size, dtype=torch.bool, device=device)
    for i in range(0, n, 1024):  # chunks of images bound the (chunk, widths, H, W) centre maps' memory
        chunk = slice(i, i + 1024)
        m = len(hole[chunk])
        image = torch.arange(m, device=device).view(m, 1, 1).expand_as(row[chunk])
        centres = torch.zeros(m, len(widths), size, size, device=device)  # where each brush is stamped
        keep = active[chunk]
        centres[image[keep], brush[chunk].expand_as(row[chunk])[keep], row[chunk][keep], column[chunk][keep]] = 1
        stamped = torch.nn.functional.conv2d(centres, kernels, padding=kernels.shape[-1] // 2, groups=len(widths))
        hole[chunk] = (stamped > 0.5).any(dim=1)
    return hole


def patches(n: int, size: int = 32, *, ratio: float | torch.Tensor = 0.75, patch: int = 4,
            generator: Generator = None, device="cpu") -> torch.Tensor:
    """MAE-style: the image cut into `patch` x `patch` squares, a `ratio` of them missing (exactly rounded)."""
    side = size // patch
    count = side * side
    missing = torch.round(_as_per_image(ratio, n, device) * count).view(n, 1)
    rank = torch.rand(n, count, generator=generator, device=device).argsort(dim=1).argsort(dim=1)
    hole = (rank < missing).view(n, side, side)
    return hole.repeat_interleave(patch, dim=1).repeat_interleave(patch, dim=2)


# Training strokes vary more than the validation family's defaults (more, longer, wider, sharper-turning strokes),
# so a model meets strokes drawn by other hands than ours.
TRAINING_STROKES = dict(count=(1, 5), width=(1, 6), segments=(2, 10), step=(1, 8), turn=2.0, momentum=0.5)


def mixed(n: int, size: int = 32, *, generator: Generator = None, device="cpu") -> torch.Tensor:
    """A random family per image (uniform), with varied coverage, for training a model that handles all of them.
    Each family is drawn only for the images that get it."""
    draws = (
        lambda m: pixels(m, size, p=_uniform(m, 0.3, 0.8, generator, device), generator=generator, device=device),
        lambda m: center(m, size, side=16 * size // 32, device=device),
        lambda m: boxes(m, size, generator=generator, device=device),
        lambda m: strokes(m, size, generator=generator, device=device, **TRAINING_STROKES),
        lambda m: patches(m, size, ratio=_uniform(m, 0.5, 0.9, generator, device), generator=generator,
                          device=device),
    )
    choice = torch.randint(0, len(draws), (n,), generator=generator, device=device)
    hole = torch.empty(n, size, size, dtype=torch.bool, device=device)
    for family, draw in enumerate(draws):
        index = (choice == family).nonzero().flatten()
        if len(index):
            hole[index] = draw(len(index))
    return hole


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
