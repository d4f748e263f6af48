"""The hole map a person paints, as the page's painter holds it, and the pictures made from it.

The painter (sslmodel.app.painter) shows the 32x32 image enlarged and paints or erases whole CIFAR pixels, so
what it shows is exactly the hole map the model gets. Its value is plain JSON: the image as base64 RGB bytes
and the hole map as 1,024 characters, "1" = missing, row by row. A handler that changes the image or the hole
returns a new value, which the browser draws at once: there is no picture to upload or load, so an update can
never land after a later one.

Hole convention, as everywhere in sslmodel: bool, True = missing.
"""

from __future__ import annotations

import base64
import math

import numpy as np
import torch

from ..holes import FAMILIES, make_holes
from ..preprocess import MODEL_SIZE

SCALE = 8  # screen pixels per CIFAR pixel in the comparison slide
HOLE_COLOR = (255, 0, 255)  # magenta: the hole, in the painter and in the masked preview
MAX_DRAWS = 64  # union of at most this many draws to reach a coverage in families without a coverage knob


class PainterError(ValueError):
    """A painter value that the page's painter cannot have sent (a hand-made request)."""


def painter_value(image: np.ndarray | None, holes: np.ndarray) -> dict:
    """What the painter shows: a uint8 (32, 32, 3) image (None: nothing picked yet) and a bool (32, 32) hole map."""
    pixels = "" if image is None else base64.b64encode(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).decode()
    return {"image": pixels, "holes": "".join(np.where(np.asarray(holes, dtype=bool).ravel(), "1", "0"))}


def holes_from_painter(value: dict | None, size: int = MODEL_SIZE) -> np.ndarray:
    """A painter value -> bool (size, size); no value means no hole."""
    if not value:
        return np.zeros((size, size), dtype=bool)
    holes = value.get("holes") if isinstance(value, dict) else None
    if not isinstance(holes, str) or len(holes) != size * size or holes.strip("01"):
        raise PainterError(f"the hole map must be {size * size} characters, each 0 or 1")
    return (np.frombuffer(holes.encode("ascii"), dtype=np.uint8) == ord("1")).reshape(size, size)


def upscale(image: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W, ...) array: every pixel becomes a scale x scale block."""
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def masked_view(image: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """The image as the model gets it: uint8 (H, W, 3) with the holes in HOLE_COLOR."""
    return np.where(holes[..., None], np.array(HOLE_COLOR, dtype=np.uint8), image)


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
