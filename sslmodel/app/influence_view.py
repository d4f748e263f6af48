"""The influence map as a picture and a caption (sslmodel.influence computes it)."""

from __future__ import annotations

import numpy as np

from ..influence import FAR, Influence
from .compare import heat_colours
from .hole_maps import HOLE_COLOR

TARGET_COLOR = (0, 255, 255)  # cyan: the chosen missing pixel, inside the magenta hole


def influence_picture(found: Influence, holes: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3): known pixels coloured by their influence (square root, so that weak but wide influence
    shows; brightest = the strongest), the hole magenta, the chosen pixel cyan."""
    peak = found.weights.max()
    picture = heat_colours(np.sqrt(found.weights / peak) if peak > 0 else np.zeros_like(found.weights))
    picture[np.asarray(holes, dtype=bool)] = HOLE_COLOR
    if found.pixel is not None:
        picture[found.pixel] = TARGET_COLOR
    return picture


def reach(found: Influence) -> str:
    """A few words for a slide: how far the influence comes from."""
    if not found.targets.any():
        return "no hole"
    return "no known pixel in reach" if found.far_share is None else f"{found.far_share:.0%} from > {FAR:.0f} px"


def influence_caption(found: Influence) -> str:
    """One line people can compare between models."""
    if not found.targets.any():
        return "No hole, so nothing is predicted: paint one."
    what = (f"pixel (row {found.pixel[0]}, column {found.pixel[1]})" if found.pixel is not None
            else "the whole hole")
    if found.far_share is None:
        return f"**No known pixel** influences {what}: none is within the model's reach, so it can only guess"
    return f"**{found.far_share:.0%}** of the influence on {what} comes from further than {FAR:.0f} pixels away"
