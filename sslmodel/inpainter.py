"""`Inpainter`: the one public entry point that the app, the benchmarks and users share."""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from .bundle import load_bundle
from .engine import reconstruct
from .preprocess import MODEL_SIZE, ImageError, fit_to_model, to_rgb


def as_uint8_batch(images) -> tuple[np.ndarray, bool]:
    """uint8 (N, H, W, 3) from an array or PIL image(s); also whether the input was a single image."""
    if isinstance(images, Image.Image):
        return np.asarray(fit_to_model(to_rgb(images)))[None], True
    if isinstance(images, Sequence) and images and all(isinstance(i, Image.Image) for i in images):
        return np.stack([np.asarray(fit_to_model(to_rgb(i))) for i in images]), False
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise ImageError(f"images must be uint8, got {array.dtype}")
    single = array.ndim == 3
    batch = array[None] if single else array
    if batch.ndim != 4 or batch.shape[1:] != (MODEL_SIZE, MODEL_SIZE, 3):
        raise ImageError(f"images must be ({MODEL_SIZE}, {MODEL_SIZE}, 3) or (N, {MODEL_SIZE}, {MODEL_SIZE}, 3), "
                         f"got {array.shape}")
    return batch, single


def _as_hole_batch(holes, count: int) -> np.ndarray:
    array = np.asarray(holes)
    if array.dtype != np.bool_:
        raise ImageError(f"holes must be a bool array (True = missing), got {array.dtype}")
    batch = array[None] if array.ndim == 2 else array
    if batch.shape[1:] != (MODEL_SIZE, MODEL_SIZE) or len(batch) not in (1, count):
        raise ImageError(f"holes must be ({MODEL_SIZE}, {MODEL_SIZE}) or ({count}, {MODEL_SIZE}, {MODEL_SIZE}), "
                         f"got {array.shape}")
    return np.broadcast_to(batch, (count, MODEL_SIZE, MODEL_SIZE))


class Inpainter:
    """A loaded model that fills holes in 32x32 RGB images.

        inp = Inpainter.from_pretrained()            # the shipped default model
        inp = Inpainter.from_pretrained("tutorial")  # a shipped model by name, a bundle folder, or a Hub repo id
        filled = inp.inpaint(images, holes)          # uint8 (N, 32, 32, 3), bool (N, 32, 32) -> uint8
    """

    def __init__(self, model: torch.nn.Module, config: dict[str, Any] | None = None, name: str = "model"):
        self.model = model.eval()
        self.config = config or {}
        self.name = name

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike | None = None, device: str = "cpu") -> "Inpainter":
        model, config = load_bundle(name_or_path, device)
        return cls(model, config, name=str(name_or_path or "default"))

    @property
    def arch(self) -> str:
        return self.config.get("arch", type(self.model).__name__)

    def reconstruct(self, images, holes) -> np.ndarray:
        """The raw model output for every pixel: uint8 of the shape of `images` (arrays) or (N, 32, 32, 3)."""
        batch, single = as_uint8_batch(images)
        hole_batch = _as_hole_batch(holes, len(batch))
        tensor = torch.from_numpy(np.array(batch)).permute(0, 3, 1, 2).float().div_(255)
        with torch.inference_mode():
            output = reconstruct(self.model, tensor, torch.from_numpy(np.array(hole_batch)))
        result = (output.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
        return result[0] if single else result

    def inpaint(self, images, holes) -> np.ndarray:
        """Fill the holes: uint8 of the shape of `images`; pixels that were not missing come back bit for bit."""
        batch, single = as_uint8_batch(images)
        hole_batch = _as_hole_batch(holes, len(batch))
        filled = np.where(hole_batch[..., None], self.reconstruct(batch, hole_batch), batch)
        return filled[0] if single else filled
