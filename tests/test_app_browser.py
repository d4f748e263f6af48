"""A real browser (Debian's Chromium through Playwright) clicking through the app like a person would."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PIL import Image, UnidentifiedImageError

from sslmodel.app import LAUNCH_OPTIONS, build_demo, make_state
from app_inputs import MODEL_NAMES
from sslmodel.app.hole_maps import HOLE_COLOR
from sslmodel.app.examples import find_examples

pytestmark = pytest.mark.slow  # launches a server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT = 180  # seconds; only an upper bound: a busy machine can take minutes to load the page

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def url(tiny_models, examples_dir):
    examples, note = find_examples(examples_dir)  # what `python app.py --examples DIR` does
    assert examples is not None, note
    demo = build_demo(make_state(tiny_models, examples))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **LAUNCH_OPTIONS)
    try:
        yield url
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(TIMEOUT * 1000)
    return page


@pytest.fixture(scope="module")
def page(browser, url):
    page = new_page(browser)
    page.goto(url)
    page.wait_for_selector("#painter canvas")
    yield page
    page.close()


def tile(page, elem_id: str) -> np.ndarray | None:
    """The 32x32 picture a result tile shows (enlarged by CSS), or None while it shows nothing."""
    image = page.locator(f"#{elem_id} img")
    if image.count() == 0 or not image.first.get_attribute("src"):
        return None
    response = page.request.get(image.first.get_attribute("src"))
    try:
        picture = Image.open(io.BytesIO(response.body())).convert("RGB")
    except UnidentifiedImageError:  # the tile is being replaced (the old file is gone); look again later
        return None
    return np.asarray(picture)  # 32x32: the page enlarges it


def shown_holes(page) -> np.ndarray | None:
    masked = tile(page, "masked")
    return None if masked is None else (masked == HOLE_COLOR).all(axis=-1)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def test_a_person_picks_paints_randomizes_and_switches_models(page, tiny_examples, tmp_path):
    # The page opens with an example and a centre hole, already filled.
    wait_for(lambda: (holes := shown_holes(page)) is not None and holes.sum() == 256, "the opening result")

    page.get_by_role("button", name="Clear mask").click()
    wait_for(lambda: (holes := shown_holes(page)) is not None and not holes.any(), "an empty mask")

    page.locator("#examples .gallery-item").nth(3).click()  # the first "ships" example
    wait_for(lambda: np.array_equal(tile(page, "original"), tiny_examples.load(3)), "the picked example")

    # Paint at once: the painter shows the picked image and the kept (empty) hole map as soon as they arrive, and
    # the centre hole the page opened with never comes back. Paint a horizontal stroke through the middle of the
    # canvas (the image is centred in it).
    box = page.locator("#painter canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 80, y)
    page.mouse.down()
    page.mouse.move(x + 80, y, steps=20)
    page.mouse.up()
    wait_for(lambda: (h := shown_holes(page)) is not None and bool(h.any()), "the painted hole")
    holes = shown_holes(page)
    rows, cols = np.nonzero(holes)
    assert set(rows) <= {14, 15, 16, 17} and len(set(rows)) in (2, 3), sorted(set(rows))  # 2 CIFAR pixels wide
    assert cols.max() - cols.min() >= 10  # a stroke, not a dot
    original = tiny_examples.load(3)
    wait_for(lambda: (c := tile(page, "composite")) is not None and not np.array_equal(c, original), "the fill")
    composite = tile(page, "composite")
    assert np.array_equal(composite[~holes], original[~holes]) and tile(page, "reconstruction") is not None
    assert "Hole PSNR" in page.locator("#metrics").inner_text()

    page.get_by_role("button", name="Random mask").click()  # the default: a centre square, 25%
    wait_for(lambda: (h := shown_holes(page)) is not None and h.sum() == 256 and bool(h[8:24, 8:24].all()),
             "the random mask")

    before = tile(page, "reconstruction")
    page.locator("#model input").click()
    page.get_by_role("option", name=MODEL_NAMES[1]).click()
    wait_for(lambda: MODEL_NAMES[1] in page.locator("#metrics").inner_text(), "the other model's metrics")
    wait_for(lambda: not np.array_equal(tile(page, "reconstruction"), before), "the other model's reconstruction")

    page.get_by_role("button", name="Compare all methods on this hole").click()
    wait_for(lambda: page.locator("#compare img").count() == 1, "the comparison slide")  # the "compare all" slide
    wait_for(lambda: page.locator("#download").is_visible(), "the download button")
    screenshot = tmp_path / "app.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert Image.open(screenshot).size[0] == 1440


PAINTED_HOLES = """() => {  // the hole map the painter's canvas shows: its magenta pixels
    const data = document.querySelector('#painter canvas').getContext('2d').getImageData(0, 0, 32, 32).data;
    return Array.from({length: 1024},
                      (_, i) => data[4 * i] === 255 && data[4 * i + 1] === 0 && data[4 * i + 2] === 255);
}"""


def painted_holes(page) -> np.ndarray:
    return np.array(page.evaluate(PAINTED_HOLES), dtype=bool).reshape(32, 32)


def stroke(page, y_offset: float, x_from: float, x_to: float) -> None:
    """A horizontal drag across the painter, offsets in CIFAR pixels from its centre."""
    box = page.locator("#painter canvas").first.bounding_box()
    unit = box["width"] / 32
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + y_offset * unit
    page.mouse.move(x + x_from * unit, y)
    page.mouse.down()
    page.mouse.move(x + x_to * unit, y, steps=20)
    page.mouse.up()


def test_the_painter_shows_the_last_hole_map_sent_and_paints_and_erases_whole_pixels(browser, url, tiny_examples):
    page = new_page(browser)
    try:
        page.goto(url)
        page.wait_for_selector("#painter canvas")
        wait_for(lambda: (holes := shown_holes(page)) is not None and holes.sum() == 256, "the opening result")
        assert np.array_equal(painted_holes(page), shown_holes(page))
        # Each answer redraws the painter with exactly its hole map, at once: an older hole map never comes back
        # after a newer one (a clear, then a pick).
        first = tile(page, "original")
        clear, randomize = (page.get_by_role("button", name=name) for name in ("Clear mask", "Random mask"))
        pick = page.locator("#examples .gallery-item")
        steps = [("Clear mask", clear.click, 0, first),
                 ("a pick", lambda: pick.nth(4).click(), 0, tiny_examples.load(4)),
                 ("Random mask", randomize.click, 256, tiny_examples.load(4)),
                 ("another pick", lambda: pick.nth(1).click(), 256, tiny_examples.load(1)),
                 ("Clear mask again", clear.click, 0, tiny_examples.load(1))]
        for what, act, missing, original in steps:
            act()
            wait_for(lambda: (h := shown_holes(page)) is not None and h.sum() == missing
                     and np.array_equal(tile(page, "original"), original)
                     and np.array_equal(painted_holes(page), h), f"the painter and the answer to {what}")
        page.wait_for_timeout(500)  # nothing late repaints it
        assert not painted_holes(page).any()

        page.get_by_role("button", name="4 CIFAR pixels").click()  # the brush size
        stroke(page, 0, -8, 8)
        wait_for(lambda: (h := shown_holes(page)) is not None and h.any(), "the painted hole")
        holes = shown_holes(page)
        assert np.array_equal(painted_holes(page), holes)  # the painter shows exactly what the model gets
        assert sorted(set(np.nonzero(holes)[0])) == [14, 15, 16, 17]  # 4 CIFAR pixels wide, around the centre

        page.get_by_role("button", name="Eraser").click()
        stroke(page, 0, -9, 0)  # erase the left half
        wait_for(lambda: (h := shown_holes(page)) is not None and h.sum() < holes.sum(), "the erased half")
        erased = shown_holes(page)
        assert np.array_equal(painted_holes(page), erased) and erased.any()
        assert not erased[:, :18].any() and np.array_equal(erased[:, 18:], holes[:, 18:])
    finally:
        page.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_fresh_offline_start_opens_on_a_filled_example(browser, tmp_path):
    """`python app.py` as a new user runs it: no network, no torchvision cache, no example folder."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("SSLMODEL_EXAMPLES", "MODEL_REPO")}
    env |= {"HF_HUB_OFFLINE": "1", "HOME": str(tmp_path), "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tmp_path / "server.log"  # a file, not a pipe: a chatty server never blocks on it
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        page = new_page(browser)
        wait_for(lambda: server.poll() is None and page_opens(page, f"http://127.0.0.1:{port}"),
                 "the server to answer")
        page.wait_for_selector("#painter canvas")
        wait_for(lambda: (holes := shown_holes(page)) is not None and holes.sum() == 256, "the opening hole")
        original = tile(page, "original")
        wait_for(lambda: (c := tile(page, "composite")) is not None and original is not None
                 and not np.array_equal(c, original), "the opening fill")
        assert original.std() > 20  # a real picture, not a blank tile
        assert page.locator("#examples .gallery-item").count() == 30  # 3 of each of the 10 classes
        page.get_by_role("button", name="Random image").click()
        wait_for(lambda: not np.array_equal(tile(page, "original"), original), "another example")
        assert "Hole PSNR" in page.locator("#metrics").inner_text()
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = log.read_text()
    # (uvicorn may log a ClientDisconnect when the browser goes away; nothing of ours may fail)
    assert str(ROOT / "sslmodel") not in errors and str(ROOT / "app.py") not in errors, errors


def page_opens(page, url: str) -> bool:
    try:
        page.goto(url)
        return True
    except sync_api.Error:
        return False
