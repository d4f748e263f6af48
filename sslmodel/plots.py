"""Pictures written during training, drawn with PIL alone: sample grids and training curves."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image, ImageDraw


def image_grid(rows: list[torch.Tensor], scale: int = 2, gap: int = 2) -> Image.Image:
    """Rows of float images (N, 3, H, W) in [0, 1] -> one picture, each image upscaled by `scale` (nearest)."""
    n, _, h, w = rows[0].shape
    canvas = np.full((len(rows) * (h * scale + gap) - gap, n * (w * scale + gap) - gap, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        tiles = (row.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
        tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
        for c, tile in enumerate(tiles):
            y, x = r * (h * scale + gap), c * (w * scale + gap)
            canvas[y:y + h * scale, x:x + w * scale] = tile
    return Image.fromarray(canvas)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


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
