"""Pure helpers for the app's showcase panels: what the probes say about an image, and the training frames."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..bundle import BundleError, resolve
from ..probe import Probe, ProbeError, load_probes

FRAME_PATTERN = re.compile(r"epoch_(\d+)\.png$")


@dataclass
class ProbePair:
    """The bundle's encoder probe and raw-pixel probe, plus how many labels per class they were fitted on."""
    encoder: Probe
    pixels: Probe | None
    labels_per_class: int | None = None


def load_probe_pair(folder: str | os.PathLike) -> ProbePair | None:
    """The probes shipped in a bundle folder, or None when it has none (or they do not fit its weights)."""
    try:
        probes = load_probes(folder)
    except (ProbeError, BundleError):
        return None
    if "encoder" not in probes:
        return None
    labels = None
    try:
        labels = json.loads((Path(folder) / "probe.json").read_text(encoding="utf-8")).get("labels_per_class")
    except (OSError, ValueError):
        pass
    return ProbePair(probes["encoder"], probes.get("pixels"), labels)


def bundle_folder(name: str | os.PathLike) -> Path | None:
    """The local folder of a model name (shipped name, folder or cached Hub id), or None."""
    try:
        return resolve(name)
    except BundleError:
        return None


def top_classes(probe: Probe, image: np.ndarray, model: torch.nn.Module | None = None, k: int = 3
                ) -> dict[str, float]:
    """uint8 (32, 32, 3) -> {class: probability} for the k most likely classes (a gr.Label value)."""
    with torch.no_grad():
        return dict(probe.predict_top(np.asarray(image, dtype=np.uint8), model, k=k)[0])


def probe_caption(pair: ProbePair) -> str:
    per_class = f"{pair.labels_per_class:,}" if pair.labels_per_class else "a few"
    text = (f"Both are linear classifiers trained on {per_class} labels per class. Validation accuracy: "
            f"model features **{pair.encoder.val_accuracy:.1f}%**")
    if pair.pixels is not None:
        text += f", raw pixels **{pair.pixels.val_accuracy:.1f}%**"
    return text + " (chance: 10%)."


def list_frames(folder: str | os.PathLike) -> dict[int, Path]:
    """{epoch: frames/epoch_NNN.png} of a bundle folder, in epoch order (empty when it has none)."""
    frames_dir = Path(folder) / "frames"
    if not frames_dir.is_dir():
        return {}
    found = {int(m.group(1)): path for path in frames_dir.iterdir() if (m := FRAME_PATTERN.search(path.name))}
    return dict(sorted(found.items()))


def load_frame(frames: dict[int, Path], epoch: int, scale: int = 4) -> tuple[int, Image.Image]:
    """The frame of `epoch` (or the nearest epoch there is), nearest-neighbour upscaled by `scale`."""
    if not frames:
        raise FileNotFoundError("no training frames")
    nearest = min(frames, key=lambda e: (abs(e - int(epoch)), e))
    with Image.open(frames[nearest]) as image:
        image = image.convert("RGB")
        return nearest, image.resize((image.width * scale, image.height * scale), Image.NEAREST)
