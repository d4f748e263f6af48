"""The "What did it learn?" panels: look-alikes, the maps, the few-label curve and the fill's class, on a tiny
synthetic reference set and tiny untrained models (no t-SNE of 1,000 points here)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from app_inputs import make_tiny_bundle
from sslmodel import Inpainter
from sslmodel.app import build_demo, handlers, learned, make_state
from sslmodel.app.charts import GAP, PANEL, draw_curve, draw_maps, mark_maps
from sslmodel.app.examples import write_gallery
from sslmodel.app.hole_maps import random_holes
from sslmodel.app.layout import CONCURRENCY, LATER_GROUP, MODEL_GROUP, bind
from sslmodel.app.learned import (NO_CURVE, Reference, caption_label, copies_of, curve_series, fill_line,
                                  find_lookalikes, label_curve, load_reference, model_panels, share_line)
from sslmodel.app.painter import painter_value
from sslmodel.bundle import record_in_bundle
from sslmodel.probe import LinearFit, Probe, encoder_features, save_probes

CLASSES = ["red", "green", "blue"]
PER_CLASS = 6
PROBE_RECORD = {"labels_per_class": [1, 10, 100, 1000], "table": "| method | ... |",
                "accuracy": {"pretrained": {"1": [14.0, 16.0, 18.0], "10": [28, 30, 32], "100": [40, 40, 40],
                                            "1000": [50, 51, 52]},
                             "random": {"1": [12, 13, 14], "10": [24, 25, 26], "100": [36, 37, 38],
                                        "1000": [44, 44, 44]},
                             "pixels": {"1": [15, 15, 15], "10": [23, 24, 25], "100": [33, 33, 33],
                                        "1000": [38, 39, 40]},
                             "scratch": {"1": [10], "10": [20], "100": [30], "1000": [40]}}}


def coloured_images(per_class: int = PER_CLASS, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """uint8 (3 * per_class, 32, 32, 3): noisy images, each class bright in its own channel, so pixel
    neighbours share their class."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, (len(CLASSES) * per_class, 32, 32, 3))
    labels = []
    for c, name in enumerate(CLASSES):
        images[c * per_class:(c + 1) * per_class, :, :, c] += 180
        labels += [name] * per_class
    return images.astype(np.uint8), labels


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Reference:
    images, labels = coloured_images()
    return load_reference(write_gallery(images, labels, tmp_path_factory.mktemp("reference") / "reference.png"))


def linear_probe(kind: str, dim: int, weight: torch.Tensor | None = None) -> Probe:
    """A probe over CLASSES whose bias favours "blue", unless `weight` says otherwise."""
    bias = torch.tensor([0.0, 1.0, 5.0])
    fit = LinearFit(torch.zeros(3, dim) if weight is None else weight, bias, torch.zeros(dim), torch.ones(dim), 0.1)
    return Probe(kind, CLASSES, fit, 50.0)


@pytest.fixture(scope="module")
def probed_models(tmp_path_factory) -> dict[str, Inpainter]:
    """A tiny model whose bundle has probes and few-label results, and one with neither."""
    root = tmp_path_factory.mktemp("learned")
    probed = make_tiny_bundle(root / "probed", seed=7)
    dim = encoder_features(Inpainter.from_pretrained(probed).model, torch.zeros(1, 3, 32, 32, dtype=torch.uint8))
    save_probes(probed, {"encoder": linear_probe("encoder", dim.shape[1]), "pixels": linear_probe("pixels", 3072)},
                {"labels_per_class": 1000})
    record_in_bundle(probed, "probe", PROBE_RECORD)
    return {"probed": Inpainter.from_pretrained(probed),
            "bare": Inpainter.from_pretrained(make_tiny_bundle(root / "bare", seed=8))}


@pytest.fixture(scope="module")
def learned_state(probed_models, reference):
    return make_state(probed_models, None, reference=reference)


# ---------------------------------------------------------------------------------------------- pure helpers

def test_the_reference_set_loads_with_its_pixel_map(reference):
    images, labels = coloured_images()
    assert reference.images.shape == (18, 32, 32, 3) and (reference.images == images).all()
    assert reference.labels == labels and reference.classes == CLASSES
    assert reference.label_ids.tolist() == [0] * 6 + [1] * 6 + [2] * 6
    assert reference.pixels.features.shape == (18, 3072) and reference.pixels.coordinates.shape == (18, 2)
    assert torch.isfinite(reference.pixels.coordinates).all()
    shipped = load_reference(per_class=2)  # the shipped set, two of every class: what tests may afford
    assert len(shipped.images) == 20 and len(shipped.classes) == 10
    assert all(shipped.labels.count(name) == 2 for name in shipped.classes)


def test_caption_and_share_lines():
    assert caption_label("cat (example #3)", ["cat", "dog"]) == "cat"
    assert caption_label("cat (example)", ["cat"]) == "cat"
    assert caption_label("your upload (cat.png)", ["cat"]) is None
    assert caption_label("cats (example #1)", ["cat"]) is None  # examples labelled otherwise
    labels = ["cat", "dog", "cat", "cat", "ship", "cat", "dog", "cat"]
    line = share_line(labels, "cat")
    assert line.startswith("**5 of 8** share its class, *cat*") and "about 0.8" in line
    assert share_line(labels, "frog").startswith("**0 of 8**")
    assert "Most common: **cat**, 5 of 8" in share_line(labels, None) and "no label" in share_line(labels, None)


def test_look_alikes_leave_out_copies_and_pixels_find_the_class(probed_models, reference):
    panels = model_panels(probed_models["bare"], reference)
    query = reference.images[7]  # a "green" image that is also in the reference set
    assert copies_of(reference, query).tolist() == [i == 7 for i in range(18)]
    found = find_lookalikes(reference, panels, probed_models["bare"].model, query, "green", k=4)
    assert len(found.pixels) == len(found.features) == 4 and 7 not in found.pixels + found.features
    assert all(reference.labels[i] == "green" for i in found.pixels)  # its own colour is nearest in pixels
    assert found.pixels_line.startswith("**4 of 4** share its class, *green*")
    assert found.maps.size == panels.maps.image.size
    assert not np.array_equal(np.asarray(found.maps), np.asarray(panels.maps.image)), "the image is marked"
    no_model = find_lookalikes(reference, None, None, query, None, k=4)
    assert no_model.features == [] and no_model.maps is None and no_model.features_line == "No model is loaded."
    assert "Most common: **green**" in no_model.pixels_line


def test_model_panels_map_the_reference_features_once(probed_models, reference):
    panels = model_panels(probed_models["bare"], reference)
    assert panels.space.features.shape == (18, 40)  # 5 * width 8: the pooled encoder stages
    assert panels.space.coordinates.shape == (18, 2) and torch.isfinite(panels.space.coordinates).all()
    assert panels.curve is None and panels.curve_note == NO_CURVE  # its bundle has no few-label results
    without_reference = model_panels(probed_models["probed"], None)
    assert without_reference.space is None and without_reference.maps is None
    assert without_reference.curve is not None  # the curve needs no reference set


def test_maps_are_drawn_side_by_side_with_a_legend_and_marked_where_asked():
    coordinates = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    picture = draw_maps([("a", coordinates), ("b", coordinates * 5)], np.array([0, 1, 2, 1]), ["x", "y", "z"])
    assert picture.image.mode == "RGB" and picture.image.size[0] == GAP + 2 * (PANEL + GAP)
    assert picture.image.getpixel((1, 1)) == (255, 255, 255)  # its own white card, on either theme
    for panel, scale in ((0, 1), (1, 5)):  # the data's corners land inside the panel, in the right order
        (x0, y0), (x1, y1) = picture.to_pixels(panel, [0, 0]), picture.to_pixels(panel, [scale, scale])
        left = GAP + panel * (PANEL + GAP)
        assert left < x0 < x1 < left + PANEL and y1 < y0
    x, y = (round(v) for v in picture.to_pixels(1, [2.5, 2.5]))
    marked = np.asarray(mark_maps(picture, [None, np.array([2.5, 2.5])]))
    changed = (marked != np.asarray(picture.image)).any(-1)
    assert changed[y - 12:y + 13, x - 12:x + 13].any() and not changed[:, :GAP + PANEL].any(), "only map b is marked"


def test_the_label_curve_from_a_probe_record_and_the_note_without_one():
    series = curve_series(PROBE_RECORD)
    assert [s.name for s in series] == ["this model's features", "a random-weights network", "raw pixels"]
    k, mean, std = series[0].points[0]
    assert k == 1 and mean == pytest.approx(16.0) and std == pytest.approx(np.std([14, 16, 18]))
    assert [k for k, _, _ in series[0].points] == [1, 10, 100, 1000] and series[2].points[0][2] == 0.0
    picture, note = label_curve(PROBE_RECORD)
    assert picture.size == draw_curve(series).size and "3 seeds" in note and "chance: 10%" in note
    picture, note = label_curve({"table": "| method | 10 labels/class |"})  # the bundles shipped before the record
    assert picture is None and "predate" in note and "| method | 10 labels/class |" in note
    assert label_curve(None) == (None, NO_CURVE)
    assert label_curve({"labels_per_class": [10], "accuracy": {"pretrained": {"100": [1.0]}}}) == (None, NO_CURVE)


def test_the_fill_line_reads_the_masked_image_the_composite_and_the_original(probed_models, monkeypatch):
    inpainter = probed_models["probed"]
    probe = linear_probe("encoder", 40)  # only its bias speaks: "blue" whatever the image
    image = coloured_images()[0][0]
    holes = random_holes("center", 0.25, 0)
    composite = inpainter.inpaint(image, holes)
    line = fill_line(probe, inpainter.model, image, composite, holes)
    assert "masked image" in line and "as the model gets it" in line and line.count("*blue*") == 3
    assert "the hole does not hide it" in line
    assert "There is no hole" in fill_line(probe, inpainter.model, image, image, np.zeros((32, 32), bool))
    guesses = {"brought back": [("red", 0.5), ("blue", 0.6), ("blue", 0.7)],
               "not brought back": [("red", 0.5), ("green", 0.6), ("blue", 0.7)]}
    for what, answer in guesses.items():
        monkeypatch.setattr(learned, "class_guesses", lambda *args, answer=answer: answer)
        line = fill_line(probe, inpainter.model, image, composite, holes)
        assert ("**the fill brings it back**" in line) == (what == "brought back"), line
        assert "*red* (50%)" in line and "*blue* (70%)" in line


def test_class_guesses_of_an_image_without_holes_are_the_probes_own(probed_models):
    inpainter = probed_models["bare"]
    weight = torch.randn(3, 40, generator=torch.Generator().manual_seed(0))
    probe = linear_probe("encoder", 40, weight)
    images = coloured_images()[0][:3]
    guesses = learned.class_guesses(probe, inpainter.model, images, np.zeros((3, 32, 32), bool))
    expected = probe.predict_top(images, inpainter.model, k=1)
    assert [name for name, _ in guesses] == [top[0][0] for top in expected]
    assert [p for _, p in guesses] == pytest.approx([top[0][1] for top in expected], abs=1e-5)


# ---------------------------------------------------------------------------------------------- handlers and page

def test_look_alike_handler_returns_captioned_thumbnails_and_the_marked_maps(learned_state, reference):
    panel = handlers.on_lookalikes(learned_state, reference.images[0], "red (example #0)", "probed")
    for gallery in (panel.features, panel.pixels):
        assert len(gallery) == 8 and all(caption in CLASSES for _, caption in gallery)
        assert all(np.asarray(Image.open(path)).shape == (32, 32, 3) for path, _ in gallery)
    assert [caption for _, caption in panel.pixels][:5] == ["red"] * 5  # the 5 other reds first, not itself
    assert panel.pixels_line.startswith("**5 of 8** share its class, *red*")
    assert "of 8" in panel.features_line
    assert Image.open(panel.maps).size == learned_state.models["probed"].panels.maps.image.size
    empty = handlers.on_lookalikes(learned_state, None, "", "probed")
    assert empty.features is None and "Pick an image" in empty.features_line
    no_reference = handlers.on_lookalikes(make_state({}, None), reference.images[0], "red (example #0)", None)
    assert no_reference.maps is None and "no reference set" in no_reference.pixels_line


def test_label_curve_and_fill_check_handlers(learned_state, reference):
    curve = handlers.on_label_curve(learned_state, "probed")
    assert curve.picture["visible"] is True and Image.open(curve.picture["value"]).size == (560, 340)
    bare = handlers.on_label_curve(learned_state, "bare")
    assert bare.picture == {"__type__": "update", "value": None, "visible": False} and bare.note == NO_CURVE
    image = reference.images[0]
    shown = handlers.on_run(learned_state, image, "red", painter_value(image, random_holes("boxes", 0.3, 1)),
                            "probed").shown  # the results' record carries their hole map
    assert (handlers.shown_holes(shown) == random_holes("boxes", 0.3, 1)).all()
    line = handlers.on_fill_check(learned_state, image, shown, "probed").line
    assert "*blue*" in line and "There is no hole" not in line
    empty = handlers.on_run(learned_state, image, "red", painter_value(image, np.zeros((32, 32), bool)),
                            "probed").shown
    assert "There is no hole" in handlers.on_fill_check(learned_state, image, empty, "probed").line
    assert handlers.NO_PROBE in handlers.on_fill_check(learned_state, image, shown, "bare").line
    assert handlers.on_fill_check(learned_state, None, shown, "probed").line == ""


def test_after_new_results_one_event_maps_the_influence_and_checks_the_composite_on_screen(learned_state, reference,
                                                                                            monkeypatch):
    image, holes = reference.images[0], random_holes("boxes", 0.3, 1)
    judged = []
    guesses = learned.class_guesses
    monkeypatch.setattr(learned, "class_guesses", lambda probe, model, images, holes: judged.append(images) or
                        guesses(probe, model, images, holes))
    shown = handlers.on_run(learned_state, image, "red", painter_value(image, holes), "probed").shown
    on_screen = np.array(Image.open(handlers.on_run(learned_state, image, "red", painter_value(image, holes),
                                                    "probed").composite))
    explained = handlers.on_shown(learned_state, image, shown, "probed")
    assert "bring the class back" in explained.fill_check.line and "whole hole" in explained.looked.note
    assert np.array_equal(judged[-1][1], on_screen), "the fill check judges the composite the tiles show"
    assert np.array_equal(handlers.shown_composite(shown), on_screen)
    assert handlers.on_shown(learned_state, None, None, "probed") == handlers.ResultsExplained(
        handlers.on_influence(learned_state, None, None, "probed"), handlers.FillCheck(""))


def test_the_page_has_the_five_panels_and_their_events_share_the_model_group(learned_state):
    demo = build_demo(learned_state)
    elem_ids = {block.elem_id for block in demo.blocks.values()}
    assert {"neighbours-features", "neighbours-pixels", "feature-map", "label-curve", "fill-restores"} <= elem_ids
    events = {block.fn.__name__: block for block in demo.fns.values() if block.fn is not None}  # not js-only ones
    for name in ("on_lookalikes", "on_influence"):  # they run the model
        assert (events[name].concurrency_id, events[name].concurrency_limit) == (MODEL_GROUP, CONCURRENCY)
    later = events["on_shown"]  # it waits for a pause, holding no model slot meanwhile, and takes one vCPU at most
    assert (later.concurrency_id, later.concurrency_limit) == (LATER_GROUP, 1)
    assert "on_label_curve" in events


def test_a_one_field_record_reaches_gradio_as_its_bare_value(learned_state, reference):
    image, holes = reference.images[0], random_holes("boxes", 0.3, 1)
    shown = handlers.shown_value(image, holes, "probed", image)  # the original as its composite: good enough here
    value = bind(handlers.on_fill_check, learned_state)(reference.images[0], shown, "probed")
    assert isinstance(value, str) and "bring the class back" in value  # Gradio takes a lone output's value as it is
    assert len(bind(handlers.on_label_curve, learned_state)("probed")) == 2
