"""Share this hole: a link holds the page's state exactly; a broken one opens the usual page with a notice."""

import base64
from types import SimpleNamespace

import numpy as np
import pytest

from app_inputs import MODEL_NAMES, gradient_image
from sslmodel.app import handlers, make_state
from sslmodel.app.handlers import on_influence, on_open, on_share
from sslmodel.app.painter import holes_from_painter, painter_value
from sslmodel.app.share import MAX_LINK, PARAMETER, LinkError, SharedView, decode, encode


def random_holes(seed=0):
    return np.random.default_rng(seed).random((32, 32)) < 0.4


def test_a_link_round_trips_an_upload_an_example_a_model_and_a_pixel():
    holes = random_holes()
    upload = SharedView(holes, "tiny-2 ünïcode", image=gradient_image(seed=3), pixel=(31, 0))
    back = decode(encode(upload))
    assert np.array_equal(back.holes, holes) and np.array_equal(back.image, upload.image)
    assert (back.model, back.example, back.pixel) == ("tiny-2 ünïcode", None, (31, 0))
    example = decode(encode(SharedView(holes, "tiny", example=70_000)))
    assert example.example == 70_000 and example.image is None and example.pixel is None
    assert len(encode(SharedView(holes, "default", example=3))) < 250 < len(encode(upload)) < MAX_LINK


@pytest.mark.parametrize("value", ["", "1", "2.AAAA", "1.!!!!", "1.ZQ", "x" * (MAX_LINK + 1),
                                   encode(SharedView(random_holes(), "m", example=1))[:-60],
                                   encode(SharedView(random_holes(), "m", image=gradient_image()))[:900]])
def test_a_broken_or_hand_edited_link_is_refused_in_one_line(value):
    with pytest.raises(LinkError) as refused:
        decode(value)
    assert "\n" not in str(refused.value)


def test_a_pixel_outside_the_image_is_refused():
    token = encode(SharedView(np.zeros((32, 32), bool), "m", example=0, pixel=(1, 2)))
    raw = bytearray(base64.urlsafe_b64decode(token[2:] + "=" * (-len(token[2:]) % 4)))
    raw[1 + 4 + 128] = 40  # kind, example index, hole bits, then the pixel's row
    edited = "1." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(LinkError, match="outside"):
        decode(edited)


def request(link: str | None):
    return SimpleNamespace(query_params={} if link is None else {PARAMETER: link})


def test_the_page_a_link_opens_shows_the_same_results(tiny_models, tiny_examples):
    state = make_state(tiny_models, tiny_examples)
    holes = random_holes(1)
    for image, caption in [(tiny_examples.load(4), "ships (example #4)"), (gradient_image(seed=9), "your upload")]:
        painter = painter_value(image, holes)
        link = on_share(state, image, caption, painter, MODEL_NAMES[1], {"row": 3, "col": 5}).link
        assert link.startswith(f"?{PARAMETER}=") and (len(link) < 300) == caption.endswith("#4)")
        opened = on_open(state, None, "", None, None, request(link.split("=", 1)[1]))
        assert np.array_equal(opened.picked.image, image)
        assert np.array_equal(holes_from_painter(opened.picked.painter), holes)
        assert opened.model["value"] == MODEL_NAMES[1] and opened.notice["visible"] is False
        expected = handlers.results(state, image, caption, holes, MODEL_NAMES[1])
        assert opened.picked.results.shown["key"] == expected.shown["key"]
        assert opened.pixel == {"row": 3, "col": 5}


def test_a_broken_link_opens_the_usual_page_with_a_notice(tiny_models, tiny_examples):
    state = make_state(tiny_models, tiny_examples)
    first, holes = tiny_examples.load(state.gallery_indices[0]), random_holes(2)
    usual = on_open(state, first, "cats (example)", painter_value(first, holes), MODEL_NAMES[0], request(None))
    broken = on_open(state, first, "cats (example)", painter_value(first, holes), MODEL_NAMES[0], request("1.broken"))
    assert usual.notice["visible"] is False and broken.notice["visible"] is True
    assert "could not be opened" in broken.notice["value"] and "\n" not in broken.notice["value"]
    assert broken.picked.results.shown["key"] == usual.picked.results.shown["key"]
    elsewhere = encode(SharedView(holes, "not-here", example=999))
    assert "not on this server" in on_open(state, first, "", None, None, request(elsewhere)).notice["value"]
    other_model = encode(SharedView(holes, "not-here", example=1))
    moved = on_open(state, first, "", None, None, request(other_model))
    assert moved.model["value"] == MODEL_NAMES[0] and "model is not on this server" in moved.notice["value"]


def test_the_influence_panel_follows_the_chosen_pixel(tiny_models, tiny_examples):
    state = make_state(tiny_models, tiny_examples)
    image, holes = tiny_examples.load(0), random_holes(3)
    missing = tuple(int(i) for i in np.argwhere(holes)[0])
    shown = handlers.shown_value(image, holes, MODEL_NAMES[0])  # the results on screen: their hole map
    whole = on_influence(state, image, shown, MODEL_NAMES[0])
    assert whole.pixel is None and "whole hole" in whole.note and whole.picture
    chosen = on_influence(state, image, shown, MODEL_NAMES[0],
                          {"row": missing[0], "col": missing[1]})
    assert chosen.pixel == {"row": missing[0], "col": missing[1]} and f"row {missing[0]}" in chosen.note
    for odd in ({"row": "x"}, {"row": 99, "col": 0}, "1,2", None):  # not a pixel the page sends: the whole hole
        assert on_influence(state, image, shown, MODEL_NAMES[0], odd).pixel is None
    assert on_influence(state, image, None, MODEL_NAMES[0]).picture is None, "no results on screen yet: no map"
