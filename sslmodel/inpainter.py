"""`Inpainter`: the one public entry point that the app, the benchmarks and users share."""

from __future__ import annotations

import os
import numpy as np
import torch

from .bundle import load_bundle
from .bundle_config import BundleConfig
from .convert import float_to_nhwc, nhwc_to_float
from .evaluate import reconstruct
from .preprocess import MODEL_SIZE, ImageError, as_uint8_batch


def as_hole_batch(holes, count: int) -> np.ndarray:
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

    def __init__(self, model: torch.nn.Module, config: BundleConfig | None = None, name: str = "model"):
        self.model = model.eval()
        self.config = config  # None for a model that was not loaded from a bundle
        self.name = name

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike | None = None, device: str = "cpu") -> "Inpainter":
        model, config = load_bundle(name_or_path, device)
        return cls(model, config, name=str(name_or_path or "default"))

    def reconstruct(self, images, holes) -> np.ndarray:
        """The raw model output for every pixel: uint8 of the shape of `images` (arrays) or (N, 32, 32, 3)."""
        batch, single = as_uint8_batch(images)
        hole_batch = as_hole_batch(holes, len(batch))
        with torch.inference_mode():
            output = reconstruct(self.model, nhwc_to_float(batch), torch.from_numpy(np.array(hole_batch)))
        result = float_to_nhwc(output)
        return result[0] if single else result

    def inpaint(self, images, holes) -> np.ndarray:
        """Fill the holes: uint8 of the shape of `images`; pixels that were not missing come back bit for bit."""
        batch, single = as_uint8_batch(images)
        hole_batch = as_hole_batch(holes, len(batch))
        filled = np.where(hole_batch[..., None], self.reconstruct(batch, hole_batch), batch)
        return filled[0] if single else filled
