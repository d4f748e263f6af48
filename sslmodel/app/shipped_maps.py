"""The maps that ship with the package, so that a fresh Space reads them instead of computing them (map_cache.py):
the reference set's in raw pixels and in every shipped model's features. Write them again whenever a shipped
bundle or the reference set changes (a test fails while they are stale):

    python -m sslmodel.app.shipped_maps
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..bundle import shipped_models
from ..inpainter import Inpainter
from .learned import feature_space, load_reference
from .map_cache import SHIPPED_MAPS


def write_shipped_maps(folder: Path = SHIPPED_MAPS) -> list[Path]:
    """The maps, written into `folder` (older maps there removed); their files."""
    for old in folder.glob("*.safetensors"):
        old.unlink()
    reference = load_reference(maps=[folder])  # computes and writes the pixel map
    for name in shipped_models():
        feature_space(Inpainter.from_pretrained(name).model, reference, [folder])
    return sorted(folder.glob("*.safetensors"))


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    for path in write_shipped_maps():
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
