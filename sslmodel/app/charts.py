"""The pictures of the "What did it learn?" panels, drawn with PIL: the 2-D maps of the reference set and the
few-label curve.

PIL rather than Gradio's own plots: a map of 1,000 points is drawn once per model at start-up and each request only
stamps a marker on a copy and sends one PNG (a few ms), where a gr.ScatterPlot would ship and lay out the 1,000
points in the browser again on every pick; and a PNG looks the same everywhere (the Space, a slide, a screenshot).
Every picture is dark ink on its own white card, so it reads the same on the light and the dark theme.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]  # matplotlib's tab10, one per class
CARD = (255, 255, 255)  # every picture's own background
INK = (33, 33, 33)
FAINT = (225, 225, 225)  # frames and grid lines
PANEL = 300  # px: the side of one map
GAP = 16  # px between and around panels
DOT = 2  # px: radius of a reference image's dot


@lru_cache(maxsize=4)
def font(size: int = 13) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType: a scalable font
    except TypeError:
        return ImageFont.load_default()


def text_width(draw: ImageDraw.ImageDraw, text: str, size: int = 13) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font(size))
    return right - left


def colour(label_id: int) -> tuple[int, int, int]:
    return PALETTE[label_id % len(PALETTE)]


# ---------------------------------------------------------------------------------------------- maps

@dataclass
class MapPicture:
    """Maps drawn side by side without a marker, and where each map's coordinates land in the picture."""
    image: Image.Image
    frames: list[tuple[np.ndarray, np.ndarray, tuple[int, int]]]  # per map: data minimum (2,), data span (2,), origin

    def to_pixels(self, panel: int, point: np.ndarray) -> tuple[float, float]:
        low, span, (left, top) = self.frames[panel]
        x, y = (np.asarray(point, dtype=np.float64) - low) / span
        return left + x * PANEL, top + (1 - y) * PANEL


def draw_maps(maps: list[tuple[str, np.ndarray]], label_ids: np.ndarray, classes: list[str]) -> MapPicture:
    """[(title, coordinates (N, 2))] and the points' class ids -> the maps side by side, one dot per point in its
    class's colour, with a legend of the classes below them."""
    columns = 5
    legend_rows = math.ceil(len(classes) / columns)
    width = GAP + len(maps) * (PANEL + GAP)
    height = GAP + 20 + PANEL + GAP + legend_rows * 20 + GAP // 2
    image = Image.new("RGB", (width, height), CARD)
    draw = ImageDraw.Draw(image)
    frames = []
    order = np.random.default_rng(0).permutation(len(label_ids))  # no class is always drawn on top
    for m, (title, coordinates) in enumerate(maps):
        left, top = GAP + m * (PANEL + GAP), GAP + 20
        points = np.asarray(coordinates, dtype=np.float64)
        low, high = points.min(0), points.max(0)
        span = np.maximum(high - low, 1e-9)
        low, span = low - 0.04 * span, span * 1.08  # a margin, so no dot touches the frame
        frames.append((low, span, (left, top)))
        draw.text((left, GAP), title, fill=INK, font=font(14))
        draw.rectangle([left - 1, top - 1, left + PANEL + 1, top + PANEL + 1], outline=FAINT)
        xy = np.column_stack([left + (points[:, 0] - low[0]) / span[0] * PANEL,
                              top + (1 - (points[:, 1] - low[1]) / span[1]) * PANEL])
        for i in order:
            x, y = xy[i]
            draw.ellipse([x - DOT, y - DOT, x + DOT, y + DOT], fill=colour(int(label_ids[i])))
    legend_top = GAP + 20 + PANEL + GAP // 2 + 4
    cell = (width - 2 * GAP) / columns
    for c, name in enumerate(classes):
        row, column = divmod(c, columns)
        x, y = GAP + column * cell, legend_top + row * 20
        draw.ellipse([x, y + 3, x + 9, y + 12], fill=colour(c))
        draw.text((x + 14, y), name, fill=INK, font=font(13))
    return MapPicture(image, frames)


def mark_maps(picture: MapPicture, points: list[np.ndarray | None], label: str = "this image") -> Image.Image:
    """A copy of the maps with a ring at each map's point (None: no marker on that map)."""
    image = picture.image.copy()
    draw = ImageDraw.Draw(image)
    for panel, point in enumerate(points):
        if point is None:
            continue
        x, y = picture.to_pixels(panel, point)
        for radius, width, fill in ((11, 5, CARD), (10, 3, INK)):  # a white halo keeps the ring visible on dots
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], outline=fill, width=width)
        draw.line([x - 4, y, x + 4, y], fill=INK, width=2)
        draw.line([x, y - 4, x, y + 4], fill=INK, width=2)
        _, _, (left, top) = picture.frames[panel]
        text_x = min(max(x + 14, left + 2), left + PANEL - text_width(draw, label) - 2)
        text_y = min(max(y - 8, top + 2), top + PANEL - 16)
        draw.rectangle([text_x - 2, text_y, text_x + text_width(draw, label) + 2, text_y + 15], fill=CARD)
        draw.text((text_x, text_y), label, fill=INK, font=font(13))
    return image


# ---------------------------------------------------------------------------------------------- the few-label curve

@dataclass
class Series:
    """One line of the few-label curve: its name and, per number of labels, the mean and spread of the accuracy."""
    name: str
    colour: tuple[int, int, int]
    points: list[tuple[int, float, float]]  # (labels per class, mean %, std %)


def draw_curve(series: list[Series], chance: float = 10.0, width: int = 560, height: int = 340) -> Image.Image:
    """Accuracy (%) against labels per class on a log-scale x axis: a line per series with ± std whiskers, the
    chance level dashed, and a legend."""
    image = Image.new("RGB", (width, height), CARD)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = 56, 30, width - 16, height - 48
    counts = sorted({k for s in series for k, _, _ in s.points})
    x_low, x_high = math.log10(counts[0]) - 0.25, math.log10(counts[-1]) + 0.25
    highest = max(mean + std for s in series for _, mean, std in s.points)
    y_high = min(100.0, 10 * math.ceil((highest + 5) / 10))

    def to_xy(k: float, accuracy: float) -> tuple[float, float]:
        return (left + (math.log10(k) - x_low) / (x_high - x_low) * (right - left),
                bottom - accuracy / y_high * (bottom - top))

    for tick in range(0, int(y_high) + 1, 10):
        _, y = to_xy(counts[0], tick)
        draw.line([left, y, right, y], fill=FAINT)
        draw.text((left - 8 - text_width(draw, str(tick)), y - 7), str(tick), fill=INK, font=font(12))
    for k in counts:
        x, _ = to_xy(k, 0)
        draw.line([x, bottom, x, bottom + 4], fill=INK)
        draw.text((x - text_width(draw, f"{k:,}", 12) / 2, bottom + 6), f"{k:,}", fill=INK, font=font(12))
    draw.line([left, bottom, right, bottom], fill=INK)
    draw.line([left, top, left, bottom], fill=INK)
    axis = "labels per class (log scale)"
    draw.text(((left + right - text_width(draw, axis)) / 2, bottom + 24), axis, fill=INK, font=font(13))
    draw.text((8, 4), "accuracy (%)", fill=INK, font=font(12))
    _, chance_y = to_xy(counts[0], chance)
    for x in range(left, right, 8):
        draw.line([x, chance_y, min(x + 4, right), chance_y], fill=(150, 150, 150))
    draw.text((right - text_width(draw, "chance", 12) - 2, chance_y - 15), "chance", fill=(110, 110, 110),
              font=font(12))
    for s in series:
        xy = [to_xy(k, mean) for k, mean, _ in s.points]
        if len(xy) > 1:
            draw.line(xy, fill=s.colour, width=3)
        for (k, mean, std), (x, y) in zip(s.points, xy):
            if std > 0:
                _, y_top = to_xy(k, mean + std)
                _, y_bottom = to_xy(k, max(mean - std, 0))
                draw.line([x, y_top, x, y_bottom], fill=s.colour, width=2)
                draw.line([x - 4, y_top, x + 4, y_top], fill=s.colour, width=2)
                draw.line([x - 4, y_bottom, x + 4, y_bottom], fill=s.colour, width=2)
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=s.colour, outline=CARD)
    for i, s in enumerate(series):  # the legend, top left inside the axes (accuracy grows to the right)
        y = top + 6 + 18 * i
        draw.line([left + 10, y + 7, left + 30, y + 7], fill=s.colour, width=3)
        draw.rectangle([left + 36, y, left + 40 + text_width(draw, s.name), y + 15], fill=CARD)
        draw.text((left + 38, y), s.name, fill=INK, font=font(13))
    return image
