"""t-SNE maps of the reference set, kept on disk so that a restart does not redo them.

A map costs seconds (exact t-SNE over 1,000 points) and depends only on the features it is made from: raw pixels,
or a model's weights, and the reference images. Each map is stored under a key that hashes exactly those (and
`MAPS_VERSION`, for the t-SNE settings and the features' definition), in one small safetensors file (no code runs
when it is read). It is looked up first among the maps shipped with the package (`assets/maps/`, for the shipped
models: a Space loses its disk on every restart), then in the user's cache (`$SSLMODEL_CACHE/maps`, by default
`~/.cache/sslmodel/maps`). A file whose recorded key, shape or values do not match is ignored and the map
recomputed: a cache is never trusted over the computation. `python -m sslmodel.app.shipped_maps` writes the
shipped ones.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from ..atomic import atomic_path
from ..projection import tsne

MAPS_VERSION = "1"  # bump when tsne()'s settings or what encoder_features() returns change
SHIPPED_MAPS = Path(__file__).resolve().parent / "assets" / "maps"
CACHE_ENV = "SSLMODEL_CACHE"


def user_maps_folder() -> Path:
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/sslmodel").expanduser() / "maps"


def digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little") + data)  # length-prefixed: no two part lists collide
    return hasher.hexdigest()


def model_key(model: nn.Module) -> str:
    """What a model's features depend on: its class and every tensor of its state, in name order."""
    state = model.state_dict()
    parts = [type(model).__qualname__]
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        parts += [name, str(tensor.dtype), str(tuple(tensor.shape)),
                  tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""]
    return digest(*parts)


def reference_key(images: np.ndarray, labels: list[str]) -> str:
    """What a reference set is: its uint8 pixels and labels, in order."""
    images = np.ascontiguousarray(images, dtype=np.uint8)
    return digest(str(images.shape), images.tobytes(), "\n".join(labels))


def map_key(source: str, reference: str) -> str:
    """The key of the map of a reference set in some features; `source` is "pixels" or a `model_key`."""
    return digest("tsne map", MAPS_VERSION, source, reference)


def map_file(folder: Path, key: str) -> Path:
    return folder / f"{key[:32]}.safetensors"


def read_map(path: Path, key: str, points: int) -> torch.Tensor | None:
    """The (points, 2) coordinates stored at `path` under exactly this key, else None (missing, unreadable, made
    from something else, the wrong shape, or not finite)."""
    try:
        with safe_open(str(path), "pt") as stored:  # parses the header only, then the one tensor asked for
            if (stored.metadata() or {}).get("key") != key or "coordinates" not in stored.keys():
                return None
            coordinates = stored.get_tensor("coordinates")
    except (OSError, SafetensorError, ValueError, RuntimeError):
        return None
    if coordinates.shape != (points, 2) or not torch.isfinite(coordinates).all():
        return None
    return coordinates.float()


def write_map(folder: Path, key: str, coordinates: torch.Tensor) -> Path:
    """Store a map under its key, atomically (a reader never sees half a file)."""
    path = map_file(folder, key)
    with atomic_path(path) as tmp:
        save_file({"coordinates": coordinates.float().contiguous()}, str(tmp),
                  metadata={"key": key, "maps_version": MAPS_VERSION})
    return path


def cached_map(key: str, features: torch.Tensor, folders: list[Path] | None = None) -> torch.Tensor:
    """The t-SNE map of `features` (N, D): read from the first folder that holds it under `key`, else computed
    and written to the user's cache (a cache that cannot be written only costs the next start its time)."""
    folders = folders if folders is not None else [SHIPPED_MAPS, user_maps_folder()]
    for folder in folders:
        found = read_map(map_file(folder, key), key, len(features))
        if found is not None:
            return found
    coordinates = tsne(features)
    if folders:
        try:
            write_map(folders[-1], key, coordinates)
        except OSError:
            pass
    return coordinates
