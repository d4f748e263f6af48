"""Shared fixtures: tiny synthetic image folders and bundles, so no test needs CIFAR-10 or the shipped weights."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from app_inputs import CLASSES, MODEL_NAMES, gradient_image, make_tiny_bundle, save_png
from sslmodel import Inpainter, build_model, engine, save_bundle
from sslmodel.app.examples import ExampleSet, from_folder
from sslmodel.app.map_cache import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent  # the repository: where train.py runs under torchrun


@pytest.fixture(scope="session", autouse=True)
def own_cache(tmp_path_factory):
    """The maps the page computes are cached in a folder of the run's own, never the user's ~/.cache."""
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("sslmodel-cache"))


def fingerprint(folder: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="session", autouse=True)
def committed_results_stay():
    """Tests write figures into folders of their own, never over the committed ones in bench/results/."""
    before = fingerprint(ROOT / "bench" / "results")
    yield
    assert fingerprint(ROOT / "bench" / "results") == before, "a test wrote into bench/results/"


@pytest.fixture(scope="session", autouse=True)
def own_temp_dir(tmp_path_factory):
    """Temporary files in a folder of the run's own, which pytest removes: gradio_client leaves an empty folder
    in the system's temporary folder for every file it downloads, the served apps their outputs."""
    previous = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("tmp"))
    yield
    tempfile.tempdir = previous


def smooth_images(n: int, seed: int = 0, size: int = 32) -> np.ndarray:
    """uint8 (N, size, size, 3) images with smooth colour gradients, so that inpainting is learnable."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    coefficients = rng.uniform(-1, 1, (n, 3, 3))
    images = (coefficients[:, :, 0, None, None] * x + coefficients[:, :, 1, None, None] * y
              + coefficients[:, :, 2, None, None]) * 0.5 + 0.5
    return (np.clip(images, 0, 1).transpose(0, 2, 3, 1) * 255).round().astype(np.uint8)


def write_image_folder(root: Path, per_class: int = 20, classes=("cats", "dogs"), seed: int = 0) -> Path:
    images = smooth_images(per_class * len(classes), seed)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(images[c * per_class + i]).save(root / name / f"{i:04d}.png")
    return root


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory) -> Path:
    return write_image_folder(tmp_path_factory.mktemp("images"))


def make_bundle(folder: Path, arch: str = "dilated_unet", seed: int = 0, **arch_config) -> Path:
    torch.manual_seed(seed)
    model = build_model(arch, **arch_config)
    config = {"arch": arch, "arch_config": arch_config, "recipe": {"holes": "mixed"},
              "metrics": {"pixels": {"hole_psnr": 20.0, "psnr": 25.0, "ssim": 0.9}},
              "training": {"command": "python train.py --test", "val_images": 4, "wall_time_seconds": 1.0}}
    return save_bundle(model, folder, config)


@pytest.fixture(scope="session")
def bundle(tmp_path_factory) -> Path:
    """An untrained default-architecture bundle (small width, so tests stay fast)."""
    return make_bundle(tmp_path_factory.mktemp("bundle") / "small", width=16)


# ---------------------------------------------------------------------------------------------- the app's

@pytest.fixture(scope="session")
def tiny_bundles(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("app-bundles")
    return {name: make_tiny_bundle(root / name, seed) for seed, name in enumerate(MODEL_NAMES)}


@pytest.fixture(scope="session")
def tiny_models(tiny_bundles) -> dict[str, Inpainter]:
    """Two untrained bundles, loaded from disk like any other bundle."""
    return {name: Inpainter.from_pretrained(folder) for name, folder in tiny_bundles.items()}


@pytest.fixture(scope="session")
def examples_dir(tmp_path_factory) -> Path:
    """A folder of example images with class subfolders, like the CIFAR-10 test set but 3 per class."""
    root = tmp_path_factory.mktemp("app-examples")
    for c, name in enumerate(CLASSES):
        (root / name).mkdir()
        for i in range(3):
            save_png(gradient_image(seed=10 * c + i), root / name / f"{i}.png")
    return root


@pytest.fixture(scope="session")
def tiny_examples(examples_dir) -> ExampleSet:
    return from_folder(examples_dir)


def interrupt_in_epoch(patch: pytest.MonkeyPatch, epoch: int) -> None:
    """Make training raise KeyboardInterrupt (as Ctrl-C would) when epoch `epoch` starts."""
    real_epoch = engine.train_one_epoch

    def stop(*args, progress=None, **kwargs):
        if (progress or "").startswith(f"epoch {epoch}/"):
            raise KeyboardInterrupt
        return real_epoch(*args, progress=progress, **kwargs)

    patch.setattr(engine, "train_one_epoch", stop)
