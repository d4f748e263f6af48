"""The app launched in-process and driven through its /inpaint endpoint with gradio_client."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from gradio_client.utils import QueueError
from PIL import Image

from sslmodel import Inpainter
from sslmodel.app import LAUNCH_OPTIONS, build_demo, make_state
from sslmodel.app.handlers import read_image, read_mask
from app_inputs import MODEL_NAMES, bad_images, gradient_image, good_inputs, save_png

pytestmark = pytest.mark.slow  # launches a server


@pytest.fixture(scope="module")
def client(tiny_models, tiny_examples):
    demo = build_demo(make_state(tiny_models, tiny_examples))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **LAUNCH_OPTIONS)
    try:
        yield Client(url, verbose=False)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-files")
    image = gradient_image(48, 40, seed=4)
    hole = np.zeros((40, 48), np.uint8)
    hole[10:30, 14:34] = 255
    return {
        "image": save_png(image, folder / "image.png"),
        "image32": save_png(gradient_image(seed=5), folder / "image32.png"),
        "mask": save_png(hole, folder / "mask.png"),
        "empty": save_png(np.zeros((40, 48), np.uint8), folder / "empty.png"),
        "full": save_png(np.full((32, 32), 255, np.uint8), folder / "full.png"),
        "mask32": save_png(np.kron(np.eye(2, dtype=np.uint8), np.full((16, 16), 255, np.uint8)), folder / "m32.png"),
        "wrong_size": save_png(np.zeros((20, 30), np.uint8), folder / "wrong.png"),
        "folder": folder,
    }


def inpaint(client: Client, image, mask, model: str | None = None):
    kwargs = {} if model is None else {"model": model}
    composite, reconstruction, metrics = client.predict(image=handle_file(str(image)), mask=handle_file(str(mask)),
                                                        api_name="/inpaint", **kwargs)
    return np.asarray(Image.open(composite)), np.asarray(Image.open(reconstruction)), metrics


def test_inpaint_returns_32x32_pngs_and_metrics(client, files):
    composite, reconstruction, metrics = inpaint(client, files["image"], files["mask"])
    expected_holes = read_mask(str(files["mask"]), (48, 40))
    known = read_image(str(files["image"]))
    assert composite.shape == reconstruction.shape == (32, 32, 3)
    assert (composite[~expected_holes] == known[~expected_holes]).all()  # PNG: bit for bit
    assert (composite[expected_holes] == reconstruction[expected_holes]).all()
    assert metrics["model"] == MODEL_NAMES[0] and metrics["hole_pixels"] == int(expected_holes.sum())
    assert 0 < metrics["hole_psnr"] <= 100 and -1 <= metrics["ssim"] <= 1


def test_model_choice_changes_the_reconstruction(client, files):
    _, first, _ = inpaint(client, files["image"], files["mask"], MODEL_NAMES[0])
    _, second, metrics = inpaint(client, files["image"], files["mask"], MODEL_NAMES[1])
    assert metrics["model"] == MODEL_NAMES[1] and not np.array_equal(first, second)


def test_empty_mask_returns_the_image_unchanged(client, files):
    composite, _, metrics = inpaint(client, files["image"], files["empty"])
    assert np.array_equal(composite, read_image(str(files["image"])))
    assert metrics["hole_psnr"] is None and metrics["hole_pixels"] == 0


def test_full_32x32_mask_returns_the_reconstruction(client, files):
    composite, reconstruction, metrics = inpaint(client, files["image32"], files["full"])
    assert np.array_equal(composite, reconstruction) and metrics["hole_fraction"] == 1.0


@pytest.mark.parametrize("name", ["rgb.png", "gray.png", "rgba.png", "palette.png", "cmyk.jpg", "deep16.png",
                                  "animated.gif"])
def test_every_image_mode_is_accepted(client, files, name):
    path = good_inputs(files["folder"])[name]
    composite, _, _ = inpaint(client, path, files["mask"])
    assert composite.shape == (32, 32, 3)


def test_alpha_mask_marks_opaque_pixels_missing(client, files):
    rgba = np.zeros((40, 48, 4), np.uint8)
    rgba[..., :3] = 255  # bright everywhere: only alpha may decide
    rgba[10:30, 14:34, 3] = 255
    path = save_png(rgba, files["folder"] / "alpha-mask.png")
    _, _, metrics = inpaint(client, files["image"], path)
    _, _, expected = inpaint(client, files["image"], files["mask"])
    assert metrics["hole_pixels"] == expected["hole_pixels"] > 0


@pytest.mark.parametrize("name, message", [
    ("text.txt", "is not an image"), ("corrupt.png", "is not an image"), ("empty.png", "is not an image"),
    ("truncated.png", "truncated or corrupt"), ("bomb.png", "too large to open safely"),
    ("huge.png", "8000x8000 pixels; the limit is 50 megapixels")])
def test_bad_images_get_a_clear_error(client, files, name, message):
    path = bad_images(files["folder"])[name]
    with pytest.raises(AppError, match=f"Image: .*{message}"):
        inpaint(client, path, files["mask"])


def test_bad_masks_and_models_get_a_clear_error(client, files):
    with pytest.raises(AppError, match=r"Mask: the mask is 30x20; it must be 32x32 or 48x40 \(32x32 or the image's"):
        inpaint(client, files["image"], files["wrong_size"])
    with pytest.raises(AppError, match="Mask: .*truncated or corrupt"):
        inpaint(client, files["image"], bad_images(files["folder"])["truncated.png"])
    with pytest.raises(AppError, match="Unknown model 'nope'; choose one of: tiny, tiny-2"):
        inpaint(client, files["image"], files["mask"], "nope")
    composite, _, _ = inpaint(client, files["image"], files["mask"])  # and it keeps serving
    assert composite.shape == (32, 32, 3)


def test_uploads_over_the_size_limit_are_refused(client, files):
    big = files["folder"] / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + np.random.default_rng(0).bytes(11 * 1024 * 1024))
    with pytest.raises(Exception, match="(?i)file size|too large|413|exceed"):
        inpaint(client, big, files["mask"])
    composite, _, _ = inpaint(client, files["image"], files["mask"])
    assert composite.shape == (32, 32, 3)


def test_concurrent_requests_all_get_their_own_answer(client, files):
    # Four different images, each sent twice at once: identical answers must not clobber each other's files.
    images = [save_png(gradient_image(seed=20 + i % 4), files["folder"] / f"c{i}.png") for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda path: inpaint(client, path, files["mask32"]), images))
    holes = read_mask(str(files["mask32"]), (32, 32))
    assert holes.sum() == 512
    for path, (composite, _, metrics) in zip(images, results):
        assert (composite[~holes] == read_image(str(path))[~holes]).all()
        assert metrics["hole_pixels"] == 512


class SlowInpainter(Inpainter):
    """An inpainter that takes a second per call, so that requests pile up in the queue."""

    def reconstruct(self, images, holes):
        time.sleep(1.0)
        return super().reconstruct(images, holes)


def test_a_full_queue_refuses_with_a_clear_message_and_keeps_serving(tiny_bundles, files):
    slow = SlowInpainter.from_pretrained(tiny_bundles[MODEL_NAMES[0]])
    demo = build_demo(make_state({"slow": slow}, None), queue_size=2)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **LAUNCH_OPTIONS)
    try:
        client = Client(url, verbose=False)

        def attempt(_) -> str:
            try:
                inpaint(client, files["image"], files["mask"])
                return "served"
            except QueueError as error:
                return str(error)

        with ThreadPoolExecutor(10) as pool:  # 2 run, 2 wait, the rest are turned away
            outcomes = list(pool.map(attempt, range(10)))
        refused = [outcome for outcome in outcomes if outcome != "served"]
        assert refused and all("Queue is full" in outcome for outcome in refused), outcomes
        assert outcomes.count("served") >= 2
        composite, _, metrics = inpaint(client, files["image"], files["mask"])  # and it keeps serving
        assert composite.shape == (32, 32, 3) and metrics["model"] == "slow"
    finally:
        demo.close()
