"""Share this hole: the page's present state in one link, and back.

A link carries the image (an example by its index in the server's examples, or any other 32x32 image's pixels:
3 KB), the hole map (1,024 bits), the model's name and the chosen pixel, packed into bytes and written as URL-safe
base64 in one query parameter, `?hole=1.<data>` (the 1 is the format's version). An upload's link is about 4 KB, an
example's about 200 bytes. `decode` refuses anything it did not write (`LinkError`, one line), so a broken or
hand-edited link opens the default page with a notice.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

import numpy as np

from ..preprocess import MODEL_SIZE

PARAMETER = "hole"
VERSION = "1"
MAX_LINK = 6000  # characters of the parameter's value: an upload's link with a long model name fits
NO_PIXEL = 0xFF
PIXELS, BITS = MODEL_SIZE * MODEL_SIZE * 3, MODEL_SIZE * MODEL_SIZE // 8


class LinkError(ValueError):
    """A link this page did not write, or one that lost characters on the way."""


@dataclass
class SharedView:
    holes: np.ndarray  # bool (32, 32)
    model: str
    example: int | None = None  # an index into the server's examples, or
    image: np.ndarray | None = None  # uint8 (32, 32, 3): any other image
    pixel: tuple[int, int] | None = None  # (row, column) the influence map is for; None: the whole hole


def encode(view: SharedView) -> str:
    """The query parameter's value for `view`."""
    if view.example is not None:
        source = b"e" + struct.pack("<I", view.example)
    else:
        source = b"u" + np.ascontiguousarray(view.image, dtype=np.uint8).reshape(-1).tobytes()
    pixel = view.pixel if view.pixel is not None else (NO_PIXEL, NO_PIXEL)
    data = (source + np.packbits(np.asarray(view.holes, dtype=bool).reshape(-1)).tobytes()
            + bytes(pixel) + view.model.encode("utf-8"))
    return f"{VERSION}.{base64.urlsafe_b64encode(data).decode().rstrip('=')}"


def decode(value: str) -> SharedView:
    """A link's parameter value -> the view it describes, or LinkError saying what is wrong with it."""
    if not isinstance(value, str) or len(value) > MAX_LINK:
        raise LinkError("the link is too long to be one of this page's")
    version, _, text = value.partition(".")
    if version != VERSION or not text:
        raise LinkError("the link is not one of this page's (or from another version of it)")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise LinkError("the link is damaged (it is not in the page's code)") from None
    kind, rest = data[:1], data[1:]
    if kind == b"e" and len(rest) >= 4 + BITS + 2:
        example, image, rest = struct.unpack("<I", rest[:4])[0], None, rest[4:]
    elif kind == b"u" and len(rest) >= PIXELS + BITS + 2:
        example = None
        image = np.frombuffer(rest[:PIXELS], dtype=np.uint8).reshape(MODEL_SIZE, MODEL_SIZE, 3).copy()
        rest = rest[PIXELS:]
    else:
        raise LinkError("the link is cut short or damaged")
    holes = np.unpackbits(np.frombuffer(rest[:BITS], dtype=np.uint8)).astype(bool).reshape(MODEL_SIZE, MODEL_SIZE)
    row, col = rest[BITS], rest[BITS + 1]
    pixel = None if (row, col) == (NO_PIXEL, NO_PIXEL) else (row, col)
    if pixel is not None and not (row < MODEL_SIZE and col < MODEL_SIZE):
        raise LinkError("the link's pixel is outside the image")
    try:
        model = rest[BITS + 2:].decode("utf-8")
    except UnicodeDecodeError:
        raise LinkError("the link's model name is damaged") from None
    return SharedView(holes, model, example, image, pixel)
