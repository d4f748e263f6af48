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
from app_inputs import MODEL_NAMES, save_png
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
    temp = tmp_path / "tmp"  # where the server's outputs go, and must be gone after it stops
    temp.mkdir()
    env |= {"HF_HUB_OFFLINE": "1", "HOME": str(tmp_path), "GRADIO_ANALYTICS_ENABLED": "False", "TMPDIR": str(temp)}
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
        check_learned_panels(page)  # ends on another example
        original = tile(page, "original")
        page.get_by_role("button", name="Random image").click()
        wait_for(lambda: not np.array_equal(tile(page, "original"), original), "another example")
        assert "Hole PSNR" in page.locator("#metrics").inner_text()
        page.close()
        assert list(temp.glob("sslmodel-app-*")), "the outputs are where this test looks for them"
    finally:
        server.terminate()  # SIGTERM, as `docker stop` and a Space's restart send
        server.wait(timeout=30)
    assert server.returncode == 0 and not list(temp.glob("sslmodel-app-*")), "a stopped server leaves no outputs"
    errors = log.read_text()
    # (uvicorn may log a ClientDisconnect when the browser goes away; nothing of ours may fail)
    assert str(ROOT / "sslmodel") not in errors and str(ROOT / "app.py") not in errors, errors


LEARNED_PANELS = ("neighbours-features", "neighbours-pixels", "feature-map", "label-curve", "fill-restores")


def lookalikes(page) -> list[str]:
    """The pictures the feature look-alikes show (their URLs), in order."""
    return page.eval_on_selector_all("#neighbours-features img", "images => images.map(image => image.src)")


def check_learned_panels(page) -> None:
    """"What did it learn?": its five panels on screen, filled for the opening image, then for a picked one."""
    wait_for(lambda: len(lookalikes(page)) == 8 and len(page.locator("#neighbours-pixels img").all()) == 8,
             "the look-alikes")
    assert "of 8" in page.locator("#neighbours-features").inner_text()
    wait_for(lambda: page.locator("#feature-map img").count() == 1, "the maps")
    wait_for(lambda: "bring the class back" in page.locator("#fill-restores").inner_text(), "the fill's class")
    wait_for(lambda: all(page.locator(f"#{elem_id}").is_visible() for elem_id in LEARNED_PANELS), "all five panels")
    curve = page.locator("#label-curve")  # a plot, or the note of a bundle that predates the per-label record
    assert curve.locator("img").count() == 1 or "predate" in curve.inner_text()
    before = lookalikes(page)
    page.locator("#examples .gallery-item").nth(13).click()  # another class's image
    wait_for(lambda: len(now := lookalikes(page)) == 8 and now != before, "the picked image's look-alikes")


def page_opens(page, url: str) -> bool:
    try:
        page.goto(url)
        return True
    except sync_api.Error:
        return False


# ---------------------------------------------------------------------------------------------- editing and presenting

CANVAS_PIXELS = """() => {  // the RGB pixels the painter's canvas shows
    const data = document.querySelector('#painter canvas').getContext('2d').getImageData(0, 0, 32, 32).data;
    return Array.from({length: 1024 * 3}, (_, i) => data[4 * Math.floor(i / 3) + i % 3]);
}"""


def agreed(page) -> tuple[np.ndarray, np.ndarray] | None:
    """(the painter's hole map, the Masked input tile) once the tile shows the painter's hole map, else None."""
    masked = tile(page, "masked")
    holes = painted_holes(page)
    return None if masked is None or not np.array_equal((masked == HOLE_COLOR).all(axis=-1), holes) else (holes, masked)


def changed(page, act: Callable[[], object], what: str) -> tuple[np.ndarray, np.ndarray]:
    """Do `act`, then wait for a new hole map in the painter and in the Masked input tile; return both."""
    before = painted_holes(page)
    act()
    wait_for(lambda: (now := agreed(page)) is not None and not np.array_equal(now[0], before), what)
    return agreed(page)


def settled(page, holes: np.ndarray, masked: np.ndarray | None, what: str) -> None:
    """Wait until the painter shows `holes` and the Masked input tile shows them (exactly `masked`, when given)."""
    wait_for(lambda: (now := agreed(page)) is not None and np.array_equal(now[0], holes)
             and (masked is None or np.array_equal(now[1], masked)), what)


def load_mask(page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.locator("#mask-upload").click()
    chooser.value.set_files(str(path))


def saved_mask(page) -> np.ndarray:
    """The file "Save mask" downloads. (Headless Chromium now and then cancels a page's later downloads, its limit
    on automatic downloads; the file is then fetched from the address the button downloaded.)"""
    with page.expect_download() as download:
        page.locator("#mask-download").click()
    saved = download.value
    assert saved.suggested_filename == "mask.png"
    data = Path(saved.path()).read_bytes() if saved.failure() is None else page.request.get(saved.url).body()
    return np.asarray(Image.open(io.BytesIO(data)))


def opened(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#painter canvas")
    wait_for(lambda: (holes := shown_holes(page)) is not None and holes.sum() == 256, "the opening result")


def test_undo_and_redo_bring_back_every_hole_map_and_its_masked_input(browser, url, tiny_examples, tmp_path):
    page = new_page(browser)
    try:
        opened(page, url)
        assert page.locator("#undo").is_disabled() and page.locator("#redo").is_disabled()
        wait_for(lambda: agreed(page) is not None, "the opening hole in the painter and the tile")
        loaded = np.zeros((32, 32), dtype=bool)
        loaded[2:6, 3:29] = True
        mask_file = save_png(loaded.astype(np.uint8) * 255, tmp_path / "mask.png")
        states = [agreed(page)]  # every change to the hole map: (painter, Masked input tile)
        for what, act in [("a stroke", lambda: stroke(page, -11, -8, 8)),
                          ("an eraser stroke", lambda: (page.get_by_role("button", name="Eraser").click(),
                                                        stroke(page, 0, -9, 0))),
                          ("Clear mask", page.get_by_role("button", name="Clear mask").click),
                          ("a loaded mask", lambda: load_mask(page, mask_file)),
                          ("Random mask", page.get_by_role("button", name="Random mask").click)]:
            states.append(changed(page, act, what))
        assert np.array_equal(states[4][0], loaded) and not states[3][0].any()

        undos = [lambda: page.keyboard.press("Control+z"), page.locator("#undo").click]
        for k in range(len(states) - 2, -1, -1):  # back to the opening hole map, one change at a time
            undos[k % 2]()
            settled(page, *states[k], f"the undo back to change {k}")
        assert page.locator("#undo").is_disabled() and page.locator("#redo").is_enabled()

        page.locator("#model input").click()  # a model switch keeps the history
        page.get_by_role("option", name=MODEL_NAMES[1]).click()
        wait_for(lambda: MODEL_NAMES[1] in page.locator("#metrics").inner_text(), "the other model's results")
        redos = [page.locator("#redo").click, lambda: page.keyboard.press("Control+Shift+z"),
                 lambda: page.keyboard.press("Control+y")]  # the button first: it takes the focus off the dropdown
        for k in range(1, len(states)):
            redos[(k - 1) % 3]()
            settled(page, *states[k], f"the redo to change {k}")  # the Masked input tile is the model's input
        assert page.locator("#redo").is_disabled()

        # A picked image has a history of its own; back on the first one, its history is there again.
        first = tile(page, "original")
        page.locator("#examples .gallery-item").nth(4).click()
        wait_for(lambda: np.array_equal(tile(page, "original"), tiny_examples.load(4)), "the picked example")
        assert page.locator("#undo").is_disabled()
        page.get_by_role("button", name="Brush").click()
        changed(page, lambda: stroke(page, 12, -8, 8), "a stroke on the picked example")
        page.locator("#examples .gallery-item").nth(0).click()
        wait_for(lambda: np.array_equal(tile(page, "original"), first), "the first example again")
        page.keyboard.press("Control+z")
        settled(page, *states[-1], "the first example's last hole map")
    finally:
        page.close()


def test_every_key_does_what_the_keys_help_says_but_not_while_typing(browser, url):
    page = new_page(browser)
    try:
        opened(page, url)
        page.locator("#keys-help summary").click()
        listed = page.locator("#keys-help").inner_text()
        for key in ("B", "E", "[ and ]", "R", "C", "hold O", "Ctrl+Z", "Ctrl+Shift+Z or Ctrl+Y"):
            assert key in listed, key

        def pressed(kind: str) -> list[str]:
            return page.eval_on_selector_all(f"#painter .{kind}[aria-pressed=true]",
                                             "buttons => buttons.map(b => b.dataset.tool || b.dataset.size)")
        page.keyboard.press("e")
        assert pressed("tool") == ["erase"]
        page.keyboard.press("b")
        assert pressed("tool") == ["paint"] and pressed("size") == ["2"]
        for key, size in [("]", "3"), ("]", "4"), ("]", "4"), ("[", "3"), ("[", "2"), ("[", "1"), ("[", "1")]:
            page.keyboard.press(key)
            assert pressed("size") == [size], (key, size)

        page.keyboard.press("c")
        settled(page, np.zeros((32, 32), dtype=bool), None, "the mask cleared by C")
        holes, _ = changed(page, lambda: stroke(page, -11.5, -6, 6), "a stroke of size 1")
        assert sorted(set(np.nonzero(holes)[0])) == [4]  # the size [ chose: one CIFAR pixel
        page.keyboard.press("e")
        erased, _ = changed(page, lambda: stroke(page, -11.5, -7, 0), "the eraser chosen by E")
        assert not erased[:, :16].any() and np.array_equal(erased[:, 17:], holes[:, 17:])
        page.keyboard.press("r")
        wait_for(lambda: (h := agreed(page)) is not None and h[0].sum() == 256 and h[0][8:24, 8:24].all(),
                 "the random mask drawn by R")

        original = tile(page, "original")
        page.keyboard.down("o")  # hold O: the original, without its holes
        wait_for(lambda: not painted_holes(page).any(), "the original while O is held")
        assert np.array_equal(np.array(page.evaluate(CANVAS_PIXELS), dtype=np.uint8).reshape(32, 32, 3), original)
        page.keyboard.up("o")
        wait_for(lambda: painted_holes(page).sum() == 256, "the holes again once O is released")

        page.locator("#seed input").click()  # in a text field, a key types
        page.keyboard.press("c")
        page.keyboard.press("Control+z")
        page.wait_for_timeout(1000)
        assert painted_holes(page).sum() == 256 and shown_holes(page).sum() == 256
    finally:
        page.close()


def test_a_mask_file_loads_and_the_saved_mask_equals_it(browser, url, tmp_path):
    page = new_page(browser)
    try:
        opened(page, url)
        wait_for(lambda: agreed(page) is not None, "the opening hole in the painter and the tile")
        before = painted_holes(page)
        mask = np.zeros((32, 32), dtype=np.uint8)
        mask[3:9, 2:30] = 255
        mask[20:30, 5:12] = 255
        load_mask(page, save_png(mask, tmp_path / "mask.png"))  # 32x32, white = missing
        settled(page, mask > 127, None, "the loaded mask")
        saved = saved_mask(page)
        assert saved.shape == (32, 32) and np.array_equal(saved, mask)  # the same file, pixel for pixel

        page.keyboard.press("Control+z")  # a loaded mask is a change like any other
        settled(page, before, None, "the hole map before the loaded mask")
        assert np.array_equal(saved_mask(page) > 127, before)

        load_mask(page, save_png(mask[:20, :20], tmp_path / "small.png"))  # neither 32x32 nor the image's size
        page.get_by_text("it must be 32x32", exact=False).first.wait_for()
        assert np.array_equal(painted_holes(page), before)
    finally:
        page.close()


def inside(box: dict, width: int, height: int) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


def test_presentation_mode_fits_a_1280x720_projector_and_the_dark_theme_switches(browser, url, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_default_timeout(TIMEOUT * 1000)
    try:
        opened(page, url + "?present=1")
        wait_for(lambda: tile(page, "composite") is not None, "the opening fill")
        assert page.evaluate("document.body.classList.contains('present')")
        assert page.locator("#present").get_attribute("aria-pressed") == "true"
        for selector in ("#painter canvas", "#undo", "#redo", "#mask-upload", "#mask-download", "#examples",
                         "#slider", "#composite"):  # choosing, painting and the result, without scrolling
            box = page.locator(selector).first.bounding_box()
            assert box is not None and inside(box, 1280, 720), (selector, box)
        assert page.evaluate("window.scrollY") == 0
        assert not page.locator("#header").is_visible() and not page.locator(".help").first.is_visible()
        presented = page.locator("#painter canvas").bounding_box()["width"]
        page.screenshot(path=str(tmp_path / "presentation.png"))

        page.locator("#present").click()  # off: the page as usual, and the address says so
        assert not page.evaluate("document.body.classList.contains('present')")
        assert "present=1" not in page.evaluate("location.href")
        assert page.locator("#painter canvas").bounding_box()["width"] < presented  # presenting enlarged it
        page.locator("#present").click()
        assert "present=1" in page.evaluate("location.href")
        assert page.locator("#painter canvas").bounding_box()["width"] == presented

        page.locator("#dark-theme").click()
        assert page.evaluate("document.body.classList.contains('dark')")
        assert "__theme=dark" in page.evaluate("location.href")
        assert page.locator("#dark-theme").get_attribute("aria-pressed") == "true"
        opened(page, url + "?present=1&__theme=dark")  # what a bookmark of it opens
        assert page.evaluate("document.body.classList.contains('dark')")
        assert page.locator("#dark-theme").get_attribute("aria-pressed") == "true"
        assert page.locator("#present").get_attribute("aria-pressed") == "true"
    finally:
        page.close()


PEN_STROKE = """([type, button]) => {  // a pen drawn across row 20 (button 5: its eraser end), as a tablet sends it
    const canvas = document.querySelector('#painter canvas'), box = canvas.getBoundingClientRect();
    const at = (kind, x) => canvas.dispatchEvent(new PointerEvent(kind, {
        pointerId: 9, pointerType: type, isPrimary: true, button: kind === 'pointermove' ? -1 : button,
        buttons: 1, clientX: box.left + x * box.width / 32, clientY: box.top + 20.5 * box.height / 32,
        bubbles: true, cancelable: true}));
    at('pointerdown', 4);
    for (let x = 5; x < 28; x++) at('pointermove', x);
    at('pointerup', 28);
}"""


def test_a_finger_or_a_pen_paints_and_the_page_does_not_scroll(browser, url):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT * 1000)
    try:
        opened(page, url)
        assert page.evaluate("getComputedStyle(document.querySelector('#painter canvas')).touchAction") == "none"
        page.get_by_role("button", name="Clear mask").click()
        settled(page, np.zeros((32, 32), dtype=bool), None, "an empty mask")
        page.evaluate("window.scrollTo(0, 40)")
        scrolled = page.evaluate("window.scrollY")
        box = page.locator("#painter canvas").bounding_box()
        unit = box["width"] / 32
        touch = context.new_cdp_session(page)
        points = [{"x": box["x"] + 3.5 * unit, "y": box["y"] + (2 + row) * unit} for row in range(0, 28, 2)]

        def drag() -> None:  # a real touch drag down the canvas: on a page that scrolls, the gesture of a scroll
            touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points[:1]})
            for point in points[1:]:
                touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
            touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        holes, _ = changed(page, drag, "the finger's stroke")
        assert holes[2:28, 3].all() and not holes[:, 6:].any() and page.evaluate("window.scrollY") == scrolled

        painted, _ = changed(page, lambda: page.evaluate(PEN_STROKE, ["pen", 0]), "the pen's stroke")
        assert painted[20, 5:27].all() and np.array_equal(painted[:19], holes[:19])
        erased, _ = changed(page, lambda: page.evaluate(PEN_STROKE, ["pen", 5]), "the pen's eraser")
        assert not erased[19:22, 5:27].any() and np.array_equal(erased[:19], holes[:19])
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------- where it looked, phones

CYAN = (0, 255, 255)


def click_pixel(page, elem_id: str, row: int, col: int) -> None:
    """A click on CIFAR pixel (row, col) of a result tile's picture, drawn enlarged with `object-fit: contain`."""
    page.locator(f"#{elem_id} img").first.scroll_into_view_if_needed()
    box = page.locator(f"#{elem_id} img").first.bounding_box()
    side = min(box["width"], box["height"])
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
    page.mouse.click(left + (col + 0.5) * side / 32, top + (row + 0.5) * side / 32)


def test_a_click_on_a_missing_pixel_shows_where_its_prediction_looked(browser, url):
    page = new_page(browser)
    try:
        opened(page, url)  # a centre hole, rows and columns 8 to 23
        holes = shown_holes(page)
        wait_for(lambda: "whole hole" in page.locator("#influence-note").inner_text(), "the whole hole's map")
        looked = tile(page, "influence")
        assert looked is not None and np.array_equal((looked == HOLE_COLOR).all(axis=-1), holes)
        assert looked[~holes].max() > 0, "some known pixel has influence"
        click_pixel(page, "composite", 9, 20)
        wait_for(lambda: "pixel (row 9, column 20)" in page.locator("#influence-note").inner_text(), "its pixel")
        wait_for(lambda: (now := tile(page, "influence")) is not None and tuple(now[9, 20]) == CYAN,
                 "the chosen pixel marked")
        click_pixel(page, "reconstruction", 22, 10)
        wait_for(lambda: "pixel (row 22, column 10)" in page.locator("#influence-note").inner_text(), "another")
    finally:
        page.close()


def overlaps(first: dict, second: dict) -> bool:
    return not (first["x"] + first["width"] <= second["x"] or second["x"] + second["width"] <= first["x"]
                or first["y"] + first["height"] <= second["y"] or second["y"] + second["height"] <= first["y"])


def test_on_a_phone_nothing_overlaps_nothing_scrolls_sideways_and_a_finger_paints(browser, url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  device_scale_factor=3)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT * 1000)
    try:
        opened(page, url)
        wait_for(lambda: tile(page, "composite") is not None, "the opening fill")
        switches, title = (page.locator(selector).first.bounding_box() for selector in ("#page-switches", "#header h1"))
        assert not overlaps(switches, title), (switches, title)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        canvas = page.locator("#painter canvas").bounding_box()
        assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= 390, canvas
        page.get_by_role("button", name="Clear mask").click()
        settled(page, np.zeros((32, 32), dtype=bool), None, "an empty mask")
        page.locator("#painter canvas").scroll_into_view_if_needed()
        canvas = page.locator("#painter canvas").bounding_box()
        unit = canvas["width"] / 32
        holes, _ = changed(page, lambda: page.touchscreen.tap(canvas["x"] + 5.5 * unit, canvas["y"] + 7.5 * unit),
                           "a tap's pixel")
        assert holes[7, 5] and holes.sum() <= 9, "a tap paints where the finger is"
    finally:
        context.close()


def test_a_shared_link_opens_the_same_fill_and_a_broken_one_the_usual_page(browser, url):
    page = new_page(browser)
    try:
        opened(page, url)
        page.locator("#examples .gallery-item").nth(4).click()
        wait_for(lambda: "example #" in page.locator("#metrics").inner_text(), "the picked example")
        holes, _ = changed(page, lambda: stroke(page, -6, -10, 10), "a stroke")
        wait_for(lambda: tile(page, "composite") is not None, "its fill")
        composite = tile(page, "composite")
        page.locator("#share").click()
        link_box = page.locator("#share-link textarea, #share-link input").first
        wait_for(lambda: link_box.input_value().startswith("http"), "the link")
        link = link_box.input_value()
    finally:
        page.close()
    shared = new_page(browser)
    try:
        shared.goto(link)
        shared.wait_for_selector("#painter canvas")
        wait_for(lambda: (c := tile(shared, "composite")) is not None and np.array_equal(c, composite)
                 and np.array_equal(painted_holes(shared), holes), "the same composite and hole from the link")
        assert not shared.locator("#link-notice").is_visible()
        shared.goto(url + "?hole=1.hand-edited")
        shared.wait_for_selector("#painter canvas")
        wait_for(lambda: shared.locator("#link-notice").is_visible(), "the notice")
        assert "could not be opened" in shared.locator("#link-notice").inner_text()
        wait_for(lambda: (h := shown_holes(shared)) is not None and h.sum() == 256, "the usual opening result")
    finally:
        shared.close()
