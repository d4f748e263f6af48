"""One image, one hole map, several fillers: the result tiles, their metrics and the slide that compares them.

Images are uint8 (32, 32, 3); hole maps bool (32, 32), True = missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ..classical import classical_fill
from ..convert import nhwc_to_float
from ..inpainter import Inpainter
from ..metrics import hole_psnr, psnr, ssim
from .hole_maps import masked_view

SCALE = 8  # screen pixels per CIFAR pixel in the comparison slide
CLASSICAL = {"OpenCV Telea": "telea", "OpenCV NS": "ns"}  # the baselines in "compare all"
MAX_ERROR = 0.5  # the heat map saturates at this mean absolute error per pixel (0..1)
# Anchors of a black-purple-orange-yellow ramp (like matplotlib's inferno), from no error to MAX_ERROR.
HEAT_ANCHORS = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64)


@dataclass
class Result:
    """One filler's output for one image: raw reconstruction, composite and metrics."""
    name: str
    reconstruction: np.ndarray  # uint8 (32, 32, 3), the raw output for every pixel
    composite: np.ndarray  # uint8 (32, 32, 3), known pixels plus the filled hole
    metrics: dict[str, float | None]


def image_metrics(original: np.ndarray, composite: np.ndarray, holes: np.ndarray) -> dict[str, float | None]:
    """Hole PSNR (None without a hole), whole-image PSNR and SSIM of the composite, plus the hole's size."""
    target, prediction = nhwc_to_float(original), nhwc_to_float(composite)
    hole = hole_psnr(prediction, target, torch.from_numpy(np.array(holes, dtype=bool))[None]).item()
    return {
        "hole_psnr": None if math.isnan(hole) else round(hole, 2),
        "psnr": round(psnr(prediction, target).item(), 2),
        "ssim": round(ssim(prediction, target).item(), 4),
        "hole_pixels": int(holes.sum()),
        "hole_fraction": round(float(holes.mean()), 4),
    }


def model_result(inpainter: Inpainter, name: str, image: np.ndarray, holes: np.ndarray) -> Result:
    reconstruction = inpainter.reconstruct(image, holes)
    composite = np.where(holes[..., None], reconstruction, image)
    return Result(name, reconstruction, composite, image_metrics(image, composite, holes))


def classical_result(name: str, image: np.ndarray, holes: np.ndarray) -> Result:
    """One of OpenCV's methods (a CLASSICAL name): its reconstruction is its composite."""
    composite = classical_fill(image[None], holes[None], CLASSICAL[name])[0]
    return Result(name, composite, composite, image_metrics(image, composite, holes))


def compare_all(image: np.ndarray, holes: np.ndarray, models: dict[str, Inpainter]) -> list[Result]:
    """The same hole filled by every model and by OpenCV's Telea and Navier-Stokes inpainting."""
    return ([model_result(inpainter, name, image, holes) for name, inpainter in models.items()]
            + [classical_result(name, image, holes) for name in CLASSICAL])


def heat_colours(values: np.ndarray) -> np.ndarray:
    """float (H, W) in [0, 1] (clipped) -> uint8 (H, W, 3) on the black-purple-orange-yellow ramp."""
    position = np.clip(values, 0, 1) * (len(HEAT_ANCHORS) - 1)
    stops = np.arange(len(HEAT_ANCHORS))
    channels = [np.interp(position, stops, HEAT_ANCHORS[:, c]) for c in range(3)]
    return np.stack(channels, axis=-1).round().astype(np.uint8)


def error_heatmap(original: np.ndarray, result: np.ndarray, max_error: float = MAX_ERROR) -> np.ndarray:
    """Per-pixel mean absolute error as uint8 (H, W, 3) colours: black is exact, yellow is >= max_error."""
    error = np.abs(original.astype(np.float64) - result.astype(np.float64)).mean(axis=-1) / 255  # (H, W)
    return heat_colours(error / max_error)


def upscale(image: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W, ...) array: every pixel becomes a scale x scale block."""
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def format_db(value: float | None) -> str:
    return "n/a (no hole)" if value is None else f"{value:.1f} dB"


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def comparison_slide(original: np.ndarray, holes: np.ndarray, results: list[Result],
                     looked: dict[str, tuple[np.ndarray, str]] | None = None,
                     scale: int = SCALE) -> Image.Image:
    """One wide picture for a slide: original, masked, then every result's composite with its hole PSNR; and
    under the models' composites, where each looked (`looked`: {name: (influence picture, its reach)})."""
    looked = looked or {}
    tiles = [("original", original, f"{holes.mean():.0%} hidden"), ("masked", masked_view(original, holes), "input")]
    best = max((r.metrics["hole_psnr"] for r in results if r.metrics["hole_psnr"] is not None), default=None)
    tiles += [(r.name, r.composite, "hole PSNR " + format_db(r.metrics["hole_psnr"])) for r in results]
    side, gap, margin, caption = original.shape[0] * scale, scale * 3, scale * 4, scale * 10
    title_height = scale * 8
    width = 2 * margin + len(tiles) * side + (len(tiles) - 1) * gap
    height = 2 * margin + title_height + side + caption + ((side + caption) if looked else 0)
    slide = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(slide)
    draw.text((margin, margin), "Inpainting: the same hole filled by every method (hole PSNR: higher is better)",
              fill=(30, 30, 30), font=_font(scale * 4))
    name_font, value_font = _font(scale * 3 + 2), _font(scale * 3)
    for i, (name, image, note) in enumerate(tiles):
        x, y = margin + i * (side + gap), margin + title_height
        slide.paste(Image.fromarray(upscale(image, scale)), (x, y))
        is_best = best is not None and i >= 2 and results[i - 2].metrics["hole_psnr"] == best and len(results) > 1
        draw.text((x + side // 2, y + side + scale), name, fill=(30, 30, 30), font=name_font, anchor="ma")
        draw.text((x + side // 2, y + side + scale * 5), note + ("  (best)" if is_best else ""),
                  fill=(0, 120, 60) if is_best else (90, 90, 90), font=value_font, anchor="ma")
        if name in looked:
            picture, how_far = looked[name]
            y += side + caption
            slide.paste(Image.fromarray(upscale(picture, scale)), (x, y))
            draw.text((x + side // 2, y + side + scale), "where it looked", fill=(30, 30, 30), font=name_font,
                      anchor="ma")
            draw.text((x + side // 2, y + side + scale * 5), how_far,
                      fill=(90, 90, 90), font=value_font, anchor="ma")
    if looked:
        draw.text((margin, margin + title_height + side + caption + side // 2), "influence:\nbright = the\n"
                  "known pixels\nits fill\ndepends on most", fill=(90, 90, 90), font=value_font)
    return slide
