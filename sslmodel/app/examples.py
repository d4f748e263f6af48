"""Example images for the app: a folder of images, the CIFAR-10 test set from the local torchvision cache,
or the small gallery that ships with the code (100 validation images, 10 per class, in one PNG).

Nothing here reaches the network unless `download=True` is asked for, so the app starts offline.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, PngImagePlugin

from ..data import list_image_folder
from ..preprocess import MODEL_SIZE, ImageError, prepare_image

ENV_VAR = "SSLMODEL_EXAMPLES"  # a folder of images (class subfolders -> labels)
CACHE_DIR = Path("~/.cache/sslmodel")  # where train.py's torchvision download of CIFAR-10 lives
DOWNLOAD_TIMEOUT = 30  # seconds without an answer before giving up on the download
GALLERY_FILE = Path(__file__).resolve().parent / "assets" / "cifar10-gallery.png"
GALLERY_PER_CLASS = 10
HOW_TO_GET = (f"For more images, start the app with `--examples cifar10` (downloads CIFAR-10's test set into "
              f"{CACHE_DIR}), or point it at a folder of images with `--examples DIR` or the {ENV_VAR} "
              f"environment variable.")


@dataclass
class ExampleSet:
    """Labelled 32x32 example images, decoded on demand."""
    labels: list[str]
    source: str  # where they come from, for the page
    load: Callable[[int], np.ndarray]  # index -> uint8 (32, 32, 3); may raise ImageError

    def __len__(self) -> int:
        return len(self.labels)

    def gallery_indices(self, per_class: int) -> list[int]:
        """The first `per_class` examples of every label, label by label in order of first appearance."""
        seen: dict[str, list[int]] = {}
        for index, label in enumerate(self.labels):
            picked = seen.setdefault(label, [])
            if len(picked) < per_class:
                picked.append(index)
        return [index for indices in seen.values() for index in indices]

    def gallery(self, per_class: int) -> tuple[list[int], list[tuple[np.ndarray, str]]]:
        """(example indices, [(image, label)]) for a gallery, leaving out files that cannot be read."""
        indices, items = [], []
        for index in self.gallery_indices(per_class):
            try:
                items.append((self.load(index), self.labels[index]))
                indices.append(index)
            except ImageError:
                continue
        return indices, items


def from_folder(folder: str | os.PathLike) -> ExampleSet:
    """A folder of images: class subfolders give the labels; a flat folder is one class named after it."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"examples folder {root} does not exist")
    paths, labels, classes = list_image_folder(root)
    if not paths:
        raise FileNotFoundError(f"no images (jpg, png, webp) in {root} or its subfolders")
    return ExampleSet([classes[label] for label in labels], f"images from {root}", lambda i: prepare_image(paths[i]))


def from_cifar10(cache_dir: str | os.PathLike = CACHE_DIR, download: bool = False) -> ExampleSet:
    """The CIFAR-10 test split through torchvision; raises RuntimeError when it is not there (or not downloadable)."""
    from torchvision.datasets import CIFAR10

    root = Path(cache_dir).expanduser()
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)  # torchvision's download has no timeout of its own
    try:
        dataset = CIFAR10(str(root), train=False, download=download)
    except Exception as error:  # RuntimeError when missing, URLError/OSError offline
        raise RuntimeError(f"CIFAR-10 test set not available in {root}: {error}") from None
    finally:
        socket.setdefaulttimeout(previous)
    images = np.asarray(dataset.data)  # (10000, 32, 32, 3) uint8
    return ExampleSet([dataset.classes[t] for t in dataset.targets], "CIFAR-10 test set", lambda i: images[i])


def write_gallery(images: np.ndarray, labels: list[str], path: str | os.PathLike = GALLERY_FILE) -> Path:
    """uint8 (N, 32, 32, 3) images and their labels -> one PNG, a row of 10 images after another, with the labels
    as JSON in a text chunk. Lossless, a few hundred KB for 100 images, and viewable as a picture."""
    rows = -(-len(images) // GALLERY_PER_CLASS)
    sheet = np.zeros((rows * MODEL_SIZE, GALLERY_PER_CLASS * MODEL_SIZE, 3), np.uint8)
    for i, image in enumerate(images):
        row, column = divmod(i, GALLERY_PER_CLASS)
        sheet[row * MODEL_SIZE:(row + 1) * MODEL_SIZE, column * MODEL_SIZE:(column + 1) * MODEL_SIZE] = image
    info = PngImagePlugin.PngInfo()
    info.add_text("labels", json.dumps(list(labels)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path, pnginfo=info, optimize=True)
    return path


def from_gallery(path: str | os.PathLike = GALLERY_FILE) -> ExampleSet:
    """The gallery written by `write_gallery` (by default the one that ships: CIFAR-10 validation images)."""
    with Image.open(path) as sheet:
        labels = json.loads(sheet.text["labels"])
        pixels = np.asarray(sheet.convert("RGB"))
    tiles = pixels.reshape(-1, MODEL_SIZE, GALLERY_PER_CLASS, MODEL_SIZE, 3).swapaxes(1, 2).reshape(
        -1, MODEL_SIZE, MODEL_SIZE, 3)[:len(labels)]
    return ExampleSet(labels, "CIFAR-10 validation images that no shipped model trained on", lambda i: tiles[i])


def find_examples(folder: str | os.PathLike | None = None, cache_dir: str | os.PathLike = CACHE_DIR,
                  download: bool = False) -> tuple[ExampleSet | None, str]:
    """The examples to offer and a note for the page: `folder` (or "cifar10": the test set, downloaded when
    `download`), else $SSLMODEL_EXAMPLES, else the cached CIFAR-10 test set, else the shipped gallery."""
    folder = folder or os.environ.get(ENV_VAR)
    if folder and str(folder) != "cifar10":
        try:
            return from_folder(folder), ""
        except FileNotFoundError as error:
            return from_gallery(), f"{error}; showing the built-in examples instead. {HOW_TO_GET}"
    try:
        return from_cifar10(cache_dir, download=download and folder == "cifar10"), ""
    except RuntimeError as error:
        note = f"{error}; showing the built-in examples instead." if folder == "cifar10" else ""
        return from_gallery(), note
