"""Pictures written during training and by the benchmarks: image grids and training curves."""

from __future__ import annotations

import torch
from PIL import Image, ImageDraw
from torchvision.utils import make_grid

from .convert import float_to_nhwc


def image_grid(rows: list[torch.Tensor], scale: int = 2, gap: int = 2) -> Image.Image:
    """Rows of float images (N, 3, H, W) in [0, 1] -> one picture: each image upscaled by `scale` (nearest
    neighbour), `gap` white pixels between images and none around them."""
    tiles = torch.cat(rows).repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)
    grid = make_grid(tiles, nrow=len(rows[0]), padding=gap, pad_value=1.0)  # (3, H', W'), `gap` around too
    if len(tiles) > 1:  # make_grid returns a single image as it is, without the border
        grid = grid[:, gap:grid.shape[1] - gap, gap:grid.shape[2] - gap]
    return Image.fromarray(float_to_nhwc(grid[None])[0])


def curves(series: dict[str, list[float]], width: int = 640, height: int = 220) -> Image.Image:
    """One small panel per named series against the epoch, stacked vertically."""
    panels = []
    for name, values in series.items():
        panel = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(panel)
        left, top, right, bottom = 60, 24, width - 16, height - 28
        draw.rectangle([left, top, right, bottom], outline=(180, 180, 180))
        finite = [v for v in values if v == v]
        draw.text((left, 6), name, fill="black")
        if finite:
            low, high = min(finite), max(finite)
            high = high if high > low else low + 1e-6
            draw.text((4, top), f"{high:.3g}", fill="black")
            draw.text((4, bottom - 10), f"{low:.3g}", fill="black")
            draw.text((right - 60, bottom + 8), f"epoch {len(values)}", fill="black")
            span = max(len(values) - 1, 1)
            points = [(left + (right - left) * i / span, bottom - (bottom - top) * (v - low) / (high - low))
                      for i, v in enumerate(values) if v == v]
            if len(points) > 1:
                draw.line(points, fill=(31, 119, 180), width=2)
            for x, y in points:
                draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(31, 119, 180))
        panels.append(panel)
    sheet = Image.new("RGB", (width, height * len(panels)), "white")
    for i, panel in enumerate(panels):
        sheet.paste(panel, (0, i * height))
    return sheet
