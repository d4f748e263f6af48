import numpy as np
import pytest
from PIL import Image

from conftest import smooth_images
from sslmodel import ImageError, Inpainter


@pytest.fixture(scope="module")
def inpainter(bundle):
    return Inpainter.from_pretrained(bundle)


@pytest.fixture
def images_and_holes():
    rng = np.random.default_rng(0)
    return smooth_images(6), rng.random((6, 32, 32)) < 0.5


def test_known_pixels_come_back_bit_for_bit(inpainter, images_and_holes):
    images, holes = images_and_holes
    out = inpainter.inpaint(images, holes)
    assert out.shape == images.shape and out.dtype == np.uint8
    assert np.array_equal(out[~holes], images[~holes])
    assert not np.array_equal(out[holes], images[holes]), "the hole is filled by the model, not copied"


def test_single_image_and_shared_holes(inpainter, images_and_holes):
    images, holes = images_and_holes
    single = inpainter.inpaint(images[0], holes[0])
    assert single.shape == (32, 32, 3)
    assert np.array_equal(single, inpainter.inpaint(images, holes)[0])
    shared = inpainter.inpaint(images, holes[0])  # one hole map for the whole batch
    assert np.array_equal(shared[3], inpainter.inpaint(images[3], holes[0]))


def test_empty_and_full_holes(inpainter, images_and_holes):
    images, _ = images_and_holes
    assert np.array_equal(inpainter.inpaint(images, np.zeros((32, 32), bool)), images)
    full = inpainter.inpaint(images, np.ones((32, 32), bool))
    assert np.array_equal(full, inpainter.reconstruct(images, np.ones((32, 32), bool)))


def test_pil_images_are_prepared(inpainter, images_and_holes):
    images, holes = images_and_holes
    big = Image.fromarray(images[0]).resize((96, 64), Image.Resampling.NEAREST)
    out = inpainter.inpaint(big, holes[0])
    assert out.shape == (32, 32, 3)
    out_list = inpainter.inpaint([Image.fromarray(images[0]), Image.fromarray(images[1])], holes[:2])
    assert np.array_equal(out_list, inpainter.inpaint(images[:2], holes[:2]))


@pytest.mark.parametrize("images, holes, message", [
    (np.zeros((32, 32, 3), np.float32), np.zeros((32, 32), bool), "uint8"),
    (np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16), bool), r"\(32, 32, 3\)"),
    (np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32), np.uint8), "bool"),
    (np.zeros((2, 32, 32, 3), np.uint8), np.zeros((3, 32, 32), bool), "holes must be"),
])
def test_bad_inputs_get_clear_errors(inpainter, images, holes, message):
    with pytest.raises(ImageError, match=message):
        inpainter.inpaint(images, holes)
