import hashlib
import shutil
import types

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import smooth_images, write_image_folder
from sslmodel import data
from sslmodel.data import DataError, fingerprint, load_dataset


def test_class_folders_are_labelled_and_split_per_class(tmp_path):
    root = write_image_folder(tmp_path, per_class=20, classes=("b_dogs", "a_cats"))
    dataset = load_dataset(str(root))
    assert dataset.classes == ["a_cats", "b_dogs"]
    assert dataset.train.images.shape == (36, 3, 32, 32) and dataset.train.images.dtype == torch.uint8
    assert dataset.val.labels.tolist() == [0, 0, 1, 1]  # the last 10% of every class
    expected_last_cat = np.asarray(Image.open(root / "a_cats" / "0019.png"))
    assert np.array_equal(dataset.val.images[1].permute(1, 2, 0).numpy(), expected_last_cat)


def test_flat_folder_other_formats_and_sizes(tmp_path):
    images = smooth_images(10)
    for i, image in enumerate(images):
        big = Image.fromarray(image).resize((64, 48))
        big.save(tmp_path / f"{i}.{['jpg', 'png', 'webp'][i % 3]}")
    (tmp_path / "notes.txt").write_text("ignored")
    dataset = load_dataset(str(tmp_path))
    assert len(dataset.train.images) + len(dataset.val.images) == 10
    assert dataset.train.images.shape[1:] == (3, 32, 32)


def test_unreadable_files_are_skipped_with_a_warning(tmp_path, capsys):
    write_image_folder(tmp_path, per_class=10, classes=("x",))
    (tmp_path / "x" / "broken.png").write_bytes(b"garbage")
    dataset = load_dataset(str(tmp_path))
    assert len(dataset.train.images) + len(dataset.val.images) == 10
    assert "skipped 1 unreadable" in capsys.readouterr().out


def test_the_validation_split_is_named_by_its_files(tmp_path):
    root = write_image_folder(tmp_path / "a", per_class=20, classes=("cats", "dogs"))
    dataset = load_dataset(str(root))
    held_out = ["cats/0018.png", "cats/0019.png", "dogs/0018.png", "dogs/0019.png"]
    assert dataset.val_ids == held_out and len(dataset.val_ids) == len(dataset.val.images)
    assert dataset.val_fingerprint == "sha256:" + hashlib.sha256("\n".join(held_out).encode()).hexdigest()
    assert fingerprint(list(reversed(held_out))) == dataset.val_fingerprint, "the order they are listed in is not"

    copy = shutil.copytree(root, tmp_path / "elsewhere")  # the same files in another place: the same split
    assert load_dataset(str(copy)).val_fingerprint == dataset.val_fingerprint
    Image.fromarray(smooth_images(1, seed=9)[0]).save(copy / "dogs" / "0020.png")  # the last dog is held out now
    changed = load_dataset(str(copy))
    assert "dogs/0020.png" in changed.val_ids and changed.val_fingerprint != dataset.val_fingerprint


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "no images"),
    (lambda p: (p / "a.jpg").write_bytes(b"nope"), "could be read"),
], ids=["empty", "all-broken"])
def test_unusable_folders_are_refused(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(DataError, match=message):
        load_dataset(str(tmp_path))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(str(tmp_path / "missing"))


def test_cifar10_goes_through_torchvision(monkeypatch, tmp_path):
    calls = {}

    class FakeCIFAR10:
        classes = ["airplane", "automobile"]

        def __init__(self, root, train, download):
            calls.update(root=root, train=train, download=download)
            self.data = smooth_images(40)  # (N, 32, 32, 3) uint8, like torchvision's
            self.targets = [i % 2 for i in range(40)]

    monkeypatch.setitem(__import__("sys").modules, "torchvision.datasets",
                        types.SimpleNamespace(CIFAR10=FakeCIFAR10))
    dataset = data.load_dataset("cifar10", cache_dir=tmp_path)
    assert calls == {"root": str(tmp_path), "train": True, "download": True}
    assert dataset.classes == ["airplane", "automobile"]
    assert len(dataset.train.images) == 36 and len(dataset.val.images) == 4
    assert sorted(dataset.val_ids) == [f"cifar10-train:index:{i}" for i in (36, 37, 38, 39)]  # the last 2 per class
    assert dataset.val_fingerprint == fingerprint(dataset.val_ids)


def test_cifar10_offline_gives_a_clear_message(monkeypatch, tmp_path):
    class OfflineCIFAR10:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.setitem(__import__("sys").modules, "torchvision.datasets",
                        types.SimpleNamespace(CIFAR10=OfflineCIFAR10))
    with pytest.raises(DataError, match="pass an image folder"):
        data.load_dataset("cifar10", cache_dir=tmp_path)
