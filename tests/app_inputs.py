"""Inputs for the app's tests: synthetic (and broken) image files and tiny untrained bundles.

Nothing here touches pretrained/, the network or CIFAR-10. The fixtures built from them live in conftest.py.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from sslmodel import build_model, save_bundle

MODEL_NAMES = ("tiny", "tiny-2")
CLASSES = ("cats", "ships")


def gradient_image(width: int = 32, height: int = 32, seed: int = 0) -> np.ndarray:
    """uint8 (height, width, 3): a smooth colour gradient, different for every seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    a = rng.uniform(0.2, 1.0, 3)
    image = (a * (x[..., None] / max(width - 1, 1)) + (1 - a) * (y[..., None] / max(height - 1, 1))) * 255
    return image.round().astype(np.uint8)


def save_png(array: np.ndarray, path: Path, mode: str | None = None) -> Path:
    Image.fromarray(array, mode=mode).save(path)
    return path


def bomb_png(path: Path, side: int = 20_000) -> Path:
    """A tiny PNG whose header claims side x side pixels (400 MP): must be refused before decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * (side * 3)
    data = zlib.compress(row * 16, 9)  # a few rows only: the file is small, the header is what counts
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def good_inputs(folder: Path) -> dict[str, Path]:
    """Images in every awkward-but-valid form the app must accept, each 48x40 (not square, not 32x32)."""
    rgb = gradient_image(48, 40, seed=1)
    files = {
        "rgb.png": save_png(rgb, folder / "rgb.png"),
        "gray.png": save_png(rgb[..., 0], folder / "gray.png"),
        "rgba.png": save_png(np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)]), folder / "rgba.png"),
    }
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(folder / "palette.png")
    Image.fromarray(rgb).convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray((rgb[..., 0].astype(np.uint16) * 257)).save(folder / "deep16.png")  # 16-bit grayscale
    frames = [Image.fromarray(gradient_image(48, 40, seed=s)) for s in range(3)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    for name in ("palette.png", "cmyk.jpg", "deep16.png", "animated.gif"):
        files[name] = folder / name
    return files


def bad_images(folder: Path) -> dict[str, Path]:
    """Files that are not usable images, each of which must be refused with a clear message."""
    good = io.BytesIO()
    Image.fromarray(gradient_image(64, 64)).save(good, format="PNG")
    files = {"text.txt": b"this is not an image\n", "truncated.png": good.getvalue()[: len(good.getvalue()) // 2],
             "corrupt.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "empty.png": b""}
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    paths["bomb.png"] = bomb_png(folder / "bomb.png")  # 400 MP: PIL itself refuses to open it
    paths["huge.png"] = bomb_png(folder / "huge.png", side=8_000)  # 64 MP: over the app's 50 MP limit
    return paths


def make_tiny_bundle(folder: Path, seed: int) -> Path:
    """An untrained, narrow default-architecture bundle: fast, and different for every seed."""
    torch.manual_seed(seed)
    config = {"arch": "dilated_unet", "arch_config": {"width": 8}}
    return save_bundle(build_model("dilated_unet", width=8), folder, config)
