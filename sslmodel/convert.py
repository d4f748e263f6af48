"""Conversions shared by the library, the app and the benchmarks: uint8 images <-> float tensors, and PNG bytes.

Layouts: arrays from users and PIL are uint8 (N, H, W, 3) "NHWC"; models take float (N, 3, H, W) in [0, 1].
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> float in [0, 1]."""
    return images.float().div_(255)


def nhwc_to_float(images: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) or (N, H, W, 3) array -> float (N, 3, H, W) in [0, 1] (a copy: inputs may be read-only)."""
    batch = images[None] if images.ndim == 3 else images
    return to_float(torch.from_numpy(np.array(batch)).permute(0, 3, 1, 2))


def float_to_nhwc(images: torch.Tensor) -> np.ndarray:
    """float (N, 3, H, W), clamped to [0, 1] -> uint8 (N, H, W, 3), rounded to the nearest level."""
    return (images.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def png_bytes(image: Image.Image | np.ndarray, optimize: bool = False) -> bytes:
    """A PIL image or a uint8 (H, W, 3 or 4) array as PNG file bytes; `optimize` makes them smaller, slower."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.ascontiguousarray(image))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=optimize)
    return buffer.getvalue()
