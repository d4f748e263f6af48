"""The showcase panels: probe predictions for the current image and the per-epoch training frames."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import torch
from PIL import Image

from app_inputs import gradient_image, make_tiny_bundle
from sslmodel import Inpainter
from sslmodel.probe import LinearFit, Probe, encoder_features, save_probes
from sslmodel.app import handlers, make_state
from sslmodel.app.showcase import list_frames, load_frame, load_probe_pair, probe_caption, top_classes

CLASSES = [f"class{i}" for i in range(10)]


def linear_probe(kind: str, dim: int, favourite: int, accuracy: float) -> Probe:
    """A probe whose bias makes class `favourite` by far the most likely, whatever the image."""
    bias = torch.zeros(10)
    bias[favourite], bias[(favourite + 1) % 10] = 10.0, 5.0
    fit = LinearFit(torch.zeros(10, dim), bias, torch.zeros(dim), torch.ones(dim), l2=0.1)
    return Probe(kind, CLASSES, fit, accuracy)


@pytest.fixture(scope="module")
def showcase_bundle(tmp_path_factory):
    folder = make_tiny_bundle(tmp_path_factory.mktemp("showcase") / "probed", seed=3)
    model = Inpainter.from_pretrained(folder).model
    dim = encoder_features(model, torch.zeros(1, 3, 32, 32, dtype=torch.uint8)).shape[1]
    save_probes(folder, {"encoder": linear_probe("encoder", dim, 2, 55.5),
                         "pixels": linear_probe("pixels", 3072, 7, 33.3)}, {"labels_per_class": 1000})
    (folder / "frames").mkdir()
    for epoch in (1, 2, 3):
        grid = np.full((96, 256, 3), epoch * 40, dtype=np.uint8)
        Image.fromarray(grid).save(folder / "frames" / f"epoch_{epoch:03d}.png")
    return folder


def test_probe_pair_predicts_top3_and_caption(showcase_bundle):
    pair = load_probe_pair(showcase_bundle)
    assert pair is not None and pair.pixels is not None
    model = Inpainter.from_pretrained(showcase_bundle).model
    image = gradient_image()
    encoder = top_classes(pair.encoder, image, model)
    pixels = top_classes(pair.pixels, image)
    assert len(encoder) == 3 and len(pixels) == 3
    assert max(encoder, key=encoder.get) == "class2" and max(pixels, key=pixels.get) == "class7"
    assert list(encoder)[1] == "class3" and 0.99 < sum(encoder.values()) <= 1.0001
    caption = probe_caption(pair)
    assert "1,000 labels per class" in caption and "55.5%" in caption and "33.3%" in caption


def test_no_probe_or_stale_probe_gives_none(tmp_path, showcase_bundle):
    bare = make_tiny_bundle(tmp_path / "bare", seed=4)
    assert load_probe_pair(bare) is None
    # a probe fitted on other weights is refused
    for name in ("probe.json", "probe.safetensors"):
        (bare / name).write_bytes((showcase_bundle / name).read_bytes())
    assert load_probe_pair(bare) is None
    assert json.loads((bare / "probe.json").read_text())["probes"]["encoder"]["val_accuracy"] == 55.5


def test_frames_listed_in_order_and_upscaled(showcase_bundle, tmp_path):
    frames = list_frames(showcase_bundle)
    assert list(frames) == [1, 2, 3]
    epoch, picture = load_frame(frames, 2, scale=4)
    assert epoch == 2 and picture.size == (256 * 4, 96 * 4)
    assert np.asarray(picture)[0, 0, 0] == 80
    assert load_frame(frames, 9)[0] == 3  # past the end: the last epoch
    assert list_frames(tmp_path) == {}


def test_app_handlers_produce_the_new_outputs(showcase_bundle, tmp_path):
    bare = make_tiny_bundle(tmp_path / "bare", seed=5)
    models = {"probed": Inpainter.from_pretrained(showcase_bundle), "bare": Inpainter.from_pretrained(bare)}
    state = make_state(models, None)
    assert list(state.models["probed"].frames) == [1, 2, 3] and state.models["probed"].probes is not None
    assert state.models["bare"].frames == {} and state.models["bare"].probes is None  # one entry per model
    fns = {name: functools.partial(getattr(handlers, name), state) for name in ("on_probe", "on_frames_model", "on_epoch")}
    guesses = fns["on_probe"](gradient_image(), "probed")
    encoder = guesses.encoder
    assert max(encoder["value"], key=encoder["value"].get) == "class2" and encoder["visible"]
    assert len(guesses.pixels["value"]) == 3 and "55.5%" in guesses.note
    guesses = fns["on_probe"](gradient_image(), "bare")
    assert guesses.encoder["visible"] is False and guesses.note == handlers.NO_PROBE
    panel = fns["on_frames_model"]("probed")
    assert panel.epoch["maximum"] == 3 and panel.epoch["value"] == 3 and "Epoch 3 of 3" in panel.frame.note
    assert Image.open(panel.frame.picture).size == (256 * handlers.FRAME_SCALE, 96 * handlers.FRAME_SCALE)
    frame = fns["on_epoch"](1, "probed")
    assert np.asarray(Image.open(frame.picture).convert("RGB"))[0, 0, 0] == 40 and "reconstruction" in frame.note
    assert fns["on_epoch"](1, "bare").picture is None
