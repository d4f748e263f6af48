"""Turning arbitrary user images (any size, mode or orientation) into what the 32x32 model takes."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MODEL_SIZE = 32
MAX_PIXELS = 50_000_000  # larger images are refused before decoding (decompression bombs)
# The white level of Pillow's high-bit-depth grey modes: 16-bit files open as I;16* or I (PNG, TIFF);
# floating-point images (F) are taken to be in [0, 1].
HIGH_DEPTH_MAX = {"I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I": 65535, "F": 1.0}


class ImageError(ValueError):
    """An input that cannot be used as an image or mask, with a message meant for the user."""


def open_image(source: str | os.PathLike | bytes | BinaryIO | Image.Image) -> Image.Image:
    """Open and fully decode an image, refusing files that are not images, broken, or too large."""
    if isinstance(source, Image.Image):
        image = source
    else:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        name = Path(source).name if isinstance(source, (str, os.PathLike)) else "the upload"
        try:
            with warnings.catch_warnings():  # the pixel limit below is the check that matters
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(source)  # reads the header only
        except FileNotFoundError:
            raise ImageError(f"{name}: no such file") from None
        except (UnidentifiedImageError, OSError, ValueError):
            raise ImageError(f"{name} is not an image this app can read (try PNG, JPEG or WebP)") from None
        except Image.DecompressionBombError:
            raise ImageError(f"{name} is too large to open safely") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"the image is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels")
    if width == 0 or height == 0:
        raise ImageError("the image is empty (zero pixels)")
    try:
        if getattr(image, "is_animated", False):
            image.seek(0)  # animations: the first frame
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ImageError(f"the image file is truncated or corrupt ({error})") from None
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Upright 8-bit RGB, whatever the mode: EXIF rotation applied, transparency flattened onto white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in HIGH_DEPTH_MAX:  # scale by the bit depth, never by the image's own range
        values = np.asarray(image, dtype=np.float64) / HIGH_DEPTH_MAX[image.mode]
        image = Image.fromarray((np.clip(values, 0, 1) * 255).round().astype(np.uint8))
    if image.mode == "P" or "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


def center_crop_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The largest centred square, as a PIL box (left, top, right, bottom)."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def fit_to_model(image: Image.Image, size: int = MODEL_SIZE) -> Image.Image:
    """Centre-crop to a square and resize to `size` x `size` (antialiased)."""
    box = center_crop_box(*image.size)
    return image.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def prepare_image(source, size: int = MODEL_SIZE) -> np.ndarray:
    """Any image source -> uint8 (size, size, 3), exactly what the model sees."""
    return np.asarray(fit_to_model(to_rgb(open_image(source)), size))


def prepare_holes(source, image_size: tuple[int, int] | None = None, size: int = MODEL_SIZE) -> np.ndarray:
    """A mask image -> bool (size, size) hole map, True = missing.

    With an alpha channel that varies, a pixel is missing where alpha > 0; otherwise (no alpha, or the same
    alpha everywhere, as in a black-and-white mask saved with full opacity) where brightness > 127.
    The mask is either `size` x `size` already, or the size of the original image (`image_size`),
    in which case it is cropped and resized like the image; a model pixel is missing when at least
    half of its area was.
    """
    mask = ImageOps.exif_transpose(open_image(source))
    if mask.size != (size, size) and (image_size is None or tuple(mask.size) != tuple(image_size)):
        sizes = [(size, size)] + ([tuple(image_size)] if image_size and tuple(image_size) != (size, size) else [])
        expected = " or ".join(f"{width}x{height}" for width, height in sizes)
        raise ImageError(f"the mask is {mask.size[0]}x{mask.size[1]}; it must be {expected} "
                         f"({size}x{size} or the image's size)")
    alpha = np.asarray(mask.convert("RGBA"))[..., 3] if "A" in mask.mode or "transparency" in mask.info else None
    if alpha is not None and alpha.min() != alpha.max():
        missing = alpha > 0
    else:
        missing = np.asarray(to_rgb(mask).convert("L") if mask.mode in HIGH_DEPTH_MAX else mask.convert("L")) > 127
    if mask.size == (size, size):
        return missing
    coverage = Image.fromarray(missing.astype(np.uint8) * 255).resize(
        (size, size), Image.Resampling.BOX, box=center_crop_box(*mask.size))
    return np.asarray(coverage) >= 128


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
