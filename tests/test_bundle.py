import json
from unittest import mock

import numpy as np
import pytest

from conftest import make_bundle, smooth_images
from sslmodel import BundleError, Inpainter, load_bundle, push_bundle, shipped_models
from sslmodel.bundle import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME


def test_save_then_load_gives_identical_outputs(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16, seed=3)
    images, holes = smooth_images(4), np.random.default_rng(1).random((4, 32, 32)) < 0.4
    first = Inpainter.from_pretrained(folder).reconstruct(images, holes)
    model, config = load_bundle(folder)
    second_folder = tmp_path / "again"
    from sslmodel import save_bundle
    save_bundle(model, second_folder, config)
    assert np.array_equal(first, Inpainter.from_pretrained(second_folder).reconstruct(images, holes))
    assert not np.array_equal(first, Inpainter.from_pretrained(make_bundle(tmp_path / "c", width=16, seed=4))
                              .reconstruct(images, holes)), "a different model must give different outputs"


def test_bundle_files_and_model_card(bundle):
    assert {p.name for p in bundle.iterdir()} >= {WEIGHTS_NAME, CONFIG_NAME, CARD_NAME}
    config = json.loads((bundle / CONFIG_NAME).read_text())
    assert config["arch"] == "dilated_unet" and config["arch_config"] == {"width": 16}
    card = (bundle / CARD_NAME).read_text()
    assert card.startswith("---\n") and "library_name: sslmodel" in card
    assert "| pixels 50% | 20.00 |" in card and "python train.py --test" in card
    assert "Inpainter.from_pretrained" in card


def test_no_temporary_files_are_left(bundle):
    assert not [p for p in bundle.rglob("*") if p.name.endswith(".tmp")]


def test_corrupt_or_missing_weights_are_reported(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16)
    (folder / WEIGHTS_NAME).write_bytes(b"not safetensors at all")
    with pytest.raises(BundleError, match="corrupt"):
        load_bundle(folder)
    (folder / WEIGHTS_NAME).unlink()
    with pytest.raises(BundleError, match=f"no {WEIGHTS_NAME}"):
        load_bundle(folder)


def test_mismatched_weights_are_reported(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16)
    config = json.loads((folder / CONFIG_NAME).read_text())
    config["arch_config"] = {"width": 32}
    (folder / CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(BundleError, match="does not fit"):
        load_bundle(folder)


def test_broken_config_is_reported(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16)
    (folder / CONFIG_NAME).write_text("{ not json")
    with pytest.raises(BundleError, match="not a valid bundle config"):
        load_bundle(folder)


def test_unknown_name_and_offline_repo_are_reported(monkeypatch, tmp_path):
    with pytest.raises(BundleError, match="not a shipped model"):
        load_bundle("no-such-model")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(BundleError, match="cannot be reached|could not download"):
        load_bundle("someone/not-cached-anywhere")


def test_push_sends_the_bundle_files_without_network(bundle):
    sent = {}

    def upload_folder(**kwargs):
        sent["files"] = sorted(p.name for p in __import__("pathlib").Path(kwargs["folder_path"]).iterdir())
        sent["repo_id"] = kwargs["repo_id"]
        return "https://huggingface.co/me/inpaint/commit/abc"

    with mock.patch("sslmodel.bundle.HfApi") as api_class:
        api = api_class.return_value
        api.create_repo.return_value.repo_id = "me/inpaint"
        api.upload_folder.side_effect = upload_folder
        assert push_bundle(bundle, "me/inpaint").endswith("commit/abc")
    api.create_repo.assert_called_once()
    assert sent["repo_id"] == "me/inpaint"
    assert {WEIGHTS_NAME, CONFIG_NAME, CARD_NAME} <= set(sent["files"])


@pytest.mark.parametrize("name", ["default", "tutorial"])
def test_shipped_models_load_by_name(name):
    assert name in shipped_models()
    inpainter = Inpainter.from_pretrained(None if name == "default" else name)
    assert inpainter.config["arch"] == ("tutorial" if name == "tutorial" else "dilated_unet")
    images, holes = smooth_images(2), np.zeros((2, 32, 32), bool)
    holes[:, 8:24, 8:24] = True
    assert np.array_equal(inpainter.inpaint(images, holes)[~holes], images[~holes])
