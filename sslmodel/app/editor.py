"""The hole map a person paints: Gradio ImageEditor values <-> 32x32 hole maps, and enlarged views.

The editor shows the 32x32 image enlarged SCALE times (nearest neighbour), so one CIFAR pixel is a
SCALE x SCALE block of screen pixels. A CIFAR pixel is missing when at least half of its block is painted:
the block's mean paint alpha is >= 50% (brush edges are anti-aliased, so alpha measures coverage). That is
the same rounding `prepare_holes` uses when it shrinks a full-size mask. The masked preview always shows
the holes as whole blocks, exactly what the model gets; in the editor, fresh brush strokes stay as drawn
until the hole map is drawn back into it (a new image, a random mask, clear), block-aligned.

Hole convention, as everywhere in sslmodel: bool, True = missing.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image

from ..holes import FAMILIES, make_holes
from ..preprocess import MODEL_SIZE

SCALE = 8  # screen pixels per CIFAR pixel in the editor and the result tiles
HOLE_COLOR = (255, 0, 255)  # magenta: paint, and the hole in the masked preview
HOLE_HEX = "#ff00ff"
PAINTED = 128  # a block is a hole when its mean alpha is at least this (half of 255, rounded up)
MAX_DRAWS = 64  # union of at most this many draws to reach a coverage in families without a coverage knob


def upscale(image: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W, ...) array: every pixel becomes a scale x scale block."""
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def holes_from_alpha(alpha: np.ndarray, size: int = MODEL_SIZE) -> np.ndarray:
    """Paint alpha (H, W) uint8 -> bool (size, size): a pixel is missing when at least half its area is painted."""
    if alpha.shape == (size, size):
        return alpha >= PAINTED
    coverage = Image.fromarray(np.ascontiguousarray(alpha, dtype=np.uint8)).resize((size, size), Image.Resampling.BOX)
    return np.asarray(coverage) >= PAINTED  # BOX on an exact multiple is the mean of each block


def holes_from_editor(value: dict | None, size: int = MODEL_SIZE) -> np.ndarray:
    """An ImageEditor value (type="numpy", RGBA) -> bool (size, size); no paint means no hole."""
    layers = [layer for layer in (value or {}).get("layers") or [] if layer is not None]
    if not layers:
        return np.zeros((size, size), dtype=bool)
    alpha = np.max([np.asarray(layer)[..., 3] if np.ndim(layer) == 3 and np.shape(layer)[2] == 4
                    else np.zeros(np.shape(layer)[:2], np.uint8) for layer in layers], axis=0)
    return holes_from_alpha(alpha.astype(np.uint8), size)


def hole_layer(holes: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """bool (H, W) -> an RGBA paint layer (H*scale, W*scale, 4) with whole opaque blocks over the holes."""
    layer = np.zeros((*holes.shape, 4), dtype=np.uint8)
    layer[holes] = (*HOLE_COLOR, 255)
    return upscale(layer, scale)


def masked_view(image: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """The image as the model gets it: uint8 (H, W, 3) with the holes in HOLE_COLOR."""
    return np.where(holes[..., None], np.array(HOLE_COLOR, dtype=np.uint8), image)


def editor_value(image: np.ndarray | None, holes: np.ndarray) -> dict:
    """What to put in the editor: the enlarged image with the hole map painted on it, block-aligned."""
    background = upscale(image) if image is not None else np.full((MODEL_SIZE * SCALE,) * 2 + (3,), 255, np.uint8)
    layer = hole_layer(holes)
    composite = np.where(layer[..., 3:] > 0, layer[..., :3], background)
    return {"background": background, "layers": [layer], "composite": composite}


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
