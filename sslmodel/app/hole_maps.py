"""Hole maps the page makes and shows: random ones of a family, and the image as the model gets it.

Hole convention, as everywhere in sslmodel: bool (32, 32), True = missing.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..holes import FAMILIES, make_holes
from ..preprocess import MODEL_SIZE

HOLE_COLOR = (255, 0, 255)  # magenta: the hole, in the painter and in the masked preview
MAX_DRAWS = 64  # union of at most this many draws to reach a coverage in families without a coverage knob


def masked_view(image: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """The image as the model gets it: uint8 (H, W, 3) with the holes in HOLE_COLOR."""
    return np.where(holes[..., None], np.array(HOLE_COLOR, dtype=np.uint8), image)


def mask_picture(holes: np.ndarray) -> np.ndarray:
    """A hole map as a mask file's picture: uint8 (H, W), white (255) = missing, black = known. Without alpha,
    so sslmodel.preprocess.prepare_holes (the page's "Load mask" and the /inpaint API) reads it back as it was."""
    return np.where(np.asarray(holes, dtype=bool), np.uint8(255), np.uint8(0))


def random_holes(family: str, coverage: float, seed: int, size: int = MODEL_SIZE) -> np.ndarray:
    """A random hole map of a family, about `coverage` (0..1) of the pixels missing; the same seed gives the same map.

    pixels, patches and center have a coverage parameter; boxes, strokes and mixed do not, so their
    map is the union of the first k draws, with k chosen to come closest to the coverage.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown hole family {family!r}; choose one of {', '.join(FAMILIES)}")
    coverage = float(min(max(coverage, 0.0), 1.0))
    generator = torch.Generator().manual_seed(int(seed))
    if family == "pixels":
        holes = make_holes("pixels", 1, size, p=coverage, generator=generator)[0]
    elif family == "patches":
        holes = make_holes("patches", 1, size, ratio=coverage, generator=generator)[0]
    elif family == "center":
        side = min(size, round(size * math.sqrt(coverage)))
        holes = make_holes("center", 1, size, side=side)[0]
    else:
        draws = make_holes(family, MAX_DRAWS, size, generator=generator)  # (K, H, W)
        unions = draws.cumsum(dim=0) > 0  # (K, H, W): union of the first k + 1 draws
        reached = unions.flatten(1).float().mean(dim=1)
        best = int((reached - coverage).abs().argmin())
        holes = unions[best] if coverage > 0 else torch.zeros(size, size, dtype=torch.bool)
    return holes.numpy().astype(bool)
