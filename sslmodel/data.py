"""Datasets as one uint8 tensor in memory, with a fixed validation split.

Images are (N, 3, 32, 32) uint8. Decoding happens once; training then indexes the tensor directly.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .preprocess import ImageError, prepare_image

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
VAL_FRACTION = 0.1  # the last 10% of every class (500 of CIFAR-10's 5,000 per class) is held out


@dataclass
class Split:
    images: torch.Tensor  # (N, 3, 32, 32) uint8
    labels: torch.Tensor  # (N,) int64; all zero for an unlabelled folder


@dataclass
class Dataset:
    train: Split
    val: Split
    classes: list[str]
    val_ids: list[str]  # one per validation image: its path in the folder, or "cifar10-train:index:N"

    @property
    def val_fingerprint(self) -> str:
        return fingerprint(self.val_ids)


class DataError(RuntimeError):
    """The data cannot be used for training; the message says why."""


def fingerprint(ids: list[str]) -> str:
    """Names a set of images whatever the order they are listed in: sha256 of the sorted ids, one a line."""
    return "sha256:" + hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def split_per_class(images: torch.Tensor, labels: torch.Tensor, classes: list[str], ids: list[str],
                    val_fraction: float = VAL_FRACTION) -> Dataset:
    """Hold out the last `val_fraction` of every class, in the order given, as validation.
    `ids` name the images (one each), so that the held-out set can be recorded and recognised."""
    is_val = torch.zeros(len(labels), dtype=torch.bool)
    for label in labels.unique():
        members = (labels == label).nonzero().flatten()
        held_out = int(round(len(members) * val_fraction))
        if held_out:
            is_val[members[-held_out:]] = True
    val_ids = [ids[i] for i in is_val.nonzero().flatten().tolist()]
    return Dataset(Split(images[~is_val], labels[~is_val]), Split(images[is_val], labels[is_val]), classes, val_ids)


def list_image_folder(root: Path) -> tuple[list[Path], list[int], list[str]]:
    """Files of an image folder: class subfolders (labelled in sorted order) or flat (one class)."""
    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    classes = [p.name for p in subfolders] or [root.name]
    paths, labels = [], []
    for label, folder in enumerate(subfolders or [root]):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        paths += files
        labels += [label] * len(files)
    return paths, labels, classes


def load_image_folder(root: str | Path, val_fraction: float = VAL_FRACTION) -> Dataset:
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"data folder {root} " + ("is a file, not a folder" if root.exists() else "does not exist"))
    paths, labels, classes = list_image_folder(root)
    if not paths:
        raise DataError(f"no images ({', '.join(sorted(IMAGE_EXTENSIONS))}) in {root} or its class subfolders")

    def decode(path: Path) -> np.ndarray | None:
        try:
            return prepare_image(path)
        except ImageError:
            return None

    with ThreadPoolExecutor() as pool:
        decoded = list(pool.map(decode, paths, chunksize=256))
    readable = [i for i, array in enumerate(decoded) if array is not None]
    if not readable:
        raise DataError(f"none of the {len(paths)} image files in {root} could be read")
    if len(readable) < len(paths):
        print(f"warning: skipped {len(paths) - len(readable)} unreadable image file(s) in {root}")
    images = torch.from_numpy(np.stack([decoded[i] for i in readable])).permute(0, 3, 1, 2).contiguous()
    ids = [paths[i].relative_to(root).as_posix() for i in readable]
    return split_per_class(images, torch.tensor([labels[i] for i in readable]), classes, ids, val_fraction)


def load_cifar10(cache_dir: str | Path, val_fraction: float = VAL_FRACTION) -> Dataset:
    """The CIFAR-10 train split through torchvision, downloaded into `cache_dir` on first use."""
    from torchvision.datasets import CIFAR10

    try:
        dataset = CIFAR10(str(cache_dir), train=True, download=True)
    except Exception as error:  # torchvision raises URLError, RuntimeError, ... when offline
        raise DataError(f"could not download CIFAR-10 into {cache_dir} ({error}); "
                        "offline, pass an image folder with --data instead") from None
    images = torch.from_numpy(np.asarray(dataset.data)).permute(0, 3, 1, 2).contiguous()
    ids = [f"cifar10-train:index:{i}" for i in range(len(images))]
    return split_per_class(images, torch.as_tensor(dataset.targets), list(dataset.classes), ids, val_fraction)


def load_dataset(source: str, cache_dir: str | Path = "~/.cache/sslmodel", val_fraction: float = VAL_FRACTION) -> Dataset:
    """`cifar10` or an image folder."""
    if source == "cifar10":
        return load_cifar10(Path(cache_dir).expanduser(), val_fraction)
    return load_image_folder(source, val_fraction)
