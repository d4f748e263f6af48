"""What each of the page's handlers returns, declared once as a record (a dataclass).

The handlers fill a record with values; the layout fills the same record with the components that show them, so
the two agree field by field, by name. `flatten` turns either into the sequence Gradio works with: values in
field order, a nested record's in its place. Like any Gradio output, a field may hold `gr.update(...)` or
`gr.skip()` instead of a value.

Pictures are paths of 32x32 PNGs (the page enlarges them); None shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any, get_type_hints

import gradio as gr
import numpy as np


@dataclass
class Results:
    """The results of one image, hole and model: tiles, slider and metrics, and the comparison they replace."""
    original: str | None
    masked: str | None  # the image with its hole in magenta, as the model gets it
    reconstruction: str | None  # the model's raw output for every pixel
    composite: str | None  # the known pixels plus the filled hole
    heatmap: str | None  # |composite - original|
    slider: tuple[str, str] | None  # (masked, composite): before and after
    metrics: str  # Markdown
    comparison: str | None  # "compare all"'s slide: emptied, it belonged to the previous hole
    download: dict  # the slide's download button, hidden with it
    shown: dict  # handlers.shown_value: which results these are
    mask: str | None  # the hole map as a 32x32 PNG, white = missing: what "Save mask" downloads


@dataclass
class ProbeGuesses:
    """The class probes' top 3 guesses for the image (gr.Label values), and what the probes are."""
    encoder: dict | None  # from the model's features
    pixels: dict | None  # from the raw pixels
    note: str


@dataclass
class LookalikesPanel:
    """The image's 8 nearest reference images by the model's features and by raw pixels (gr.Gallery values:
    [(thumbnail, class)]), each with its "k of 8 share its class" line, and the two maps with the image marked."""
    features_line: str  # Markdown
    features: list | None
    pixels_line: str
    pixels: list | None
    maps: str | None


@dataclass
class LabelCurve:
    """What a few labels buy, for a model: the accuracy curve (hidden when its bundle has none) and its note."""
    picture: dict  # gr.update of the image: value and visibility
    note: str


@dataclass
class FillCheck:
    """Does the fill bring the class back: the probe's class for the masked image, the composite and the original."""
    line: str  # Markdown


@dataclass
class NewHole:
    """A hole map drawn into the painter (a random one, or none), and its results."""
    painter: dict  # painter.painter_value
    results: Results


@dataclass
class PickedImage:
    """A newly picked image: its state, the painter showing it, its results and the probes' guesses."""
    image: np.ndarray | None  # uint8 (32, 32, 3)
    caption: str
    size: tuple[int, int]  # the picked file's (width, height) upright: "Load mask" takes this size or 32x32
    painter: dict
    results: Results
    probes: ProbeGuesses


@dataclass
class OpenedPage:
    """What a page opens on: the usual first example, or a shared link's image, hole, model and pixel; and a line
    saying why a link could not be opened."""
    picked: PickedImage
    model: Any  # the model dropdown (gr.update, or gr.skip())
    pixel: dict | None  # the pixel picker's value
    notice: dict  # gr.update of the notice: its text and visibility


@dataclass
class ShareLink:
    """The link to the page as it is now (relative: the browser makes it absolute and copies it)."""
    link: str


@dataclass
class InfluencePanel:
    """Where did it look: the model's influence map for the chosen missing pixel or the whole hole, and its line."""
    picture: str | None
    note: str  # Markdown
    pixel: dict | None  # the picker's value: the pixel the map is for, None for the whole hole


@dataclass
class ResultsExplained:
    """What one event after new results works out: where the model looked, and whether the fill brings the class
    back."""
    looked: InfluencePanel
    fill_check: FillCheck


@dataclass
class Comparison:
    """The same hole filled by every method: the slide, and the button that downloads it."""
    slide: str
    download: dict


@dataclass
class Frame:
    """One epoch's training frame and its caption."""
    picture: str | None
    note: str


@dataclass
class FramesPanel:
    """The training-frames panel for a model: the epoch slider (its range and value) and the frame it shows."""
    epoch: dict
    frame: Frame


@dataclass
class Inpainted:
    """The /inpaint API's answer."""
    composite: str
    reconstruction: str
    metrics: dict  # the model's name and image_metrics


def flatten(record: Any) -> tuple:
    """A record's fields in order, a nested record's fields in its place: the outputs or values Gradio takes."""
    items = []
    for field in fields(record):
        value = getattr(record, field.name)
        items += flatten(value) if is_dataclass(value) else [value]
    return tuple(items)


def skipped(kind: type) -> Any:
    """A record of this kind that changes nothing on the page: gr.skip() in every field."""
    hints = get_type_hints(kind)
    return kind(**{field.name: skipped(hints[field.name]) if is_dataclass(hints[field.name]) else gr.skip()
                   for field in fields(kind)})
