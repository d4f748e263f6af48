"""Pure helpers of the "What did it learn?" panels: look-alikes in a reference set, the 2-D maps, what a few labels
buy, and whether a fill brings the image's class back.

The reference set is 1,000 labelled CIFAR-10 validation images (100 per class) that no shipped model trained on,
in one PNG (`assets/cifar10-reference.png`, the gallery's format). What never changes is computed once, at
start-up: the reference images' raw pixels and their t-SNE map (shared by every model), and per model their
features, their map drawn as a picture, and the few-label curve (`model_panels`); the maps are kept on disk
(`map_cache`), so only a first start computes them. A request then costs one image's
features, two nearest-neighbour searches over the reference set and a marker stamped on a copy of the maps.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from ..convert import to_float
from ..inpainter import Inpainter
from ..probe import Probe
from ..probe.knn import nearest
from ..probe.linear import encoder_features, pixel_features
from ..projection import place
from .charts import PALETTE, MapPicture, Series, draw_curve, draw_maps, mark_maps
from .examples import from_gallery
from .map_cache import cached_map, map_key, model_key, reference_key

REFERENCE_FILE = Path(__file__).resolve().parent / "assets" / "cifar10-reference.png"
NEIGHBOURS = 8  # look-alikes shown per side
PLACE_K = 8  # neighbours whose map positions place the current image
CURVE_METHODS = {"pretrained": ("this model's features", PALETTE[6]),  # config.json's probe "accuracy" keys
                 "random": ("a random-weights network", PALETTE[7]),
                 "pixels": ("raw pixels", PALETTE[1])}
NO_CURVE = ("This model's bundle has no few-label results, so there is no curve (make them with "
            "`python -m sslmodel.probe --labels 1 10 100 1000 --save-probe`).")


# ---------------------------------------------------------------------------------------------- the reference set

def as_batch(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 32, 32, 3) or (32, 32, 3) -> uint8 (N, 3, 32, 32), what the feature functions take."""
    images = np.asarray(images, dtype=np.uint8)
    return torch.from_numpy(np.ascontiguousarray(images.reshape(-1, *images.shape[-3:]).transpose(0, 3, 1, 2)))


@dataclass
class Space:
    """The reference images in one representation: their features (N, D) and their 2-D map (N, 2)."""
    features: torch.Tensor
    coordinates: torch.Tensor


@dataclass
class Reference:
    """Labelled images that no shipped model trained on, where look-alikes come from; and their raw-pixel space."""
    images: np.ndarray  # uint8 (N, 32, 32, 3)
    labels: list[str]
    classes: list[str]  # in order of first appearance: the maps' colours
    pixels: Space
    key: str  # map_cache.reference_key: what the maps made of these images are stored under

    @property
    def label_ids(self) -> np.ndarray:
        return np.array([self.classes.index(label) for label in self.labels])


def load_reference(path: str | os.PathLike = REFERENCE_FILE, per_class: int | None = None,
                   maps: list[Path] | None = None) -> Reference:
    """The reference set (by default the shipped one), or its first `per_class` images of every class (a small
    set keeps tests fast: the pixel map's t-SNE grows with the square of the images). Its pixel map is read from
    the map folders `maps` (default: the shipped maps, then the user's cache) or computed and cached."""
    found = from_gallery(path)
    indices = found.gallery_indices(per_class) if per_class else range(len(found))
    images = np.stack([found.load(i) for i in indices])
    labels = [found.labels[i] for i in indices]
    features, key = pixel_features(as_batch(images)), reference_key(images, labels)
    coordinates = cached_map(map_key("pixels", key), features, maps)
    return Reference(images, labels, list(dict.fromkeys(labels)), Space(features, coordinates), key)


def copies_of(reference: Reference, image: np.ndarray) -> np.ndarray:
    """bool (N,): the reference images identical to `image` (a gallery example may be one of them)."""
    return (reference.images == np.asarray(image, dtype=np.uint8)).all(axis=(1, 2, 3))


# ---------------------------------------------------------------------------------------------- per model, once

@dataclass
class ModelPanels:
    """What a model's panels show that never changes: the reference set in its features, both maps drawn
    (no marker yet), and its few-label curve or a note saying why there is none."""
    space: Space | None = None  # None without a reference set
    maps: MapPicture | None = None
    curve: Image.Image | None = None
    curve_note: str = NO_CURVE


def feature_space(model: nn.Module, reference: Reference, maps: list[Path] | None = None) -> Space:
    """The model's features of the reference images and their t-SNE map (read from the map folders `maps`, as for
    `load_reference`, else computed and cached: a few seconds for 1,000 images)."""
    features = encoder_features(model, as_batch(reference.images))
    return Space(features, cached_map(map_key(model_key(model), reference.key), features, maps))


def model_panels(inpainter: Inpainter, reference: Reference | None, maps: list[Path] | None = None) -> ModelPanels:
    """Computed once per model at start-up: its `feature_space` and the few-label curve from its bundle's probe
    record."""
    curve, note = label_curve(inpainter.config.probe if inpainter.config else None)
    if reference is None:
        return ModelPanels(curve=curve, curve_note=note)
    space = feature_space(inpainter.model, reference, maps)
    maps = draw_maps([("The model's features", space.coordinates.numpy()),
                      ("Raw pixels", reference.pixels.coordinates.numpy())], reference.label_ids, reference.classes)
    return ModelPanels(space, maps, curve, note)


# ---------------------------------------------------------------------------------------------- look-alikes

def caption_label(caption: str, classes: list[str]) -> str | None:
    """The class of the image a caption describes ("cat (example #3)" -> "cat"), None when it is not one of
    `classes` (an upload, or examples labelled otherwise)."""
    label = caption.split(" (")[0].strip()
    return label if label in classes else None


def nearest_indices(query: torch.Tensor, bank: torch.Tensor, k: int, skip: np.ndarray) -> list[int]:
    """The k rows of `bank` (N, D) most cosine-similar to one query's features (1, D), most similar first, leaving
    out those where `skip` (N,) is True."""
    _, found = nearest(query, bank, k + int(skip.sum()))
    return [i for i in found[0].tolist() if not skip[i]][:k]


def share_line(labels: list[str], label: str | None, classes: int = 10) -> str:
    """How many look-alikes share the image's class (Markdown); without a known class, the most common one."""
    if not labels:
        return "No look-alikes."
    chance = len(labels) / classes
    if label is None:
        common = max(dict.fromkeys(labels), key=labels.count)
        return (f"Most common: **{common}**, {labels.count(common)} of {len(labels)} "
                f"(this image has no label to compare with)")
    return (f"**{labels.count(label)} of {len(labels)}** share its class, *{label}* "
            f"(by chance: about {chance:.1f})")


@dataclass
class Lookalikes:
    """The current image among the reference set: its look-alikes by the model's features and by raw pixels
    (reference indices, most similar first), the lines saying how many share its class, and the marked maps."""
    features: list[int] = field(default_factory=list)  # empty without a model
    pixels: list[int] = field(default_factory=list)
    features_line: str = ""
    pixels_line: str = ""
    maps: Image.Image | None = None


def find_lookalikes(reference: Reference, panels: ModelPanels | None, model: nn.Module | None, image: np.ndarray,
                    label: str | None, k: int = NEIGHBOURS) -> Lookalikes:
    """The look-alikes of `image` (uint8 (32, 32, 3), of class `label` when known) by the model's features (when
    there is a model) and by raw pixels, and the maps marked where it lands. Copies of the image in the reference
    set are left out: the nearest image to itself says nothing."""
    skip = copies_of(reference, image)
    pixels = pixel_features(as_batch(image))
    by_pixels = nearest_indices(pixels, reference.pixels.features, k, skip)
    found = Lookalikes(pixels=by_pixels, pixels_line=share_line([reference.labels[i] for i in by_pixels], label,
                                                                len(reference.classes)))
    if panels is None or panels.space is None or model is None:
        found.features_line = "No model is loaded." if model is None else "No reference set for this model."
        return found
    features = encoder_features(model, as_batch(image))
    found.features = nearest_indices(features, panels.space.features, k, skip)
    found.features_line = share_line([reference.labels[i] for i in found.features], label, len(reference.classes))
    points = [place(features, panels.space.features, panels.space.coordinates, PLACE_K)[0].numpy(),
              place(pixels, reference.pixels.features, reference.pixels.coordinates, PLACE_K)[0].numpy()]
    found.maps = mark_maps(panels.maps, points)
    return found


# ---------------------------------------------------------------------------------------------- few labels

def curve_series(probe_record: dict[str, Any] | None) -> list[Series]:
    """The few-label curve's lines from a bundle's probe record (config.json "probe"): per method, the mean and
    std over seeds of the accuracy at every number of labels per class. Empty when the record has none (bundles
    written before "accuracy" was recorded) or they are malformed."""
    try:
        counts = [int(k) for k in probe_record["labels_per_class"] if int(k) > 0]  # a log-scale axis
        accuracy = probe_record["accuracy"]
        series = []
        for method, (name, colour) in CURVE_METHODS.items():
            if method in accuracy:
                runs = [np.asarray(accuracy[method][str(k)], dtype=np.float64) for k in counts]
                series.append(Series(name, colour, [(k, float(r.mean()), float(r.std()) if len(r) > 1 else 0.0)
                                                    for k, r in zip(counts, runs) if len(r)]))
    except (KeyError, TypeError, ValueError):
        return []
    return [s for s in series if s.points]


def label_curve(probe_record: dict[str, Any] | None) -> tuple[Image.Image | None, str]:
    """The few-label curve (PNG-ready) and its caption, or None and a note saying why there is no curve."""
    series = curve_series(probe_record)
    if series:
        seeds = max(len(runs) for method in CURVE_METHODS if method in probe_record["accuracy"]
                    for runs in probe_record["accuracy"][method].values())
        spread = f"mean ± std over {seeds} seeds" if seeds > 1 else "one seed"
        return draw_curve(series), (
            f"A linear classifier on frozen features, trained on that many labelled images per class; top-1 accuracy "
            f"on the validation split, {spread} (chance: 10%). Self-supervision pays where the model's line is "
            f"above the others.")
    if probe_record and probe_record.get("table"):
        return None, ("This bundle's few-label results predate the per-label record the curve is drawn from; "
                      "here they are as a table (run `python -m sslmodel.probe --labels 1 10 100 1000 --save-probe` "
                      f"for the curve):\n\n{probe_record['table']}")
    return None, NO_CURVE


# ---------------------------------------------------------------------------------------------- the fill

def class_guesses(probe: Probe, model: nn.Module, images: np.ndarray, holes: np.ndarray) -> list[tuple[str, float]]:
    """The probe's top class and its probability for each of uint8 (N, 32, 32, 3) images with bool (N, 32, 32)
    holes: features of the masked input as the model gets it (known pixels and the hole map, `masked_features`),
    so an image without holes gets exactly the features the probe was fitted on."""
    batch = to_float(as_batch(images))
    with torch.inference_mode():
        features = model.eval().masked_features(batch, torch.from_numpy(np.asarray(holes, dtype=bool)))
        probabilities = probe.fit.logits(features.float()).softmax(1)
    values, indices = probabilities.max(1)
    return [(probe.classes[i], float(p)) for p, i in zip(values.tolist(), indices.tolist())]


def fill_line(probe: Probe, model: nn.Module, image: np.ndarray, composite: np.ndarray, holes: np.ndarray) -> str:
    """Does the fill bring the class back? The probe's top class for the masked image (hole and all, as the model
    gets it), for the `composite` the model made of it and for the original, in one line of Markdown."""
    if not holes.any():
        return "**Does the fill bring the class back?** There is no hole: paint one, or draw a random mask."
    no_holes = np.zeros_like(holes)
    (masked, p_masked), (filled, p_filled), (original, p_original) = class_guesses(
        probe, model, np.stack([image, composite, image]), np.stack([holes, no_holes, no_holes]))
    if masked == original:
        verdict = "the hole does not hide it"
    elif filled == original:
        verdict = "**the fill brings it back**"
    else:
        verdict = "the fill does not bring it back"
    return (f"**Does the fill bring the class back?** The model's probe reads the masked image (the known pixels "
            f"and where the hole is, as the model gets it) as *{masked}* ({p_masked:.0%}), the composite as "
            f"*{filled}* ({p_filled:.0%}) and the original as *{original}* ({p_original:.0%}): {verdict}.")
