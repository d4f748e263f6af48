import io

import numpy as np
import pytest
from PIL import Image

from sslmodel import ImageError, prepare_holes, prepare_image
from sslmodel import preprocess


def encoded(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def test_a_32x32_rgb_image_passes_unchanged():
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert np.array_equal(prepare_image(encoded(Image.fromarray(pixels))), pixels)


def test_centre_crop_then_resize():
    wide = np.zeros((40, 120, 3), np.uint8)
    wide[:, 40:80] = 255  # only the centre square is white
    out = prepare_image(Image.fromarray(wide))
    assert out.shape == (32, 32, 3) and out.min() > 240


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16", "I", "F", "1"])
def test_every_colour_mode_becomes_rgb(mode):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (50, 40, 3), dtype=np.uint8)).convert(mode) \
        if mode not in ("I;16", "I", "F") else Image.fromarray((np.arange(2000).reshape(50, 40) * 30).astype(np.uint16))
    if mode in ("I", "F"):
        image = image.convert(mode)
    out = prepare_image(image)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8


def test_sixteen_bit_is_scaled_by_its_bit_depth_not_stretched():
    ramp = Image.fromarray((np.tile(np.arange(32), (32, 1)) * 2000).astype(np.uint16))
    out = prepare_image(encoded(ramp))
    assert out.min() == 0 and out.max() == round(62000 / 65535 * 255)  # 241: the ramp stops short of white
    near_white = Image.fromarray(np.full((32, 32), 60000, np.uint16))  # flat: a stretch would make it black
    assert (prepare_image(encoded(near_white)) == round(60000 / 65535 * 255)).all()
    assert (prepare_image(Image.fromarray(np.full((32, 32), 0.5, np.float32))) == 128).all()  # F: [0, 1]


def test_transparency_is_flattened_onto_white():
    clear = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    assert (prepare_image(encoded(clear)) == 255).all()


def test_exif_orientation_is_applied():
    pixels = np.zeros((32, 64, 3), np.uint8)
    pixels[:, :32] = 255  # white left half; stored landscape, shown portrait after a 90 degree turn
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 CW when displayed
    upright = prepare_image(encoded(image, "JPEG", exif=exif, quality=95))
    assert upright[:8].mean() > 200 and upright[-8:].mean() < 50  # white on top once rotated


def test_animated_images_use_the_first_frame():
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    out = prepare_image(data)
    assert out[..., 0].mean() > 200 and out[..., 2].mean() < 50


NOISE = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))


@pytest.mark.parametrize("data, message", [
    (b"this is not an image", "not an image"),
    (encoded(NOISE, "PNG")[:60], "not an image|truncated or corrupt"),
    (encoded(NOISE, "PNG")[:-200], "truncated or corrupt"),
    (encoded(NOISE, "JPEG")[:-500], "truncated or corrupt"),
], ids=["text", "png-header-only", "png-truncated", "jpeg-truncated"])
def test_broken_files_get_clear_errors(data, message):
    with pytest.raises(ImageError, match=message):
        prepare_image(data)


def test_huge_images_are_refused_before_decoding(monkeypatch):
    data = encoded(Image.new("1", (400, 300)))
    monkeypatch.setattr(preprocess, "MAX_PIXELS", 100_000)
    with pytest.raises(ImageError, match="400x300 pixels"):
        prepare_image(data)


def test_decompression_bomb_header_is_refused():
    # A real 12,000 x 12,000 PNG (144 megapixels) of one colour: tiny on disk, huge once decoded.
    bomb = encoded(Image.new("1", (12_000, 12_000)), optimize=True)
    assert len(bomb) < 100_000
    with pytest.raises(ImageError, match="too large|limit"):
        prepare_image(bomb)


def test_masks_alpha_brightness_and_size():
    painted = np.zeros((32, 32, 4), np.uint8)
    painted[4:8, 4:8, 3] = 10  # faint alpha still counts as painted
    assert prepare_holes(Image.fromarray(painted)).sum() == 16
    grey = np.zeros((32, 32), np.uint8)
    grey[:, :16] = 200
    grey[:, 16:] = 127
    assert prepare_holes(Image.fromarray(grey)).sum() == 32 * 16
    big = np.zeros((64, 96), np.uint8)
    big[:, 16:48] = 255  # the left half of the centre crop
    holes = prepare_holes(Image.fromarray(big), image_size=(96, 64))
    assert holes[:, :16].all() and not holes[:, 16:].any()
    with pytest.raises(ImageError, match="mask is 20x20"):
        prepare_holes(Image.new("L", (20, 20)), image_size=(96, 64))
    with pytest.raises(ImageError, match=r"mask is 20x20; it must be 32x32 \("):  # not "32x32 or 32x32"
        prepare_holes(Image.new("L", (20, 20)), image_size=(32, 32))


def test_an_opaque_black_and_white_mask_is_read_by_brightness():
    opaque = np.zeros((32, 32, 4), np.uint8)
    opaque[..., 3] = 255  # saved with alpha, fully opaque everywhere
    opaque[8:24, 8:24, :3] = 255  # white square = missing
    holes = prepare_holes(Image.fromarray(opaque))
    assert holes.sum() == 256 and holes[8:24, 8:24].all()
    clear = np.zeros((32, 32, 4), np.uint8)  # uniform alpha 0, black: no hole
    assert not prepare_holes(Image.fromarray(clear)).any()
