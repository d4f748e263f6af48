"""Turning arbitrary user images (any size, mode or orientation) into what the 32x32 model takes."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MODEL_SIZE = 32
MAX_PIXELS = 50_000_000  # larger images are refused before decoding (decompression bombs)


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
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        span = values.max() - values.min()
        scaled = (values - values.min()) / span * 255 if span > 0 else np.zeros_like(values)
        image = Image.fromarray(scaled.round().astype(np.uint8))
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

    With an alpha channel, a pixel is missing where alpha > 0; otherwise where brightness > 127.
    The mask is either `size` x `size` already, or the size of the original image (`image_size`),
    in which case it is cropped and resized like the image; a model pixel is missing when at least
    half of its area was.
    """
    mask = ImageOps.exif_transpose(open_image(source))
    if mask.size != (size, size) and (image_size is None or tuple(mask.size) != tuple(image_size)):
        expected = f"{size}x{size}" + (f" or {image_size[0]}x{image_size[1]}" if image_size else "")
        raise ImageError(f"the mask is {mask.size[0]}x{mask.size[1]}; it must be {expected} (the image's size)")
    if "A" in mask.mode or "transparency" in mask.info:
        missing = np.asarray(mask.convert("RGBA"))[..., 3] > 0
    else:
        missing = np.asarray(mask.convert("L")) > 127
    if mask.size == (size, size):
        return missing
    coverage = Image.fromarray(missing.astype(np.uint8) * 255).resize(
        (size, size), Image.Resampling.BOX, box=center_crop_box(*mask.size))
    return np.asarray(coverage) >= 128
