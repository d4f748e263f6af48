"""The app's pure helpers and event handlers on tiny synthetic inputs, without a server."""

from __future__ import annotations

import base64
import functools
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import get_type_hints

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import app
from sslmodel.app import handlers, make_state
from sslmodel.app.layout import CONCURRENCY, MODEL_GROUP, QUEUE_SIZE, build_demo
from sslmodel.app.outputs import OutputFiles, ServerStopping, sweep_upload_leftovers
from sslmodel.app.state import load_models, page_notice
from app_inputs import CLASSES, MODEL_NAMES, bad_images, gradient_image, good_inputs, save_png
from sslmodel.app.compare import (CLASSICAL, HEAT_ANCHORS, SCALE, compare_all, comparison_slide, error_heatmap,
                                  image_metrics, upscale)
from sslmodel.app.hole_maps import HOLE_COLOR, mask_picture, masked_view, random_holes
from sslmodel.app.painter import KEYS, PainterError, hole_painter, holes_from_painter, painter_value
from sslmodel.app.records import flatten, skipped
from sslmodel.app.examples import (ENV_VAR, GALLERY_FILE, HOW_TO_GET, find_examples, from_cifar10, from_folder,
                                   from_gallery, write_gallery)
from sslmodel.holes import FAMILIES

IMAGE = gradient_image(seed=3)


def center_holes(side: int = 16) -> np.ndarray:
    holes = np.zeros((32, 32), dtype=bool)
    start = (32 - side) // 2
    holes[start:start + side, start:start + side] = True
    return holes


def read(path: str) -> np.ndarray:
    return np.asarray(Image.open(path))


def painted_image(value: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(value["image"]), np.uint8).reshape(32, 32, 3)


# ---------------------------------------------------------------------------------------------- painter and hole maps

def test_upscale_makes_blocks():
    big = upscale(IMAGE)
    assert big.shape == (32 * SCALE, 32 * SCALE, 3)
    assert (big[::SCALE, ::SCALE] == IMAGE).all() and (big[SCALE - 1::SCALE, SCALE - 1::SCALE] == IMAGE).all()


def test_painter_value_round_trips_every_hole_map_and_the_image():
    for family in FAMILIES:
        holes = random_holes(family, 0.4, seed=1)
        value = painter_value(IMAGE, holes)
        assert (holes_from_painter(value) == holes).all(), family
        assert value["holes"].count("1") == holes.sum()
        assert value["holes"][:32] == "".join("01"[int(h)] for h in holes[0])  # row by row
        assert (painted_image(value) == IMAGE).all()
    assert json.loads(json.dumps(value)) == value  # plain JSON, as the page sends it
    assert painter_value(None, center_holes())["image"] == ""  # nothing picked yet: a blank canvas


def test_painter_without_a_value_has_no_hole():
    assert not holes_from_painter(None).any() and not holes_from_painter({}).any()
    assert not holes_from_painter(painter_value(IMAGE, np.zeros((32, 32), bool))).any()


@pytest.mark.parametrize("value", [{"holes": "1" * 1023}, {"holes": "2" * 1024}, {"holes": None}, {"image": ""},
                                   {"holes": ["1"] * 1024}, "1" * 1024, {"holes": "1" * 10**6}])
def test_a_hole_map_the_page_cannot_send_is_refused_clearly(built, value):
    with pytest.raises(PainterError, match="1024 characters"):
        holes_from_painter(value)
    with pytest.raises(gr.Error, match="Mask: the hole map must be"):
        handlers.on_run(built, IMAGE, "test", value, MODEL_NAMES[0])


def test_masked_view_shows_exactly_the_holes():
    holes = center_holes()
    masked = masked_view(IMAGE, holes)
    assert (masked[holes] == HOLE_COLOR).all() and (masked[~holes] == IMAGE[~holes]).all()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_random_holes_are_seeded_and_near_the_coverage(family):
    first, again, other = (random_holes(family, 0.3, seed) for seed in (5, 5, 6))
    assert first.dtype == bool and first.shape == (32, 32)
    assert (first == again).all()
    assert family == "center" or (first != other).any()
    assert abs(first.mean() - 0.3) < 0.15, first.mean()
    assert not random_holes(family, 0.0, 0).any()


def test_random_holes_reach_full_coverage_and_refuse_unknown_families():
    assert random_holes("center", 1.0, 0).all() and random_holes("pixels", 1.0, 0).all()
    with pytest.raises(ValueError, match="unknown hole family"):
        random_holes("triangles", 0.5, 0)


# ---------------------------------------------------------------------------------------------- compare

def test_metrics_of_a_perfect_fill_and_of_no_hole():
    perfect = image_metrics(IMAGE, IMAGE, center_holes())
    assert perfect["hole_psnr"] == 100.0 and perfect["ssim"] == pytest.approx(1.0)
    assert perfect["hole_pixels"] == 256 and perfect["hole_fraction"] == 0.25
    assert image_metrics(IMAGE, IMAGE, np.zeros((32, 32), bool))["hole_psnr"] is None
    worse = image_metrics(IMAGE, np.where(center_holes()[..., None], 0, IMAGE).astype(np.uint8), center_holes())
    assert worse["hole_psnr"] < 20 and worse["ssim"] < 1


def test_error_heatmap_runs_from_black_to_yellow():
    black = np.zeros((32, 32, 3), np.uint8)
    white = np.full((32, 32, 3), 255, np.uint8)
    assert (error_heatmap(black, black) == HEAT_ANCHORS[0]).all()
    assert (error_heatmap(black, white) == HEAT_ANCHORS[-1]).all()
    half = error_heatmap(black, np.full((32, 32, 3), 64, np.uint8))
    assert half.shape == (32, 32, 3) and half.dtype == np.uint8 and 0 < half.mean() < 255


def test_compare_all_fills_the_same_hole_with_every_model_and_opencv(tiny_models):
    holes = center_holes()
    results = compare_all(IMAGE, holes, tiny_models)
    assert [r.name for r in results] == [*MODEL_NAMES, *CLASSICAL]
    for result in results:
        assert (result.composite[~holes] == IMAGE[~holes]).all(), result.name
        assert result.metrics["hole_psnr"] is not None
    slide = comparison_slide(IMAGE, holes, results)
    assert slide.height > 32 * SCALE and slide.width > (2 + len(results)) * 32 * SCALE


# ---------------------------------------------------------------------------------------------- examples

def test_examples_from_a_folder_are_labelled_by_subfolder(tiny_examples):
    assert len(tiny_examples) == 6 and sorted(set(tiny_examples.labels)) == list(CLASSES)
    assert tiny_examples.load(0).shape == (32, 32, 3)
    assert tiny_examples.gallery_indices(2) == [0, 1, 3, 4]
    indices, items = tiny_examples.gallery(1)
    assert indices == [0, 3] and [label for _, label in items] == list(CLASSES)


def test_gallery_leaves_out_unreadable_files(tmp_path):
    save_png(IMAGE, tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"not a png")
    examples = from_folder(tmp_path)
    assert examples.labels == [tmp_path.name] * 2  # a flat folder is one class named after it
    indices, items = examples.gallery(5)
    assert indices == [0] and len(items) == 1


def test_find_examples_prefers_the_folder_then_the_environment(examples_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(examples_dir))
    found, note = find_examples(cache_dir=tmp_path)
    assert found is not None and len(found) == 6 and note == ""
    found, note = find_examples(tmp_path / "missing", cache_dir=tmp_path)  # a typo: the built-in images, and why
    assert len(found) == 100 and HOW_TO_GET in note and "missing does not exist" in note


def test_offline_without_a_cache_the_built_in_gallery_is_offered(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(RuntimeError, match="not available"):
        from_cifar10(tmp_path, download=False)
    found, note = find_examples(cache_dir=tmp_path)
    assert note == "" and found.source.startswith("CIFAR-10 validation images")
    found, note = find_examples("cifar10", cache_dir=tmp_path)  # asked for the test set, offline: say so
    assert len(found) == 100 and "not available" in note and "built-in" in note


def test_the_shipped_gallery_is_small_labelled_and_ten_per_class():
    gallery = from_gallery()
    assert GALLERY_FILE.stat().st_size < 300_000
    assert len(gallery) == 100 and {gallery.labels.count(label) for label in set(gallery.labels)} == {10}
    assert sorted(set(gallery.labels)) == ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                           "ship", "truck"]
    images = np.stack([gallery.load(i) for i in range(len(gallery))])
    assert images.shape == (100, 32, 32, 3) and images.dtype == np.uint8
    assert len({image.tobytes() for image in images}) == 100 and images.std() > 30  # 100 distinct real pictures


def test_gallery_round_trips_images_and_labels(tmp_path):
    images = np.stack([gradient_image(seed=s) for s in range(13)])  # not a multiple of the row length
    labels = [f"class {s % 4}" for s in range(13)]
    gallery = from_gallery(write_gallery(images, labels, tmp_path / "gallery.png"))
    assert gallery.labels == labels
    assert all(np.array_equal(gallery.load(i), images[i]) for i in range(13))


# ---------------------------------------------------------------------------------------------- app helpers

def test_read_image_accepts_every_mode_and_refuses_bad_files(tmp_path):
    for name, path in good_inputs(tmp_path).items():
        image = handlers.read_image(str(path))
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8, name
    for name, path in bad_images(tmp_path).items():
        with pytest.raises(gr.Error, match="Image: "):
            handlers.read_image(str(path))
    with pytest.raises(gr.Error, match="No image"):
        handlers.read_image(None)


def test_read_mask_takes_the_image_size_or_32_and_nothing_else(tmp_path):
    mask = np.zeros((40, 48), np.uint8)
    mask[:, :24] = 255  # the left half of a 48x40 image; the centre crop keeps columns 4..43
    holes = handlers.read_mask(str(save_png(mask, tmp_path / "mask.png")), (48, 40))
    assert holes.shape == (32, 32) and holes[:, :15].all() and not holes[:, 17:].any()
    small = handlers.read_mask(str(save_png(upscale(center_holes(), 1).astype(np.uint8) * 255, tmp_path / "m32.png")),
                          (48, 40))
    assert (small == center_holes()).all()
    with pytest.raises(gr.Error, match="Mask: the mask is 20x20"):
        handlers.read_mask(str(save_png(np.zeros((20, 20), np.uint8), tmp_path / "m20.png")), (48, 40))


def test_mask_alpha_marks_the_holes(tmp_path):
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere, but only the opaque pixels count as missing
    rgba[center_holes(), 3] = 255
    assert (handlers.read_mask(str(save_png(rgba, tmp_path / "alpha.png")), (32, 32)) == center_holes()).all()


def test_upright_size_follows_exif_rotation(tmp_path):
    image = Image.fromarray(gradient_image(48, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees
    image.save(tmp_path / "rotated.jpg", exif=exif)
    assert handlers.upright_size(str(tmp_path / "rotated.jpg")) == (40, 48)
    assert handlers.upright_size(str(save_png(gradient_image(48, 40), tmp_path / "plain.png"))) == (48, 40)


def test_pick_model_defaults_to_the_first_and_names_the_choices(tiny_models):
    assert handlers.pick_model(tiny_models, None)[0] == MODEL_NAMES[0]
    assert handlers.pick_model(tiny_models, MODEL_NAMES[1])[1] is tiny_models[MODEL_NAMES[1]]
    with pytest.raises(gr.Error, match="Unknown model 'nope'; choose one of: tiny, tiny-2"):
        handlers.pick_model(tiny_models, "nope")
    with pytest.raises(gr.Error, match="No model is loaded"):
        handlers.pick_model({}, None)
    with pytest.raises(gr.Error) as refused:  # a huge name is not echoed back in full
        handlers.pick_model(tiny_models, "x" * 10_000)
    assert len(str(refused.value)) < 200 and "choose one of: tiny, tiny-2" in str(refused.value)


def test_load_models_reports_what_failed(tmp_path):
    models, problems = load_models([str(tmp_path / "nowhere"), ""])
    assert models == {} and len(problems) == 1 and "nowhere" in problems[0]
    assert "No model is loaded" in page_notice(models, problems, "")


def test_flags_and_environment(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7999")
    args = app.parse_args([])
    assert (args.host, args.port, args.share, args.model) == ("0.0.0.0", 7999, False, [])
    args = app.parse_args(["--host", "127.0.0.2", "--port", "1234", "--share", "--model", "a", "--model", "b/c",
                           "--examples", "dir"])
    assert (args.host, args.port, args.share, args.model, args.examples) == ("127.0.0.2", 1234, True, ["a", "b/c"],
                                                                              "dir")


def test_output_files_are_named_by_content_and_pruned(tmp_path):
    files = OutputFiles(tmp_path, max_age=100)
    path = files.png(upscale(IMAGE), "slide")
    assert path == files.png(Image.fromarray(upscale(IMAGE)), "slide") and path.endswith("slide.png")
    assert np.array_equal(read(path), upscale(IMAGE)) and files.png(IMAGE) != path
    old = time.time() - 1000
    os.utime(path, (old, old))
    files.pruned_at = old
    files.png(np.zeros((4, 4, 3), np.uint8))
    assert not os.path.exists(path) and len(list(tmp_path.glob("*/*.png"))) == 2


def age(path, seconds: float) -> None:
    os.utime(path, (time.time() - seconds,) * 2)


def test_a_file_returned_again_stays_alive_and_old_ones_go_with_their_folders(tmp_path):
    files = OutputFiles(tmp_path, max_age=2, grace=0)
    opening = files.png(IMAGE, "opening")  # the page's opening view: the same file for every visitor
    other = files.png(np.zeros((4, 4, 3), np.uint8))
    for path in (opening, other):
        age(path, 10)
    files.pruned_at = 0
    assert files.png(IMAGE, "opening") == opening and os.path.exists(opening)  # returned again: kept, renewed
    assert not os.path.exists(other) and not os.path.exists(os.path.dirname(other))  # gone, with its folder
    assert time.time() - os.path.getmtime(opening) < 5


def test_output_files_never_hand_out_a_deleted_file_under_concurrent_pruning(tmp_path):
    files = OutputFiles(tmp_path, max_age=0.01, grace=0.5)
    pictures = [np.full((8, 8, 3), value, np.uint8) for value in range(6)]

    def hand_out(i: int) -> bool:
        path = files.png(pictures[i % len(pictures)])
        files.pruned_at = 0  # every call prunes
        time.sleep(0.02)  # Gradio copies the file a moment after the handler returns
        return os.path.exists(path)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(hand_out, range(400)))


def test_a_stopping_server_removes_its_folder_after_the_picture_being_written_and_writes_none_after():
    files = OutputFiles()
    files.png(IMAGE)
    with ThreadPoolExecutor(1) as pool:
        with files.lock:  # a handler in the middle of writing a picture when the server is told to stop
            stopping = pool.submit(files.stop)
            time.sleep(0.1)
            assert files.folder.is_dir() and not stopping.done(), "the picture being written is finished first"
        stopping.result(timeout=10)
    assert not files.folder.exists()
    with pytest.raises(ServerStopping):
        files.png(np.zeros((4, 4, 3), np.uint8))
    assert not files.folder.exists(), "nothing makes the folder again"


def test_output_files_are_per_process_and_bounded(tmp_path):
    first, second = OutputFiles(), OutputFiles()
    assert first.folder != second.folder and first.folder.is_dir()
    files = OutputFiles(tmp_path, max_bytes=2_000, grace=0)
    rng = np.random.default_rng(0)
    for i in range(6):  # noise compresses badly: about 800 bytes each
        age(files.png(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)), 100 - i)
    files.prune()
    count, size = files.usage()
    assert 0 < count < 6 and size <= 2_000


def test_gradio_upload_leftovers_are_swept(tmp_path):
    uploads = tmp_path / "gradio"
    uploads.mkdir()
    leftover, fresh, receiving = uploads / "tmpold", uploads / "tmpnew", uploads / "tmpbig"
    for path in (leftover, fresh, receiving):
        path.write_bytes(b"" if path is not receiving else b"data")
    age(leftover, 600)
    age(receiving, 600)
    OutputFiles(tmp_path / "out", upload_dir=uploads).prune()
    assert not leftover.exists() and fresh.exists() and receiving.exists()


def test_gradio_cache_is_bounded_by_size_oldest_first(tmp_path):
    uploads = tmp_path / "gradio"
    old, older, fresh = (uploads / name / "image.png" for name in ("a1", "b2", "c3"))
    for path, seconds in ((old, 300), (older, 600), (fresh, 0)):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 1000)
        age(path, seconds)
    sweep_upload_leftovers(uploads, before=time.time() - 60, max_bytes=2500)
    assert not older.exists() and not older.parent.exists(), "the oldest goes first, with its folder"
    assert old.exists() and fresh.exists(), "under the bound, the rest stays"
    sweep_upload_leftovers(uploads, before=time.time() - 60, max_bytes=10)
    assert not old.exists() and fresh.exists(), "a file newer than the grace period is never deleted"


# ---------------------------------------------------------------------------------------------- handlers

@pytest.fixture(scope="module")
def built(tiny_models, tiny_examples):
    """The state a server for these models and examples loads once."""
    return make_state(tiny_models, tiny_examples)


def test_run_shows_every_panel_at_32x32_and_keeps_known_pixels(built):
    holes = center_holes()
    outputs = handlers.on_run(built, IMAGE, "test", painter_value(IMAGE, holes), MODEL_NAMES[1])
    paths = [outputs.original, outputs.masked, outputs.reconstruction, outputs.composite, outputs.heatmap,
             *outputs.slider]
    original, masked, reconstruction, composite, heat, before, after = (read(path) for path in paths)
    for tile in (original, masked, reconstruction, composite, heat, before, after):
        assert tile.shape == (32, 32, 3) and tile.dtype == np.uint8  # the page enlarges them, pixelated
    assert (original == IMAGE).all()
    assert (masked == masked_view(IMAGE, holes)).all()
    assert (composite[~holes] == IMAGE[~holes]).all()
    assert (after == composite).all() and (before == masked).all()
    assert "Hole PSNR" in outputs.metrics and MODEL_NAMES[1] in outputs.metrics and "256 of 1024" in outputs.metrics
    assert outputs.comparison is None and outputs.download["visible"] is False  # a new hole empties the old comparison


def test_run_does_nothing_when_those_results_are_already_shown(built):
    value = painter_value(IMAGE, center_holes())
    first = handlers.on_run(built, IMAGE, "test", value, MODEL_NAMES[0])
    again = handlers.on_run(built, IMAGE, "test", value, MODEL_NAMES[0], first.shown)  # the same hole again: no change
    assert first.shown == handlers.shown_value(IMAGE, center_holes(), MODEL_NAMES[0], read(first.composite))
    assert len(flatten(again)) == len(flatten(first)) and all(isinstance(output, type(gr.skip())) for output in flatten(again))
    other = handlers.on_run(built, IMAGE, "test", value, MODEL_NAMES[1], first.shown)  # another model: new results
    assert other.shown["key"] != first.shown["key"] and read(other.composite).shape == (32, 32, 3)


def test_compare_all_runs_on_request_and_offers_the_slide(built):
    holes = center_holes()
    comparison = handlers.on_compare(built, IMAGE, painter_value(IMAGE, holes))
    slide = comparison.slide
    assert read(slide).shape[1] > 256 * 4 and slide.endswith("inpainting-comparison.png")
    assert comparison.download == {"__type__": "update", "value": slide, "visible": True}
    with pytest.raises(gr.Error, match="Pick an example"):
        handlers.on_compare(built, None, None)


def test_run_with_an_empty_mask_returns_the_image(built):
    outputs = handlers.on_run(built, IMAGE, "test", painter_value(IMAGE, np.zeros((32, 32), bool)), MODEL_NAMES[0])
    assert (read(outputs.composite) == IMAGE).all() and "n/a (no hole)" in outputs.metrics


def test_run_without_an_image_or_a_model(tiny_examples):
    run = functools.partial(handlers.on_run, make_state({}, None, page_notice({}, [], "")))
    assert run(None, "", None, None).metrics.startswith("Pick an example")
    outputs = run(IMAGE, "test", painter_value(IMAGE, center_holes()), None)  # OpenCV only
    assert read(outputs.composite).shape == (32, 32, 3) and "No model loaded" in outputs.metrics


def test_picking_an_image_keeps_the_painted_holes_and_answers_in_one_go(built, tiny_examples, tmp_path):
    holes = random_holes("strokes", 0.3, 2)
    painted = painter_value(IMAGE, holes)  # the hole map on screen
    picked = handlers.on_random_image(built, painted, MODEL_NAMES[0])
    assert picked.caption.split(" ")[0] in CLASSES
    assert any((picked.image == tiny_examples.load(i)).all() for i in range(len(tiny_examples)))
    picked = handlers.on_gallery_select(built, painted, MODEL_NAMES[0], gr.SelectData(None, {"index": 1, "value": None}))
    assert (picked.image == tiny_examples.load(1)).all() and picked.caption.startswith(CLASSES[0])
    upload = save_png(gradient_image(50, 70, seed=9), tmp_path / "upload.png")
    outputs = handlers.on_upload(built, str(upload), painted, MODEL_NAMES[0])
    image, painter, results = outputs.image, outputs.painter, outputs.results
    assert len(flatten(outputs)) == 18 and (image == handlers.read_image(str(upload))).all()
    assert "upload.png" in outputs.caption
    assert (painted_image(painter) == image).all() and (holes_from_painter(painter) == holes).all()
    assert (read(results.original) == image).all() and (read(results.masked) == masked_view(image, holes)).all()
    note = outputs.probes.note
    assert note.startswith("Both are linear") or note == handlers.NO_PROBE  # the probe panel too
    with pytest.raises(gr.Error, match="Image: "):
        handlers.on_upload(built, str(bad_images(tmp_path)["text.txt"]), painted, MODEL_NAMES[0])
    assert flatten(handlers.on_upload(built, None, painted, MODEL_NAMES[0])) == (gr.skip(),) * 18  # upload cleared


def test_randomize_and_clear_draw_the_hole_map_and_return_its_results(built):
    randomized = handlers.on_randomize(built, IMAGE, "test", "boxes", 40, 7, MODEL_NAMES[0])
    assert (holes_from_painter(randomized.painter) == random_holes("boxes", 0.4, 7)).all()
    assert (painted_image(randomized.painter) == IMAGE).all()
    assert (read(randomized.results.masked) == masked_view(IMAGE, random_holes("boxes", 0.4, 7))).all()
    cleared = handlers.on_clear(built, IMAGE, "test", MODEL_NAMES[0])
    assert not holes_from_painter(cleared.painter).any() and (read(cleared.results.masked) == IMAGE).all()


def test_api_function_fills_only_the_hole(built, tmp_path):
    image = save_png(IMAGE, tmp_path / "image.png")
    mask = save_png(center_holes().astype(np.uint8) * 255, tmp_path / "mask.png")
    answer = handlers.inpaint(built, str(image), str(mask), None)
    composite, reconstruction, metrics = answer.composite, answer.reconstruction, answer.metrics
    assert composite.endswith("composite.png") and reconstruction.endswith("reconstruction.png")
    composite, reconstruction = read(composite), read(reconstruction)
    assert composite.shape == reconstruction.shape == (32, 32, 3)
    assert (composite[~center_holes()] == IMAGE[~center_holes()]).all()
    assert (composite[center_holes()] == reconstruction[center_holes()]).all()
    assert metrics["model"] == MODEL_NAMES[0] and metrics["hole_pixels"] == 256


def test_queue_is_bounded(built):
    demo = build_demo(built)
    assert demo._queue.max_size == QUEUE_SIZE
    assert demo._queue.default_concurrency_limit == CONCURRENCY


def handled(demo) -> list:
    """The page's events that call a handler (not the ones that only run JavaScript in the browser)."""
    return [block for block in demo.fns.values() if block.fn is not None]


def test_every_event_has_one_output_per_field_of_its_handlers_record(built):
    for block in handled(build_demo(built)):
        record = get_type_hints(block.fn.__wrapped__)["return"]  # the handler's
        assert len(block.outputs) == len(flatten(skipped(record))), block.fn.__name__


def test_every_event_that_runs_a_model_shares_one_concurrency_group(built):
    demo = build_demo(built)
    runs_a_model = {"on_run", "on_probe", "on_compare", "on_randomize", "on_clear", "on_upload", "on_gallery_select",
                    "on_random_image", "inpaint", "on_load_mask", "on_open"}
    groups = {(block.fn.__name__, block.concurrency_id, block.concurrency_limit) for block in handled(demo)
              if block.fn.__name__ in runs_a_model}
    assert {name for name, _, _ in groups} == runs_a_model
    assert {(group, limit) for _, group, limit in groups} == {(MODEL_GROUP, CONCURRENCY)}


# ---------------------------------------------------------------------------------------------- editing the hole

def test_a_saved_mask_loads_back_as_the_same_hole_map(tmp_path):
    for family in FAMILIES:
        holes = random_holes(family, 0.4, seed=5)
        picture = mask_picture(holes)
        assert picture.shape == (32, 32) and picture.dtype == np.uint8 and set(np.unique(picture)) <= {0, 255}
        path = save_png(picture, tmp_path / f"{family}.png")
        assert (handlers.read_mask(str(path), (32, 32)) == holes).all(), family  # the /inpaint API's reader


def test_every_result_offers_its_hole_map_as_a_mask_file(built):
    holes = random_holes("strokes", 0.3, 4)
    outputs = handlers.on_run(built, IMAGE, "test", painter_value(IMAGE, holes), MODEL_NAMES[0])
    assert outputs.mask.endswith("mask.png") and (read(outputs.mask) == mask_picture(holes)).all()
    cleared = handlers.on_clear(built, IMAGE, "test", MODEL_NAMES[0])
    assert not read(cleared.results.mask).any()  # all black: nothing missing
    assert handlers.on_run(built, None, "", None, MODEL_NAMES[0]).mask is None  # no image, nothing to save


def test_a_loaded_mask_is_drawn_into_the_painter_with_its_results(built, tmp_path):
    holes = random_holes("boxes", 0.3, 8)
    saved = handlers.on_run(built, IMAGE, "test", painter_value(IMAGE, holes), MODEL_NAMES[0]).mask
    loaded = handlers.on_load_mask(built, saved, IMAGE, "test", (32, 32), MODEL_NAMES[1])  # "Save mask" -> "Load mask"
    assert (holes_from_painter(loaded.painter) == holes).all() and (painted_image(loaded.painter) == IMAGE).all()
    assert (read(loaded.results.masked) == masked_view(IMAGE, holes)).all() and MODEL_NAMES[1] in loaded.results.metrics
    assert flatten(handlers.on_load_mask(built, None, IMAGE, "test", (32, 32), None)) == flatten(skipped(type(loaded)))


def test_a_mask_loads_at_the_uploaded_files_size_or_32x32_by_the_apis_rules(built, tmp_path):
    upload = save_png(gradient_image(50, 70, seed=9), tmp_path / "upload.png")
    picked = handlers.on_upload(built, str(upload), None, MODEL_NAMES[0])
    assert picked.size == (50, 70)  # (width, height), as displayed
    big = np.zeros((70, 50, 4), np.uint8)
    big[10:40, :, 3] = 255  # opaque = missing, through the alpha channel
    mask = save_png(big, tmp_path / "big-mask.png")
    loaded = handlers.on_load_mask(built, str(mask), picked.image, picked.caption, picked.size, MODEL_NAMES[0])
    holes = holes_from_painter(loaded.painter)
    assert (holes == handlers.read_mask(str(mask), (50, 70))).all() and 0 < holes.mean() < 1
    with pytest.raises(gr.Error, match="Mask: the mask is 50x70; it must be 32x32"):  # an example is 32x32
        handlers.on_load_mask(built, str(mask), IMAGE, "test", (32, 32), MODEL_NAMES[0])
    with pytest.raises(gr.Error, match="Mask: "):
        handlers.on_load_mask(built, str(bad_images(tmp_path)["text.txt"]), IMAGE, "test", (32, 32), None)
    example = handlers.on_gallery_select(built, None, None, gr.SelectData(None, {"index": 0, "value": None}))
    assert example.size == (32, 32)


def test_the_painter_lists_its_keys_and_the_page_buttons_keys_click():
    painter = hole_painter(painter_value(IMAGE, center_holes()), key_buttons={"R": ("randomize", "random mask")})
    listed = [key for key, _ in painter.props["keys"]]
    assert listed == [*(key for key, _ in KEYS[:3]), "R", *(key for key, _ in KEYS[3:])]
    assert 'KEY_BUTTONS = {"r": "randomize"}' in painter.js_on_load and "%" not in painter.js_on_load
