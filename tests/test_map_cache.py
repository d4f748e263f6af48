"""The t-SNE maps kept on disk: a restart reads what a first start computed, and nothing that does not match."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sslmodel import Inpainter, shipped_models
from sslmodel.app import map_cache, shipped_maps
from sslmodel.app.examples import from_gallery
from sslmodel.app.learned import REFERENCE_FILE
from sslmodel.app.map_cache import (SHIPPED_MAPS, cached_map, map_file, map_key, model_key, read_map, reference_key,
                                    write_map)


@pytest.fixture
def counted_tsne(monkeypatch):
    """tsne() as the cache calls it, counting its calls."""
    calls = []
    real = map_cache.tsne

    def tsne(features):
        calls.append(len(features))
        return real(features, iterations=50)
    monkeypatch.setattr(map_cache, "tsne", tsne)
    return calls


def features(seed=0, n=12):
    return torch.randn(n, 6, generator=torch.Generator().manual_seed(seed))


def test_a_restart_reads_the_map_the_first_start_computed(tmp_path, counted_tsne):
    key = map_key("pixels", "some reference")
    first = cached_map(key, features(), [tmp_path])
    again = cached_map(key, features(), [tmp_path])
    assert counted_tsne == [12] and torch.equal(first, again) and first.shape == (12, 2)
    other = cached_map(map_key("pixels", "another reference"), features(), [tmp_path])
    assert counted_tsne == [12, 12] and other.shape == (12, 2), "another key is another map"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([map_file(tmp_path, key).name,
                                                                map_file(tmp_path, map_key("pixels", "another reference")).name])


def test_the_first_folder_that_holds_the_map_wins(tmp_path, counted_tsne):
    key = map_key("pixels", "r")
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    write_map(shipped, key, torch.ones(12, 2))
    assert torch.equal(cached_map(key, features(), [shipped, user]), torch.ones(12, 2))
    assert counted_tsne == [] and not user.exists(), "found in the first folder: nothing computed or written"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other key", "wrong shape", "not finite", "no metadata"])
def test_a_map_that_does_not_match_is_recomputed_never_trusted(tmp_path, counted_tsne, damage):
    key = map_key("pixels", "r")
    path = map_file(tmp_path, key)
    write_map(tmp_path, key, torch.full((12, 2), 7.0))
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:40])
    elif damage == "garbage":
        path.write_bytes(b"\xff" * 16 + b"{not json" * 10)
    elif damage == "other key":  # a map of something else, copied under this key's name
        write_map(tmp_path, map_key("pixels", "other"), torch.full((12, 2), 7.0)).replace(path)
    elif damage == "wrong shape":
        save_file({"coordinates": torch.zeros(11, 2)}, str(path), metadata={"key": key})
    elif damage == "not finite":
        save_file({"coordinates": torch.full((12, 2), float("nan"))}, str(path), metadata={"key": key})
    else:
        save_file({"coordinates": torch.full((12, 2), 7.0)}, str(path))
    assert read_map(path, key, 12) is None
    found = cached_map(key, features(), [tmp_path])
    assert counted_tsne == [12] and not torch.equal(found, torch.full((12, 2), 7.0))
    assert torch.equal(read_map(path, key, 12), found), "the recomputed map replaced the bad file"


def test_a_cache_that_cannot_be_written_costs_only_time(tmp_path, counted_tsne):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    key = map_key("pixels", "r")
    assert cached_map(key, features(), [blocked / "maps"]).shape == (12, 2) and counted_tsne == [12]


def test_keys_follow_the_weights_and_the_reference(tiny_bundles):
    first, second = (Inpainter.from_pretrained(folder).model for folder in list(tiny_bundles.values())[:2])
    assert model_key(first) == model_key(Inpainter.from_pretrained(next(iter(tiny_bundles.values()))).model)
    assert model_key(first) != model_key(second)
    with torch.no_grad():
        weight = next(first.parameters())
        weight[(0,) * weight.dim()] += 1e-6
    assert model_key(first) != model_key(Inpainter.from_pretrained(next(iter(tiny_bundles.values()))).model)
    images = np.zeros((2, 32, 32, 3), np.uint8)
    assert reference_key(images, ["a", "b"]) != reference_key(images, ["b", "a"])
    assert reference_key(images, ["a", "b"]) != reference_key(images + 1, ["a", "b"])
    assert map_key("pixels", "r") != map_key(model_key(first), "r")


def test_the_shipped_models_and_reference_set_have_their_maps_shipped():
    """A Space starts without a cache: the maps it needs ship with the package (`python -m
    sslmodel.app.shipped_maps` writes them after a bundle or the reference set changes)."""
    gallery = from_gallery(REFERENCE_FILE)
    images = np.stack([gallery.load(i) for i in range(len(gallery))])
    reference = reference_key(images, list(gallery.labels))
    sources = {"pixels": "pixels"} | {name: model_key(Inpainter.from_pretrained(name).model)
                                      for name in shipped_models()}
    for name, source in sources.items():
        key = map_key(source, reference)
        assert read_map(map_file(SHIPPED_MAPS, key), key, len(images)) is not None, f"the map of {name} is shipped"
    assert len(list(SHIPPED_MAPS.glob("*.safetensors"))) == len(sources), "no stale maps ship"


def test_writing_the_shipped_maps_replaces_them_with_one_per_model_and_the_pixels(tmp_path, counted_tsne,
                                                                                  tiny_bundles, monkeypatch):
    monkeypatch.setattr(shipped_maps, "shipped_models", lambda: [str(folder) for folder in tiny_bundles.values()])
    (tmp_path / "stale.safetensors").write_bytes(b"a map of weights that no longer ship")
    written = shipped_maps.write_shipped_maps(tmp_path)
    assert written == sorted(tmp_path.glob("*.safetensors")) and len(written) == 1 + len(tiny_bundles)
    assert not (tmp_path / "stale.safetensors").exists()
    calls = len(counted_tsne)
    shipped_maps.write_shipped_maps(tmp_path)
    assert len(counted_tsne) == calls + len(written), "every map is computed again, none read from the old ones"
